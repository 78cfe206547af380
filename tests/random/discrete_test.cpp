// gumbel, bernoulli, categorical and permutation: each against the construction JAX uses
// (written out here from uniform, bits and std::stable_sort), their distributions over many
// draws, jit against eager, gradients through permutation, and errors.  Live JAX's own values
// are checked in tests/parity/random_parity_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

#include "test_util.h"

namespace st = strata;
namespace rnd = strata::random;
using st::Array;
using st::DType;
using st::Shape;
using namespace strata::testing;

namespace {

TEST(RandomGumbel, IsMinusLogMinusLogOfUniformFromTiny) {
  const Array k = rnd::key(3);
  const std::vector<double> u =
      to_doubles(rnd::uniform(k, {1000}, DType::Float64, std::numeric_limits<double>::min(), 1));
  const std::vector<double> g = to_doubles(rnd::gumbel(k, {1000}, DType::Float64));
  for (size_t i = 0; i < u.size(); ++i) EXPECT_DOUBLE_EQ(g[i], -std::log(-std::log(u[i])));
  // Mean of the standard Gumbel: the Euler-Mascheroni constant; variance pi^2 / 6.
  const std::vector<double> big = to_doubles(rnd::gumbel(rnd::key(4), {200000}));
  const double mean = std::accumulate(big.begin(), big.end(), 0.0) / 200000.0;
  double var = 0;
  for (double v : big) var += (v - mean) * (v - mean) / 200000.0;
  EXPECT_NEAR(mean, 0.5772156649, 0.01);
  EXPECT_NEAR(var, std::numbers::pi * std::numbers::pi / 6, 0.03);
}

TEST(RandomBernoulli, IsUniformBelowPInPsDtype) {
  const Array k = rnd::key(5);
  const std::vector<float> u = rnd::uniform(k, {64}).to_vector<float>();
  const std::vector<double> b = to_doubles(rnd::bernoulli(k, 0.3, {64}));
  for (size_t i = 0; i < u.size(); ++i) EXPECT_EQ(b[i], u[i] < 0.3f ? 1.0 : 0.0) << i;
  // An array p broadcasts; the default shape is p's.
  const Array p = st::array<double>({0.0, 0.25, 1.0}, {3});
  const Array draws = rnd::bernoulli(rnd::key(6), p, Shape{20000, 3});
  EXPECT_EQ(draws.dtype(), DType::Bool);
  const std::vector<double> freq = to_doubles(st::mean(st::astype(draws, DType::Float64), {0}));
  EXPECT_EQ(freq[0], 0.0);
  EXPECT_NEAR(freq[1], 0.25, 0.01);
  EXPECT_EQ(freq[2], 1.0);
  EXPECT_EQ(rnd::bernoulli(k, p).shape(), Shape({3}));
  EXPECT_EQ(rnd::bernoulli(k).shape(), Shape({}));
}

TEST(RandomCategorical, IsArgmaxOfGumbelPlusLogitsWithSoftmaxFrequencies) {
  const Array logits = st::array<float>({0.0f, 1.0f, -1.0f, 2.0f}, {4});
  const Array k = rnd::key(8);
  const Array g = rnd::gumbel(k, {500, 4});
  EXPECT_EQ(rnd::categorical(k, logits, -1, Shape{500}).to_vector<int32_t>(),
            st::argmax(g + logits, 1).to_vector<int32_t>());
  const std::vector<int32_t> draws =
      rnd::categorical(rnd::key(9), logits, -1, Shape{100000}).to_vector<int32_t>();
  const std::vector<double> p = to_doubles(st::softmax(st::astype(logits, DType::Float64)));
  for (int c = 0; c < 4; ++c) {
    const double f = static_cast<double>(std::count(draws.begin(), draws.end(), c)) / 1e5;
    EXPECT_NEAR(f, p[static_cast<size_t>(c)], 0.006) << "category " << c;
  }
  // The category axis may be anywhere; the batch shape is the rest; a leading shape adds draws.
  const Array batch = st::reshape(st::arange(0.0, 12.0), {3, 4}) * 0.1;
  EXPECT_EQ(rnd::categorical(k, batch, 0).shape(), Shape({4}));
  EXPECT_EQ(rnd::categorical(k, batch).shape(), Shape({3}));
  EXPECT_EQ(rnd::categorical(k, batch, -1, Shape{5, 3}).shape(), Shape({5, 3}));
  const std::vector<int32_t> along0 = rnd::categorical(k, batch, 0).to_vector<int32_t>();
  for (int32_t i : along0) EXPECT_TRUE(i >= 0 && i < 3);
}

// jax.random._shuffle written out: rounds of stable sorts by fresh 32-bit keys.
std::vector<int32_t> reference_permutation(const Array& key, int64_t n) {
  std::vector<int32_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  const int rounds =
      static_cast<int>(std::ceil(3 * std::log(std::max<double>(1, n)) / std::log(4294967295.0)));
  Array k = key;
  for (int r = 0; r < rounds; ++r) {
    const Array keys = rnd::split(k);
    k = keys[0];
    const std::vector<uint32_t> sort_keys = rnd::bits(keys[1], {n}).to_vector<uint32_t>();
    std::vector<int32_t> idx(order.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(),
                     [&](int32_t a, int32_t b) { return sort_keys[a] < sort_keys[b]; });
    std::vector<int32_t> next(order.size());
    for (size_t i = 0; i < idx.size(); ++i) next[i] = order[static_cast<size_t>(idx[i])];
    order = next;
  }
  return order;
}

TEST(RandomPermutation, ShufflesBySortingOnRandomKeysInAsManyRoundsAsJax) {
  for (int64_t n : {0, 1, 2, 17, 1625, 1626, 5000}) {  // two rounds from 1626 elements on
    SCOPED_TRACE(n);
    const Array key = rnd::key(n + 100);
    const std::vector<int32_t> got = rnd::permutation(key, n).to_vector<int32_t>();
    EXPECT_EQ(got, reference_permutation(key, n));
    std::vector<int32_t> sorted = got;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
  }
}

TEST(RandomPermutation, PermutesSlicesAlongAnAxisDifferentiablyUnderJit) {
  const Array key = rnd::key(21);
  const Array x = st::reshape(st::arange(0.0, 24.0, 1.0, DType::Float64), {2, 3, 4});
  const std::vector<int32_t> order = rnd::permutation(key, 4).to_vector<int32_t>();
  const Array shuffled = rnd::permutation(key, x, -1);
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      for (int64_t c = 0; c < 4; ++c) {
        EXPECT_EQ(shuffled[i][j][c].item<double>(),
                  x[i][j][order[static_cast<size_t>(c)]].item<double>());
      }
    }
  }
  auto f = st::jit([](const Array& k, const Array& a) { return rnd::permutation(k, a, 1); });
  EXPECT_EQ(f(key, x).to_vector<double>(), rnd::permutation(key, x, 1).to_vector<double>());
  // d/dx sum(permutation(x) * w) is w put back in x's order.
  const Array w = st::reshape(st::arange(1.0, 5.0, 1.0, DType::Float64), {4});
  const Array v = st::arange(0.0, 4.0, 1.0, DType::Float64);
  const Array g =
      st::grad([&](const Array& a) { return st::sum(rnd::permutation(key, a) * w); })(v);
  const std::vector<double> gv = g.to_vector<double>();
  for (size_t c = 0; c < 4; ++c) EXPECT_EQ(gv[static_cast<size_t>(order[c])], c + 1.0);
}

TEST(RandomDiscrete, UnderJitMatchesEager) {
  const Array logits = st::array<float>({0.5f, -1.0f, 2.0f}, {3});
  auto sample = [&](const Array& key) {
    const Array k = rnd::split(key, 4);
    return std::tuple{rnd::gumbel(k[0], {5}), rnd::bernoulli(k[1], 0.7, {6}),
                      rnd::categorical(k[2], logits, -1, Shape{8}), rnd::permutation(k[3], 9)};
  };
  const Array key = rnd::key(44);
  const auto eager = sample(key);
  const auto traced = st::jit(sample)(key);
  EXPECT_EQ(std::get<0>(traced).to_vector<float>(), std::get<0>(eager).to_vector<float>());
  EXPECT_EQ(to_doubles(std::get<1>(traced)), to_doubles(std::get<1>(eager)));
  EXPECT_EQ(std::get<2>(traced).to_vector<int32_t>(), std::get<2>(eager).to_vector<int32_t>());
  EXPECT_EQ(std::get<3>(traced).to_vector<int32_t>(), std::get<3>(eager).to_vector<int32_t>());
}

TEST(RandomDiscrete, Errors) {
  const Array k = rnd::key(0);
  const Array bad = st::zeros({3}, DType::UInt32);
  EXPECT_STRATA_ERROR(rnd::gumbel(k, {2}, DType::Int32), "[random.gumbel]", "floating-point");
  EXPECT_STRATA_ERROR(rnd::bernoulli(bad), "[random.bernoulli]", "uint32[2]");
  EXPECT_STRATA_ERROR(rnd::bernoulli(k, st::ones({2}, DType::Int32)), "[random.bernoulli]",
                      "p must have a floating-point dtype", "int32");
  EXPECT_STRATA_ERROR(rnd::bernoulli(k, st::ones({3}), Shape{2, 2}), "[random.bernoulli]", "(2, 2)",
                      "(3,)");
  EXPECT_STRATA_ERROR(rnd::categorical(k, st::ones({3}, DType::Int32)), "[random.categorical]",
                      "floating-point");
  EXPECT_STRATA_ERROR(rnd::categorical(k, st::ones({})), "[random.categorical]", "0-d");
  EXPECT_STRATA_ERROR(rnd::categorical(k, st::ones({2, 3}), 2), "[random.categorical]", "axis 2",
                      "-2 to 1");
  EXPECT_STRATA_ERROR(rnd::categorical(k, st::ones({2, 0})), "[random.categorical]",
                      "no categories");
  EXPECT_STRATA_ERROR(rnd::categorical(k, st::ones({2, 3}), -1, Shape{3}), "[random.categorical]",
                      "(3,)", "(2,)");
  EXPECT_STRATA_ERROR(rnd::permutation(k, -1), "[random.permutation]", "negative");
  EXPECT_STRATA_ERROR(rnd::permutation(bad, 3), "[random.permutation]", "uint32[2]");
  EXPECT_STRATA_ERROR(rnd::permutation(k, st::ones({})), "[random.permutation]", "0-d",
                      "integer n");
  EXPECT_STRATA_ERROR(rnd::permutation(k, st::ones({2}), 1), "[random.permutation]", "axis 1");
}

}  // namespace
