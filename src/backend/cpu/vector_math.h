// Vectorisable float32 tanh and logistic for the elementwise loops (backend/cpu/elementwise.cpp,
// which the fused and matmul-epilogue kernels share).
//
// Why: glibc's tanhf / expf are scalar calls the compiler cannot vectorise (libmvec is only used
// under -ffast-math), and a gelu's tanh was a quarter of a transformer training step.  These are
// straight-line, branch-free inline functions, so a loop over a block is vectorised (GCC 12
// with -march=native on the AVX-512 box: 256-bit vectors, its default width for that CPU; check
// with -fopt-info-vec): conversions, FMAs, one division, integer min and masks.
//
// How: each float is widened to double and the result computed there from one exp evaluation,
// then rounded once to float.  The double computation is accurate to ~1e-14 relative, so the
// float result is the correctly rounded one except within ~1e-14 of a rounding midpoint: at most
// a hair over half an ulp, with no special cases near 0 (no cancellation: tanh uses expm1).
// float64 inputs keep using std::tanh / std::exp (the gradient-check path stays libm-exact).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace strata::cpu::vmath {

// exp(y) = scale * (1 + p) with scale = 2^k and p = expm1(r), r = y - k ln2, |r| <= ln2 / 2.
// Valid for |y| < ~700 (callers clamp far tighter).
struct ExpParts {
  double scale;
  double p;
};

inline ExpParts exp_parts(double y) {
  constexpr double kLn2 = 0x1.62e42fefa39efp-1;
  constexpr double kInvLn2 = 0x1.71547652b82fep0;
  // Adding 1.5 * 2^52 rounds y / ln2 to an integer k held in the low mantissa bits: no
  // float-to-int conversion (which would not vectorise as well) and no branch.
  constexpr double kShifter = 0x1.8p52;
  const double kd = std::fma(y, kInvLn2, kShifter);
  const double k = kd - kShifter;
  // k ln2 is exact inside the fma; ln2's own rounding (< 6e-17) times |k| <= 160 is far below
  // what a float result can see.
  const double r = std::fma(-k, kLn2, y);
  // 2^k: (k + 1023) into the exponent field.  The shifter's high bits fall off the shift.
  const auto bits = std::bit_cast<uint64_t>(kd);
  const double scale = std::bit_cast<double>((bits + 1023) << 52);
  // expm1(r) by its Taylor series to r^11 / 11!: the first term left out is < 2e-14 relative for
  // |r| <= ln2 / 2, and Horner's form adds no cancellation (every term has r's sign or is
  // smaller).
  double q = 1.0 / 39916800;  // 1 / 11!
  q = std::fma(q, r, 1.0 / 3628800);
  q = std::fma(q, r, 1.0 / 362880);
  q = std::fma(q, r, 1.0 / 40320);
  q = std::fma(q, r, 1.0 / 5040);
  q = std::fma(q, r, 1.0 / 720);
  q = std::fma(q, r, 1.0 / 120);
  q = std::fma(q, r, 1.0 / 24);
  q = std::fma(q, r, 1.0 / 6);
  q = std::fma(q, r, 0.5);
  q = std::fma(q, r, 1.0);
  return {scale, q * r};
}

// Why the clamps below work on the floats' bits: a floating-point comparison or operation may
// trap (raise FE_INVALID) on NaN, so under GCC's default -ftrapping-math a select on a float
// comparison, or one that GCC's own redundancy elimination turns into arms holding arithmetic,
// is compiled as a branch, and a loop with a branch is not vectorised.  Unsigned min and
// and/or masks are plain integer operations and stay branch-free.

constexpr uint32_t kAbsMask = 0x7fffffffu;
constexpr uint32_t kInfBits = 0x7f800000u;

// The bits of min(|x|, limit) for a positive finite `limit` (NaN, above +inf, clamps too), and a
// mask of all ones where x is NaN.
struct Clamped {
  float magnitude;
  uint32_t nan_mask;
};
inline Clamped clamp_magnitude(float x, float limit) {
  const uint32_t m = std::bit_cast<uint32_t>(x) & kAbsMask;
  return {std::bit_cast<float>(std::min(m, std::bit_cast<uint32_t>(limit))),
          0u - static_cast<uint32_t>(m > kInfBits)};
}
// r where the mask is clear, a quiet NaN (with r's sign) where it is set.
inline float nan_where(uint32_t nan_mask, float r) {
  return std::bit_cast<float>(std::bit_cast<uint32_t>(r) | (nan_mask & 0x7fc00000u));
}

// tanh(x) = expm1(2|x|) / (expm1(2|x|) + 2), with x's sign.  Beyond |x| = 9.5 the float result
// is 1 (1 - tanh(9.5) = 1.1e-8 is under half an ulp of 1), so |x| is clamped there, which also
// covers +-inf; +-0 keep their sign through copysign; NaN gives NaN.
inline float tanh_f32(float x) {
  const Clamped c = clamp_magnitude(x, 9.5f);
  const ExpParts e = exp_parts(2 * static_cast<double>(c.magnitude));
  // expm1(2a) = scale * p + (scale - 1): for k = 0 this is p itself (exact near 0); for k >= 1
  // both terms are positive or |scale * p| < scale / 2, so no cancellation.
  const double em1 = std::fma(e.scale, e.p, e.scale - 1);
  return nan_where(c.nan_mask, std::copysign(static_cast<float>(em1 / (em1 + 2)), x));
}

// logistic(x) = 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) below: exp(-|x|) in (0, 1]
// never overflows and neither form cancels.  |x| is clamped at 110, where the float result is
// 1 or 0 (exp(-110) = 1.7e-48 is below half the smallest float subnormal).
inline float logistic_f32(float x) {
  const Clamped c = clamp_magnitude(x, 110.0f);
  const ExpParts e = exp_parts(-static_cast<double>(c.magnitude));
  const double ex = std::fma(e.scale, e.p, e.scale);  // exp(-|x|)
  // The numerator is ex for negative x, else 1.0: chosen with a sign mask, not a select.
  const uint64_t negative = 0 - static_cast<uint64_t>(std::bit_cast<uint32_t>(x) >> 31);
  const double num = std::bit_cast<double>((std::bit_cast<uint64_t>(ex) & negative) |
                                           (std::bit_cast<uint64_t>(1.0) & ~negative));
  return nan_where(c.nan_mask, static_cast<float>(num / (1 + ex)));
}

}  // namespace strata::cpu::vmath
