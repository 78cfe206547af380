// The vectorised float32 tanh and logistic (backend/cpu/vector_math.h) that the elementwise,
// fused and matmul-epilogue kernels run: against libm in double over dense sweeps and the
// special values, through the eager kernel and through a jitted (fused) graph, and float64 still
// on libm exactly.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "strata/strata.h"

namespace st = strata;
using st::Array;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

double ref_tanh(double x) {
  return std::tanh(x);
}
double ref_logistic(double x) {
  return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x));
}

// Distance in float ulps between `got` and the float nearest to `want` (same sign assumed).
int64_t ulps(float got, double want) {
  const auto a = static_cast<int64_t>(std::bit_cast<int32_t>(got));
  const auto b = static_cast<int64_t>(std::bit_cast<int32_t>(static_cast<float>(want)));
  return a > b ? a - b : b - a;
}

std::vector<float> values_of(const Array& a) {
  return a.to_vector<float>();
}

struct Errors {
  double max_rel = 0;
  int64_t max_ulps = 0;
  float worst = 0;
};

// Checks f over xs: eager and jitted (fused) results are bit-identical, and their errors against
// ref in double.  Reference values below the smallest normal float are compared in ulps only.
Errors check(const std::string& what, Array (*f)(const Array&), double (*ref)(double),
             const std::vector<float>& xs) {
  const Array x = st::array(xs);
  const std::vector<float> eager = values_of(f(x));
  // Inside jit, a one-op graph still runs the fused loop over the same span code.
  const std::vector<float> jitted =
      values_of(st::jit([f](const Array& v) { return f(v * 1.0f); })(x));
  Errors e;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (std::bit_cast<uint32_t>(eager[i]) != std::bit_cast<uint32_t>(jitted[i])) {
      ADD_FAILURE() << what << ": eager and fused differ at x = " << xs[i];
      break;
    }
    const double want = ref(static_cast<double>(xs[i]));
    const int64_t u = ulps(eager[i], want);
    if (u > e.max_ulps) e.max_ulps = u;
    if (std::fabs(want) >= std::numeric_limits<float>::min()) {
      const double rel = std::fabs((static_cast<double>(eager[i]) - want) / want);
      if (rel > e.max_rel) {
        e.max_rel = rel;
        e.worst = xs[i];
      }
    }
  }
  return e;
}

// [-20, 20] in steps of 2^-12 (163 841 points), and every 251st float from the smallest
// subnormal up to 20, both signs (about 33 000 per binade, so every binade near 0 is covered).
std::vector<float> sweep() {
  std::vector<float> xs;
  for (int i = -20 * 4096; i <= 20 * 4096; ++i) xs.push_back(static_cast<float>(i) / 4096.0f);
  for (uint32_t b = 1; b < std::bit_cast<uint32_t>(20.0f); b += 251) {
    xs.push_back(std::bit_cast<float>(b));
    xs.push_back(-std::bit_cast<float>(b));
  }
  return xs;
}

TEST(VectorMath, Float32TanhIsCorrectlyRoundedOverADenseSweep) {
  const Errors e = check(
      "tanh", [](const Array& v) { return st::tanh(v); }, ref_tanh, sweep());
  // Correct rounding is within half an ulp, so at most 2^-24 relative; one ulp at most anywhere
  // (glibc's tanhf, the scalar baseline, is also within one).
  EXPECT_LE(e.max_rel, 0x1p-24 * (1 + 1e-9)) << "worst at x = " << e.worst;
  EXPECT_LE(e.max_ulps, 1);
}

TEST(VectorMath, Float32LogisticIsCorrectlyRoundedOverADenseSweep) {
  std::vector<float> xs = sweep();
  for (int i = -110 * 64; i <= 110 * 64; ++i) xs.push_back(static_cast<float>(i) / 64.0f);
  const Errors e = check(
      "logistic", [](const Array& v) { return st::logistic(v); }, ref_logistic, xs);
  EXPECT_LE(e.max_rel, 0x1p-24 * (1 + 1e-9)) << "worst at x = " << e.worst;
  // Results in the subnormal range (x < -87.3) are compared in ulps of the subnormal spacing.
  EXPECT_LE(e.max_ulps, 1);
}

TEST(VectorMath, Float32TanhSpecialValues) {
  const std::vector<float> xs = {0.0f,
                                 -0.0f,
                                 kInf,
                                 -kInf,
                                 kNaN,
                                 1e30f,
                                 -1e30f,
                                 9.02f,
                                 -9.02f,
                                 20.0f,
                                 std::numeric_limits<float>::max(),
                                 1e-45f,
                                 -1e-45f,
                                 1e-30f};
  const std::vector<float> y = values_of(st::tanh(st::array(xs)));
  EXPECT_EQ(std::bit_cast<uint32_t>(y[0]), std::bit_cast<uint32_t>(0.0f));   // +0 stays +0
  EXPECT_EQ(std::bit_cast<uint32_t>(y[1]), std::bit_cast<uint32_t>(-0.0f));  // -0 stays -0
  EXPECT_EQ(y[2], 1.0f);
  EXPECT_EQ(y[3], -1.0f);
  EXPECT_TRUE(std::isnan(y[4]));
  for (size_t i = 5; i <= 10; ++i) EXPECT_EQ(y[i], xs[i] > 0 ? 1.0f : -1.0f) << xs[i];
  EXPECT_EQ(y[11], 1e-45f);  // tanh(x) = x for tiny x, subnormals included
  EXPECT_EQ(y[12], -1e-45f);
  EXPECT_EQ(y[13], 1e-30f);
}

TEST(VectorMath, Float32LogisticSpecialValues) {
  const std::vector<float> xs = {0.0f, -0.0f, kInf, -kInf, kNaN, 1e30f, -1e30f, 120.0f, -120.0f};
  const std::vector<float> y = values_of(st::logistic(st::array(xs)));
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_EQ(y[1], 0.5f);
  EXPECT_EQ(y[2], 1.0f);
  EXPECT_EQ(y[3], 0.0f);
  EXPECT_TRUE(std::isnan(y[4]));
  EXPECT_EQ(y[5], 1.0f);
  EXPECT_EQ(y[6], 0.0f);
  EXPECT_EQ(y[7], 1.0f);
  EXPECT_EQ(y[8], 0.0f);
}

// Every float32 NaN (any payload, either sign) comes out as a NaN.
TEST(VectorMath, NaNPropagatesWhateverItsBits) {
  std::vector<float> xs;
  for (uint32_t payload : {1u, 0x1234u, 0x3fffffu, 0x400000u, 0x7fffffu}) {
    xs.push_back(std::bit_cast<float>(0x7f800000u | payload));
    xs.push_back(std::bit_cast<float>(0xff800000u | payload));
  }
  for (float y : values_of(st::tanh(st::array(xs)))) EXPECT_TRUE(std::isnan(y));
  for (float y : values_of(st::logistic(st::array(xs)))) EXPECT_TRUE(std::isnan(y));
}

// float64 is the gradient-check path: it stays on libm, bit for bit.
TEST(VectorMath, Float64StaysOnLibm) {
  std::vector<double> xs;
  for (int i = -400; i <= 400; ++i) xs.push_back(i * 0.0123456789);
  const Array y = st::tanh(st::array(xs));
  const std::vector<double> got = y.to_vector<double>();
  for (size_t i = 0; i < xs.size(); ++i) EXPECT_EQ(got[i], std::tanh(xs[i])) << xs[i];
}

}  // namespace
