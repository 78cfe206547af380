// Float samplers: uniform, normal, truncated_normal (rng.md sections 8-10) and gumbel.  Each is a
// handful of ops on random bits, so it traces and compiles like any other strata code.
#include <cmath>
#include <limits>
#include <numbers>

#include "random/internal.h"
#include "strata/ops.h"
#include "strata/random.h"

namespace strata::random {

namespace {

struct FloatFormat {
  int bits;      // storage width
  int mantissa;  // explicit mantissa bits (finfo.nmant)
  uint64_t one;  // the bit pattern of 1.0
  DType uint;    // the unsigned type of the same width
};

FloatFormat float_format(const char* api, DType dtype) {
  switch (dtype) {
    case DType::Float16:
      return {16, 10, 0x3C00u, DType::UInt16};
    case DType::BFloat16:
      return {16, 7, 0x3F80u, DType::UInt16};
    case DType::Float32:
      return {32, 23, 0x3F800000u, DType::UInt32};
    case DType::Float64:
      return {64, 52, 0x3FF0000000000000u, DType::UInt64};
    default:
      fail(api,
           "dtype must be a floating-point type (float16, bfloat16, float32 or float64), "
           "found ",
           dtype);
  }
}

// A 0-d array of `dtype` holding v rounded once to dtype (JAX converts bounds to dtype first).
Array constant(double v, DType dtype) {
  return full({}, v, dtype);
}

// Uniform in [minval, maxval) with 0-d bounds already in dtype: random mantissa bits under the
// exponent of 1.0 give [1, 2); minus 1, scaled, shifted, and only the lower bound enforced.
Array uniform_between(const char* api, const Array& key, const Shape& shape, DType dtype,
                      const Array& minval, const Array& maxval) {
  const FloatFormat f = float_format(api, dtype);
  // Formats with fewer than 8 mantissa bits (bfloat16) still draw 8 bits.
  const int rng_bits = f.mantissa < 8 ? 8 : f.bits;
  const Array raw = astype(detail::random_bits(key, rng_bits, shape), f.uint);
  const Array mantissa =
      shift_right_logical(raw, weak_scalar(static_cast<int64_t>(rng_bits - f.mantissa)));
  const Array float_bits = bitwise_or(mantissa, full({}, static_cast<double>(f.one), f.uint));
  const Array floats = bitcast_convert_type(float_bits, dtype) - 1.0;
  return maximum(minval, floats * (maxval - minval) + minval);
}

// The neighbour of v (rounded to dtype) toward +inf (up) or -inf, in dtype's own format.
template <typename Half>
double half_step(double v, bool up) {
  Half h(static_cast<float>(v));
  const float f = static_cast<float>(h);
  if (std::isnan(f)) return f;
  uint16_t b = h.bits;
  if (f == 0.0f) {
    b = up ? 0x0001u : 0x8001u;  // the smallest subnormal of the direction's sign
  } else if ((f > 0.0f) == up) {
    ++b;  // away from zero: the magnitude grows
  } else {
    --b;
  }
  return static_cast<double>(static_cast<float>(Half::from_bits(b)));
}

double next_toward(double v, DType dtype, bool up) {
  const double inf = std::numeric_limits<double>::infinity();
  switch (dtype) {
    case DType::Float64:
      return std::nextafter(v, up ? inf : -inf);
    case DType::Float32:
      return std::nextafter(static_cast<float>(v), up ? INFINITY : -INFINITY);
    case DType::Float16:
      return half_step<float16_t>(v, up);
    default:  // bfloat16; float_format has rejected everything else
      return half_step<bfloat16_t>(v, up);
  }
}

Array sqrt2(DType dtype) {
  return constant(std::numbers::sqrt2, dtype);
}

}  // namespace

Array uniform(const Array& key, Shape shape, DType dtype, double minval, double maxval) {
  detail::check_key("random.uniform", key);
  detail::check_shape("random.uniform", shape);
  float_format("random.uniform", dtype);
  return uniform_between("random.uniform", key, shape, dtype, constant(minval, dtype),
                         constant(maxval, dtype));
}

Array normal(const Array& key, Shape shape, DType dtype) {
  detail::check_key("random.normal", key);
  detail::check_shape("random.normal", shape);
  const FloatFormat f = float_format("random.normal", dtype);
  // The float after -1 toward 0 (-1 + 2^-(mantissa+1)), so erf_inv never sees -1.
  const double lo = -1.0 + std::ldexp(1.0, -(f.mantissa + 1));
  const Array u =
      uniform_between("random.normal", key, shape, dtype, constant(lo, dtype), constant(1, dtype));
  return sqrt2(dtype) * erf_inv(u);
}

Array truncated_normal(const Array& key, double lower, double upper, Shape shape, DType dtype) {
  detail::check_key("random.truncated_normal", key);
  detail::check_shape("random.truncated_normal", shape);
  float_format("random.truncated_normal", dtype);
  if (!(lower < upper)) {
    fail("random.truncated_normal", "needs lower < upper, found lower=", lower, " upper=", upper,
         "; pass the bounds in increasing order");
  }
  // Inverse-CDF sampling: uniform between the normal CDF's values at the bounds (through erf),
  // mapped back with erf_inv, everything in dtype.
  const Array s = sqrt2(dtype);
  const Array a = erf(constant(lower, dtype) / s);
  const Array b = erf(constant(upper, dtype) / s);
  const Array u = uniform_between("random.truncated_normal", key, shape, dtype, a, b);
  const Array out = s * erf_inv(u);
  // Rounding can land on a bound (or erf_inv(-1) = -inf): keep results strictly inside.
  const Array low = constant(next_toward(lower, dtype, true), dtype);
  const Array high = constant(next_toward(upper, dtype, false), dtype);
  return minimum(maximum(out, low), high);
}

Array gumbel(const Array& key, Shape shape, DType dtype) {
  detail::check_key("random.gumbel", key);
  detail::check_shape("random.gumbel", shape);
  float_format("random.gumbel", dtype);
  const double tiny = dtype == DType::Float16   ? 6.103515625e-05  // 2^-14
                      : dtype == DType::Float64 ? std::numeric_limits<double>::min()
                                                : std::numeric_limits<float>::min();
  const Array u = uniform_between("random.gumbel", key, shape, dtype, constant(tiny, dtype),
                                  constant(1, dtype));
  return -log(-log(u));
}

}  // namespace strata::random
