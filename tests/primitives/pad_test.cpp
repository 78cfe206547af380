// The pad primitive (lax.pad, non-negative padding) against a plain reference loop, eagerly and
// through eval_cpu (the compiled path), for every dtype, strided operands, 0-d and empty
// operands, a large parallel case, and its shape errors.
#include "primitives/pad.h"

#include "primitives/layout.h"
#include "test_util.h"

namespace strata {
namespace {

using prim::bind1;
using prim::make;
using testing::random_array;
using testing::ravel;
using testing::to_doubles;
using testing::unravel;
using I64s = std::vector<int64_t>;

Array eval_compiled(const prim::PrimitivePtr& p, const std::vector<Array>& in) {
  std::vector<prim::ValueType> types;
  for (const Array& a : in) types.push_back(prim::type_of(a));
  const prim::ValueType t = p->infer(types)[0];
  const Array out = detail::empty(t.shape, t.dtype);
  p->eval_cpu(in, {out});
  return out;
}

// Reference: the padded shape, filled with `value`, operand element idx at low + idx * (in + 1).
std::pair<Shape, std::vector<double>> ref_pad(const Array& x, double value, const I64s& low,
                                              const I64s& high, const I64s& interior) {
  Shape shape(x.shape().size());
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t n = x.shape()[i];
    shape[i] = low[i] + high[i] + n + (n > 0 ? (n - 1) * interior[i] : 0);
  }
  std::vector<double> out(static_cast<size_t>(detail::shape_size(shape)), value);
  const std::vector<double> v = to_doubles(x);
  for (int64_t k = 0; k < x.size(); ++k) {
    std::vector<int64_t> idx = unravel(k, x.shape());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = low[i] + idx[i] * (interior[i] + 1);
    out[static_cast<size_t>(ravel(idx, shape))] = v[static_cast<size_t>(k)];
  }
  return {shape, out};
}

void expect_pad(const Array& x, const Array& value, const I64s& low, const I64s& high,
                const I64s& interior) {
  const auto [shape, want] = ref_pad(x, to_doubles(value)[0], low, high, interior);
  const auto p = make<prim::Pad>(low, high, interior);
  const Array y = bind1(p, {x, value});
  ASSERT_EQ(y.shape(), shape);
  ASSERT_EQ(y.dtype(), x.dtype());
  EXPECT_EQ(to_doubles(y), want);
  EXPECT_EQ(to_doubles(eval_compiled(p, {x, value})), want);
}

TEST(PadPrimitive, MatchesReferenceForEveryDtypeAndConfig) {
  uint32_t seed = 1;
  const std::vector<std::tuple<I64s, I64s, I64s>> configs = {{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}},
                                                             {{1, 0, 2}, {0, 3, 1}, {0, 0, 0}},
                                                             {{0, 0, 0}, {0, 0, 0}, {1, 2, 3}},
                                                             {{2, 1, 0}, {1, 0, 2}, {2, 0, 1}},
                                                             {{0, 5, 0}, {0, 0, 0}, {0, 0, 4}}};
  for (DType dt : {DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::Float16,
                   DType::BFloat16, DType::Bool, DType::UInt32}) {
    for (const auto& [low, high, interior] : configs) {
      const Array x = random_array({2, 3, 4}, dt, seed++, 1, 9);
      expect_pad(x, astype(scalar(dt == DType::Bool ? 0.0 : -7.0), dt), low, high, interior);
    }
  }
}

TEST(PadPrimitive, StridedOperandsScalarsAndEmpty) {
  // Transposed and reversed views of a base array.
  const Array base = random_array({4, 5}, DType::Float32, 11);
  const Array value = scalar(0.5f);
  expect_pad(bind1(make<prim::Transpose>(std::vector<int>{1, 0}), {base}), value, {1, 0}, {0, 2},
             {1, 1});
  expect_pad(bind1(make<prim::StaticSlice>(I64s{3, 4}, I64s{2, 5}, I64s{-2, -1}), {base}), value,
             {0, 1}, {1, 0}, {2, 0});
  // The padding value may be a broadcast or a view too.
  expect_pad(base, base[1][2], {1, 1}, {1, 1}, {0, 0});
  // 0-d operand: nothing to pad.
  expect_pad(scalar(3.0f), value, {}, {}, {});
  // Empty operands: all padding (interior has no neighbours to separate).
  expect_pad(random_array({0, 3}, DType::Float32, 12), value, {2, 0}, {1, 1}, {5, 1});
  expect_pad(random_array({2, 0}, DType::Float32, 13), value, {0, 0}, {0, 0}, {1, 1});
}

TEST(PadPrimitive, LargeOperandInParallel) {
  // Enough rows for several threads; interior and plain rows both.
  const Array x = random_array({300, 129}, DType::Float32, 21);
  expect_pad(x, scalar(-1.0f), {3, 2}, {1, 4}, {1, 0});
  expect_pad(x, scalar(-1.0f), {0, 1}, {0, 0}, {0, 2});
}

TEST(PadPrimitive, ParamsAndWeakType) {
  EXPECT_EQ(make<prim::Pad>(I64s{1, 0}, I64s{2, 3}, I64s{0, 1})->params(),
            "padding_config=((1, 2, 0), (0, 3, 1))");
  EXPECT_EQ(make<prim::Pad>(I64s{1}, I64s{2}, I64s{0})->params(), "padding_config=((1, 2, 0),)");
  const auto p = make<prim::Pad>(I64s{1}, I64s{0}, I64s{0});
  EXPECT_TRUE(bind1(p, {detail::with_weak_type(ones({2}), true),
                        detail::with_weak_type(scalar(0.0f), true)})
                  .weak_type());
  EXPECT_FALSE(bind1(p, {ones({2}), scalar(0.0f)}).weak_type());
}

TEST(PadPrimitive, Errors) {
  const Array x = ones({2, 3});
  const auto p = make<prim::Pad>(I64s{0, 0}, I64s{1, 1}, I64s{0, 0});
  EXPECT_STRATA_ERROR(bind1(p, {x, ones({1})}), "[pad]", "0-d padding value", "f32[1]");
  EXPECT_STRATA_ERROR(bind1(p, {x, scalar(1.0)}), "[pad]", "f64[]");
  EXPECT_STRATA_ERROR(bind1(p, {x}), "[pad]", "expected 2 operands");
  EXPECT_STRATA_ERROR(bind1(make<prim::Pad>(I64s{0}, I64s{1}, I64s{0}), {x, scalar(0.0f)}), "[pad]",
                      "one (low, high, interior) padding per axis", "f32[2,3]");
  EXPECT_STRATA_ERROR(
      bind1(make<prim::Pad>(I64s{0, -1}, I64s{0, 0}, I64s{0, 0}), {x, scalar(0.0f)}), "[pad]",
      "axis 1", "non-negative", "low -1");
  EXPECT_STRATA_ERROR(
      bind1(make<prim::Pad>(I64s{0, 0}, I64s{0, 0}, I64s{-2, 0}), {x, scalar(0.0f)}), "[pad]",
      "axis 0", "interior -2");
}

}  // namespace
}  // namespace strata
