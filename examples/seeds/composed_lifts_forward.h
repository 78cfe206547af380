// Seed 003 — composed lifts: a Block lifted into a scanned stack of N layers (params on axis 0,
// params rngs split), then into a vmapped module sharing that stack across the batch (params
// none, rngs not split).
#pragma once

#include <strata/nn/nn.h>
#include <strata/strata.h>

namespace seeds {

// One layer for one example: Dense(features) -> relu, in the carry-only scan convention.
struct Block {
  strata::nn::Linear dense;
  Block(int64_t features, strata::nn::Rngs& rngs) : dense(features, features, rngs) {}
  std::pair<strata::Array, strata::None> operator()(const strata::Array& x, strata::None) const {
    return {strata::nn::relu(dense(x)), {}};
  }
  STRATA_TREE_MEMBERS(dense)
};

inline auto make_composed_model(int64_t seed, int64_t num_layers, int64_t features) {
  namespace nn = strata::nn;
  const auto scan_layer = nn::lift::scan<Block>(
      {.variable_axes = {{"params", 0}}, .split_rngs = {{"params", true}}, .length = num_layers});
  const auto batched_scan_layer = nn::lift::vmap(
      scan_layer, {.variable_axes = {{"params", strata::none}}, .split_rngs = {{"params", false}}});
  nn::Rngs rngs(seed);
  auto model = batched_scan_layer.init(rngs, features);  // dense.kernel: (N, F, F), shared
  // The Python original is Linen, whose initial values the same seed must reproduce: nn.scan
  // splits the root key into one key per layer, and Dense_0's kernel key in layer i is
  // linen_fold_in(split[i], {"Dense_0", 3}) — the kernel is the scope's third draw, because
  // nn.scan traces its body twice during init and the draw counter counts both traces.  The bias
  // is zeros, as nn::Linear's.
  const strata::Array layer_keys = strata::random::split(strata::random::key(seed), num_layers);
  model.module.layers.dense.kernel.value = strata::vmap([features](const strata::Array& k) {
    return nn::init::lecun_normal()(nn::linen_fold_in(k, {"Dense_0", 3}), {features, features},
                                    strata::float32);
  })(layer_keys);
  return model;
}

// x_batch: (B, F) -> (B * F,): every example through the same N layers.
inline strata::Array composed_lifts_forward(int64_t seed, const strata::Array& x_batch,
                                            int64_t num_layers, int64_t features) {
  if (x_batch.ndim() != 2 || x_batch.shape(1) != features) {
    strata::fail("composed_lifts_forward", "x_batch must be (B, features) = (B, ", features,
                 "), found ", strata::to_string(x_batch.shape()),
                 "; the carry keeps its width through every layer");
  }
  const auto model = make_composed_model(seed, num_layers, features);
  const auto [final, ys] = model(x_batch, strata::None{});
  return strata::reshape(final, {-1});
}

}  // namespace seeds
