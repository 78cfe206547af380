// Train in JAX, deploy in C++ (parity/gen_trained.py): a Flax NNX model trained for a few AdamW
// steps in Python and saved as safetensors under per-layer keys loads into the equivalent strata
// model — whose four blocks are one nn::Stacked, run by one scan — and gives the same logits.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "parity/parity_util.h"
#include "strata/nn/nn.h"

namespace strata::testing {
namespace {

struct Block {
  nn::LayerNorm norm;
  nn::Linear fc;
  explicit Block(nn::Rngs& rngs) : norm(16, rngs), fc(16, 16, rngs) {}
  Array operator()(const Array& x) const { return x + gelu(fc(norm(x)), /*approximate=*/false); }
  STRATA_TREE_MEMBERS(norm, fc)
};

struct Model {
  nn::Linear stem;
  nn::Stacked<Block> blocks;
  nn::Linear head;
  explicit Model(nn::Rngs& rngs)
      : stem(3, 16, rngs), blocks(nn::Stacked<Block>::init(4)(rngs)), head(16, 2, rngs) {}
  Array operator()(const Array& x) const { return head(blocks.fold(stem(x))); }
  STRATA_TREE_MEMBERS(stem, blocks, head)
};

TEST(TrainedModelParity, FlaxTrainedWeightsGiveTheSameLogitsWithin1e5Rel) {
  const auto& file = golden("trained_model");
  nn::State params;
  for (const auto& [key, a] : file) {
    if (key.rfind("params.", 0) == 0) params.emplace(key.substr(7), a);
  }
  nn::Rngs rngs(0);
  const Model model = nn::load_state_dict(Model(rngs), params);  // strict: every key used
  expect_close_to_reference(model(file.at("x_test")), file.at("logits"), "logits", 1e-5);
  // The same under jit (the deployed form; fused loops may round differently in the last bit).
  const Array jitted = jit([&](const Array& x) { return model(x); })(file.at("x_test"));
  expect_arrays_close(jitted, model(file.at("x_test")), 1e-6);
}

}  // namespace
}  // namespace strata::testing
