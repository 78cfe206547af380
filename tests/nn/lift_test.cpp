// nn::lift (Linen's nn.scan / nn.vmap on module types): seed 003's composition, the layouts that
// lift order and variable_axes give, equality with loops, gradients, and errors.
#include <gtest/gtest.h>

#include "strata/nn/lift.h"
#include "strata/nn/nn.h"
#include "strata/strata.h"
#include "test_util.h"

namespace strata::testing {
namespace {

constexpr int64_t kLayers = 3, kF = 4, kBatch = 5;

// Seed 003's Block: Dense(features) -> relu, carry-only scan convention.
struct Block {
  nn::Linear dense;
  Block(int64_t features, DType dtype, nn::Rngs& rngs)
      : dense(features, features, rngs, {.dtype = dtype}) {}
  std::pair<Array, None> operator()(const Array& x, None) const { return {nn::relu(dense(x)), {}}; }
  STRATA_TREE_MEMBERS(dense)
};

const auto kScanLayer = nn::lift::scan<Block>(
    {.variable_axes = {{"params", 0}}, .split_rngs = {{"params", true}}, .length = kLayers});

// Layer i's Block as built from the i-th of n keys split from the seed's first params key.
Block reference_block(int64_t seed, int64_t n, int64_t i, DType dtype = DType::Float32) {
  const Array keys = random::split(random::fold_in(random::key(seed), 0), n);
  nn::Rngs rngs(keys[i]);
  return Block(kF, dtype, rngs);
}

Array unrolled(const std::vector<Block>& layers, const Array& x) {
  Array h = x;
  for (const Block& b : layers) h = b(h, None{}).first;
  return h;
}

TEST(NnLift, Seed003ComposedLiftsShareOneStackAcrossTheBatch) {
  const auto batched = nn::lift::vmap(
      kScanLayer, {.variable_axes = {{"params", none}}, .split_rngs = {{"params", false}}});
  nn::Rngs rngs(0);
  const auto model = batched.init(rngs, kF, DType::Float32);
  const nn::State params = nn::state(model, nn::params_filter);
  EXPECT_EQ(params.at("module.layers.dense.kernel").shape(), (Shape{kLayers, kF, kF}));
  EXPECT_EQ(params.at("module.layers.dense.bias").shape(), (Shape{kLayers, kF}));

  std::vector<Block> layers;
  for (int64_t i = 0; i < kLayers; ++i) layers.push_back(reference_block(0, kLayers, i));
  for (int64_t i = 1; i < kLayers; ++i) {
    EXPECT_NE(to_doubles(layers[0].dense.kernel), to_doubles(layers[i].dense.kernel));
  }
  expect_all_close(to_doubles(model.module.layers.dense.kernel.value[1]),
                   to_doubles(layers[1].dense.kernel), 0, 0, "layer 1 kernel");

  const Array x = random_array({kBatch, kF}, DType::Float32, 1);
  const auto [final, ys] = model(x, None{});
  EXPECT_EQ(final.shape(), (Shape{kBatch, kF}));
  for (int64_t b = 0; b < kBatch; ++b) {
    expect_all_close(to_doubles(final[b]), to_doubles(unrolled(layers, x[b])), 1e-6, 1e-6,
                     "example");
  }
}

TEST(NnLift, ParamsMappedOnTheVmapGiveAnEnsemble) {
  const auto ensemble = nn::lift::vmap(
      kScanLayer,
      {.variable_axes = {{"params", 0}}, .split_rngs = {{"params", true}}, .axis_size = kBatch});
  nn::Rngs rngs(0);
  const auto model = ensemble.init(rngs, kF, DType::Float32);
  const Array& kernel = model.module.layers.dense.kernel.value;
  EXPECT_EQ(kernel.shape(), (Shape{kBatch, kLayers, kF, kF}));  // B * N independent layers
  EXPECT_NE(to_doubles(kernel[0]), to_doubles(kernel[1]));
  const Array x = random_array({kBatch, kF}, DType::Float32, 2);
  const Array out = model(x, None{}).first;
  for (int64_t b = 0; b < kBatch; ++b) {
    Array h = x[b];
    for (int64_t i = 0; i < kLayers; ++i) {
      h = nn::relu(add(matmul(h, kernel[b][i]), model.module.layers.dense.bias->value[b][i]));
    }
    expect_all_close(to_doubles(out[b]), to_doubles(h), 1e-6, 1e-6, "member");
  }
}

TEST(NnLift, ReversedOrderStacksEnsemblesPerLayer) {
  // scan(vmap(Block)): with params mapped on the inner vmap, each layer holds B members.
  const auto inner = nn::lift::vmap<Block>(
      {.variable_axes = {{"params", 0}}, .split_rngs = {{"params", true}}, .axis_size = kBatch});
  const auto reversed = nn::lift::scan(
      inner,
      {.variable_axes = {{"params", 0}}, .split_rngs = {{"params", true}}, .length = kLayers});
  nn::Rngs rngs(0);
  const auto model = reversed.init(rngs, kF, DType::Float32);
  EXPECT_EQ(model.layers.module.dense.kernel.shape(), (Shape{kLayers, kBatch, kF, kF}));
  const Array x = random_array({kBatch, kF}, DType::Float32, 3);
  const Array out = model(x, None{}).first;
  const Array& kernel = model.layers.module.dense.kernel.value;
  const Array& bias = model.layers.module.dense.bias->value;
  for (int64_t b = 0; b < kBatch; ++b) {
    Array h = x[b];
    for (int64_t i = 0; i < kLayers; ++i) h = nn::relu(add(matmul(h, kernel[i][b]), bias[i][b]));
    expect_all_close(to_doubles(out[b]), to_doubles(h), 1e-6, 1e-6, "member");
  }
  // With params shared on the inner vmap the layout (and the result) is seed 003's again.
  const auto shared = nn::lift::scan(
      nn::lift::vmap<Block>({.variable_axes = {{"params", none}}}),
      {.variable_axes = {{"params", 0}}, .split_rngs = {{"params", true}}, .length = kLayers});
  nn::Rngs rngs2(0);
  const auto same = shared.init(rngs2, kF, DType::Float32);
  EXPECT_EQ(same.layers.module.dense.kernel.shape(), (Shape{kLayers, kF, kF}));
}

TEST(NnLift, GradientsThroughTheComposedModelMatchTheLoop) {
  const auto batched = nn::lift::vmap(kScanLayer, {.variable_axes = {{"params", none}}});
  nn::Rngs rngs(4);
  const auto model = batched.init(rngs, kF, DType::Float64);
  const Array x = random_array({kBatch, kF}, DType::Float64, 5);
  auto loss = [&](const nn::State& p) { return sum(nn::merge(model, p)(x, None{}).first); };
  auto [params, rest] = nn::split(model);
  const nn::State g = grad(loss)(params);
  auto loop_loss = [&](const Array& kernel, const Array& bias) {
    Array total = zeros({}, DType::Float64);
    for (int64_t b = 0; b < kBatch; ++b) {
      Array h = x[b];
      for (int64_t i = 0; i < kLayers; ++i) h = nn::relu(add(matmul(h, kernel[i]), bias[i]));
      total = add(total, sum(h));
    }
    return total;
  };
  const auto [gk, gb] = grad(loop_loss, argnums<0, 1>)(params.at("module.layers.dense.kernel"),
                                                       params.at("module.layers.dense.bias"));
  expect_all_close(to_doubles(g.at("module.layers.dense.kernel")), to_doubles(gk), 1e-12, 1e-12,
                   "d kernel");
  expect_all_close(to_doubles(g.at("module.layers.dense.bias")), to_doubles(gb), 1e-12, 1e-12,
                   "d bias");
  // Finite differences need relu away from its kink: zero biases put a layer fed by an all-zero
  // activation exactly on it.
  params["module.layers.dense.bias"] = random_array({kLayers, kF}, DType::Float64, 6, 0.5, 1.0);
  check_grads(loss, params);
}

TEST(NnLift, UnsplitParamsRngsWarnOnce) {
  const auto unsplit = nn::lift::scan<Block>({.variable_axes = {{"params", 0}}, .length = kLayers});
  nn::detail::reset_identical_layers_warning();
  ::testing::internal::CaptureStderr();
  nn::Rngs rngs(0);
  const auto model = unsplit.init(rngs, kF, DType::Float32);
  nn::Rngs rngs2(1);
  (void)unsplit.init(rngs2, kF, DType::Float32);
  const std::string err = ::testing::internal::GetCapturedStderr();
  const auto& kernel = model.layers.dense.kernel.value;
  EXPECT_EQ(to_doubles(kernel[0]), to_doubles(kernel[2]));  // identical layers, as asked
  EXPECT_NE(err.find("[nn.lift.scan] warning"), std::string::npos) << err;
  EXPECT_NE(err.find("split_rngs"), std::string::npos) << err;
  EXPECT_EQ(err.find("] warning:", err.find("] warning:") + 1), std::string::npos) << "warned twice";
}

TEST(NnLift, Errors) {
  nn::Rngs rngs(0);
  EXPECT_STRATA_ERROR(nn::lift::scan<Block>({.variable_axes = {{"params", 0}}, .length = 0})
                          .init(rngs, kF, DType::Float32),
                      "[nn.lift.scan]", "at least 1", "found 0");
  EXPECT_STRATA_ERROR(nn::lift::scan<Block>({.variable_axes = {{"param", 0}}, .length = 2})
                          .init(rngs, kF, DType::Float32),
                      "[nn.lift.scan]", "'param'", "'params'");
  EXPECT_STRATA_ERROR(nn::lift::scan<Block>({.variable_axes = {{"params", 1}}, .length = 2})
                          .init(rngs, kF, DType::Float32),
                      "variable_axes['params'] = 1");
  EXPECT_STRATA_ERROR(
      nn::lift::vmap<Block>({.variable_axes = {{"params", 0}}}).init(rngs, kF, DType::Float32),
      "[nn.lift.vmap]", "options.axis_size");
  nn::Rngs named({{"params", 0}});
  EXPECT_STRATA_ERROR(
      nn::lift::scan<Block>(
          {.variable_axes = {{"params", 0}}, .split_rngs = {{"dropout", true}}, .length = 2})
          .init(named, kF, DType::Float32),
      "[nn.lift.scan]", "'dropout'");
  const auto model = nn::lift::vmap<Block>({.in_axes = {0, 0, 0}}).init(rngs, kF, DType::Float32);
  EXPECT_STRATA_ERROR(model(ones({2, kF}), None{}), "[nn.lift.vmap]", "3 entries for 2 arguments");
}

}  // namespace
}  // namespace strata::testing
