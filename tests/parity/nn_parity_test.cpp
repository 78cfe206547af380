// strata::nn against golden values from live Flax NNX and jax.nn.initializers
// (parity/gen_nn.py): every initialiser on fixed keys, and the parameters of nnx.Linear,
// LinearGeneral, Embed, LayerNorm, RMSNorm and MultiHeadAttention built from nnx.Rngs(seed)
// (same key paths, shapes and values), and each layer's output on a fixed input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "parity/parity_util.h"
#include "strata/nn/nn.h"

namespace strata::testing {
namespace {

const std::map<std::string, Array>& nn_golden() {
  return golden("nn");
}
const Array& want(const std::string& key) {
  return golden_array("nn", key);
}
void expect_close(const Array& got, const std::string& key, double rel) {
  expect_close_to_reference(got, want(key), key, rel);
}

constexpr int64_t kSeeds[] = {0, 1, 7};

TEST(NnParity, InitializersWithin1e6Rel) {
  const std::vector<std::pair<std::string, nn::init::Initializer>> inits = {
      {"lecun_normal", nn::init::lecun_normal()},
      {"lecun_uniform", nn::init::lecun_uniform()},
      {"glorot_normal", nn::init::glorot_normal()},
      {"glorot_uniform", nn::init::glorot_uniform()},
      {"he_normal", nn::init::he_normal()},
      {"he_uniform", nn::init::he_uniform()},
      {"normal_0.02", nn::init::normal(0.02)},
      {"uniform_0.5", nn::init::uniform(0.5)},
      {"truncated_normal_0.1", nn::init::truncated_normal(0.1)}};
  const std::vector<std::pair<std::string, Shape>> shapes = {
      {"4x3", {4, 3}}, {"16x8", {16, 8}}, {"2x5x6", {2, 5, 6}}};
  for (int64_t seed : kSeeds) {
    for (const auto& [name, init] : inits) {
      for (const auto& [shape_name, shape] : shapes) {
        expect_close(init(random::key(seed), shape, DType::Float32),
                     "init.seed" + std::to_string(seed) + "." + name + "." + shape_name, 1e-6);
      }
    }
  }
}

// Every parameter Flax made for `layer` (same key path, shape and values) and its output on the
// golden input `x`.
template <class Layer>
void expect_layer(const std::string& prefix, const Layer& layer, const Array& y) {
  const nn::State params = nn::split(layer).first;
  size_t flax_params = 0;
  for (const auto& [key, value] : nn_golden()) {
    if (key.rfind(prefix + ".param.", 0) != 0) continue;
    ++flax_params;
    const std::string path = key.substr(prefix.size() + 7);
    ASSERT_TRUE(params.count(path)) << prefix << ": strata has no parameter `" << path << "`";
    expect_close(params.at(path), key, 1e-6);
  }
  EXPECT_EQ(params.size(), flax_params) << prefix;
  expect_close(y, prefix + ".y", 1e-5);
}

TEST(NnParity, NnxLayerParametersAndOutputsWithin1e5Rel) {
  for (int64_t seed : kSeeds) {
    const std::string p = "nnx.seed" + std::to_string(seed);
    const Array& x = want(p + ".x");
    auto rngs = [&] { return nn::Rngs(seed); };
    {
      nn::Rngs r = rngs();
      const nn::Linear layer(8, 5, r);
      expect_layer(p + ".linear", layer, layer(x));
    }
    {
      nn::Rngs r = rngs();
      const nn::LinearGeneral layer(8, Shape{2, 3}, r);
      expect_layer(p + ".linear_general", layer, layer(x));
    }
    {
      nn::Rngs r = rngs();
      const nn::LayerNorm layer(8, r);
      expect_layer(p + ".layer_norm", layer, layer(x));
    }
    {
      nn::Rngs r = rngs();
      const nn::RMSNorm layer(8, r);
      expect_layer(p + ".rms_norm", layer, layer(x));
    }
    {
      nn::Rngs r = rngs();
      const nn::MultiHeadAttention layer(2, 8, r);
      expect_layer(p + ".attention", layer, layer(x));
    }
    {
      nn::Rngs r = rngs();
      const nn::Embedding layer(10, 4, r);
      expect_layer(p + ".embed", layer, layer(array({1, 9, 0, 3, 3, 2}, {2, 3})));
    }
  }
}

}  // namespace
}  // namespace strata::testing
