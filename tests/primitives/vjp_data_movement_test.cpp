// vjp rules of the slicing and data-movement primitives (slice, pad, concatenate, gather /
// scatter_add, dynamic_slice, dynamic_update_slice, select, iota, argmax) against central finite
// differences in float64, exact gradients where the answer is known (counts of repeated indices,
// clamped windows), integer and boolean operands that must get no cotangent, second derivatives,
// and the compiled (jit) evaluation of the same backward passes.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "primitives/data_movement.h"
#include "primitives/pad.h"
#include "strata/check_grads.h"
#include "test_util.h"

namespace strata {
namespace {

using prim::bind1;
using prim::make;
using testing::expect_grads;
using testing::random_array;
using testing::to_doubles;

constexpr DType F64 = DType::Float64;

Array rnd(const Shape& shape, uint32_t seed, double lo = -2.0, double hi = 2.0) {
  return random_array(shape, F64, seed, lo, hi);
}

Array i32(int32_t v) {
  return scalar<int32_t>(v);
}

void expect_near(const Array& got, const Array& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> a = to_doubles(got), b = to_doubles(want);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << what << " element " << i;
}

Array dynamic_slice(const Array& x, const Shape& sizes, int32_t s0, int32_t s1) {
  return bind1(make<prim::DynamicSlice>(sizes), {x, i32(s0), i32(s1)});
}
Array dynamic_update_slice(const Array& x, const Array& u, int32_t s0, int32_t s1) {
  return bind1(make<prim::DynamicUpdateSlice>(), {x, u, i32(s0), i32(s1)});
}

// ---------------------------------------------------------------- slice (and pad)
TEST(VjpSlice, StepsOneTwoAndNegative) {
  const Array x = rnd({5, 6}, 1);
  using S = Slice;
  const std::vector<std::pair<const char*, std::vector<Slice>>> cases = {
      {"rows 1:4", {S{1, 4, 1}}},
      {"::2, 1:6:2", {S{{}, {}, 2}, S{1, 6, 2}}},
      {"::-1", {S{{}, {}, -1}}},
      {"4:0:-2, 5:0:-3", {S{4, 0, -2}, S{5, 0, -3}}},
      {"-1:-4:-1, ::4", {S{-1, -4, -1}, S{{}, {}, 4}}},
      {"one element, step -2", {S{2, 1, -2}, S{3, 4, 1}}},
      {"empty", {S{3, 3, 1}}},
  };
  for (const auto& c : cases) {
    const std::vector<Slice>& specs = c.second;
    expect_grads(
        c.first, [&](const Array& v) { return slice(v, specs) * 2.0; }, x);
  }
}

TEST(VjpSlice, CotangentLandsOnTheSlicedPositions) {
  const Array x = rnd({7}, 2);
  const Array w = array<double>({1.0, 10.0, 100.0});
  auto g = [&](Slice s) {
    return to_doubles(grad([&](const Array& v) { return sum(w * slice(v, {s})); })(x));
  };
  EXPECT_EQ(g({1, {}, 2}), (std::vector<double>{0, 1, 0, 10, 0, 100, 0}));
  EXPECT_EQ(g({5, 0, -2}), (std::vector<double>{0, 100, 0, 10, 0, 1, 0}));
  EXPECT_EQ(g({6, {}, -3}), (std::vector<double>{100, 0, 0, 10, 0, 0, 1}));
  EXPECT_EQ(to_doubles(grad([](const Array& v) {
              return sum(slice(v, {Slice{2, 2, 1}}));
            })(x)),
            std::vector<double>(7, 0.0));
}

TEST(VjpSlice, PadPrimitiveAndItsPaddingValue) {
  const Array x = rnd({2, 3}, 3);
  const Array value = rnd({}, 4);
  auto pad = [](std::vector<int64_t> lo, std::vector<int64_t> hi, std::vector<int64_t> in) {
    return [=](const Array& v, const Array& c) {
      return bind1(make<prim::Pad>(lo, hi, in), {v, c});
    };
  };
  expect_grads("low/high", pad({1, 0}, {2, 3}, {0, 0}), x, value);
  expect_grads("interior", pad({0, 2}, {1, 0}, {2, 1}), x, value);
  expect_grads("none", pad({0, 0}, {0, 0}, {0, 0}), x, value);
  expect_grads("empty operand", pad({1, 1}, {0, 1}, {3, 0}), rnd({0, 2}, 5), value);
  // The padding value's cotangent counts the padded positions: here 4 * 7 - 2 * 3 of them.
  const Array gv = grad(
      [](const Array& v, const Array& c) {
        return sum(bind1(make<prim::Pad>(std::vector<int64_t>{1, 2}, std::vector<int64_t>{1, 0},
                                         std::vector<int64_t>{0, 1}),
                         {v, c}));
      },
      argnums<1>)(x, value);
  EXPECT_EQ(gv.item<double>(), 22.0);
}

// ---------------------------------------------------------------- concatenate, stack, split
TEST(VjpConcatenate, ConcatenateStackSplit) {
  const Array a = rnd({2, 3}, 11), b = rnd({2, 1}, 12), c = rnd({2, 4}, 13);
  expect_grads(
      "concatenate axis 1",
      [](const Array& p, const Array& q, const Array& r) {
        return concatenate({p, q, r}, 1) * arange(0.0, 8.0, 1.0, F64);
      },
      a, b, c);
  expect_grads(
      "concatenate with an empty operand",
      [](const Array& p, const Array& e, const Array& q) {
        return concatenate({p, e, q}, 0);
      },
      rnd({2, 3}, 14), rnd({0, 3}, 15), rnd({1, 3}, 16));
  expect_grads(
      "same array twice",
      [](const Array& p) {
        return concatenate({p, p * 3.0}, 0);
      },
      a);
  expect_grads(
      "stack axis 1",
      [](const Array& p, const Array& q) {
        return stack({p, q}, 1);
      },
      a, rnd({2, 3}, 17));
  expect_grads(
      "split in sections", [](const Array& p) { return split(p, 3, 1); }, rnd({2, 6}, 18));
  expect_grads(
      "split at indices",
      [](const Array& p) {
        return split(p, std::vector<int64_t>{1, 4}, 0);
      },
      rnd({5, 2}, 19));
  // Pieces that are not used get zero cotangent; the used piece gets its own.
  const Array g = grad([](const Array& p) { return sum(split(p, 3, 0)[1]); })(rnd({6}, 20));
  EXPECT_EQ(to_doubles(g), (std::vector<double>{0, 0, 1, 1, 0, 0}));
}

// ---------------------------------------------------------------- take / gather / scatter_add
TEST(VjpGather, TakeWithRepeatedIndicesAccumulates) {
  const Array x = rnd({5, 3}, 21);
  const Array idx = array<int32_t>({0, 2, 2, -1, 4, 0});
  expect_grads(
      "take", [](const Array& v, const Array& i) { return take(v, i); }, x, idx);
  expect_grads(
      "take 2-D indices", [](const Array& v, const Array& i) { return take(v, i); }, x,
      array<int64_t>({3, 3, 1, 0, 3, -2}, {2, 3}));
  expect_grads(
      "take of 1-D", [](const Array& v, const Array& i) { return sin(take(v, i)); }, rnd({4}, 22),
      array<int32_t>({1, 1, 1, 3}));
  // Row r's gradient is the number of times r was taken (index -1 is row 4).
  const Array g = grad([&](const Array& v) { return sum(take(v, idx)); })(x);
  EXPECT_EQ(to_doubles(g), (std::vector<double>{2, 2, 2, 0, 0, 0, 2, 2, 2, 0, 0, 0, 2, 2, 2}));
}

TEST(VjpGather, ScatterAddPrimitive) {
  const Array operand = rnd({4, 2}, 23);
  const Array idx = array<int32_t>({3, 0, 3, -4, 1});
  const Array updates = rnd({5, 2}, 24);
  expect_grads(
      "scatter_add",
      [](const Array& o, const Array& i, const Array& u) {
        return bind1(make<prim::ScatterAdd>(), {o, i, u});
      },
      operand, idx, updates);
}

TEST(VjpGather, TakeModesUnderJitAndTheirGradients) {
  const Array x = rnd({5, 2}, 25);
  const Array idx = array<int32_t>({7, -1, -9});
  // Raise (the default): the compiled graph checks the indices and raises, as eager take does.
  auto raise = [](const Array& v, const Array& i) { return sum(take(v, i)); };
  EXPECT_STRATA_ERROR(jit(grad(raise))(x, idx), "[take]", "index 7", "element 0");
  EXPECT_STRATA_ERROR(grad(raise)(x, idx), "[take]", "index 7");
  // Clip (jnp mode="clip"): 7 -> 4, -1 -> 0, -9 -> 0; the gradient goes to the rows read.
  auto clip = [](const Array& v, const Array& i) { return sum(take(v, i, IndexMode::Clip)); };
  EXPECT_EQ(to_doubles(jit(grad(clip))(x, idx)),
            (std::vector<double>{2, 2, 0, 0, 0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(to_doubles(grad(clip)(x, idx)), to_doubles(jit(grad(clip))(x, idx)));
  // Fill (jnp's default): out-of-range rows are NaN and get no gradient; -1 reads row 4.
  auto fill = [](const Array& v, const Array& i) { return take(v, i, IndexMode::Fill); };
  const std::vector<double> got = to_doubles(jit(fill)(x, idx));
  EXPECT_TRUE(std::isnan(got[0]) && std::isnan(got[1]) && std::isnan(got[4]) && std::isnan(got[5]));
  EXPECT_EQ(got[2], to_doubles(x)[8]);
  EXPECT_EQ(to_doubles(jit(grad([&](const Array& v) {
              return sum(fill(v, array<int32_t>({-1, 9})));
            }))(x)),
            (std::vector<double>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}));
}

// A failing index check is an effect: dead-code elimination keeps it, and a scan holding one,
// though nothing reads the result (jit(grad) drops the forward value of the loss).  Found by the
// differential tester (tests/fuzz).
TEST(VjpGather, UnusedTakeInsideAScanStillRaisesUnderJitGrad) {
  const Array bad = array<int32_t>({5});
  auto f = [&](const Array& v) {
    auto body = [&](const Array& h, const Array&) { return std::pair{h, take(h, bad)}; };
    auto [c, ys] = scan(body, ones({2}), ones({2, 1}));
    return sum(ys) + sum(v);
  };
  EXPECT_STRATA_ERROR(grad(f)(ones({2})), "[take]", "index 5");
  EXPECT_STRATA_ERROR(jit(grad(f))(ones({2})), "[take]", "index 5");
  EXPECT_STRATA_ERROR(jit([&](const Array& v) {
                        (void)take(v, bad);
                        return v * 2.0;
                      })(ones({2})),
                      "[take]", "index 5");
}

// ---------------------------------------------------------------- dynamic slices
TEST(VjpDynamicSlice, InRangeAndClampedStarts) {
  const Array x = rnd({5, 6}, 31);
  for (const auto& starts : std::vector<std::pair<int32_t, int32_t>>{{1, 2}, {-1, 10}, {-7, -1}}) {
    const int32_t s0 = starts.first, s1 = starts.second;
    const std::string what = "starts " + std::to_string(s0) + ", " + std::to_string(s1);
    expect_grads(
        "dynamic_slice " + what,
        [&](const Array& v) {
          return dynamic_slice(v, {2, 3}, s0, s1);
        },
        x);
    expect_grads(
        "dynamic_update_slice " + what,
        [&](const Array& v, const Array& u) { return dynamic_update_slice(v, u, s0, s1); }, x,
        rnd({2, 3}, 32));
  }
  // Starts (-1, 10): -1 wraps to 4, then both clamp to 3, the last window that fits.
  std::vector<double> window(30, 0.0);
  for (int r = 3; r < 5; ++r) {
    for (int c = 3; c < 6; ++c) window[static_cast<size_t>(r * 6 + c)] = 1.0;
  }
  EXPECT_EQ(to_doubles(grad([](const Array& v) {
              return sum(dynamic_slice(v, {2, 3}, -1, 10));
            })(x)),
            window);
  auto [gx, gu] =
      grad([](const Array& v, const Array& u) { return sum(dynamic_update_slice(v, u, -1, 10)); },
           argnums<0, 1>)(x, rnd({2, 3}, 33));
  std::vector<double> outside(30);
  for (size_t i = 0; i < 30; ++i) outside[i] = 1.0 - window[i];
  EXPECT_EQ(to_doubles(gx), outside);
  EXPECT_EQ(to_doubles(gu), std::vector<double>(6, 1.0));
}

TEST(VjpDynamicSlice, StartIndicesAsArgumentsGetNoCotangent) {
  const Array x = rnd({4, 3}, 34);
  auto f = [](const Array& v, const Array& s0, const Array& s1) {
    return bind1(make<prim::DynamicSlice>(Shape{2, 2}), {v, s0, s1});
  };
  expect_grads("dynamic_slice with index leaves", f, x, i32(1), i32(-1));
  auto [y, pullback] = vjp(f, x, i32(1), i32(-1));
  auto [cx, c0, c1] = pullback(ones_like(y));
  EXPECT_EQ(cx.shape(), x.shape());
  EXPECT_FALSE(c0.valid());
  EXPECT_FALSE(c1.valid());
}

// ---------------------------------------------------------------- select / where
TEST(VjpSelect, WhereRoutesTheCotangentToTheChosenBranch) {
  const Array x = rnd({3, 4}, 41), y = rnd({3, 4}, 42);
  expect_grads(
      "where(x > y)", [](const Array& p, const Array& q) { return where(p > q, p * q, q - p); }, x,
      y);
  expect_grads(
      "where broadcast",
      [](const Array& p, const Array& q, const Array& s) {
        return where(q > 0.0, p, s);  // cond [3,1], p [3,4], s 0-d
      },
      x, rnd({3, 1}, 43), rnd({}, 44));
  // A bool condition computed from the input itself.
  expect_grads(
      "where(x > 0, x^2, -x)", [](const Array& p) { return where(p > 0.0, p * p, -p); }, x);
  const Array v = array<double>({-2.0, 3.0});
  EXPECT_EQ(to_doubles(grad([](const Array& p) { return sum(where(p > 0.0, p * p, -p)); })(v)),
            (std::vector<double>{-1.0, 6.0}));
  // The branch cotangents of one select.
  auto [gp, gq] = grad(
      [](const Array& p, const Array& q) {
        return sum(where(array<bool>({true, false, true}), p, q));
      },
      argnums<0, 1>)(rnd({3}, 45), rnd({3}, 46));
  EXPECT_EQ(to_doubles(gp), (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(to_doubles(gq), (std::vector<double>{0, 1, 0}));
}

// ---------------------------------------------------------------- integer results and operands
TEST(VjpIntegers, ArgmaxIotaAndComparisonsCarryNoCotangent) {
  const Array x = array<double>({0.5, 3.0, -1.0, 2.0});
  // take(x, argmax(x)) picks the max: its gradient is one-hot, through gather only.
  const Array g = grad([](const Array& v) { return sum(take(v, argmax(v, 0))); })(x);
  EXPECT_EQ(to_doubles(g), (std::vector<double>{0, 1, 0, 0}));
  expect_grads(
      "argmin as index", [](const Array& v) { return take(v, argmin(v, 1)) * 2.0; },
      rnd({4, 4}, 51));
  // iota: a constant with no operands.
  expect_grads(
      "times iota",
      [](const Array& v) {
        return v * iota(F64, {3, 4}, 1) + astype(v > 0.0, F64);
      },
      rnd({3, 4}, 52));
  // An integer leaf of vjp gets an empty cotangent, its float sibling a real one.
  auto [y, pullback] = vjp([](const Array& v, const Array& i) { return take(v, i); }, rnd({3}, 53),
                           array<int32_t>({2, 2}));
  auto [cv, ci] = pullback(array<double>({1.0, 4.0}));
  EXPECT_EQ(to_doubles(cv), (std::vector<double>{0, 0, 5}));
  EXPECT_FALSE(ci.valid());
}

// ---------------------------------------------------------------- second order
TEST(VjpSecondOrder, DataMovementRulesAreDifferentiableAgain) {
  auto sliced = [](const Array& v) {
    return sum(sin(slice(v, {Slice{4, 0, -2}, Slice{1, {}, 2}})) *
               slice(v, {Slice{0, 2}, Slice{0, 3}}));
  };
  expect_grads("slice (pad in the backward)", grad(sliced), rnd({5, 6}, 61));
  auto padded = [](const Array& v, const Array& c) {
    const Array p = bind1(make<prim::Pad>(std::vector<int64_t>{1, 0}, std::vector<int64_t>{0, 2},
                                          std::vector<int64_t>{1, 2}),
                          {v, c});
    return sum(sin(p) * p);
  };
  expect_grads("pad", grad(padded, argnums<0, 1>), rnd({2, 3}, 62), rnd({}, 63));
  const Array idx = array<int32_t>({1, 1, 0, 3});
  auto taken = [&](const Array& v) { return sum(cos(take(v, idx)) * take(v, idx)); };
  expect_grads("take (scatter_add in the backward)", grad(taken), rnd({4, 2}, 64));
  auto scattered = [&](const Array& o, const Array& u) {
    const Array s = bind1(make<prim::ScatterAdd>(), {o, idx, u});
    return sum(s * s * s);
  };
  expect_grads("scatter_add", grad(scattered, argnums<0, 1>), rnd({4, 2}, 65), rnd({4, 2}, 66));
  auto dynamic = [](const Array& v, const Array& u) {
    const Array d = dynamic_update_slice(v, u * u, 3, -1);
    return sum(exp(dynamic_slice(d, {3, 3}, 1, 2)) * d[0]);
  };
  expect_grads("dynamic slices", grad(dynamic, argnums<0, 1>), rnd({4, 3}, 67), rnd({2, 2}, 68));
  auto joined = [](const Array& p, const Array& q) {
    return sum(square(concatenate({p, q * p}, 1)) * stack({p, q}, 0)[1][0][0]);
  };
  expect_grads("concatenate / stack", grad(joined, argnums<0, 1>), rnd({2, 2}, 69),
               rnd({2, 2}, 70));
}

// ---------------------------------------------------------------- compiled backward passes
TEST(VjpCompiled, JitOfGradMatchesEagerGrad) {
  const Array x = rnd({5, 4}, 81);
  const Array u = rnd({2, 2}, 82);
  const Array idx = array<int32_t>({4, 0, 4, 2});
  auto loss = [](const Array& v, const Array& w, const Array& i) {
    const Array a = slice(v, {Slice{{}, {}, -2}, Slice{1, {}, 2}});       // pad
    const Array b = take(v, i);                                           // scatter_add
    const Array c = dynamic_update_slice(v, w, 2, 1);                     // dus, dynamic_slice
    const Array d = concatenate({v, dynamic_slice(c, {5, 2}, 0, 2)}, 1);  // concatenate
    return sum(sin(a)) + sum(b * b) + sum(tanh(c)) + sum(d * d);
  };
  auto eager = grad(loss, argnums<0, 1>)(x, u, idx);
  auto compiled = jit(grad(loss, argnums<0, 1>))(x, u, idx);
  expect_near(std::get<0>(compiled), std::get<0>(eager), 1e-12, "d/dx");
  expect_near(std::get<1>(compiled), std::get<1>(eager), 1e-12, "d/du");
  expect_grads(
      "the loss", [&](const Array& v, const Array& w) { return loss(v, w, idx); }, x, u);
}

}  // namespace
}  // namespace strata
