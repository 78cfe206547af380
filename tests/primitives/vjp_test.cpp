// vjp rules of the elementwise, reduction, dot_general and layout primitives against central
// finite differences in float64 (st::check_grads), through the public ops that bind them: every
// unary and binary op, broadcasting, reductions and the composites built on them, dot_general in
// the configurations whose cotangents need transposes, and second derivatives (grad of grad).
// The data-movement rules are in vjp_data_movement_test.cpp.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "strata/check_grads.h"
#include "test_util.h"

namespace strata {
namespace {

using testing::expect_grads;
using testing::random_array;
using testing::to_doubles;
using UnaryFn = std::function<Array(const Array&)>;

constexpr DType F64 = DType::Float64;

Array rnd(const Shape& shape, uint32_t seed, double lo = -2.0, double hi = 2.0) {
  return random_array(shape, F64, seed, lo, hi);
}

// check_grads, reporting a mismatch as a test failure labelled `what`.
void expect_equal(const Array& got, const std::vector<double>& want, const std::string& what) {
  EXPECT_EQ(to_doubles(got), want) << what;
}

// ---------------------------------------------------------------- unary
struct UnaryCase {
  const char* name;
  UnaryFn f;
  double lo, hi;  // inputs inside the op's domain
};

TEST(VjpElementwise, EveryUnaryOpMatchesFiniteDifferences) {
  const std::vector<UnaryCase> cases = {
      {"negative", [](const Array& x) { return -x; }, -2, 2},
      {"abs", [](const Array& x) { return abs(x); }, -2, 2},
      {"exp", [](const Array& x) { return exp(x); }, -2, 2},
      {"log", [](const Array& x) { return log(x); }, 0.2, 3},
      {"log1p", [](const Array& x) { return log1p(x); }, -0.8, 3},
      {"expm1", [](const Array& x) { return expm1(x); }, -2, 2},
      {"sqrt", [](const Array& x) { return sqrt(x); }, 0.2, 3},
      {"rsqrt", [](const Array& x) { return rsqrt(x); }, 0.2, 3},
      {"square", [](const Array& x) { return square(x); }, -2, 2},
      {"tanh", [](const Array& x) { return tanh(x); }, -2, 2},
      {"logistic", [](const Array& x) { return logistic(x); }, -3, 3},
      {"sigmoid", [](const Array& x) { return sigmoid(x); }, -3, 3},
      {"erf", [](const Array& x) { return erf(x); }, -2, 2},
      {"sin", [](const Array& x) { return sin(x); }, -3, 3},
      {"cos", [](const Array& x) { return cos(x); }, -3, 3},
      {"relu", [](const Array& x) { return relu(x); }, -2, 2},
      {"gelu tanh", [](const Array& x) { return gelu(x, true); }, -3, 3},
      {"gelu erf", [](const Array& x) { return gelu(x, false); }, -3, 3},
      {"silu", [](const Array& x) { return silu(x); }, -3, 3},
  };
  uint32_t seed = 1;
  for (const UnaryCase& c : cases) {
    expect_grads(c.name, c.f, rnd({3, 4}, seed++, c.lo, c.hi));
  }
}

TEST(VjpElementwise, PiecewiseConstantOpsHaveExactlyZeroGradient) {
  const Array x = rnd({2, 5}, 11, -3, 3);
  const std::vector<std::pair<const char*, UnaryFn>> ops = {
      {"floor", [](const Array& v) { return floor(v); }},
      {"ceil", [](const Array& v) { return ceil(v); }},
      {"sign", [](const Array& v) { return sign(v); }}};
  for (const auto& op : ops) {
    const char* name = op.first;
    const UnaryFn& f = op.second;
    // A rule that passed the cotangent through (or scaled it) would give 3s here.
    const Array g = grad([&](const Array& v) { return sum(f(v) * 3.0); })(x);
    ASSERT_EQ(g.shape(), x.shape()) << name;
    ASSERT_EQ(g.dtype(), F64) << name;
    expect_equal(g, std::vector<double>(10, 0.0), name);
    // d/dx [x op(x)] = op(x) away from the jumps: only the product rule's other term survives.
    expect_grads(
        name, [&](const Array& v) { return v * f(v); }, x);
  }
}

TEST(VjpElementwise, AbsAtZeroHasSlopeOneAsInJax) {
  const Array x = array<double>({0.0, -1.5, 2.0});
  expect_equal(grad([](const Array& v) { return sum(abs(v)); })(x), {1.0, -1.0, 1.0}, "abs");
}

// ---------------------------------------------------------------- binary
TEST(VjpElementwise, EveryBinaryOpMatchesFiniteDifferences) {
  const Array a = rnd({3, 4}, 21);
  const Array b = rnd({3, 4}, 22);
  const Array positive = rnd({3, 4}, 23, 0.5, 2.0);
  expect_grads(
      "add", [](const Array& x, const Array& y) { return x + y; }, a, b);
  expect_grads(
      "subtract", [](const Array& x, const Array& y) { return x - y; }, a, b);
  expect_grads(
      "multiply", [](const Array& x, const Array& y) { return x * y; }, a, b);
  expect_grads(
      "divide", [](const Array& x, const Array& y) { return x / y; }, a, positive);
  expect_grads(
      "pow", [](const Array& x, const Array& y) { return pow(x, y); }, positive, b);
  // Random values are distinct, far further apart than the finite-difference step.
  expect_grads(
      "maximum", [](const Array& x, const Array& y) { return maximum(x, y); }, a, b);
  expect_grads(
      "minimum", [](const Array& x, const Array& y) { return minimum(x, y); }, a, b);
  // The same array on both sides: both cotangents add up in one leaf.
  expect_grads(
      "x * x / x", [](const Array& x) { return x * x / (x + 3.0); }, positive);
}

TEST(VjpElementwise, MaxMinTiesSplitTheCotangentEvenly) {
  const Array x = array<double>({1.0, 2.0, 3.0});
  const Array y = array<double>({1.0, 0.0, 5.0});
  auto [gx, gy] =
      grad([](const Array& u, const Array& v) { return sum(maximum(u, v)); }, argnums<0, 1>)(x, y);
  expect_equal(gx, {0.5, 1.0, 0.0}, "maximum lhs");
  expect_equal(gy, {0.5, 0.0, 1.0}, "maximum rhs");
  auto [hx, hy] =
      grad([](const Array& u, const Array& v) { return sum(minimum(u, v)); }, argnums<0, 1>)(x, y);
  expect_equal(hx, {0.5, 0.0, 1.0}, "minimum lhs");
  expect_equal(hy, {0.5, 1.0, 0.0}, "minimum rhs");
  // relu is maximum(x, 0): its slope at 0 is the tie's 1/2.
  expect_equal(grad([](const Array& u) { return sum(relu(u)); })(array<double>({-1.0, 0.0, 2.0})),
               {0.0, 0.5, 1.0}, "relu");
}

TEST(VjpElementwise, BroadcastingSumsCotangentsBackToEachOperand) {
  expect_grads(
      "[3,1] + [4]", [](const Array& x, const Array& y) { return x + y; }, rnd({3, 1}, 31),
      rnd({4}, 32));
  expect_grads(
      "[2,3,4] * [3,1]", [](const Array& x, const Array& y) { return x * y; }, rnd({2, 3, 4}, 33),
      rnd({3, 1}, 34));
  expect_grads(
      "[1,4] / [3,1]", [](const Array& x, const Array& y) { return x / y; }, rnd({1, 4}, 35),
      rnd({3, 1}, 36, 0.5, 2.0));
  // 0-d operands on either side.
  const Array s = rnd({}, 37, 0.5, 1.5);
  expect_grads(
      "x * s", [](const Array& x, const Array& c) { return x * c; }, rnd({2, 3}, 38), s);
  expect_grads(
      "s / x", [](const Array& c, const Array& x) { return c / x; }, s, rnd({2, 3}, 39, 0.5, 2.0));
  expect_grads(
      "pow(x, s)", [](const Array& x, const Array& c) { return pow(x, c); }, rnd({4}, 40, 0.5, 2.0),
      s);
  expect_grads(
      "maximum(s, x)", [](const Array& c, const Array& x) { return maximum(c, x); }, s,
      rnd({5}, 41));
  // C++ numbers are weakly typed constants: the result stays float64 and differentiable.
  expect_grads(
      "2.5 * x - 1", [](const Array& x) { return 2.5 * x - 1.0; }, rnd({3}, 42));
  // The cotangent of a broadcast operand has the operand's shape.
  const Array g = grad([](const Array& c) { return sum(c * ones({2, 3}, F64)); })(s);
  EXPECT_EQ(g.shape(), Shape{});
  EXPECT_DOUBLE_EQ(g.item<double>(), 6.0);
}

// ---------------------------------------------------------------- reductions
TEST(VjpReduce, SumMaxMinOverAxesAndKeepdims) {
  const Array x = rnd({3, 4, 5}, 51);
  const std::vector<std::pair<Axes, bool>> configs = {{{1}, false}, {{0, 2}, false}, {{}, false},
                                                      {{-1}, true}, {{0, 1}, true},  {{}, true}};
  for (const auto& config : configs) {
    const Axes& axes = config.first;
    const bool keep = config.second;
    const std::string what =
        "axes " + std::to_string(axes.size()) + " keep " + std::to_string(keep);
    expect_grads(
        "sum " + what, [&](const Array& v) { return sum(v, axes, keep); }, x);
    expect_grads(
        "max " + what, [&](const Array& v) { return max(v, axes, keep); }, x);
    expect_grads(
        "min " + what, [&](const Array& v) { return min(v, axes, keep); }, x);
  }
}

TEST(VjpReduce, MaxTiesShareTheCotangent) {
  const Array x = array<double>({1.0, 3.0, 3.0, 0.0, 2.0, 3.0}, {2, 3});
  expect_equal(grad([](const Array& v) { return sum(max(v, {1})); })(x),
               {0.0, 0.5, 0.5, 0.0, 0.0, 1.0}, "max ties");
  expect_equal(grad([](const Array& v) { return sum(min(v)); })(x), {0, 0, 0, 1, 0, 0}, "min");
}

TEST(VjpReduce, CompositesMatchFiniteDifferences) {
  const Array x = rnd({3, 5}, 61);
  expect_grads(
      "mean", [](const Array& v) { return mean(v, {1}); }, x);
  expect_grads(
      "mean all keepdims", [](const Array& v) { return mean(v, {}, true); }, x);
  expect_grads(
      "var", [](const Array& v) { return var(v, {0}); }, x);
  expect_grads(
      "var ddof 1", [](const Array& v) { return var(v, {1}, false, 1); }, x);
  expect_grads(
      "mean_var",
      [](const Array& v) {
        const MeanVar mv = mean_var(v, {-1});
        return std::pair{mv.mean, mv.var};
      },
      x);
  expect_grads(
      "softmax", [](const Array& v) { return softmax(v, -1); }, x);
  expect_grads(
      "softmax axis 0", [](const Array& v) { return softmax(v, 0); }, x);
  expect_grads(
      "log_softmax", [](const Array& v) { return log_softmax(v, 1); }, x);
  expect_grads(
      "logsumexp", [](const Array& v) { return logsumexp(v, {1}); }, x);
  expect_grads(
      "logsumexp all", [](const Array& v) { return logsumexp(v); }, x);
  // A layer norm: centred, scaled by rsqrt of the variance.
  expect_grads(
      "layer norm",
      [](const Array& v) {
        const MeanVar mv = mean_var(v, {-1});
        return (v - mv.mean) * rsqrt(mv.var + 1e-5);
      },
      x);
}

TEST(VjpReduce, SoftmaxGradientMatchesClosedForm) {
  // d/dx sum(w * softmax(x)) = s * (w - <w, s>)
  const Array x = rnd({4}, 62);
  const Array w = array<double>({1.0, -2.0, 0.5, 3.0});
  const Array g = grad([&](const Array& v) { return sum(w * softmax(v)); })(x);
  const Array s = softmax(x);
  const std::vector<double> got = to_doubles(g), want = to_doubles(s * (w - sum(w * s)));
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-14) << i;
}

// ---------------------------------------------------------------- dot_general
TEST(VjpDotGeneral, MatmulShapes) {
  auto mm = [](const Array& a, const Array& b) { return matmul(a, b); };
  expect_grads("2-D", mm, rnd({4, 3}, 71), rnd({3, 5}, 72));
  expect_grads("matrix-vector", mm, rnd({4, 3}, 73), rnd({3}, 74));
  expect_grads("vector-matrix", mm, rnd({3}, 75), rnd({3, 5}, 76));
  expect_grads("vector-vector", mm, rnd({3}, 77), rnd({3}, 78));
  expect_grads("batched", mm, rnd({2, 4, 3}, 79), rnd({2, 3, 5}, 80));
  expect_grads("broadcast batch", mm, rnd({2, 4, 3}, 81), rnd({3, 5}, 82));
  expect_grads("broadcast batch rhs", mm, rnd({4, 3}, 83), rnd({2, 3, 5}, 84));
}

TEST(VjpDotGeneral, TransposedOperands) {
  expect_grads(
      "a^T b", [](const Array& a, const Array& b) { return matmul(transpose(a), b); },
      rnd({3, 4}, 91), rnd({3, 5}, 92));
  expect_grads(
      "a b^T", [](const Array& a, const Array& b) { return matmul(a, transpose(b)); },
      rnd({4, 3}, 93), rnd({5, 3}, 94));
  expect_grads(
      "(a b)^T", [](const Array& a, const Array& b) { return transpose(matmul(a, b)); },
      rnd({4, 3}, 95), rnd({3, 5}, 96));
}

TEST(VjpDotGeneral, BatchAndContractingDimsInAnyPosition) {
  auto dg = [](DotDims d) {
    return [d](const Array& a, const Array& b) { return dot_general(a, b, d); };
  };
  // Batch axes in the middle: a [3,2,4] . b [4,2,5], batch (1)/(1), contract (2)/(0).
  expect_grads("middle batch", dg({{2}, {0}, {1}, {1}}), rnd({3, 2, 4}, 101), rnd({4, 2, 5}, 102));
  // Several contracting axes, paired out of order: a [2,3,4] . b [4,3,5] over (1,2)/(1,0).
  expect_grads("two contracting", dg({{1, 2}, {1, 0}, {}, {}}), rnd({2, 3, 4}, 103),
               rnd({4, 3, 5}, 104));
  // einsum "cmb,bnc->bmn": the lhs cotangent needs its axes put back as (c, m, b).
  expect_grads("cmb,bnc->bmn", dg({{0}, {2}, {2}, {0}}), rnd({3, 4, 2}, 105), rnd({2, 5, 3}, 106));
  // Two batch axes, swapped between the operands, and a contraction over everything else.
  expect_grads("two batch", dg({{2}, {1}, {0, 1}, {2, 0}}), rnd({2, 3, 4}, 107),
               rnd({3, 4, 2}, 108));
  // A full contraction (a scalar result) and an outer product (no contraction).
  expect_grads("inner", dg({{0, 1}, {0, 1}, {}, {}}), rnd({2, 3}, 109), rnd({2, 3}, 110));
  expect_grads("outer", dg({{}, {}, {}, {}}), rnd({2, 3}, 111), rnd({4}, 112));
}

// ---------------------------------------------------------------- layout
TEST(VjpLayout, ReshapeTransposeBroadcastExpandSqueeze) {
  const Array x = rnd({2, 3, 4}, 121);
  expect_grads(
      "reshape",
      [](const Array& v) {
        return reshape(v, {4, -1});
      },
      x);
  expect_grads(
      "flatten", [](const Array& v) { return flatten(v); }, x);
  expect_grads(
      "transpose",
      [](const Array& v) {
        return transpose(v, {2, 0, 1});
      },
      x);
  expect_grads(
      "swapaxes", [](const Array& v) { return swapaxes(v, 0, 2); }, x);
  expect_grads(
      "broadcast_to",
      [](const Array& v) {
        return broadcast_to(v, {2, 3, 4});
      },
      rnd({3, 1}, 122));
  expect_grads(
      "broadcast_to 0-d",
      [](const Array& v) {
        return broadcast_to(v, {2, 2});
      },
      rnd({}, 123));
  expect_grads(
      "expand_dims", [](const Array& v) { return expand_dims(v, 1) * 2.0; }, x);
  expect_grads(
      "squeeze",
      [](const Array& v) {
        return squeeze(v, {0, 2});
      },
      rnd({1, 3, 1}, 124));
  // A view of a transposed value reshaped (the reshape copies): still the same numbers.
  expect_grads(
      "reshape of transpose",
      [](const Array& v) { return reshape(transpose(v), {-1}) * arange(0.0, 24.0, 1.0, F64); }, x);
}

// ---------------------------------------------------------------- conversions, stop_gradient
TEST(VjpElementwise, AstypeRoundTripPassesTheCotangentThrough) {
  const Array x = rnd({5}, 131, -100, 100);
  // f64 -> f32 -> f64 rounds the value, but its derivative is 1 wherever nothing overflows.
  const Array g =
      grad([](const Array& v) { return sum(astype(astype(v, DType::Float32), F64)); })(x);
  ASSERT_EQ(g.dtype(), F64);
  expect_equal(g, std::vector<double>(5, 1.0), "round trip");
  // The value path is the float32-rounded one.
  EXPECT_EQ(to_doubles(astype(astype(x, DType::Float32), F64)),
            to_doubles(astype(x, DType::Float32)));
  // Weighted: the cotangent arrives in float32 and is converted back exactly.
  const Array w = array<double>({0.5, -2.0, 4.0, 0.25, 8.0});
  expect_equal(
      grad([&](const Array& v) { return sum(w * astype(astype(v, DType::Float32), F64)); })(x),
      to_doubles(w), "weighted round trip");
}

TEST(VjpElementwise, StopGradientCutsOneBranchOnly) {
  const Array x = rnd({4}, 141);
  // d/dx [x^2 + stop(x^2)] = 2x
  const Array g = grad([](const Array& v) { return sum(v * v + stop_gradient(v * v)); })(x);
  const std::vector<double> got = to_doubles(g), xv = to_doubles(x);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_DOUBLE_EQ(got[i], 2 * xv[i]);
}

TEST(VjpElementwise, CheckpointNameIsTheIdentity) {
  expect_grads(
      "checkpoint_name", [](const Array& v) { return tanh(checkpoint_name(v * v, "h")) * v; },
      rnd({3}, 142));
}

// ---------------------------------------------------------------- second order
TEST(VjpSecondOrder, GradOfGradMatchesFiniteDifferences) {
  const Array x = rnd({2, 3}, 151, 0.3, 1.5);
  auto chain = [](const Array& v) {
    return sum(exp(sin(v) * v) / (1.0 + v * v) + log(v) * sqrt(v) + tanh(v) * logistic(v));
  };
  expect_grads("elementwise chain", grad(chain), x);

  auto layer = [](const Array& in, const Array& w, const Array& b) {
    return sum(square(tanh(matmul(in, w) + b)));
  };
  expect_grads("matmul + tanh layer", grad(layer, argnums<0, 1, 2>), rnd({4, 3}, 152),
               rnd({3, 5}, 153), rnd({5}, 154));

  auto soft = [](const Array& v) { return sum(softmax(v, -1) * arange(0.0, 4.0, 1.0, F64)); };
  expect_grads("softmax", grad(soft), rnd({3, 4}, 155));

  auto reductions = [](const Array& v) {
    return sum(max(v, {1}) * min(v, {1})) + logsumexp(v) + sum(var(v, {0}));
  };
  expect_grads("reductions", grad(reductions), rnd({3, 4}, 156));

  auto einsum = [](const Array& a, const Array& b) {
    return sum(sin(dot_general(a, b, {{0}, {2}, {2}, {0}})));
  };
  expect_grads("dot_general with transposes", grad(einsum, argnums<0, 1>), rnd({3, 4, 2}, 157),
               rnd({2, 5, 3}, 158));
}

TEST(VjpSecondOrder, ThirdDerivativeOfAPolynomial) {
  // f = x^4 summed: f''' = 24 x.
  auto f = [](const Array& v) { return sum(v * v * v * v); };
  auto d1 = [&](const Array& v) { return sum(grad(f)(v)); };
  auto d2 = [&](const Array& v) { return sum(grad(d1)(v)); };
  const Array x = array<double>({0.5, -1.0, 2.0});
  expect_equal(grad(d2)(x), {12.0, -24.0, 48.0}, "f'''");
}

// The differential tester's "wrong gradient" (issue 14): where over operands broadcast through
// expand_dims / broadcast_to, with a comparison between two reductions of the same value.  Away
// from an exact tie the gradient equals finite differences; at the tie (v9 <= v10 with
// v10 = sum(v9) / 15 == v9 up to rounding) the perturbed points x +- h round the other way and
// select the other branch, so finite differences measure that branch (in 3000 random points of
// this program every disagreement had the branch flip at +-h, none had the same branch).
TEST(VjpWhere, BroadcastOperandsAndComparedReductions) {
  const Array v24 = random_array({3, 5}, DType::Float64, 24);
  for (const double shift : {-0.25, 0.25}) {  // a clear margin: all true, then all false
    expect_grads(
        "where with broadcast operands, shift " + std::to_string(shift),
        [&](const Array& v0) {
          const Array v5 = rsqrt(abs(v0) + 0.5);
          const Array v9 = broadcast_to(sum(v5) * 0.25, {3, 5});
          const Array v10 = broadcast_to(sum(v9) / 15.0 + shift, {5});
          return sum(where(less_equal(expand_dims(v9, -3), v10), v9, v24 * sum(v0 * v0)));
        },
        random_array({4, 1}, DType::Float64, 5));
  }
}

}  // namespace
}  // namespace strata
