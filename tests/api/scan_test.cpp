// scan / fold against unrolled C++ loops, the seed examples, and every argument error.
#include <gtest/gtest.h>

#include <map>

#include "test_util.h"

namespace st = strata;
using st::Array;
using st::testing::random_array;
using st::testing::to_doubles;

namespace {

// Seed 002's worked example: identity then swap applied to [3, 4].
TEST(Scan, Seed002WorkedExampleGivesFourThree) {
  const Array weights = st::array<float>({1, 0, 0, 1, 0, 1, 1, 0}, {2, 2, 2});
  const Array x = st::array<float>({3, 4});
  const Array y =
      st::fold([](const Array& c, const Array& w) { return st::matmul(w, c); }, x, weights);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{4, 3}));
  // The same through scan with a None y.
  auto [final, none] = st::scan(
      [](const Array& c, const Array& w) {
        return std::pair{st::matmul(w, c), st::None{}};
      },
      x, weights);
  EXPECT_EQ(final.to_vector<float>(), (std::vector<float>{4, 3}));
}

// Seed 004: h = tanh(x W), then T steps of h = tanh(h W), W closed over, no xs.
TEST(Scan, Seed004ClosedOverWeightEqualsLoop) {
  for (int64_t T : {0, 1, 5}) {
    const Array W = random_array({6, 6}, st::DType::Float64, 1, -0.5, 0.5);
    const Array x = random_array({6}, st::DType::Float64, 2);
    const Array h0 = st::tanh(st::matmul(x, W));
    auto [h, none] = st::scan(
        [&](const Array& c, st::None) {
          return std::pair{st::tanh(st::matmul(c, W)), st::None{}};
        },
        h0, st::None{}, {.length = T});
    Array want = h0;
    for (int64_t t = 0; t < T; ++t) want = st::tanh(st::matmul(want, W));
    st::testing::expect_all_close(to_doubles(h), to_doubles(want), 1e-14, 0,
                                  "T=" + std::to_string(T));
  }
}

struct Carry {
  Array h;
  Array count;
};
STRATA_TREE(Carry, h, count)

// A body with a pytree carry, two ys (one a pytree), a closed-over constant and mixed ops.
std::pair<Carry, std::map<std::string, Array>> body(const Array& bias, const Carry& c,
                                                    const std::vector<Array>& x) {
  const Array h = st::tanh(st::matmul(c.h, x[0]) + bias) * 0.5 + c.h * x[1];
  return {Carry{h, c.count + 1.0}, {{"h", h}, {"s", st::sum(h, {-1})}}};
}

void check_scan_matches_loop(st::DType dtype, bool reverse, int64_t unroll, double rtol) {
  const int64_t L = 7;
  const Array bias = random_array({5}, dtype, 3);
  const Array W = random_array({L, 5, 5}, dtype, 4, -0.6, 0.6);
  const Array g = random_array({L, 5}, dtype, 5);
  const Carry init{random_array({3, 5}, dtype, 6), st::zeros({}, dtype)};
  auto [final, ys] =
      st::scan([&](const Carry& c, const std::vector<Array>& x) { return body(bias, c, x); }, init,
               std::vector<Array>{W, g}, {.reverse = reverse, .unroll = unroll});
  Carry c = init;
  std::vector<Array> hs(L), ss(L);
  for (int64_t step = 0; step < L; ++step) {
    const int64_t i = reverse ? L - 1 - step : step;
    auto [next, y] = body(bias, c, {W[i], g[i]});
    c = next;
    hs[static_cast<size_t>(i)] = y["h"];
    ss[static_cast<size_t>(i)] = y["s"];
  }
  const std::string what =
      "reverse=" + std::to_string(reverse) + " unroll=" + std::to_string(unroll);
  st::testing::expect_all_close(to_doubles(final.h), to_doubles(c.h), rtol, 0, what);
  EXPECT_EQ(to_doubles(final.count), std::vector<double>{double(L)}) << what;
  st::testing::expect_all_close(to_doubles(ys["h"]), to_doubles(st::stack(hs)), rtol, 0, what);
  st::testing::expect_all_close(to_doubles(ys["s"]), to_doubles(st::stack(ss)), rtol, 0, what);
  EXPECT_EQ(ys["h"].shape(), (st::Shape{L, 3, 5}));
}

TEST(Scan, MatchesUnrolledLoopFloat64) {
  for (bool reverse : {false, true}) {
    for (int64_t unroll : {1, 2, 3, 7, 100}) {
      check_scan_matches_loop(st::DType::Float64, reverse, unroll, 1e-12);
    }
  }
}

TEST(Scan, MatchesUnrolledLoopFloat32) {
  for (bool reverse : {false, true}) {
    for (int64_t unroll : {1, 3})
      check_scan_matches_loop(st::DType::Float32, reverse, unroll, 1e-5);
  }
}

TEST(Scan, CarryPassedThroughAndYEqualToCarry) {
  // The body returns an input unchanged as carry and the same value twice (carry and y).
  const Array xs = st::arange(0.0, 4.0, 1.0, st::DType::Float32);
  auto [final, ys] = st::scan(
      [](const std::pair<Array, Array>& c, const Array& x) {
        const Array s = c.first + x;
        return std::pair{std::pair{s, c.second}, std::pair{s, s}};
      },
      std::pair{st::zeros({}), st::full({2}, 7.0)}, xs);
  EXPECT_EQ(final.first.item<float>(), 6.0f);
  EXPECT_EQ(final.second.to_vector<float>(), (std::vector<float>{7, 7}));
  EXPECT_EQ(ys.first.to_vector<float>(), (std::vector<float>{0, 1, 3, 6}));
  EXPECT_EQ(ys.second.to_vector<float>(), (std::vector<float>{0, 1, 3, 6}));
}

TEST(Scan, NestedScanClosesOverOuterValues) {
  // An inner scan inside the outer body closes over the outer carry and a concrete array.
  const Array k = st::scalar(2.0);
  const Array xs = st::array<double>({1, 2, 3});
  auto [final, ys] = st::scan(
      [&](const Array& c, const Array& x) {
        const Array inner = st::fold([&](const Array& a, st::None) { return a * k + c; }, x,
                                     st::None{}, {.length = 2});
        return std::pair{c + inner, inner};
      },
      st::zeros({}, st::DType::Float64), xs);
  // Loop reference.
  double c = 0;
  std::vector<double> want_ys;
  for (double x : {1.0, 2.0, 3.0}) {
    double a = x;
    for (int j = 0; j < 2; ++j) a = a * 2.0 + c;
    want_ys.push_back(a);
    c += a;
  }
  EXPECT_EQ(to_doubles(final), std::vector<double>{c});
  EXPECT_EQ(to_doubles(ys), want_ys);
}

TEST(Scan, ZeroLengthReturnsInitAndEmptyYs) {
  const Array init = st::array<float>({1, 2});
  auto [final, ys] = st::scan(
      [](const Array& c, const Array& x) {
        return std::pair{c + x, c * 2.0};
      },
      init, st::zeros({0, 2}));
  EXPECT_EQ(final.to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(ys.shape(), (st::Shape{0, 2}));
}

TEST(Scan, BodyIsTracedOnceWhateverTheLength) {
  int traces = 0;
  const Array xs = st::ones({50, 3});
  st::fold(
      [&](const Array& c, const Array& x) {
        ++traces;
        EXPECT_TRUE(c.is_traced());
        return c + x;
      },
      st::zeros({3}), xs);
  EXPECT_EQ(traces, 1);
}

int stateless_body_traces = 0;

// A body without captures is traced once per signature for the whole program (eager code too);
// each call still computes with its own arguments.
TEST(Scan, StatelessBodyIsTracedOncePerSignature) {
  const auto body = [](const Array& c, const Array& w) {
    ++stateless_body_traces;
    return st::tanh(st::matmul(c, w));
  };
  const int before = stateless_body_traces;
  for (int seed = 0; seed < 3; ++seed) {
    const Array ws = random_array({4, 5, 5}, st::DType::Float64, 10 + seed, -0.5, 0.5);
    const Array x = random_array({5}, st::DType::Float64, 20 + seed);
    Array expected = x;
    for (int64_t i = 0; i < 4; ++i) expected = st::tanh(st::matmul(expected, ws[i]));
    EXPECT_EQ(to_doubles(st::fold(body, x, ws)), to_doubles(expected)) << "seed " << seed;
  }
  EXPECT_EQ(stateless_body_traces - before, 1);
  // A new signature (length 6) is a new trace.
  st::fold(body, st::ones({5}, st::DType::Float64), st::ones({6, 5, 5}, st::DType::Float64));
  EXPECT_EQ(stateless_body_traces - before, 2);
}

// A capturing body is traced per call, so a changed capture is never served from a stale trace.
TEST(Scan, CapturingBodySeesItsCurrentCaptures) {
  const Array x = random_array({5}, st::DType::Float64, 3);
  for (int seed = 0; seed < 2; ++seed) {
    const Array W = random_array({5, 5}, st::DType::Float64, 30 + seed, -0.5, 0.5);
    const Array h = st::fold([&](const Array& c, st::None) { return st::tanh(st::matmul(c, W)); },
                             x, st::None{}, {.length = 3});
    Array expected = x;
    for (int i = 0; i < 3; ++i) expected = st::tanh(st::matmul(expected, W));
    EXPECT_EQ(to_doubles(h), to_doubles(expected)) << "seed " << seed;
  }
}

// ---------------------------------------------------------------- errors
TEST(ScanErrors, CarryTypeChangeNamesLeafAndTypes) {
  const Carry init{st::zeros({3}), st::zeros({})};
  EXPECT_STRATA_ERROR(
      st::scan(
          [](const Carry& c, st::None) {
            return std::pair{Carry{st::concatenate({c.h, c.h}), c.count}, st::None{}};
          },
          init, st::None{}, {.length = 2}),
      "[scan]", "carry leaf `h`", "f32[3]", "f32[6]");
  EXPECT_STRATA_ERROR(
      st::scan(
          [](const Carry& c, st::None) {
            return std::pair{Carry{c.h, c.count.astype(st::DType::Float64)}, st::None{}};
          },
          init, st::None{}, {.length = 2}),
      "[scan]", "`count`", "f32[]", "f64[]");
}

TEST(ScanErrors, CarryStructureChange) {
  EXPECT_STRATA_ERROR(st::scan(
                          [](const std::vector<Array>& c, st::None) {
                            return std::pair{std::vector<Array>{c[0], c[0]}, st::None{}};
                          },
                          std::vector<Array>{st::zeros({2})}, st::None{}, {.length = 2}),
                      "[scan]", "same structure");
}

TEST(ScanErrors, LengthErrors) {
  auto f = [](const Array& c, const std::vector<Array>& x) { return std::pair{c, x[0]}; };
  EXPECT_STRATA_ERROR(
      st::scan(f, st::zeros({2}), std::vector<Array>{st::zeros({3}), st::zeros({4})}), "[scan]",
      "`[1]`", "leading size 4", "length 3");
  EXPECT_STRATA_ERROR(
      st::scan(f, st::zeros({2}), std::vector<Array>{st::zeros({3})}, {.length = 5}), "[scan]",
      "`[0]`", "leading size 3", "options.length");
  EXPECT_STRATA_ERROR(st::scan(f, st::zeros({2}), std::vector<Array>{st::zeros({})}), "[scan]",
                      "scalar");
  EXPECT_STRATA_ERROR(st::scan(
                          [](const Array& c, st::None) {
                            return std::pair{c, st::None{}};
                          },
                          st::zeros({2}), st::None{}),
                      "[scan]", "options.length");
  EXPECT_STRATA_ERROR(st::scan(
                          [](const Array& c, st::None) {
                            return std::pair{c, st::None{}};
                          },
                          st::zeros({2}), st::None{}, {.length = 3, .unroll = 0}),
                      "[scan]", "unroll", ">= 1");
}

TEST(ScanErrors, LeakedTracerIsAnError) {
  Array leaked;
  st::fold(
      [&](const Array& c, st::None) {
        leaked = c;
        return c;
      },
      st::zeros({2}), st::None{}, {.length = 1});
  EXPECT_STRATA_ERROR(leaked + 1.0, "leaked tracer");
  EXPECT_STRATA_ERROR(leaked.item<float>(), "[Array::item]", "traced");
}

}  // namespace
