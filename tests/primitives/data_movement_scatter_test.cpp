// The scatter_add primitive (gather's transpose) against a plain reference loop, eagerly and
// through eval_cpu: repeated indices accumulate, negative indices wrap and the rest clamp exactly
// like gather, strided operands and updates, integer wrap-around, thread-count independence, and
// its shape errors.
#include "primitives/data_movement.h"
#include "primitives/layout.h"
#include "test_util.h"

namespace strata {
namespace {

using prim::bind1;
using prim::make;
using testing::random_array;
using testing::to_doubles;

Array eval_compiled(const prim::PrimitivePtr& p, const std::vector<Array>& in) {
  std::vector<prim::ValueType> types;
  for (const Array& a : in) types.push_back(prim::type_of(a));
  const prim::ValueType t = p->infer(types)[0];
  const Array out = detail::empty(t.shape, t.dtype);
  p->eval_cpu(in, {out});
  return out;
}

// Reference on doubles: operand rows plus update rows at the wrapped, clamped indices, added in
// index order.
std::vector<double> ref_scatter_add(const Array& operand, const std::vector<int64_t>& indices,
                                    const Array& updates) {
  std::vector<double> out = to_doubles(operand);
  const std::vector<double> u = to_doubles(updates);
  const int64_t n = operand.shape()[0];
  const int64_t row = n == 0 ? 0 : operand.size() / n;
  for (size_t i = 0; i < indices.size(); ++i) {
    int64_t r = indices[i] < 0 ? indices[i] + n : indices[i];
    r = std::clamp<int64_t>(r, 0, n - 1);
    for (int64_t c = 0; c < row; ++c) {
      out[static_cast<size_t>(r * row + c)] +=
          u[i * static_cast<size_t>(row) + static_cast<size_t>(c)];
    }
  }
  return out;
}

void expect_scatter(const Array& operand, const Array& indices, const Array& updates) {
  std::vector<int64_t> idx;
  for (double v : to_doubles(indices)) idx.push_back(static_cast<int64_t>(v));
  const std::vector<double> want = ref_scatter_add(operand, idx, updates);
  const auto p = make<prim::ScatterAdd>();
  const Array y = bind1(p, {operand, indices, updates});
  ASSERT_EQ(y.shape(), operand.shape());
  ASSERT_EQ(y.dtype(), operand.dtype());
  EXPECT_EQ(to_doubles(y), want);
  EXPECT_EQ(to_doubles(eval_compiled(p, {operand, indices, updates})), want);
}

TEST(ScatterAddPrimitive, RepeatedIndicesAccumulateForEveryDtype) {
  uint32_t seed = 1;
  // Small integers keep every sum exact in every dtype, so the reference matches exactly.
  for (DType dt : {DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::UInt32,
                   DType::Float16, DType::BFloat16}) {
    for (DType it : {DType::Int32, DType::Int64, DType::UInt32}) {
      const Array operand = astype(random_array({5, 2, 3}, DType::Int32, seed++, 0, 8), dt);
      const Array indices = astype(array<int32_t>({4, 0, 4, 2, 4, 1}), it);
      const Array updates = astype(random_array({6, 2, 3}, DType::Int32, seed++, 0, 8), dt);
      expect_scatter(operand, indices, updates);
    }
  }
}

TEST(ScatterAddPrimitive, IndicesWrapOnceThenClampLikeGather) {
  const Array operand = random_array({4, 3}, DType::Float64, 11);
  const Array indices = array<int32_t>({-1, -4, 9, -9, 3}, {5});
  const Array updates = random_array({5, 3}, DType::Float64, 12);
  expect_scatter(operand, indices, updates);
  // Rows gathered with the same indices are the rows scatter_add adds into: the scatter of a
  // one-hot update lands where the gather read.
  const Array gathered = eval_compiled(make<prim::Gather>(), {operand, indices});
  for (int64_t i = 0; i < 5; ++i) {
    std::vector<double> hot(15, 0.0);
    for (size_t c = 0; c < 3; ++c) hot[static_cast<size_t>(i) * 3 + c] = 1.0;
    const Array s = bind1(make<prim::ScatterAdd>(),
                          {zeros({4, 3}, DType::Float64), indices, array(hot, {5, 3})});
    EXPECT_EQ(to_doubles(sum(s * operand, {0})), to_doubles(gathered[i])) << "index " << i;
  }
}

TEST(ScatterAddPrimitive, IndexShapesViewsAndEmpty) {
  // float64 throughout, so the double reference sums in the same precision and order.
  // 2-D indices, a 1-D operand (rows are single elements), strided operand and updates.
  expect_scatter(random_array({6}, DType::Float64, 21), array<int64_t>({1, 1, 5, 0}, {2, 2}),
                 random_array({2, 2}, DType::Float64, 22));
  const Array base = random_array({3, 8}, DType::Float64, 23);
  const Array operand_t = bind1(make<prim::Transpose>(std::vector<int>{1, 0}), {base});  // [8,3]
  const Array updates_rev =
      bind1(make<prim::StaticSlice>(std::vector<int64_t>{3, 2}, std::vector<int64_t>{4, 3},
                                    std::vector<int64_t>{-1, -1}),
            {random_array({4, 3}, DType::Float64, 24)});
  expect_scatter(operand_t, array<int32_t>({7, 0, 7, 3}), updates_rev);
  // Broadcast updates (zero strides).
  expect_scatter(operand_t, array<int32_t>({2, 2}),
                 broadcast_to(ones({3}, DType::Float64), {2, 3}));
  // No indices: the operand unchanged; an empty operand row; an empty operand.
  expect_scatter(base, zeros({0}, DType::Int32), zeros({0, 8}, DType::Float64));
  expect_scatter(zeros({3, 0}), array<int32_t>({1, 2}), zeros({2, 0}));
  expect_scatter(zeros({0, 2}), zeros({0}, DType::Int32), zeros({0, 2}));
}

TEST(ScatterAddPrimitive, IntegersWrapAroundInsteadOfOverflowing) {
  const Array operand = array<int32_t>({2147483647, -2147483647 - 1}, {2});
  const Array y = bind1(make<prim::ScatterAdd>(),
                        {operand, array<int32_t>({0, 1, 1}), array<int32_t>({1, -1, -1})});
  EXPECT_EQ(y.to_vector<int32_t>(), (std::vector<int32_t>{-2147483647 - 1, 2147483646}));
}

TEST(ScatterAddPrimitive, LargeAndDeterministicAcrossThreadCounts) {
  // Many repeated rows, wide enough to split across threads: float32 sums are order dependent,
  // so equal results for 1 and 4 threads show every element is summed in index order.
  std::vector<int32_t> idx;
  for (int i = 0; i < 3000; ++i) idx.push_back((i * 7) % 13);
  const Array indices = array<int32_t>(idx);
  const Array operand = random_array({13, 257}, DType::Float32, 31);
  const Array updates = random_array({3000, 257}, DType::Float32, 32, -1e3, 1e3);
  const int saved = num_threads();
  set_num_threads(1);
  const std::vector<float> one =
      bind1(make<prim::ScatterAdd>(), {operand, indices, updates}).to_vector<float>();
  set_num_threads(4);
  const std::vector<float> four =
      bind1(make<prim::ScatterAdd>(), {operand, indices, updates}).to_vector<float>();
  set_num_threads(saved);
  EXPECT_EQ(one, four);
  // And the values: ~230 float32 additions of terms up to 1e3 per element round by well under
  // 0.5, while a lost or misplaced update would be off by hundreds.
  const std::vector<double> want =
      ref_scatter_add(operand, std::vector<int64_t>(idx.begin(), idx.end()), updates);
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(one[i], want[i], 0.5) << i;
}

TEST(ScatterAddPrimitive, ParamsAndErrors) {
  const auto p = make<prim::ScatterAdd>();
  EXPECT_EQ(p->params(), "axis=0");
  const Array x = ones({4, 3});
  const Array idx = array<int32_t>({0, 1});
  EXPECT_STRATA_ERROR(bind1(p, {x, idx}), "[scatter_add]", "expected 3 operands");
  EXPECT_STRATA_ERROR(bind1(p, {scalar(1.0f), idx, ones({2})}), "[scatter_add]", "leading axis",
                      "f32[]");
  EXPECT_STRATA_ERROR(bind1(p, {ones({4, 3}, DType::Bool), idx, ones({2, 3}, DType::Bool)}),
                      "[scatter_add]", "numeric", "bool[4,3]");
  EXPECT_STRATA_ERROR(bind1(p, {x, ones({2}), ones({2, 3})}), "[scatter_add]", "integer dtype",
                      "f32[2]");
  EXPECT_STRATA_ERROR(bind1(p, {x, idx, ones({2, 4})}), "[scatter_add]", "f32[2,3]", "f32[2,4]");
  EXPECT_STRATA_ERROR(bind1(p, {x, idx, ones({2, 3}, DType::Float64)}), "[scatter_add]", "f32[2,3]",
                      "f64[2,3]");
}

}  // namespace
}  // namespace strata
