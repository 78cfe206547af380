// Seed 004 — a plain scan inside a module: one weight W declared once, outside the loop, and a
// recurrence h <- tanh(h @ W) that closes over it for T steps (no lift needed: W is one array).
// The Python original is a Linen module; W is initialised from Linen's key for it, so the same
// seed gives the same output (tests/parity/seeds_parity_test.cpp).
#pragma once

#include <strata/nn/nn.h>
#include <strata/strata.h>

namespace seeds {

struct LaxScanModule {
  strata::nn::Param W;  // (hidden, hidden), lecun_normal, drawn once
  int64_t T = 0;        // static: the number of recurrence steps

  // Linen's self.param("W", ...) at the root scope is the scope's first draw: its key is
  // linen_fold_in(key, {1}).
  LaxScanModule(int64_t hidden, int64_t steps, const strata::Array& key)
      : W(strata::nn::init::lecun_normal()(strata::nn::linen_fold_in(key, {1}), {hidden, hidden},
                                           strata::DType::Float32)),
        T(steps) {}

  strata::Array operator()(const strata::Array& x) const {
    namespace st = strata;
    const st::Array init = st::tanh(st::matmul(x, W));
    const st::Array& w = W;
    auto [final, ys] = st::scan(
        [&](const st::Array& h, st::None) {
          return std::pair{st::tanh(st::matmul(h, w)), st::None{}};
        },
        init, st::None{}, {.length = T});
    return final;
  }
  STRATA_TREE_MEMBERS(W)
};

// x: (hidden,) -> (hidden,) after T steps of the recurrence.
inline strata::Array lax_scan_in_module(int64_t seed, const strata::Array& x, int64_t hidden,
                                        int64_t T) {
  const LaxScanModule model(hidden, T, strata::random::key(seed));
  return model(x);
}

}  // namespace seeds
