// Reverse-mode autodiff: the API (vjp, grad, value_and_grad, has_aux, argnums, pytrees,
// stop_gradient), composition with jit and with itself, and the errors users can cause.
#include <gtest/gtest.h>

#include <map>

#include "ir/graph.h"
#include "strata/check_grads.h"
#include "test_util.h"

namespace st = strata;
using st::Array;
using st::testing::random_array;
using st::testing::to_doubles;

namespace {

constexpr auto F64 = st::DType::Float64;

TEST(Grad, PolynomialMatchesHandDerivative) {
  const Array x = st::array<double>({0.5, -1.5, 2.0});
  // f = sum(x^3 / 3 + 2 x), df/dx = x^2 + 2
  const Array g = st::grad([](const Array& v) { return st::sum(v * v * v / 3.0 + 2.0 * v); })(x);
  st::testing::expect_arrays_close(g, x * x + 2.0, 1e-14);
}

TEST(Grad, MatmulTanhLayerMatchesHandDerivative) {
  const Array x = random_array({4, 3}, F64, 1);
  const Array W = random_array({3, 5}, F64, 2);
  auto loss = [](const Array& xx, const Array& w) { return st::sum(st::tanh(st::matmul(xx, w))); };
  auto [gx, gw] = st::grad(loss, st::argnums<0, 1>)(x, W);
  const Array d = 1.0 - st::square(st::tanh(st::matmul(x, W)));  // dL/dz
  st::testing::expect_arrays_close(gx, st::matmul(d, st::transpose(W)), 1e-13);
  st::testing::expect_arrays_close(gw, st::matmul(st::transpose(x), d), 1e-13);
  EXPECT_NO_THROW(st::check_grads(loss, x, W));
}

struct Layer {
  Array w, b;
};
STRATA_TREE(Layer, w, b)

TEST(Grad, PytreeArgumentGetsItsStructure) {
  std::map<std::string, Layer> params{
      {"a", {random_array({3, 3}, F64, 3), random_array({3}, F64, 4)}},
      {"b", {random_array({3, 2}, F64, 5), random_array({2}, F64, 6)}}};
  const Array x = random_array({4, 3}, F64, 7);
  auto loss = [](const std::map<std::string, Layer>& p, const Array& xx) {
    const Array h = st::tanh(st::matmul(xx, p.at("a").w) + p.at("a").b);
    return st::sum(st::square(st::matmul(h, p.at("b").w) + p.at("b").b));
  };
  const auto g = st::grad(loss)(params, x);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g.at("a").w.shape(), (st::Shape{3, 3}));
  EXPECT_EQ(g.at("b").b.shape(), (st::Shape{2}));
  EXPECT_NO_THROW(st::check_grads(loss, params, x));
}

TEST(Grad, ValueAndGradAndAux) {
  const Array x = st::array<double>({1.0, 2.0});
  auto f = [](const Array& v) { return std::pair{st::sum(v * v), st::max(v)}; };
  auto [value_aux, g] = st::value_and_grad(f, st::has_aux)(x);
  EXPECT_DOUBLE_EQ(value_aux.first.item<double>(), 5.0);
  EXPECT_DOUBLE_EQ(value_aux.second.item<double>(), 2.0);
  EXPECT_EQ(to_doubles(g), (std::vector<double>{2.0, 4.0}));
  auto [g2, aux] = st::grad(f, st::has_aux)(x);
  EXPECT_EQ(to_doubles(g2), (std::vector<double>{2.0, 4.0}));
  EXPECT_DOUBLE_EQ(aux.item<double>(), 2.0);
}

TEST(Grad, StopGradientBlocksTheFlow) {
  const Array x = st::array<double>({3.0});
  // d/dx [x * stop(x)] = stop(x) = 3, not 2x = 6.
  const Array g = st::grad([](const Array& v) { return st::sum(v * st::stop_gradient(v)); })(x);
  EXPECT_EQ(to_doubles(g), (std::vector<double>{3.0}));
}

// softmax, log_softmax and logsumexp subtract their max for stability only; the max is under
// stop_gradient (as in JAX), so the gradient graph holds the forward's reduce_max and nothing
// that differentiates it: reduce_max's rule would add an `eq` tie mask, its count and a divide.
TEST(Grad, SoftmaxFamilyDoesNotDifferentiateItsMaxShift) {
  const Array x = random_array({3, 5}, F64, 21);
  const Array w = random_array({3, 5}, F64, 22);
  using Fn = Array (*)(const Array&, const Array&);
  struct Case {
    const char* name;
    Fn f;
    Fn closed_form_grad;  // d/dx sum(w * f(x)), written out
  };
  const Case cases[] = {
      {"softmax", [](const Array& v, const Array&) { return st::softmax(v); },
       [](const Array& v, const Array& u) {
         const Array s = st::softmax(v);
         return s * (u - st::sum(u * s, {-1}, true));
       }},
      {"log_softmax", [](const Array& v, const Array&) { return st::log_softmax(v, 0); },
       [](const Array& v, const Array& u) {
         return u - st::softmax(v, 0) * st::sum(u, {0}, true);
       }},
      {"logsumexp", [](const Array& v, const Array&) { return st::logsumexp(v, {1}, true); },
       [](const Array& v, const Array& u) { return st::sum(u, {1}, true) * st::softmax(v, 1); }},
  };
  for (const Case& c : cases) {
    auto loss = [&](const Array& v) { return st::sum(w * c.f(v, w)); };
    const st::Jaxpr j = st::trace(st::grad(loss), x);
    int64_t maxes = 0, eqs = 0;
    for (const st::ir::Op& op : j.graph().ops()) {
      const std::string prim = op.primitive->name();
      maxes += prim == "reduce_max";
      eqs += prim == "eq";
    }
    EXPECT_EQ(maxes, 1) << c.name << "\n" << j.to_string();
    EXPECT_EQ(eqs, 0) << c.name << "\n" << j.to_string();
    // The gradient is the true one, to rounding.
    st::testing::expect_arrays_close(st::grad(loss)(x), c.closed_form_grad(x, w), 1e-12);
  }
}

TEST(Grad, UnusedArgumentGetsZeros) {
  auto [ga, gb] = st::grad([](const Array& a, const Array&) { return st::sum(a); },
                           st::argnums<0, 1>)(st::ones({2}, F64), st::ones({3}, F64));
  EXPECT_EQ(to_doubles(ga), (std::vector<double>{1, 1}));
  EXPECT_EQ(to_doubles(gb), (std::vector<double>{0, 0, 0}));
}

TEST(Vjp, PullbackOfVectorFunction) {
  const Array x = st::array<double>({1.0, 2.0, 3.0});
  auto [y, pullback] = st::vjp([](const Array& v) { return v * v; }, x);
  EXPECT_EQ(to_doubles(y), (std::vector<double>{1, 4, 9}));
  auto [ct] = pullback(st::array<double>({1.0, 10.0, 100.0}));
  EXPECT_EQ(to_doubles(ct), (std::vector<double>{2, 40, 600}));
}

TEST(Grad, ComposesWithJit) {
  const Array x = random_array({4, 3}, F64, 8);
  const Array W = random_array({3, 3}, F64, 9);
  auto loss = [](const Array& xx, const Array& w) { return st::sum(st::tanh(st::matmul(xx, w))); };
  const Array eager = st::grad(loss, st::argnums<1>)(x, W);
  const Array jitted = st::jit(st::grad(loss, st::argnums<1>))(x, W);
  st::testing::expect_arrays_close(jitted, eager, 1e-14);
  // grad of a jitted function: jit inlines into grad's trace.
  const Array inner = st::grad(st::jit(loss), st::argnums<1>)(x, W);
  st::testing::expect_arrays_close(inner, eager, 1e-14);
}

TEST(Grad, GradOfGrad) {
  const Array x = st::array<double>({0.3, -0.7});
  // f = sum(x^4), f' = 4x^3, f'' (diagonal, summed) = 12 x^2
  auto df = st::grad([](const Array& v) { return st::sum(v * v * v * v); });
  const Array d2 = st::grad([&](const Array& v) { return st::sum(df(v)); })(x);
  st::testing::expect_arrays_close(d2, 12.0 * x * x, 1e-13);
}

TEST(GradErrors, NonScalarLoss) {
  try {
    st::grad([](const Array& v) { return v * 2.0; })(st::ones({3}, F64));
    FAIL() << "expected an error";
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[grad]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("f64[3]"), std::string::npos) << e.what();
  }
}

TEST(GradErrors, IntegerLeafNamesItsPath) {
  std::map<std::string, Array> p{{"w", st::ones({2}, F64)},
                                 {"step", st::zeros({}, st::DType::Int32)}};
  try {
    st::grad([](const std::map<std::string, Array>& q) { return st::sum(q.at("w")); })(p);
    FAIL() << "expected an error";
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("step"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("i32"), std::string::npos) << e.what();
  }
}

TEST(CheckGrads, DetectsAWrongDerivative) {
  // A function whose "gradient" is cut by stop_gradient disagrees with finite differences.
  auto f = [](const Array& v) { return st::sum(v * st::stop_gradient(v)); };
  EXPECT_THROW(st::check_grads(f, st::array<double>({1.0, 2.0})), st::Error);
}

}  // namespace

namespace {

TEST(Jvp, MatchesDirectionalDerivative) {
  const Array x = random_array({3, 4}, F64, 20);
  const Array W = random_array({4, 2}, F64, 21);
  const Array vx = random_array({3, 4}, F64, 22);
  const Array vW = random_array({4, 2}, F64, 23);
  auto f = [](const Array& a, const Array& w) { return st::tanh(st::matmul(a, w)); };
  auto [y, t] = st::jvp(f, std::tuple{x, W}, std::tuple{vx, vW});
  st::testing::expect_arrays_close(y, f(x, W), 0);
  // d tanh(x W) = (1 - tanh^2) (dx W + x dW)
  const Array expected = (1.0 - st::square(f(x, W))) * (st::matmul(vx, W) + st::matmul(x, vW));
  st::testing::expect_arrays_close(t, expected, 1e-13);
}

TEST(Jvp, ThroughScanMatchesFiniteDifference) {
  const Array x = random_array({4}, F64, 24);
  const Array Ws = random_array({3, 4, 4}, F64, 25, -0.5, 0.5);
  const Array v = random_array({4}, F64, 26);
  auto f = [&](const Array& a) {
    return st::fold([](const Array& c, const Array& w) { return st::sin(st::matmul(c, w)); }, a,
                    Ws);
  };
  auto [y, t] = st::jvp(f, std::tuple{x}, std::tuple{v});
  const double eps = 1e-6;
  const Array fd = (f(x + v * eps) - f(x - v * eps)) / (2 * eps);
  st::testing::expect_arrays_close(t, fd, 1e-8);
}

}  // namespace
