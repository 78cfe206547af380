// nn::Rngs key derivation and nn::init initialisers (statistics, fans, errors).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "nn/nn_test_util.h"

namespace strata::testing {
namespace {

std::vector<uint32_t> key_data(const Array& k) {
  return k.to_vector<uint32_t>();
}

TEST(NnRngs, DefaultStreamMatchesNnxKnownAnswers) {
  nn::Rngs rngs(0);
  EXPECT_EQ(rngs.names(), std::vector<std::string>{"default"});
  // nnx.Rngs(0).params() falls back to 'default': fold_in(key(0), 0), then fold_in(key(0), 1).
  EXPECT_EQ(key_data(rngs.params()), (std::vector<uint32_t>{1797259609u, 2579123966u}));
  EXPECT_EQ(key_data(rngs()), (std::vector<uint32_t>{928981903u, 3453687069u}));
  EXPECT_EQ(rngs.count("default"), 2u);
  EXPECT_EQ(rngs.resolve("params"), "default");
}

TEST(NnRngs, NamedStreamsAreIndependentAndCount) {
  nn::Rngs rngs({{"params", 3}, {"dropout", 7}});
  const Array p0 = rngs.params();
  const Array d0 = rngs.dropout();
  const Array d1 = rngs.dropout();
  const Array p1 = rngs.params();
  EXPECT_EQ(key_data(p0), key_data(random::fold_in(random::key(3), 0)));
  EXPECT_EQ(key_data(p1), key_data(random::fold_in(random::key(3), 1)));
  EXPECT_EQ(key_data(d0), key_data(random::fold_in(random::key(7), 0)));
  EXPECT_EQ(key_data(d1), key_data(random::fold_in(random::key(7), 1)));
  EXPECT_EQ(rngs.count("params"), 2u);
  EXPECT_EQ(rngs.count("dropout"), 2u);
  // Same seed, same keys.
  nn::Rngs again({{"params", 3}, {"dropout", 7}});
  EXPECT_EQ(key_data(again.params()), key_data(p0));
}

TEST(NnRngs, KeySeedAndDefaultPlusStreams) {
  const Array k = random::fold_in(random::key(11), 5);
  nn::Rngs rngs(k, {{"dropout", 1}});
  EXPECT_EQ(key_data(rngs.params()), key_data(random::fold_in(k, 0)));  // params -> default
  EXPECT_EQ(key_data(rngs.dropout()), key_data(random::fold_in(random::key(1), 0)));
  EXPECT_EQ(rngs.count("default"), 1u);
  EXPECT_TRUE(rngs.has("dropout"));
  EXPECT_FALSE(rngs.has("params"));
}

TEST(NnRngs, Errors) {
  nn::Rngs rngs({{"params", 0}, {"noise", 1}});
  EXPECT_STRATA_ERROR(rngs.dropout(), "[nn.Rngs]", "'dropout'", "'noise', 'params'");
  EXPECT_STRATA_ERROR(nn::Rngs(zeros({3}, DType::UInt32)), "[nn.Rngs]", "uint32", "(3,)");
  EXPECT_STRATA_ERROR(nn::Rngs(zeros({2}, DType::Float32)), "[nn.Rngs]", "float32");
  EXPECT_STRATA_ERROR(nn::Rngs({{"a", 0}, {"a", 1}}), "[nn.Rngs]", "'a'", "twice");
}

TEST(NnRngs, LayersDrawKeysInNnxOrder) {
  nn::Rngs rngs(0);
  nn::Linear a(3, 4, rngs);  // kernel key count 0, bias key count 1
  EXPECT_EQ(rngs.count("params"), 2u);
  nn::Linear b(3, 4, rngs, {.use_bias = false});  // kernel count 2
  EXPECT_EQ(rngs.count("params"), 3u);
  nn::LayerNorm ln(4, rngs);
  EXPECT_EQ(rngs.count("params"), 5u);
  nn::RMSNorm rms(4, rngs);
  EXPECT_EQ(rngs.count("params"), 6u);
  // The kernels are lecun_normal(fold_in(key(0), count), (3, 4)), count 0 and 2.
  const Array root = random::key(0);
  expect_all_close(to_doubles(a.kernel), lecun_normal_ref(random::fold_in(root, 0), 3, 4), 1e-6,
                   1e-7, "kernel");
  expect_all_close(to_doubles(a.bias->value), std::vector<double>(4, 0.0), 0, 0, "bias");
  expect_all_close(to_doubles(b.kernel), lecun_normal_ref(random::fold_in(root, 2), 3, 4), 1e-6,
                   1e-7, "second kernel");
  EXPECT_FALSE(b.bias.has_value());
}

// ---------------------------------------------------------------- initialisers
struct Stats {
  double mean, std, min, max;
};
Stats stats(const Array& a) {
  const std::vector<double> v = to_doubles(a);
  double s = 0, ss = 0, lo = 1e300, hi = -1e300;
  for (double x : v) {
    s += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  const double m = s / static_cast<double>(v.size());
  for (double x : v) ss += (x - m) * (x - m);
  return {m, std::sqrt(ss / static_cast<double>(v.size())), lo, hi};
}

const Shape kBig{400, 500};  // 200k samples: std of the sample std is ~0.16%

void expect_std(const Array& a, double want_std, const char* what) {
  const Stats s = stats(a);
  EXPECT_NEAR(s.mean, 0.0, 0.02 * want_std) << what;
  EXPECT_NEAR(s.std, want_std, 0.02 * want_std) << what;
}

TEST(NnInit, ConstantsKeepDtypeAndValue) {
  const Array k = random::key(0);
  EXPECT_EQ(nn::init::zeros()(k, {2, 3}, DType::Float64).dtype(), DType::Float64);
  expect_all_close(to_doubles(nn::init::zeros()(k, {2, 3}, DType::Float32)),
                   std::vector<double>(6, 0.0), 0);
  expect_all_close(to_doubles(nn::init::ones()(k, {4}, DType::Float32)),
                   std::vector<double>(4, 1.0), 0);
  expect_all_close(to_doubles(nn::init::constant(-2.5)(k, {2, 2}, DType::Float64)),
                   std::vector<double>(4, -2.5), 0);
}

TEST(NnInit, NormalUniformTruncatedStatistics) {
  const Array k = random::key(1);
  expect_std(nn::init::normal(0.5)(k, kBig, DType::Float32), 0.5, "normal");
  const Stats u = stats(nn::init::uniform(2.0)(k, kBig, DType::Float32));
  EXPECT_GE(u.min, 0.0);
  EXPECT_LT(u.max, 2.0);
  EXPECT_NEAR(u.mean, 1.0, 0.01);
  EXPECT_NEAR(u.std, 2.0 / std::sqrt(12.0), 0.01);
  const Array t = nn::init::truncated_normal(1.5)(k, kBig, DType::Float64);
  EXPECT_EQ(t.dtype(), DType::Float64);
  const Stats ts = stats(t);
  EXPECT_GT(ts.min, -3.0);
  EXPECT_LT(ts.max, 3.0);
  EXPECT_LT(ts.min, -2.9);  // the bounds are reached, not a narrower range
  EXPECT_NEAR(ts.std, 1.5 * 0.87962566103423978, 0.02);
  // Asymmetric bounds.
  const Stats ta = stats(nn::init::truncated_normal(1.0, 0.0, 1.0)(k, kBig, DType::Float32));
  EXPECT_GT(ta.min, 0.0);
  EXPECT_LT(ta.max, 1.0);
}

TEST(NnInit, VarianceScalingFamiliesHaveTheirVariance) {
  const Array k = random::key(2);
  const double fi = 400, fo = 500;  // kBig = (fan_in, fan_out)
  using nn::init::Distribution;
  using nn::init::FanMode;
  struct Case {
    const char* name;
    nn::init::Initializer init;
    double variance;
    Distribution dist;
  };
  const Case cases[] = {
      {"lecun_normal", nn::init::lecun_normal(), 1 / fi, Distribution::TruncatedNormal},
      {"lecun_uniform", nn::init::lecun_uniform(), 1 / fi, Distribution::Uniform},
      {"glorot_normal", nn::init::glorot_normal(), 2 / (fi + fo), Distribution::TruncatedNormal},
      {"xavier_uniform", nn::init::xavier_uniform(), 2 / (fi + fo), Distribution::Uniform},
      {"he_normal", nn::init::he_normal(), 2 / fi, Distribution::TruncatedNormal},
      {"kaiming_uniform", nn::init::kaiming_uniform(), 2 / fi, Distribution::Uniform},
      {"vs fan_out normal", nn::init::variance_scaling(3, FanMode::FanOut, Distribution::Normal),
       3 / fo, Distribution::Normal},
      {"vs fan_avg truncated",
       nn::init::variance_scaling(0.5, FanMode::FanAvg, Distribution::TruncatedNormal),
       0.5 / ((fi + fo) / 2), Distribution::TruncatedNormal},
  };
  for (const Case& c : cases) {
    const Array a = c.init(k, kBig, DType::Float32);
    const Stats s = stats(a);
    const double sd = std::sqrt(c.variance);
    expect_std(a, sd, c.name);
    if (c.dist == Distribution::Uniform) {
      EXPECT_LE(s.max, std::sqrt(3 * c.variance)) << c.name;
      EXPECT_GE(s.min, -std::sqrt(3 * c.variance)) << c.name;
      EXPECT_GT(s.max, 0.99 * std::sqrt(3 * c.variance)) << c.name;
    } else if (c.dist == Distribution::TruncatedNormal) {
      const double bound = 2 * sd / 0.87962566103423978;
      EXPECT_LE(s.max, bound * (1 + 1e-6)) << c.name;
      EXPECT_GE(s.min, -bound * (1 + 1e-6)) << c.name;
    } else {
      EXPECT_GT(s.max, 4 * sd) << c.name;  // untruncated tails
    }
  }
}

TEST(NnInit, ExactFanComputation) {
  const auto f = nn::init::compute_fans({3, 3, 16, 32});  // conv kernel HWIO
  EXPECT_EQ(f.fan_in, 144);
  EXPECT_EQ(f.fan_out, 288);
  const auto g = nn::init::compute_fans({4, 10, 20}, -2, -1, {0});  // batch axis excluded
  EXPECT_EQ(g.fan_in, 10);
  EXPECT_EQ(g.fan_out, 20);
  const auto h = nn::init::compute_fans({7, 5}, -1, 0);  // embedding-style out_axis=0
  EXPECT_EQ(h.fan_in, 5);
  EXPECT_EQ(h.fan_out, 7);
  // The fan decides the scale: a conv kernel with fan_in 144 under he_normal.
  expect_std(nn::init::he_normal()(random::key(3), {3, 3, 400, 64}, DType::Float32),
             std::sqrt(2.0 / 3600), "he_normal conv");
  // batch_axis: each (fan_in=200) slice is scaled by 1/200, not by the stacked size.
  expect_std(nn::init::lecun_normal(-2, -1, {0})(random::key(4), {4, 200, 300}, DType::Float32),
             std::sqrt(1.0 / 200), "lecun_normal batch_axis");
}

TEST(NnInit, ExactFormulaAgainstSamplers) {
  const Array k = random::key(5);
  // uniform: uniform(key, -1, 1) * sqrt(3 * variance), float64.
  const Array u = nn::init::lecun_uniform()(k, {6, 4}, DType::Float64);
  const Array want = random::uniform(k, {6, 4}, DType::Float64, -1, 1) * std::sqrt(3.0 / 6.0);
  expect_arrays_close(u, want, 1e-15);
  const Array n = nn::init::variance_scaling(
      2, nn::init::FanMode::FanOut, nn::init::Distribution::Normal)(k, {6, 4}, DType::Float64);
  expect_arrays_close(n, random::normal(k, {6, 4}, DType::Float64) * std::sqrt(2.0 / 4.0), 1e-15);
}

TEST(NnInit, Errors) {
  const Array k = random::key(0);
  EXPECT_STRATA_ERROR(nn::init::lecun_normal()(k, {5}, DType::Float32),
                      "[nn.init.variance_scaling]", "1-d", "(5");
  EXPECT_STRATA_ERROR(nn::init::he_uniform()(k, {}, DType::Float32), "[nn.init.variance_scaling]",
                      "0-d");
  EXPECT_STRATA_ERROR(nn::init::glorot_normal(0, 5)(k, {2, 3}, DType::Float32),
                      "[nn.init.variance_scaling]", "out_axis 5", "(2, 3)");
  EXPECT_STRATA_ERROR(nn::init::lecun_normal()(k, {0, 3}, DType::Float32),
                      "[nn.init.variance_scaling]", "zero", "(0, 3)");
  EXPECT_STRATA_ERROR(nn::init::normal()(k, {2}, DType::Int32), "[nn.init.normal]", "int32");
  EXPECT_STRATA_ERROR(nn::init::truncated_normal(1.0, 2.0, 1.0), "[nn.init.truncated_normal]",
                      "lower < upper");
  EXPECT_STRATA_ERROR(
      nn::init::variance_scaling(-1, nn::init::FanMode::FanIn, nn::init::Distribution::Normal),
      "[nn.init.variance_scaling]", "positive");
}

}  // namespace
}  // namespace strata::testing
