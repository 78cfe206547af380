// Seed 002 — scan over a layer stack: N dense layers (no activation) held in one (N, d, d) array,
// applied with one scan whose body is traced once, whatever N is.
#pragma once

#include <strata/strata.h>

namespace seeds {

// weights: (N, d, d), x: (d,) -> (d,): y <- weights[i] @ y for i = 0 .. N-1.
inline strata::Array scan_apply_layers(const strata::Array& weights, const strata::Array& x) {
  namespace st = strata;
  return st::fold([](const st::Array& y, const st::Array& w) { return st::matmul(w, y); }, x,
                  weights);
}

}  // namespace seeds
