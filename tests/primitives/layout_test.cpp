// Layout primitives: eager results are views whenever the strides allow, and equal a dense copy.
#include "primitives/layout.h"
#include "test_util.h"

namespace strata {
namespace {

// Same elements as reshaping a dense copy.
void expect_same_as_dense(const Array& view_result, const Array& source, const Shape& shape) {
  const Array dense = reshape(source * 1.0f, shape);  // elementwise makes a dense copy first
  EXPECT_EQ(view_result.shape(), shape);
  EXPECT_EQ(testing::to_doubles(view_result), testing::to_doubles(dense));
}

TEST(LayoutPrimitives, ReshapeOfAStridedViewIsAViewWhenAxesSplit) {
  const Array a = testing::random_array({4, 6}, DType::Float32, 3);
  const Array t = transpose(a);  // (6, 4), strides (1, 6)
  const Array split = reshape(t, {6, 2, 2});
  EXPECT_TRUE(split.shares_buffer_with(a));
  expect_same_as_dense(split, t, {6, 2, 2});
  const Array rows = a.slice(0, 4, 2);  // (2, 6), row stride 12
  const Array r = reshape(rows, {2, 3, 2});
  EXPECT_TRUE(r.shares_buffer_with(a));
  expect_same_as_dense(r, rows, {2, 3, 2});
}

TEST(LayoutPrimitives, ReshapeCopiesWhenAxesMustMergeAcrossStrides) {
  const Array a = testing::random_array({4, 6}, DType::Float32, 4);
  const Array t = transpose(a);
  const Array flat = reshape(t, {24});
  EXPECT_FALSE(flat.shares_buffer_with(a));
  expect_same_as_dense(flat, t, {24});
}

TEST(LayoutPrimitives, SqueezingABroadcastStaysAView) {
  const Array z = zeros({1, 1000});
  const Array s = squeeze(z);
  EXPECT_TRUE(s.shares_buffer_with(z));
  EXPECT_EQ(s.shape(), (Shape{1000}));
  EXPECT_EQ(testing::to_doubles(sum(s))[0], 0.0);
  const Array e = expand_dims(transpose(testing::random_array({3, 5}, DType::Float64, 1)), 1);
  const Array back = reshape(e, {5, 3});
  EXPECT_TRUE(back.shares_buffer_with(e));
}

TEST(LayoutPrimitives, CompiledFormCopiesIntoDenseOutputs) {
  const Array a = testing::random_array({3, 4}, DType::Float32, 5);
  const prim::Transpose tr({1, 0});
  const Array out = detail::empty({4, 3}, DType::Float32);
  tr.eval_cpu({a}, {out});
  EXPECT_EQ(testing::to_doubles(out), testing::to_doubles(transpose(a)));
  const prim::BroadcastInDim bc({2, 3, 4}, {1, 2});
  const Array out2 = detail::empty({2, 3, 4}, DType::Float32);
  bc.eval_cpu({a}, {out2});
  EXPECT_EQ(testing::to_doubles(out2), testing::to_doubles(broadcast_to(a, {2, 3, 4})));
}

TEST(LayoutPrimitives, RulesRejectBadAttributes) {
  using prim::ValueType;
  const ValueType t{{2, 3}, DType::Float32};
  EXPECT_STRATA_ERROR(prim::Transpose({0, 0}).infer({t}), "[transpose]", "not a permutation");
  EXPECT_STRATA_ERROR(prim::Reshape({4}).infer({t}), "[reshape]", "(2, 3)", "(4,)");
  EXPECT_STRATA_ERROR(prim::BroadcastInDim({3, 3}, {0, 1}).infer({t}), "[broadcast_in_dim]");
  EXPECT_STRATA_ERROR(prim::StaticSlice({0, 0}, {3, 1}, {1, 1}).infer({t}), "[slice]", "axis 0");
}

}  // namespace
}  // namespace strata
