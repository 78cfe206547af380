// The five seed programs (examples/seeds/, examples/array_stacked.cpp) and nn::TransformerBlock
// against the same programs run in JAX / Flax (parity/gen_seeds.py): parameters as initialised
// from the same seed, outputs within 1e-5 and jax.grad of sum(out * cos(arange)) with respect to
// the parameters and the input within 1e-4 (float32; the tolerance is
// |strata - jax| <= rel * max(1, |jax|)), for several seeds and sizes.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "parity/parity_util.h"
#include "seeds/composed_lifts_forward.h"
#include "seeds/lax_scan_in_module.h"
#include "seeds/scan_apply_layers.h"
#include "seeds/scan_layers_forward.h"
#include "strata/nn/nn.h"

namespace strata::testing {
namespace {

const Array& want(const std::string& key) {
  return golden_array("seeds", key);
}

// The cases of one program: its metadata entry, ';'-separated, each ','-separated integers.
std::vector<std::vector<int64_t>> cases(const std::string& program) {
  std::vector<std::vector<int64_t>> out;
  std::stringstream all(io::load_safetensors_metadata(golden_path("seeds")).at(program));
  for (std::string item; std::getline(all, item, ';');) {
    std::vector<int64_t> values;
    std::stringstream one(item);
    for (std::string v; std::getline(one, v, ',');) values.push_back(std::stoll(v));
    out.push_back(values);
  }
  return out;
}

// The scalar whose gradients are compared: sum(out * cos(arange(size))), as in the generator.
Array loss_of(const Array& out) {
  const Array c = cos(arange(0.0, static_cast<double>(out.size()), 1.0, float32));
  return sum(out * reshape(c, out.shape()));
}

void expect_close(const Array& got, const std::string& key, double rel) {
  expect_close_to_reference(got, want(key), key, rel);
}

TEST(SeedsParity, ScanApplyLayersOutputWithin1e5RelGradientsWithin1e4Rel) {
  const auto all = cases("scan_apply_layers");
  ASSERT_EQ(all.size(), 3u);
  for (size_t c = 0; c < all.size(); ++c) {
    const std::string p = "scan_apply_layers." + std::to_string(c) + ".";
    const Array& weights = want(p + "weights");
    const Array& x = want(p + "x");
    expect_close(seeds::scan_apply_layers(weights, x), p + "out", 1e-5);
    auto loss = [](const Array& w, const Array& v) {
      return loss_of(seeds::scan_apply_layers(w, v));
    };
    const auto [gw, gx] = grad(loss, argnums<0, 1>)(weights, x);
    expect_close(gw, p + "grad_weights", 1e-4);
    expect_close(gx, p + "grad_x", 1e-4);
  }
}

TEST(SeedsParity, ScanLayersForwardSameParamsOutputWithin1e5RelGradientsWithin1e4Rel) {
  const auto all = cases("scan_layers_forward");
  for (size_t c = 0; c < all.size(); ++c) {
    const int64_t seed = all[c][0], n = all[c][1], f = all[c][2];
    const std::string p = "scan_layers_forward." + std::to_string(c) + ".";
    const nn::Linear blocks = seeds::make_blocks(seed, n, f);
    expect_close(blocks.kernel, p + "kernel", 1e-6);
    expect_close(*blocks.bias, p + "bias", 1e-6);
    const Array& x = want(p + "x");
    expect_close(seeds::scan_layers_forward(seed, x, n, f), p + "out", 1e-5);
    auto loss = [](const nn::Linear& b, const Array& v) {
      return loss_of(seeds::run_blocks(b, v));
    };
    const auto [gb, gx] = grad(loss, argnums<0, 1>)(blocks, x);
    expect_close(gb.kernel, p + "grad_kernel", 1e-4);
    expect_close(*gb.bias, p + "grad_bias", 1e-4);
    expect_close(gx, p + "grad_x", 1e-4);
  }
}

// Linen derives each parameter's init key from its scope path by SHA-1 (nn::linen_fold_in); the
// Linen seeds derive theirs the same way, so the same seed gives the same parameters.
TEST(SeedsParity, ComposedLiftsLinenParamTreeEqualOutputWithin1e5RelGradientsWithin1e4Rel) {
  const auto all = cases("composed_lifts_forward");
  // Linen's tree for nn.vmap(nn.scan(Block)): one Dense whose kernel and bias carry the layer
  // axis and no batch axis — strata's lifted model holds exactly these two leaves.
  const auto& last = all.back();
  const std::string n = std::to_string(last[1]), f = std::to_string(last[2]);
  EXPECT_EQ(
      io::load_safetensors_metadata(golden_path("seeds")).at("linen_param_tree"),
      "params/Dense_0/bias:" + n + "x" + f + ",params/Dense_0/kernel:" + n + "x" + f + "x" + f);
  for (size_t c = 0; c < all.size(); ++c) {
    const int64_t seed = all[c][0], layers = all[c][1], features = all[c][2];
    const std::string p = "composed_lifts_forward." + std::to_string(c) + ".";
    const auto model = seeds::make_composed_model(seed, layers, features);
    EXPECT_EQ(nn::state_dict(model).size(), 2u);
    const nn::Linear& dense = model.module.layers.dense;
    expect_close(dense.kernel, p + "params/Dense_0/kernel", 1e-6);
    expect_close(*dense.bias, p + "params/Dense_0/bias", 1e-6);
    const Array& x = want(p + "x");
    expect_close(seeds::composed_lifts_forward(seed, x, layers, features), p + "out", 1e-5);
    auto loss = [](const auto& m, const Array& v) {
      return loss_of(reshape(m(v, None{}).first, {-1}));
    };
    const auto [gm, gx] = grad(loss, argnums<0, 1>)(model, x);
    expect_close(gm.module.layers.dense.kernel, p + "grad.params/Dense_0/kernel", 1e-4);
    expect_close(*gm.module.layers.dense.bias, p + "grad.params/Dense_0/bias", 1e-4);
    expect_close(gx, p + "grad_x", 1e-4);
  }
}

TEST(SeedsParity, LaxScanInModuleSameParamsOutputWithin1e5RelGradientsWithin1e4Rel) {
  const auto all = cases("lax_scan_in_module");
  for (size_t c = 0; c < all.size(); ++c) {
    const int64_t seed = all[c][0], hidden = all[c][1], steps = all[c][2];
    const std::string p = "lax_scan_in_module." + std::to_string(c) + ".";
    const seeds::LaxScanModule model(hidden, steps, random::key(seed));
    expect_close(model.W, p + "W", 1e-6);
    const Array& x = want(p + "x");
    expect_close(seeds::lax_scan_in_module(seed, x, hidden, steps), p + "out", 1e-5);
    auto loss = [](const seeds::LaxScanModule& m, const Array& v) { return loss_of(m(v)); };
    const auto [gm, gx] = grad(loss, argnums<0, 1>)(model, x);
    expect_close(gm.W, p + "grad_W", 1e-4);
    expect_close(gx, p + "grad_x", 1e-4);
  }
}

// Seed 000's walkthrough (examples/array_stacked.cpp): carry + weight * layer_scale + sum(mask).
struct StackBlock {
  nn::Param weight;
  explicit StackBlock(const Array& w) : weight(w) {}
  STRATA_TREE_MEMBERS(weight)
};

TEST(SeedsParity, ArrayStackedWalkthroughWithin1e5RelGradientWithin1e4Rel) {
  for (const auto& c : cases("array_stacked")) {
    const int64_t seed = c[0], layers = c[1], width = c[2];
    const std::string p = "array_stacked." + std::to_string(seed) + ".";
    const Array weights = random::normal(random::key(seed), {layers, width});
    expect_close(weights, p + "weights", 1e-6);
    const auto stack = nn::ArrayStacked<StackBlock>::init(layers)(want(p + "weights"));
    const Array scale = arange(1.0, static_cast<double>(layers + 1), 1.0, float32);
    const Array mask = ones({16, 16});
    auto call = [](const StackBlock& b, const Array& carry, const Array& s, const Array& m) {
      return carry + b.weight.value * s + sum(m);
    };
    auto fold = [&](const nn::ArrayStacked<StackBlock>& s) {
      return s.fold_via(call, {0, none})(zeros({width}), scale, mask);
    };
    expect_close(fold(stack), p + "fold", 1e-5);
    auto block_scan = [](const StackBlock& b, const Array& carry, const Array& x) {
      const Array next = carry + b.weight.value * x;
      return std::pair{next, next};
    };
    const auto [final, per_layer] =
        stack.scan_via(block_scan, 0)(zeros({width}), ones({layers, width}));
    expect_close(final, p + "scan_last", 1e-5);
    expect_close(per_layer, p + "scan_per_layer", 1e-5);
    const auto g = grad([&](const nn::ArrayStacked<StackBlock>& s) { return sum(fold(s)); })(stack);
    expect_close(g.layers.weight.value, p + "grad_weights", 1e-4);
  }
}

TEST(SeedsParity, PreLnTransformerBlockSameParamsOutputWithin1e5RelGradientsWithin1e4Rel) {
  const auto all = cases("transformer_block");
  for (size_t c = 0; c < all.size(); ++c) {
    const int64_t seed = all[c][0], d = all[c][1], heads = all[c][2], hidden = all[c][3];
    const std::string p = "transformer_block." + std::to_string(c) + ".";
    nn::Rngs rngs(seed);
    const nn::TransformerBlock block(d, heads, hidden, rngs, {.causal = true});
    const nn::State params = nn::state_dict(block);
    EXPECT_EQ(params.size(), 16u);
    for (const auto& [key, value] : params) expect_close(value, p + "params." + key, 1e-6);
    const Array& x = want(p + "x");
    expect_close(block(x), p + "out", 1e-5);
    auto loss = [](const nn::TransformerBlock& b, const Array& v) { return loss_of(b(v)); };
    const auto [gb, gx] = grad(loss, argnums<0, 1>)(block, x);
    for (const auto& [key, value] : nn::state_dict(gb)) {
      expect_close(value, p + "grad." + key, 1e-4);
    }
    expect_close(gx, p + "grad_x", 1e-4);
  }
}

}  // namespace
}  // namespace strata::testing
