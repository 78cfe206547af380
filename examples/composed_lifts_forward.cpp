// Seed 003: nn::lift::vmap(nn::lift::scan(Block)) — N per-layer parameter sets shared across a
// batch of B examples.
//   build/release/examples/composed_lifts_forward
#include <iostream>

#include "seeds/composed_lifts_forward.h"

namespace st = strata;

int main() {
  const int64_t seed = 0, num_layers = 3, features = 4, batch = 2;
  const auto model = seeds::make_composed_model(seed, num_layers, features);
  for (const auto& [path, a] : st::nn::state(model)) {
    std::cout << path << ": " << st::to_string(a.shape()) << "\n";  // (N, F, F), (N, F): no batch
  }
  const st::Array x_batch = st::random::uniform(st::random::key(1), {batch, features});
  std::cout << "x_batch = " << x_batch << "\n";
  std::cout << "composed_lifts_forward = "
            << seeds::composed_lifts_forward(seed, x_batch, num_layers, features) << "\n";
}
