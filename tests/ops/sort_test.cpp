// argsort: stable ascending order along any axis against std::stable_sort, IEEE total order for
// floats, strided operands, and the same results under jit, vmap and inside grad.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "test_util.h"

namespace st = strata;
using st::Array;
using st::DType;
using st::Shape;
using namespace strata::testing;

namespace {

// The stable order of every line of `a` along `axis`, element by element.
std::vector<int32_t> reference_argsort(const Array& a, int axis) {
  const std::vector<double> v = to_doubles(a);
  const Shape& shape = a.shape();
  std::vector<int32_t> out(v.size());
  const int64_t n = shape[static_cast<size_t>(axis)];
  for (int64_t flat = 0; flat < a.size(); ++flat) {
    std::vector<int64_t> idx = unravel(flat, shape);
    if (idx[static_cast<size_t>(axis)] != 0) continue;  // one visit per line
    std::vector<int32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    auto at = [&](int32_t j) {
      std::vector<int64_t> k = idx;
      k[static_cast<size_t>(axis)] = j;
      return ravel(k, shape);
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t x, int32_t y) { return v[at(x)] < v[at(y)]; });
    for (int64_t j = 0; j < n; ++j) out[at(static_cast<int32_t>(j))] = order[j];
  }
  return out;
}

// Values with many ties, so stability is exercised.
Array tied_values(const Shape& shape, DType dtype, uint32_t seed) {
  return st::astype(st::floor(random_array(shape, DType::Float32, seed, -4, 4)), dtype);
}

TEST(Argsort, StableAscendingAlongEveryAxisAndDtype) {
  for (DType dt : {DType::Float32, DType::Float64, DType::Int32, DType::UInt32, DType::Int8,
                   DType::BFloat16, DType::Int64}) {
    const Array x = dt == DType::UInt32
                        ? st::astype(st::abs(tied_values({5, 7, 3}, DType::Int32, 3)), dt)
                        : tied_values({5, 7, 3}, dt, 3);
    for (int axis : {0, 1, 2, -1}) {
      SCOPED_TRACE(std::string(st::name(dt)) + " axis " + std::to_string(axis));
      const Array got = st::argsort(x, axis);
      EXPECT_EQ(got.dtype(), DType::Int32);
      EXPECT_EQ(got.shape(), x.shape());
      EXPECT_EQ(got.to_vector<int32_t>(), reference_argsort(x, axis < 0 ? axis + 3 : axis));
    }
  }
}

TEST(Argsort, FloatsInTotalOrderNaNsLast) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const Array x = st::array<float>({nan, 1.0f, -0.0f, -inf, 0.0f, -nan, inf, -2.5f, -0.0f}, {9});
  // -NaN, -inf, -2.5, -0 (twice, in order), +0, 1, inf, NaN.
  EXPECT_EQ(st::argsort(x).to_vector<int32_t>(), (std::vector<int32_t>{5, 3, 7, 2, 8, 4, 1, 6, 0}));
  const Array b = st::array<bool>({true, false, true, false}, {4});
  EXPECT_EQ(st::argsort(b).to_vector<int32_t>(), (std::vector<int32_t>{1, 3, 0, 2}));
  const Array big = st::array<int64_t>({int64_t{1} << 40, -(int64_t{1} << 40), 0}, {3});
  EXPECT_EQ(st::argsort(big).to_vector<int32_t>(), (std::vector<int32_t>{1, 2, 0}));
}

TEST(Argsort, StridedOperandsEagerAndJitted) {
  const Array x = tied_values({6, 9}, DType::Float32, 11);
  const Array views[] = {st::transpose(x), st::slice(x, {{std::nullopt, std::nullopt, -1}}),
                         st::slice(x, {{1, 5}, {0, 9, 2}})};
  for (const Array& v : views) {
    const std::vector<int32_t> want = reference_argsort(v, 1);
    EXPECT_EQ(st::argsort(v, 1).to_vector<int32_t>(), want);
  }
  auto f = st::jit([](const Array& a) {
    return std::tuple{st::argsort(st::transpose(a), 1), st::argsort(a * 2.0, 0)};
  });
  const auto [t, d] = f(x);
  EXPECT_EQ(t.to_vector<int32_t>(), reference_argsort(st::transpose(x), 1));
  EXPECT_EQ(d.to_vector<int32_t>(), reference_argsort(x, 0));
  // A second call reuses the prepared kernel's scratch with other values.
  const Array y = tied_values({6, 9}, DType::Float32, 12);
  EXPECT_EQ(std::get<1>(f(y)).to_vector<int32_t>(), reference_argsort(y, 0));
}

TEST(Argsort, VmapMatchesALoopOverExamples) {
  const Array xs = tied_values({4, 3, 8}, DType::Float32, 5);
  for (int in_axis : {0, 1, 2}) {
    const Array batched = st::vmap([](const Array& a) { return st::argsort(a, -1); }, in_axis)(xs);
    for (int64_t b = 0; b < xs.shape()[static_cast<size_t>(in_axis)]; ++b) {
      std::vector<st::Slice> pick(3);
      pick[static_cast<size_t>(in_axis)] = {b, b + 1};
      const Array example = st::squeeze(st::slice(xs, pick), {in_axis});
      EXPECT_EQ(batched[b].to_vector<int32_t>(), st::argsort(example, -1).to_vector<int32_t>())
          << "in_axis " << in_axis << " example " << b;
    }
  }
}

// Sorting by argsort then take is differentiable in the values: the gradient goes back to each
// element's original position.
TEST(Argsort, GradientFlowsThroughTheTakeItOrders) {
  const Array x = st::array<double>({0.3, -1.2, 2.5, 0.0, 1.1}, {5});
  const Array w = st::array<double>({1, 2, 3, 4, 5}, {5});
  auto loss = [&](const Array& a) { return st::sum(st::take(a, st::argsort(a)) * w); };
  const Array sorted = st::take(x, st::argsort(x));
  EXPECT_EQ(sorted.to_vector<double>(), (std::vector<double>{-1.2, 0.0, 0.3, 1.1, 2.5}));
  // x[1] is smallest (weight 1), x[3] next (2), x[0] (3), x[4] (4), x[2] (5).
  EXPECT_EQ(st::grad(loss)(x).to_vector<double>(), (std::vector<double>{3, 1, 5, 2, 4}));
}

TEST(Argsort, Errors) {
  EXPECT_STRATA_ERROR(st::argsort(st::ones({})), "[argsort]", "0-d", "reshape");
  EXPECT_STRATA_ERROR(st::argsort(st::ones({2, 3}), 2), "[argsort]", "axis 2");
  EXPECT_STRATA_ERROR(st::argsort(Array()), "[argsort]", "empty Array");
}

}  // namespace
