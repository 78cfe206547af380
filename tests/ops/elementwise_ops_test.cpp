// Elementwise ops against reference loops: values, broadcasting, promotion, views, errors.
#include <cmath>
#include <functional>
#include <numbers>

#include "primitives/elementwise.h"
#include "test_util.h"

namespace strata {
namespace {

using testing::broadcast_source_index;
using testing::expect_all_close;
using testing::random_array;
using testing::to_doubles;

double ref_gelu_tanh(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
}

struct UnaryCase {
  const char* name;
  std::function<Array(const Array&)> op;
  std::function<double(double)> ref;
  double lo, hi;
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"negative", [](const Array& a) { return negative(a); }, [](double x) { return -x; }, -3, 3},
      {"abs", [](const Array& a) { return abs(a); }, [](double x) { return std::fabs(x); }, -3, 3},
      {"sign", [](const Array& a) { return sign(a); },
       [](double x) { return static_cast<double>((x > 0) - (x < 0)); }, -3, 3},
      {"square", [](const Array& a) { return square(a); }, [](double x) { return x * x; }, -3, 3},
      {"exp", [](const Array& a) { return exp(a); }, [](double x) { return std::exp(x); }, -5, 5},
      {"log", [](const Array& a) { return log(a); }, [](double x) { return std::log(x); }, 0.01, 9},
      {"log1p", [](const Array& a) { return log1p(a); }, [](double x) { return std::log1p(x); },
       -0.9, 9},
      {"expm1", [](const Array& a) { return expm1(a); }, [](double x) { return std::expm1(x); }, -3,
       3},
      {"sqrt", [](const Array& a) { return sqrt(a); }, [](double x) { return std::sqrt(x); }, 0, 9},
      {"rsqrt", [](const Array& a) { return rsqrt(a); }, [](double x) { return 1 / std::sqrt(x); },
       0.01, 9},
      {"tanh", [](const Array& a) { return tanh(a); }, [](double x) { return std::tanh(x); }, -4,
       4},
      {"logistic", [](const Array& a) { return logistic(a); },
       [](double x) { return 1 / (1 + std::exp(-x)); }, -30, 30},
      {"sigmoid", [](const Array& a) { return sigmoid(a); },
       [](double x) { return 1 / (1 + std::exp(-x)); }, -6, 6},
      {"erf", [](const Array& a) { return erf(a); }, [](double x) { return std::erf(x); }, -3, 3},
      {"sin", [](const Array& a) { return sin(a); }, [](double x) { return std::sin(x); }, -4, 4},
      {"cos", [](const Array& a) { return cos(a); }, [](double x) { return std::cos(x); }, -4, 4},
      {"floor", [](const Array& a) { return floor(a); }, [](double x) { return std::floor(x); }, -4,
       4},
      {"ceil", [](const Array& a) { return ceil(a); }, [](double x) { return std::ceil(x); }, -4,
       4},
      {"relu", [](const Array& a) { return relu(a); }, [](double x) { return x > 0 ? x : 0; }, -3,
       3},
      {"silu", [](const Array& a) { return silu(a); },
       [](double x) { return x / (1 + std::exp(-x)); }, -6, 6},
      {"gelu_tanh", [](const Array& a) { return gelu(a); }, ref_gelu_tanh, -5, 5},
      {"gelu_exact", [](const Array& a) { return gelu(a, false); },
       [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, -5, 5},
  };
}

TEST(ElementwiseOps, UnaryMatchesReferenceInFloat32AndFloat64) {
  for (const UnaryCase& c : unary_cases()) {
    for (DType dt : {DType::Float32, DType::Float64}) {
      const Array x = random_array({3, 5, 7}, dt, 11, c.lo, c.hi);
      const Array y = c.op(x);
      ASSERT_EQ(y.dtype(), dt) << c.name;
      ASSERT_EQ(y.shape(), x.shape()) << c.name;
      std::vector<double> want;
      for (double v : to_doubles(x)) want.push_back(c.ref(v));
      const double rtol = dt == DType::Float32 ? 2e-6 : 1e-13;
      expect_all_close(to_doubles(y), want, rtol, dt == DType::Float32 ? 1e-6 : 1e-14, c.name);
    }
  }
}

// gelu (tanh form) is one primitive whose vjp keeps only x: its first and second derivatives
// against central differences in float64, float32 values within rounding of the composed formula
// evaluated op by op (the kernel may contract a multiply-add into one FMA), and a backward graph
// that recomputes nothing but gelu_tanh_grad from x.
TEST(ElementwiseOps, GeluTanhIsOnePrimitiveWithExactFirstAndSecondDerivatives) {
  const Array x = random_array({23}, DType::Float64, 5, -4, 4);
  check_grads([](const Array& a) { return gelu(a); }, x);
  check_grads([](const Array& a) { return grad([](const Array& b) { return sum(gelu(b)); })(a); },
              x);
  const Array xf = random_array({257}, DType::Float32, 6, -6, 6);
  const Array composed =
      (xf * 0.5f) * (tanh((xf + 0.044715f * (xf * (xf * xf))) * 0.7978845608028654f) + 1.0f);
  expect_all_close(to_doubles(gelu(xf)), to_doubles(composed), 1e-6, 1e-7, "eager");
  expect_all_close(to_doubles(jit([](const Array& a) { return gelu(a); })(xf)),
                   to_doubles(composed), 1e-6, 1e-7, "jit");
  const std::string backward =
      trace(grad([](const Array& a) { return sum(gelu(a)); }), xf).to_string();
  EXPECT_NE(backward.find("gelu_tanh_grad"), std::string::npos) << backward;
  EXPECT_EQ(backward.find(" tanh "), std::string::npos) << backward;  // no composed tanh
}

TEST(ElementwiseOps, HalfPrecisionComputesInFloatAndRoundsOnce) {
  for (DType dt : {DType::Float16, DType::BFloat16}) {
    const Array x = random_array({64}, dt, 3, -3, 3);
    const Array y = exp(x);
    ASSERT_EQ(y.dtype(), dt);
    // Each result is exp computed in float32 and rounded once to the 16-bit format.
    const Array want = astype(exp(astype(x, DType::Float32)), dt);
    EXPECT_EQ(to_doubles(y), to_doubles(want));
  }
}

TEST(ElementwiseOps, TranscendentalsOfIntegersGiveFloat32) {
  const Array i = array<int32_t>({0, 1, 4});
  const Array r = sqrt(i);
  EXPECT_EQ(r.dtype(), DType::Float32);
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{0.f, 1.f, 2.f}));
  EXPECT_EQ(exp(array<bool>({true})).dtype(), DType::Float32);
}

Shape ops_shape(const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (size_t k = 0; k < out.size(); ++k) {
    const int64_t da = k < a.size() ? a[a.size() - 1 - k] : 1;
    const int64_t db = k < b.size() ? b[b.size() - 1 - k] : 1;
    out[out.size() - 1 - k] = da == 1 ? db : da;
  }
  return out;
}

struct BinaryCase {
  const char* name;
  std::function<Array(const Array&, const Array&)> op;
  std::function<double(double, double)> ref;
};

TEST(ElementwiseOps, BinaryBroadcastsLikeNumPy) {
  const std::vector<BinaryCase> cases = {
      {"add", [](const Array& a, const Array& b) { return a + b; }, std::plus<>()},
      {"subtract", [](const Array& a, const Array& b) { return a - b; }, std::minus<>()},
      {"multiply", [](const Array& a, const Array& b) { return a * b; }, std::multiplies<>()},
      {"divide", [](const Array& a, const Array& b) { return a / b; }, std::divides<>()},
      {"maximum", [](const Array& a, const Array& b) { return maximum(a, b); },
       [](double a, double b) { return std::max(a, b); }},
      {"minimum", [](const Array& a, const Array& b) { return minimum(a, b); },
       [](double a, double b) { return std::min(a, b); }},
      {"pow", [](const Array& a, const Array& b) { return pow(abs(a), b); },
       [](double a, double b) { return std::pow(std::fabs(a), b); }},
  };
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{4, 5}, {4, 5}}, {{3, 1, 5}, {4, 1}}, {{5}, {2, 3, 5}}, {{}, {3, 2}},
      {{2, 1}, {}},     {{0, 3}, {3}},       {{1}, {0}}};
  for (const BinaryCase& c : cases) {
    for (const auto& [sa, sb] : shapes) {
      for (DType dt : {DType::Float32, DType::Float64}) {
        const Array a = random_array(sa, dt, 5, 0.5, 2);
        const Array b = random_array(sb, dt, 6, 0.5, 2);
        const Array y = c.op(a, b);
        ASSERT_EQ(y.shape(), ops_shape(sa, sb)) << c.name;
        const auto va = to_doubles(a), vb = to_doubles(b);
        std::vector<double> want(static_cast<size_t>(y.size()));
        for (int64_t i = 0; i < y.size(); ++i) {
          want[static_cast<size_t>(i)] =
              c.ref(va[static_cast<size_t>(broadcast_source_index(sa, y.shape(), i))],
                    vb[static_cast<size_t>(broadcast_source_index(sb, y.shape(), i))]);
        }
        expect_all_close(to_doubles(y), want, dt == DType::Float32 ? 2e-6 : 1e-14, 0, c.name);
      }
    }
  }
}

TEST(ElementwiseOps, PromotionFollowsJax) {
  const Array i32 = array<int32_t>({1, 2});
  const Array u32 = array<uint32_t>({1, 2});
  const Array i64 = array<int64_t>({1, 2});
  const Array f16 = astype(array<float>({1, 2}), DType::Float16);
  const Array bf16 = astype(array<float>({1, 2}), DType::BFloat16);
  const Array f32 = array<float>({1, 2});
  const Array f64 = array<double>({1, 2});
  const Array b = array<bool>({true, false});
  EXPECT_EQ((i32 + u32).dtype(), DType::Int64);
  EXPECT_EQ((i32 + i64).dtype(), DType::Int64);
  EXPECT_EQ((i64 + f16).dtype(), DType::Float16);
  EXPECT_EQ((f16 + bf16).dtype(), DType::Float32);
  EXPECT_EQ((bf16 + f32).dtype(), DType::Float32);
  EXPECT_EQ((f32 + f64).dtype(), DType::Float64);
  EXPECT_EQ((b + i32).dtype(), DType::Int32);
  EXPECT_EQ((b + b).dtype(), DType::Bool);  // jnp.add on bools is logical or
  EXPECT_EQ((b + b).to_vector<bool>(), (std::vector<bool>{true, false}));
  // C++ numbers are weakly typed, like Python scalars in JAX.
  EXPECT_EQ((f16 * 2.0).dtype(), DType::Float16);
  EXPECT_EQ((bf16 + 1).dtype(), DType::BFloat16);
  EXPECT_EQ((i32 + 1).dtype(), DType::Int32);
  EXPECT_EQ((u32 * 3).dtype(), DType::UInt32);
  EXPECT_EQ((i32 * 0.5).dtype(), DType::Float32);
  EXPECT_EQ((2.5 - f64).to_vector<double>(), (std::vector<double>{1.5, 0.5}));
  EXPECT_EQ((i32 / i32).dtype(), DType::Float32);  // true division
  EXPECT_EQ((i32 / 2).to_vector<float>(), (std::vector<float>{0.5f, 1.f}));
  // A weak float64 scalar must not lose precision before it meets a float64 array.
  EXPECT_EQ((f64 * 0.1).to_vector<double>(), (std::vector<double>{0.1, 0.2}));
}

TEST(ElementwiseOps, IntegerArithmeticIsDefinedEverywhere) {
  const Array base = array<int32_t>({2, -2, 3, 1, -1, 5});
  const Array expo = array<int32_t>({10, 3, 0, -4, -3, -1});
  EXPECT_EQ(pow(base, expo).to_vector<int32_t>(), (std::vector<int32_t>{1024, -8, 1, 1, -1, 0}));
  const Array big = array<int32_t>({2147483647});
  const Array smallest = array<int32_t>({-2147483647 - 1});
  EXPECT_EQ((big + 1).to_vector<int32_t>(), (std::vector<int32_t>{-2147483647 - 1}));  // wraps
  EXPECT_EQ((smallest - 1).to_vector<int32_t>(), (std::vector<int32_t>{2147483647}));
  EXPECT_EQ((big * 2).to_vector<int32_t>(), (std::vector<int32_t>{-2}));
  EXPECT_EQ(negative(smallest).to_vector<int32_t>(), (std::vector<int32_t>{-2147483647 - 1}));
  EXPECT_EQ(abs(smallest).to_vector<int32_t>(), (std::vector<int32_t>{-2147483647 - 1}));
  EXPECT_EQ((array<int64_t>({INT64_MAX}) + array<int64_t>({1})).to_vector<int64_t>(),
            (std::vector<int64_t>{INT64_MIN}));
  EXPECT_EQ(negative(array<int32_t>({3, -4})).to_vector<int32_t>(), (std::vector<int32_t>{-3, 4}));
  EXPECT_EQ(abs(array<int64_t>({-7, 7})).to_vector<int64_t>(), (std::vector<int64_t>{7, 7}));
  EXPECT_EQ(maximum(array<uint32_t>({1, 9}), array<uint32_t>({5, 2})).to_vector<uint32_t>(),
            (std::vector<uint32_t>{5, 9}));
}

TEST(ElementwiseOps, MaximumAndMinimumPropagateNaN) {
  const double nan = std::nan("");
  const Array a = array<double>({nan, 1.0, 2.0});
  const Array b = array<double>({0.0, nan, 1.0});
  const auto mx = maximum(a, b).to_vector<double>();
  const auto mn = minimum(a, b).to_vector<double>();
  EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mx[1]));
  EXPECT_TRUE(std::isnan(mn[0]) && std::isnan(mn[1]));
  EXPECT_EQ(mx[2], 2.0);
  EXPECT_EQ(mn[2], 1.0);
}

TEST(ElementwiseOps, ComparisonsGiveBoolAndBroadcast) {
  const Array a = array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Array b = array<int32_t>({2, 2, 5});
  EXPECT_EQ((a < b).dtype(), DType::Bool);
  EXPECT_EQ((a < b).to_vector<bool>(), (std::vector<bool>{1, 0, 1, 0, 0, 0}));
  EXPECT_EQ((a <= b).to_vector<bool>(), (std::vector<bool>{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ((a > b).to_vector<bool>(), (std::vector<bool>{0, 0, 0, 1, 1, 1}));
  EXPECT_EQ((a >= b).to_vector<bool>(), (std::vector<bool>{0, 1, 0, 1, 1, 1}));
  EXPECT_EQ((a == b).to_vector<bool>(), (std::vector<bool>{0, 1, 0, 0, 0, 0}));
  EXPECT_EQ((a != b).to_vector<bool>(), (std::vector<bool>{1, 0, 1, 1, 1, 1}));
  EXPECT_EQ((a == 4).to_vector<bool>(), (std::vector<bool>{0, 0, 0, 1, 0, 0}));
  const double nan = std::nan("");
  EXPECT_EQ((array<double>({nan}) == array<double>({nan})).to_vector<bool>(),
            std::vector<bool>{false});
}

TEST(ElementwiseOps, LogicalOpsReadTruthValues) {
  const Array p = array<bool>({true, true, false, false});
  const Array q = array<bool>({true, false, true, false});
  EXPECT_EQ((p && q).to_vector<bool>(), (std::vector<bool>{1, 0, 0, 0}));
  EXPECT_EQ((p || q).to_vector<bool>(), (std::vector<bool>{1, 1, 1, 0}));
  EXPECT_EQ(logical_xor(p, q).to_vector<bool>(), (std::vector<bool>{0, 1, 1, 0}));
  EXPECT_EQ((!p).to_vector<bool>(), (std::vector<bool>{0, 0, 1, 1}));
  const Array ints = array<int32_t>({0, 3, -1, 0});
  EXPECT_EQ(logical_and(ints, p).to_vector<bool>(), (std::vector<bool>{0, 1, 0, 0}));
  EXPECT_EQ(logical_not(array<float>({0.f, 0.5f})).to_vector<bool>(),
            (std::vector<bool>{true, false}));
}

TEST(ElementwiseOps, WhereBroadcastsAndPromotes) {
  const Array cond = array<bool>({true, false, true});
  const Array x = array<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Array y = scalar(0.5f);
  const Array r = where(cond, x, y);
  EXPECT_EQ(r.dtype(), DType::Float32);
  EXPECT_EQ(r.shape(), (Shape{2, 3}));
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{1, 0.5f, 3, 4, 0.5f, 6}));
  // A non-bool condition counts non-zero as true, as jnp.where does.
  EXPECT_EQ(where(array<int32_t>({0, 7}), array<int32_t>({1, 1}), array<int32_t>({2, 2}))
                .to_vector<int32_t>(),
            (std::vector<int32_t>{2, 1}));
}

TEST(ElementwiseOps, AcceptsStridedViews) {
  const Array base = random_array({6, 8}, DType::Float32, 9);
  const Array t = transpose(base);                // (8, 6), strides (1, 8)
  const Array s = base.slice(1, 6, 2);            // rows 1, 3, 5
  const Array b = broadcast_to(base[2], {3, 8});  // zero-stride rows
  const auto vb = to_doubles(base);
  const Array y = t * 2.0f;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 6; ++j) {
      ASSERT_EQ(to_doubles(y)[static_cast<size_t>(i * 6 + j)],
                2 * vb[static_cast<size_t>(j * 8 + i)]);
    }
  }
  const auto vs = to_doubles(s + b);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 8; ++j) {
      ASSERT_FLOAT_EQ(static_cast<float>(vs[static_cast<size_t>(i * 8 + j)]),
                      static_cast<float>(vb[static_cast<size_t>((1 + 2 * i) * 8 + j)]) +
                          static_cast<float>(vb[static_cast<size_t>(2 * 8 + j)]));
    }
  }
}

TEST(ElementwiseOps, LargeArraysUseAllThreadsAndStayExact) {
  // Big enough to be split across threads and tiles, with a non-contiguous operand.
  const Array a = random_array({300, 700}, DType::Float32, 21);
  const Array b = random_array({700}, DType::Float32, 22);
  const Array sum = a * b + a;
  const auto va = to_doubles(a), vb = to_doubles(b), vs = to_doubles(sum);
  for (size_t i = 0; i < vs.size(); ++i) {
    const float want =
        static_cast<float>(va[i]) * static_cast<float>(vb[i % 700]) + static_cast<float>(va[i]);
    ASSERT_EQ(static_cast<float>(vs[i]), want) << i;
  }
}

TEST(ElementwiseOps, EmptyAndZeroDimensional) {
  const Array e = zeros({0, 4});
  const Array r = e + array<float>({1, 2, 3, 4});
  EXPECT_EQ(r.shape(), (Shape{0, 4}));
  EXPECT_EQ(r.size(), 0);
  const Array s = scalar(3.0f) * scalar(2.0f);
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.item<float>(), 6.0f);
}

TEST(ElementwiseOps, AstypeConvertsLikeXla) {
  const double nan = std::nan("");
  const Array f = array<double>({1.9, -1.9, 3e10, -3e10, nan});
  EXPECT_EQ(astype(f, DType::Int32).to_vector<int32_t>(),
            (std::vector<int32_t>{1, -1, 2147483647, -2147483647 - 1, 0}));
  EXPECT_EQ(astype(array<float>({0.f, -0.5f, 2.f}), DType::Bool).to_vector<bool>(),
            (std::vector<bool>{false, true, true}));
  EXPECT_EQ(astype(array<bool>({true, false}), DType::Float32).to_vector<float>(),
            (std::vector<float>{1.f, 0.f}));
  // float32 -> float16 rounds to nearest even: 1 + 2^-11 is a tie between 1 and 1 + 2^-10.
  const Array h =
      astype(array<float>({1.f + 0x1p-11f, 1.f + 3 * 0x1p-11f, 70000.f}), DType::Float16);
  EXPECT_EQ(to_doubles(h), (std::vector<double>{1.0, 1.0 + 0x1p-9, INFINITY}));
  const Array same = array<float>({1.f});
  EXPECT_TRUE(astype(same, DType::Float32).shares_buffer_with(same));
}

TEST(ElementwiseOps, ErrorsNameTheOpAndTheShapes) {
  const Array a = zeros({2, 3});
  EXPECT_STRATA_ERROR(a + zeros({4}), "[add]", "(2, 3)", "(4,)", "cannot be broadcast");
  EXPECT_STRATA_ERROR(where(array<bool>({true, false}), zeros({3}), zeros({3})), "[where]");
  EXPECT_STRATA_ERROR(array<bool>({true}) - array<bool>({false}), "[subtract]", "bool");
  EXPECT_STRATA_ERROR(-array<bool>({true}), "[negative]", "bool", "logical_not");
  EXPECT_STRATA_ERROR(exp(Array()), "[exp]", "empty Array");
  EXPECT_STRATA_ERROR(Array() + a, "[add]", "empty Array");
}

TEST(ElementwisePrimitives, RulesRejectUnbroadcastOperands) {
  using prim::ValueType;
  const prim::Binary add(cpu::BinaryOp::Add);
  EXPECT_STRATA_ERROR(
      add.infer({ValueType{{2, 3}, DType::Float32}, ValueType{{3}, DType::Float32}}), "[add]",
      "f32[2,3]", "f32[3]");
  EXPECT_STRATA_ERROR(add.infer({ValueType{{2}, DType::Float32}, ValueType{{2}, DType::Int32}}),
                      "[add]", "i32[2]");
  const prim::Unary exp_p(cpu::UnaryOp::Exp);
  EXPECT_STRATA_ERROR(exp_p.infer({ValueType{{2}, DType::Int32}}), "[exp]", "floating-point");
  const prim::Binary and_p(cpu::BinaryOp::And);
  EXPECT_STRATA_ERROR(and_p.infer({ValueType{{2}, DType::Float32}, ValueType{{2}, DType::Float32}}),
                      "[and]", "bool or integer");
  // Weak only when every operand is weak.
  const auto t =
      add.infer({ValueType{{}, DType::Float32, true}, ValueType{{}, DType::Float32, false}});
  EXPECT_FALSE(t[0].weak);
}

}  // namespace
}  // namespace strata
