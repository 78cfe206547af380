// trace and jit: listings, caching, statistics, O(1) graphs in depth, fusion and memory plan.
#include <gtest/gtest.h>

#include "test_util.h"

namespace st = strata;
using st::Array;
using st::testing::random_array;
using st::testing::to_doubles;

namespace {

// W1 (design §6): y = relu(y W_i + b_i) for each layer, weights stacked as xs.
struct Layer {
  Array w, b;
};
STRATA_TREE(Layer, w, b)

Array w1_forward(const Layer& stack, const Array& x) {
  return st::fold([](const Array& y, const Layer& l) { return st::relu(st::matmul(y, l.w) + l.b); },
                  x, stack);
}

Layer w1_params(int64_t L, int64_t F, st::DType dtype = st::DType::Float32) {
  return {random_array({L, F, F}, dtype, 11, -0.1, 0.1),
          random_array({L, F}, dtype, 12, -0.1, 0.1)};
}

TEST(Trace, ListingIsJaxprLike) {
  const Array x = st::zeros({2, 3});
  const Array w = st::zeros({3, 4});
  const std::string text =
      st::trace([](const Array& a, const Array& b) { return st::tanh(st::matmul(a, b)); }, x, w)
          .to_string();
  EXPECT_NE(text.find("{ lambda ; a:f32[2,3] b:f32[3,4]. let"), std::string::npos) << text;
  EXPECT_NE(text.find("dot_general"), std::string::npos) << text;
  EXPECT_NE(text.find("tanh"), std::string::npos) << text;
}

TEST(Trace, ScanBodyCapturesTracedClosureAsConstant) {
  // Inside a trace, the body closes over the traced W: it becomes the scan's constant operand.
  const st::Jaxpr j = st::trace(
      [](const Array& h, const Array& W) {
        return st::fold([&](const Array& c, st::None) { return st::tanh(st::matmul(c, W)); }, h,
                        st::None{}, {.length = 5});
      },
      st::zeros({3}), st::ones({3, 3}));
  const std::string text = j.to_string();
  EXPECT_NE(text.find("scan[length=5 num_consts=1 num_carry=1 reverse=False unroll=1] b a"),
            std::string::npos)
      << text;
  EXPECT_EQ(j.num_ops(), 1);
  EXPECT_EQ(j.num_ops_total(), 3);  // scan + dot_general + tanh
}

TEST(Trace, ConcreteClosureBecomesBodyConstant) {
  const Array W = st::ones({3, 3});
  const st::Jaxpr j = st::trace(
      [&](const Array& h) {
        return st::fold([&](const Array& c, st::None) { return st::tanh(st::matmul(c, W)); }, h,
                        st::None{}, {.length = 5});
      },
      st::zeros({3}));
  EXPECT_NE(j.to_string().find("num_consts=0"), std::string::npos) << j.to_string();
  EXPECT_NE(j.to_string().find("{ lambda b:f32[3,3]; a:f32[3]. let"), std::string::npos)
      << j.to_string();
}

TEST(Jit, MatchesEagerAndCachesPerSignature) {
  auto f = [](const Array& x, const Array& y) { return st::exp(x) * y + st::sum(x, {-1}, true); };
  auto jf = st::jit(f);
  for (uint32_t seed : {1u, 2u}) {
    const Array x = random_array({4, 5}, st::DType::Float64, seed);
    const Array y = random_array({4, 5}, st::DType::Float64, seed + 10);
    st::testing::expect_all_close(to_doubles(jf(x, y)), to_doubles(f(x, y)), 1e-15);
  }
  EXPECT_EQ(jf.cache_size(), 1u);
  jf(st::zeros({2, 2}), st::zeros({2, 2}));  // a new shape compiles again
  EXPECT_EQ(jf.cache_size(), 2u);
  jf(st::zeros({2, 2}, st::DType::Float64), st::zeros({2, 2}, st::DType::Float64));
  EXPECT_EQ(jf.cache_size(), 3u);
  jf(st::ones({2, 2}), st::ones({2, 2}));  // same signature, cached
  EXPECT_EQ(jf.cache_size(), 3u);
}

TEST(Jit, PytreeArgumentsAndOutputs) {
  auto f = [](const Layer& l, const std::vector<Array>& xs) {
    return std::pair{st::matmul(xs[0], l.w) + l.b, std::vector<Array>{xs[1] * 2.0}};
  };
  const Layer l{random_array({3, 3}, st::DType::Float64, 1),
                random_array({3}, st::DType::Float64, 2)};
  const std::vector<Array> xs{random_array({2, 3}, st::DType::Float64, 3),
                              random_array({4}, st::DType::Float64, 4)};
  auto [a, b] = st::jit(f)(l, xs);
  auto [ea, eb] = f(l, xs);
  st::testing::expect_all_close(to_doubles(a), to_doubles(ea), 1e-15);
  EXPECT_EQ(to_doubles(b[0]), to_doubles(eb[0]));
}

TEST(Jit, ClosureOverConcreteArrayAndNonContiguousInput) {
  const Array W = random_array({3, 3}, st::DType::Float64, 5);
  auto f = st::jit([&](const Array& x) { return st::matmul(x, W); });
  const Array x = st::transpose(random_array({3, 2}, st::DType::Float64, 6));  // a view
  st::testing::expect_all_close(to_doubles(f(x)), to_doubles(st::matmul(x, W)), 1e-14);
}

TEST(Jit, W1ScanEqualsUnrolledLoop) {
  const int64_t L = 6, F = 16;
  const Layer p = w1_params(L, F, st::DType::Float64);
  const Array x = random_array({4, F}, st::DType::Float64, 13);
  Array want = x;
  for (int64_t i = 0; i < L; ++i) want = st::relu(st::matmul(want, p.w[i]) + p.b[i]);
  st::testing::expect_all_close(to_doubles(st::jit(w1_forward)(p, x)), to_doubles(want), 1e-12);
  st::testing::expect_all_close(to_doubles(w1_forward(p, x)), to_doubles(want), 1e-12);
}

// O(1) in depth: one body trace and the same graph size for L = 2, 8 and 64.
TEST(Jit, GraphSizeAndTracesDoNotDependOnDepth) {
  std::vector<int64_t> ops, totals;
  for (int64_t L : {2, 8, 64}) {
    const Layer p = w1_params(L, 32);
    const st::CompileStats s = st::jit(w1_forward).lower(p, st::zeros({8, 32})).compile().stats();
    EXPECT_EQ(s.scan_body_traces, 1) << "L=" << L;
    ops.push_back(s.num_ops);
    totals.push_back(s.num_ops_total);
  }
  EXPECT_EQ(ops[0], ops[1]);
  EXPECT_EQ(ops[1], ops[2]);
  EXPECT_EQ(totals[0], totals[2]);
}

TEST(Jit, ChainOfFiveElementwiseOpsIsOneKernel) {
  auto f = [](const Array& x) { return st::tanh(st::exp(x * 2.0 + 1.0) - x); };
  const Array x = random_array({1000}, st::DType::Float32, 7);
  auto jf = st::jit(f);
  const st::CompileStats s = jf.lower(x).compile().stats();
  EXPECT_GE(s.num_ops, 5);
  EXPECT_EQ(s.num_kernels, 1);
  st::testing::expect_all_close(to_doubles(jf(x)), to_doubles(f(x)), 0);
}

// The static plan of a W1 forward at L=64 holds a few activations, not one per layer.
TEST(Jit, W1PlannedPeakStaysBelowThreeLayers) {
  const int64_t L = 64, B = 64, F = 512;
  const Layer p = w1_params(L, F);
  const st::CompileStats s = st::jit(w1_forward).lower(p, st::zeros({B, F})).compile().stats();
  const int64_t layer_bytes = (B * F + F * F + F) * 4;  // activation + weights of one layer
  EXPECT_GT(s.planned_peak_bytes, 0);
  EXPECT_LT(s.planned_peak_bytes, 3 * layer_bytes) << s.planned_peak_bytes;
}

TEST(Jit, InlinedInsideAnotherTrace) {
  auto inner = st::jit([](const Array& x) { return x * 3.0; });
  auto outer = st::jit([&](const Array& x) { return inner(x) + 1.0; });
  EXPECT_EQ(outer(st::array<float>({1, 2})).to_vector<float>(), (std::vector<float>{4, 7}));
  EXPECT_EQ(inner.cache_size(), 0u);  // traced through, never compiled on its own
}

TEST(Jit, TracedValuesCannotBeRead) {
  auto f = st::jit([](const Array& x) { return st::scalar(x.item<float>()); });
  EXPECT_STRATA_ERROR(f(st::scalar(1.0f)), "[Array::item]", "traced");
}

// A leaked tracer passed to an entry point is reported by that entry point (it used to crash jit).
TEST(Jit, LeakedTracerArgumentsAreErrorsNamingTheApi) {
  Array leaked;
  st::jit([&](const Array& x) {
    leaked = x;
    return x;
  })(st::ones({3}));
  auto twice = [](const Array& x) { return x * 2.0; };
  EXPECT_STRATA_ERROR(st::jit(twice)(leaked), "[jit]", "argument leaf 0", "leaked tracer");
  const auto cached = st::jit(twice);  // a cached signature does not skip the check
  cached(st::ones({3}));
  EXPECT_STRATA_ERROR(cached(leaked), "[jit]", "leaked tracer");
  EXPECT_STRATA_ERROR(st::trace(twice, leaked), "[trace]", "leaked tracer");
  EXPECT_STRATA_ERROR(st::grad([](const Array& x) { return st::sum(x); })(leaked), "[grad]",
                      "leaked tracer");
  EXPECT_STRATA_ERROR(st::vmap(twice)(leaked), "[vmap]", "`arg0`", "leaked tracer");
  // Closed over and used inside: the op the user called is named, not a primitive.
  EXPECT_STRATA_ERROR(st::grad([&](const Array& x) { return st::sum(x * leaked); })(st::ones({3})),
                      "[multiply]", "leaked tracer");
  EXPECT_STRATA_ERROR(st::sum(leaked), "[sum]", "leaked tracer");
}

}  // namespace
