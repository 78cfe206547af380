// Seed 004: a scan inside a module, closing over one weight W for T recurrence steps.
//   build/release/examples/lax_scan_in_module
#include <iostream>

#include "seeds/lax_scan_in_module.h"

namespace st = strata;

int main() {
  const int64_t seed = 0, hidden = 6, steps = 10;
  const st::Array x = st::random::normal(st::random::key(7), {hidden});
  std::cout << "x = " << x << "\n";
  std::cout << "lax_scan_in_module(seed=0, x, hidden=6, T=10) = "
            << seeds::lax_scan_in_module(seed, x, hidden, steps) << "\n";
}
