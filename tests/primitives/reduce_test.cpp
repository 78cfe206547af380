// Reduce primitives: shape/dtype rules, attributes, errors, and evaluation into preallocated
// outputs from strided views.
#include "primitives/reduce.h"

#include "test_util.h"

namespace strata {
namespace {

using prim::ValueType;
using testing::random_array;
using testing::to_doubles;

ValueType vt(Shape shape, DType dtype, bool weak = false) {
  return {std::move(shape), dtype, weak};
}

TEST(ReducePrimitive, ShapeRuleDropsReducedAxesAndKeepsDtypeAndWeakness) {
  const auto sum = prim::make<prim::ReduceSum>(std::vector<int>{2, 0});
  EXPECT_EQ(sum->infer({vt({2, 3, 4, 5}, DType::Float16)}),
            std::vector<ValueType>{vt({3, 5}, DType::Float16)});
  EXPECT_EQ(sum->infer({vt({2, 3, 4}, DType::Int64, true)}),
            std::vector<ValueType>{vt({3}, DType::Int64, true)});
  const auto max = prim::make<prim::ReduceMax>(std::vector<int>{0, 1});
  EXPECT_EQ(max->infer({vt({2, 3}, DType::Bool)}), std::vector<ValueType>{vt({}, DType::Bool)});
  const auto none = prim::make<prim::ReduceMin>(std::vector<int>{});
  EXPECT_EQ(none->infer({vt({}, DType::UInt32)}), std::vector<ValueType>{vt({}, DType::UInt32)});
  // Sum over an empty axis is fine (identity 0); so is max over a non-empty axis of an empty array.
  EXPECT_EQ(sum->infer({vt({0, 3, 0}, DType::Float32)}),
            std::vector<ValueType>{vt({3}, DType::Float32)});
  EXPECT_EQ(prim::make<prim::ReduceMax>(std::vector<int>{1})->infer({vt({0, 3}, DType::Float32)}),
            std::vector<ValueType>{vt({0}, DType::Float32)});
}

TEST(ReducePrimitive, NamesParamsAndCanonicalAxisOrder) {
  const auto a = prim::make<prim::ReduceSum>(std::vector<int>{2, 0});
  const auto b = prim::make<prim::ReduceSum>(std::vector<int>{0, 2});
  EXPECT_STREQ(a->name(), "reduce_sum");
  EXPECT_EQ(a->params(), "axes=(0, 2)");
  EXPECT_TRUE(a->is_equivalent(*b));
  EXPECT_FALSE(a->is_equivalent(*prim::make<prim::ReduceMax>(std::vector<int>{0, 2})));
  EXPECT_STREQ(prim::make<prim::ReduceMax>(std::vector<int>{1})->name(), "reduce_max");
  EXPECT_STREQ(prim::make<prim::ReduceMin>(std::vector<int>{1})->name(), "reduce_min");
  const auto arg = prim::make<prim::ArgMax>(1);
  EXPECT_STREQ(arg->name(), "argmax");
  EXPECT_EQ(arg->params(), "axes=(1,) index_dtype=int32");
  EXPECT_STREQ(prim::make<prim::ArgMin>(0)->name(), "argmin");
  EXPECT_EQ(arg->infer({vt({2, 3, 4}, DType::Float64, true)}),
            std::vector<ValueType>{vt({2, 4}, DType::Int32)});
}

TEST(ReducePrimitive, ShapeRuleErrors) {
  const ValueType f = vt({2, 3, 4}, DType::Float32);
  EXPECT_STRATA_ERROR(prim::make<prim::ReduceSum>(std::vector<int>{3})->infer({f}), "[reduce_sum]",
                      "axis 3 is out of range", "f32[2,3,4]");
  EXPECT_STRATA_ERROR(prim::make<prim::ReduceMax>(std::vector<int>{-1})->infer({f}), "[reduce_max]",
                      "axis -1 is out of range");
  EXPECT_STRATA_ERROR(prim::make<prim::ReduceMin>(std::vector<int>{1, 0, 1})->infer({f}),
                      "[reduce_min]", "more than once");
  EXPECT_STRATA_ERROR(
      prim::make<prim::ReduceSum>(std::vector<int>{0})->infer({vt({2}, DType::Bool)}),
      "[reduce_sum]", "bool[2]", "int32");
  EXPECT_STRATA_ERROR(
      prim::make<prim::ReduceMax>(std::vector<int>{1})->infer({vt({2, 0}, DType::Float32)}),
      "[reduce_max] cannot reduce an empty axis", "axis 1", "no identity");
  EXPECT_STRATA_ERROR(
      prim::make<prim::ReduceMin>(std::vector<int>{0})->infer({vt({0, 0}, DType::Int32)}),
      "[reduce_min] cannot reduce an empty axis");
  EXPECT_STRATA_ERROR(prim::make<prim::ReduceSum>(std::vector<int>{0})->infer({f, f}),
                      "[reduce_sum]", "expected 1 operands");
  EXPECT_STRATA_ERROR(prim::make<prim::ArgMax>(3)->infer({f}), "[argmax]", "out of range");
  EXPECT_STRATA_ERROR(prim::make<prim::ArgMin>(-1)->infer({f}), "[argmin]", "out of range");
  EXPECT_STRATA_ERROR(prim::make<prim::ArgMax>(0)->infer({vt({0, 2}, DType::Float32)}),
                      "[argmax] cannot reduce an empty axis");
  EXPECT_STRATA_ERROR(prim::make<prim::ArgMax>(0)->infer({vt({int64_t{1} << 31}, DType::Float32)}),
                      "[argmax]", "int32");
  EXPECT_STRATA_ERROR(prim::bind1(prim::make<prim::ReduceSum>(std::vector<int>{}), {Array()}),
                      "[reduce_sum]", "empty Array");
}

TEST(ReducePrimitive, EvalCpuReadsStridedViewsIntoDenseOutputs) {
  // eval_cpu is the compiled executor's entry: a transposed operand, a preallocated output.
  const Array x = random_array({3, 4, 5}, DType::Float64, 1);
  const Array xt = transpose(x, {2, 0, 1});  // [5, 3, 4]
  const auto p = prim::make<prim::ReduceSum>(std::vector<int>{1});
  const Array out = detail::empty({5, 4}, DType::Float64);
  p->eval_cpu({xt}, {out});
  const std::vector<double> xs = to_doubles(x), got = to_doubles(out);
  for (int k = 0; k < 5; ++k) {
    for (int j = 0; j < 4; ++j) {
      double want = 0;
      for (int i = 0; i < 3; ++i) want += xs[static_cast<size_t>((i * 4 + j) * 5 + k)];
      EXPECT_NEAR(got[static_cast<size_t>(k * 4 + j)], want, 1e-12);
    }
  }
  const Array am = detail::empty({3, 4}, DType::Int32);
  prim::make<prim::ArgMin>(0)->eval_cpu({xt}, {am});
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 4; ++j) {
      int best = 0;
      for (int k = 1; k < 5; ++k) {
        if (xs[static_cast<size_t>((i * 4 + j) * 5 + k)] <
            xs[static_cast<size_t>((i * 4 + j) * 5 + best)]) {
          best = k;
        }
      }
      EXPECT_EQ(am.to_vector<int32_t>()[static_cast<size_t>(i * 4 + j)], best);
    }
  }
}

TEST(ReducePrimitive, BindEvaluatesEveryDtype) {
  for (DType dt : kAllDTypes) {
    const Array x = dt == DType::Bool ? random_array({4, 6}, DType::Float32, 2) > 0.0
                                      : random_array({4, 6}, dt, 2, 0,
                                                     itemsize(dt) == 1 ? 5 : 50);  // no 8-bit wrap
    const std::vector<double> xs = to_doubles(x);
    const Array mx = prim::bind1(prim::make<prim::ReduceMax>(std::vector<int>{1}), {x});
    const Array mn = prim::bind1(prim::make<prim::ReduceMin>(std::vector<int>{0}), {x});
    ASSERT_EQ(mx.dtype(), dt);
    for (int i = 0; i < 4; ++i) {
      double want = xs[static_cast<size_t>(i * 6)];
      for (int j = 0; j < 6; ++j) want = std::max(want, xs[static_cast<size_t>(i * 6 + j)]);
      EXPECT_EQ(to_doubles(mx)[static_cast<size_t>(i)], want) << name(dt);
    }
    for (int j = 0; j < 6; ++j) {
      double want = xs[static_cast<size_t>(j)];
      for (int i = 0; i < 4; ++i) want = std::min(want, xs[static_cast<size_t>(i * 6 + j)]);
      EXPECT_EQ(to_doubles(mn)[static_cast<size_t>(j)], want) << name(dt);
    }
    if (dt == DType::Bool) continue;
    const Array s = prim::bind1(prim::make<prim::ReduceSum>(std::vector<int>{0, 1}), {x});
    double want = 0;
    for (double v : xs) want += v;
    EXPECT_NEAR(to_doubles(s)[0], want,
                dt == DType::BFloat16  ? 8
                : dt == DType::Float16 ? 1
                                       : 1e-3)
        << name(dt);
  }
}

TEST(ReducePrimitive, ReducingOnlySizeOneAxesCopies) {
  const Array x = random_array({3, 1, 4}, DType::Float32, 5);
  const Array y = prim::bind1(prim::make<prim::ReduceSum>(std::vector<int>{1}), {x});
  EXPECT_EQ(y.shape(), (Shape{3, 4}));
  EXPECT_EQ(to_doubles(y), to_doubles(x));
  const Array z = prim::bind1(prim::make<prim::ReduceMax>(std::vector<int>{}), {transpose(x)});
  EXPECT_EQ(to_doubles(z), to_doubles(transpose(x)));
}

}  // namespace
}  // namespace strata
