// Seed 001 — NNX scan over layers: N stacked nn::Linear(F, F) built by vmapping the constructor
// over split keys (nnx.split_rngs + nnx.vmap), then one nn::scan with in_axes {Carry, 0}.
#pragma once

#include <strata/nn/nn.h>
#include <strata/strata.h>

namespace seeds {

// One nn::Linear whose kernel is (N, F, F) and bias (N, F): layer i drew its parameters from the
// i-th of N keys split from the Rngs (forgetting the split would make every layer the same).
inline strata::nn::Linear make_blocks(int64_t seed, int64_t num_layers, int64_t features) {
  namespace nn = strata::nn;
  nn::Rngs rngs(seed);
  auto make_block =
      strata::vmap([features](nn::Rngs r) { return nn::Linear(features, features, r); });
  return make_block(rngs.split(num_layers));
}

// x: (F,) -> (F,): relu(block_i(x)) for every layer in order, as one scan over the stacked blocks.
inline strata::Array run_blocks(const strata::nn::Linear& blocks, const strata::Array& x) {
  namespace nn = strata::nn;
  auto layer =
      nn::scan([](const strata::Array& h, const nn::Linear& block) { return nn::relu(block(h)); },
               {nn::Carry, 0}, nn::Carry);
  return layer(x, blocks);
}

inline strata::Array scan_layers_forward(int64_t seed, const strata::Array& x, int64_t num_layers,
                                         int64_t features) {
  return strata::reshape(run_blocks(make_blocks(seed, num_layers, features), x), {-1});
}

}  // namespace seeds
