// Seed 002: N dense layers held in one (N, d, d) array, applied with one scan.
//   build/release/examples/scan_apply_layers
#include <cmath>
#include <iostream>

#include "seeds/scan_apply_layers.h"

namespace st = strata;

int main() {
  // The seed's worked example: identity, then swap.
  const st::Array weights = st::array<float>({1, 0, 0, 1, 0, 1, 1, 0}, {2, 2, 2});
  const st::Array x = st::array<float>({3, 4}, {2});
  std::cout << "weights (2, 2, 2): identity, swap\nx = " << x << "\n";
  std::cout << "scan_apply_layers(weights, x) = " << seeds::scan_apply_layers(weights, x)
            << "   (expected [4, 3])\n";

  // A deeper stack: the scan body is traced once whatever N is.
  const int64_t n = 64, d = 32;
  const st::Array deep = st::random::normal(st::random::key(0), {n, d, d}) *
                         st::full({}, 1.0 / std::sqrt(static_cast<double>(d)));
  const st::Array y = seeds::scan_apply_layers(deep, st::ones({d}));
  std::cout << "N = " << n << ", d = " << d << ": output shape " << st::to_string(y.shape())
            << ", first values " << st::slice(y, {st::Slice{0, 4, 1}}) << "\n";
}
