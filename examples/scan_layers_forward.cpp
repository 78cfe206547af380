// Seed 001: NNX scan over layers — split_rngs + vmap build N stacked Linear layers, nn::scan with
// in_axes {Carry, 0} runs them.
//   build/release/examples/scan_layers_forward
#include <iostream>

#include "seeds/scan_layers_forward.h"

namespace st = strata;

int main() {
  const int64_t seed = 0, num_layers = 4, features = 8;
  const st::Array x = st::random::normal(st::random::key(42), {features});
  const st::nn::Linear blocks = seeds::make_blocks(seed, num_layers, features);
  std::cout << "blocks.kernel " << st::to_string(blocks.kernel.shape()) << ", blocks.bias "
            << st::to_string(blocks.bias->shape()) << "\n";
  std::cout << "x   = " << x << "\n";
  std::cout << "out = " << seeds::scan_layers_forward(seed, x, num_layers, features) << "\n";
}
