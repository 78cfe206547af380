// nn::scan (nnx.scan's spelling): roles by in_axes / out_axes, equality with the unrolled loop,
// gradients, per-layer Rngs, and the errors of scan-apis.md section 3.3.
#include <gtest/gtest.h>

#include "strata/nn/nn.h"
#include "strata/strata.h"
#include "test_util.h"

namespace strata::testing {
namespace {

constexpr int64_t kLayers = 4, kF = 6;

nn::Linear stacked_linears(int64_t seed, DType dtype = DType::Float32) {
  nn::Rngs rngs(seed);
  return vmap([dtype](nn::Rngs r) { return nn::Linear(kF, kF, r, {.dtype = dtype}); })(
      rngs.split(kLayers));
}

// Layer i of a stacked Linear as a plain module.
nn::Linear layer(const nn::Linear& stacked, int64_t i) {
  return tree::map([i](const Array& a) { return a[i]; }, stacked);
}

TEST(NnScan, Seed001ScanLayersForwardEqualsTheUnrolledLoop) {
  const nn::Linear blocks = stacked_linears(0);
  EXPECT_EQ(blocks.kernel.shape(), (Shape{kLayers, kF, kF}));
  const Array x = random_array({kF}, DType::Float32, 1);
  auto forward =
      nn::scan([](const Array& h, const nn::Linear& block) { return nn::relu(block(h)); },
               {nn::Carry, 0}, nn::Carry);
  Array want = x;
  for (int64_t i = 0; i < kLayers; ++i) want = nn::relu(layer(blocks, i)(want));
  expect_all_close(to_doubles(forward(x, blocks)), to_doubles(want), 1e-6, 1e-6, "forward");
  // The same under jit, traced once.
  expect_all_close(to_doubles(jit(forward)(x, blocks)), to_doubles(want), 1e-6, 1e-6, "jit");
}

TEST(NnScan, CarryAndStackedOutputs) {
  const nn::Linear blocks = stacked_linears(2);
  const Array x = random_array({3, kF}, DType::Float32, 3);  // a batch rides along in the carry
  auto forward = nn::scan(
      [](const Array& h, const nn::Linear& block) {
        Array y = nn::relu(block(h));
        return std::pair{y, sum(y, {1})};
      },
      {nn::Carry, 0}, {nn::Carry, 1});
  auto [out, sums] = forward(x, blocks);
  EXPECT_EQ(sums.shape(), (Shape{3, kLayers}));  // iterations on axis 1
  Array h = x;
  for (int64_t i = 0; i < kLayers; ++i) {
    h = nn::relu(layer(blocks, i)(h));
    expect_all_close(to_doubles(slice(sums, {Slice{}, Slice{i, i + 1, 1}})),
                     to_doubles(sum(h, {1})), 1e-5, 1e-5, "sums");
  }
  expect_all_close(to_doubles(out), to_doubles(h), 1e-6, 1e-6, "carry");
}

TEST(NnScan, MapWithoutCarrySharedAndNegativeAxes) {
  // No carry: every layer applied to the same shared input, outputs stacked on axis 0; the
  // per-layer scale is sliced along its last axis.
  const nn::Linear blocks = stacked_linears(4);
  const Array x = random_array({kF}, DType::Float32, 5);
  const Array scales = random_array({2, kLayers}, DType::Float32, 6);
  auto per_layer = nn::scan([](const nn::Linear& block, const Array& input,
                               const Array& scale) { return multiply(block(input), sum(scale)); },
                            {0, none, -1}, 0);
  const Array ys = per_layer(blocks, x, scales);
  EXPECT_EQ(ys.shape(), (Shape{kLayers, kF}));
  for (int64_t i = 0; i < kLayers; ++i) {
    const Array s = sum(slice(scales, {Slice{}, Slice{i, i + 1, 1}}));
    expect_all_close(to_doubles(ys[i]), to_doubles(multiply(layer(blocks, i)(x), s)), 1e-5, 1e-5,
                     "layer output");
  }
}

TEST(NnScan, GradientsMatchTheUnrolledLoop) {
  const nn::Linear blocks = stacked_linears(7, DType::Float64);
  const Array x = random_array({kF}, DType::Float64, 8);
  auto forward = nn::scan([](const Array& h, const nn::Linear& block) { return tanh(block(h)); },
                          {nn::Carry, 0}, nn::Carry);
  auto scanned = [&](const nn::Linear& b, const Array& in) { return sum(forward(in, b)); };
  auto unrolled = [&](const nn::Linear& b, const Array& in) {
    Array h = in;
    for (int64_t i = 0; i < kLayers; ++i) h = tanh(layer(b, i)(h));
    return sum(h);
  };
  const auto [gb, gx] = grad(scanned, argnums<0, 1>)(blocks, x);
  const auto [wb, wx] = grad(unrolled, argnums<0, 1>)(blocks, x);
  expect_all_close(to_doubles(gb.kernel), to_doubles(wb.kernel), 1e-12, 1e-12, "d kernel");
  expect_all_close(to_doubles(gb.bias->value), to_doubles(wb.bias->value), 1e-12, 1e-12, "d bias");
  expect_all_close(to_doubles(gx), to_doubles(wx), 1e-12, 1e-12, "d x");
  check_grads(scanned, blocks, x);
}

TEST(NnScan, SplitRngsGiveEveryLayerItsOwnDropoutKeys) {
  nn::Dropout drop(0.5);
  nn::Rngs rngs({{"dropout", 3}});
  const Array keys = random::split(random::fold_in(random::key(3), 0), kLayers);
  auto forward =
      nn::scan([&](const Array& h, nn::Rngs r) { return drop(h, r); }, {nn::Carry, 0}, nn::Carry);
  const Array x = ones({64});
  const Array out = forward(x, rngs.split(kLayers));
  Array want = x;
  for (int64_t i = 0; i < kLayers; ++i) {
    nn::Rngs layer_rngs({{"dropout", keys[i]}});
    want = drop(want, layer_rngs);
  }
  EXPECT_EQ(to_doubles(out), to_doubles(want));
}

TEST(NnScan, LayersBuiltFromOneUnsplitKeyWarnOnce) {
  // Seed 001's pitfall: every layer drew the same keys, so the stack is one layer repeated.
  nn::Rngs rngs(0);
  const nn::Linear same =
      vmap([](nn::Rngs r) { return nn::Linear(kF, kF, r); }, none, 0, kLayers)(rngs);
  EXPECT_EQ(to_doubles(same.kernel.value[0]), to_doubles(same.kernel.value[3]));
  auto forward = nn::scan([](const Array& h, const nn::Linear& block) { return block(h); },
                          {nn::Carry, 0}, nn::Carry);
  nn::detail::reset_identical_layers_warning();
  ::testing::internal::CaptureStderr();
  (void)forward(ones({kF}), stacked_linears(1));  // split: no warning
  const std::string quiet = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(quiet, "");
  ::testing::internal::CaptureStderr();
  (void)forward(ones({kF}), same);
  (void)forward(ones({kF}), same);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("[nn.scan] warning: all 4 layers have identical parameters"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("`arg1.kernel`"), std::string::npos) << err;
  EXPECT_EQ(err.find("] warning:", err.find("] warning:") + 1), std::string::npos) << "warned twice";
}

TEST(NnScan, ReversedInAxesIsReportedAsSuch) {
  const nn::Linear blocks = stacked_linears(0);
  auto forward = nn::scan([](const Array& h, const nn::Linear& block) { return block(h); },
                          {0, nn::Carry}, nn::Carry);
  EXPECT_STRATA_ERROR(forward(ones({kF}), blocks), "[nn.scan]", "marks argument 1",
                      "strata::nn::Linear", "as the carry",
                      "returns its new carry as strata::Array",
                      "you probably meant in_axes = {nn::Carry, 0}");
}

TEST(NnScan, Errors) {
  const nn::Linear blocks = stacked_linears(0);
  const Array x = ones({kF});
  auto body = [](const Array& h, const nn::Linear& block) { return block(h); };
  EXPECT_STRATA_ERROR(nn::scan(body, {nn::Carry, 0, 0}, nn::Carry)(x, blocks), "[nn.scan]",
                      "3 entries for 2 arguments");
  EXPECT_STRATA_ERROR(nn::scan(body, {nn::Carry, nn::Carry}, nn::Carry)(x, blocks),
                      "multiple nn::Carry", "arguments 0 and 1");
  EXPECT_STRATA_ERROR(nn::scan(body, {nn::Carry, 0}, 0)(x, blocks), "[nn.scan]",
                      "the other must too", "{nn::Carry, 0}");
  EXPECT_STRATA_ERROR(nn::scan(body, {nn::Carry, 0}, {nn::Carry, 0})(x, blocks),
                      "expects the function to return std::pair{new_carry, y}");
  EXPECT_STRATA_ERROR(nn::scan(body, {nn::Carry, 0}, none), "[nn.scan]", "out_axes = none");
  EXPECT_STRATA_ERROR(nn::scan(body, {nn::Carry, 2}, nn::Carry)(x, blocks), "in_axes[1] = 2",
                      "bias", "f32[4,6]", "no axis 2");
  // Sliced arguments of different lengths: both named.
  auto two = [](const Array& h, const nn::Linear& block, const Array& s) {
    return multiply(block(h), s);
  };
  EXPECT_STRATA_ERROR(nn::scan(two, {nn::Carry, 0, 0}, nn::Carry)(x, blocks, ones({3})),
                      "scan length", "arg1.kernel", "into 4", "`arg2` (f32[3]) into 3");
  // Nothing sliced: the length must be given.
  auto shared = [](const Array& h, const Array& w) { return multiply(h, w); };
  EXPECT_STRATA_ERROR(nn::scan(shared, {nn::Carry, none}, nn::Carry)(x, x), "no argument is sliced",
                      "options.length");
  const Array cubed =
      nn::scan(shared, {nn::Carry, none}, nn::Carry, {.length = 3})(full({2}, 2.0), full({2}, 2.0));
  EXPECT_EQ(to_doubles(cubed), (std::vector<double>{16, 16}));
  // A carry whose structure changes.
  auto grows = [](const std::vector<Array>& c, const Array& x) {
    std::vector<Array> out = c;
    out.push_back(x);
    return out;
  };
  EXPECT_STRATA_ERROR(
      nn::scan(grows, {nn::Carry, 0}, nn::Carry)(std::vector<Array>{x}, blocks.kernel.value),
      "[nn.scan]", "structure of the carry argument (argument 0)");
}

}  // namespace
}  // namespace strata::testing
