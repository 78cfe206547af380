#include "strata/core/dtype.h"

#include <ostream>

#include "strata/core/error.h"

namespace strata {

float16_t::float16_t(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) {  // NaN: quiet, keep the top mantissa bits
    bits = static_cast<uint16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
    return;
  }
  if (abs >= 0x477ff000u) {  // rounds to >= 65520: overflow to infinity
    bits = static_cast<uint16_t>(sign | 0x7c00u);
    return;
  }
  if (abs < 0x38800000u) {  // below the smallest normal half (2^-14): subnormal or zero
    // Add 0.5 (as a float) so the FPU's round-to-nearest-even does the rounding for us.
    float magnitude;
    std::memcpy(&magnitude, &abs, 4);
    const float shifted = magnitude + 0.5f;
    uint32_t s;
    std::memcpy(&s, &shifted, 4);
    bits = static_cast<uint16_t>(sign | (s - 0x3f000000u));
    return;
  }
  // Normal: rebias the exponent (127 -> 15) and round the mantissa to 10 bits, ties to even.
  const uint32_t odd = (abs >> 13) & 1u;
  const uint32_t rounded = abs + 0xc8000fffu + odd;  // -(112 << 23) + 0xfff + odd
  bits = static_cast<uint16_t>(sign | (rounded >> 13));
}

float16_t::operator float() const {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  uint32_t u;
  if (exponent == 0x1fu) {  // inf / NaN
    u = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal
    u = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {  // zero
    u = sign;
  } else {  // subnormal: value = mantissa * 2^-24, exact in float
    float f = static_cast<float>(mantissa) * 5.9604644775390625e-08f;
    std::memcpy(&u, &f, 4);
    u |= sign;
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

int64_t itemsize(DType t) {
  switch (t) {
    case DType::Bool:
    case DType::Int8:
    case DType::UInt8:
      return 1;
    case DType::Int16:
    case DType::UInt16:
    case DType::Float16:
    case DType::BFloat16:
      return 2;
    case DType::Int32:
    case DType::UInt32:
    case DType::Float32:
      return 4;
    case DType::Int64:
    case DType::UInt64:
    case DType::Float64:
      return 8;
  }
  fail("dtype", "unknown dtype code ", static_cast<int>(t));
}

std::string_view name(DType t) {
  switch (t) {
    case DType::Bool:
      return "bool";
    case DType::Int32:
      return "int32";
    case DType::UInt32:
      return "uint32";
    case DType::Int64:
      return "int64";
    case DType::Float16:
      return "float16";
    case DType::BFloat16:
      return "bfloat16";
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
    case DType::UInt8:
      return "uint8";
    case DType::UInt16:
      return "uint16";
    case DType::UInt64:
      return "uint64";
    case DType::Int8:
      return "int8";
    case DType::Int16:
      return "int16";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, DType t) {
  return os << name(t);
}

bool is_floating(DType t) {
  return t == DType::Float16 || t == DType::BFloat16 || t == DType::Float32 || t == DType::Float64;
}
bool is_integer(DType t) {
  return is_signed_integer(t) || is_unsigned_integer(t);
}
bool is_signed_integer(DType t) {
  return t == DType::Int8 || t == DType::Int16 || t == DType::Int32 || t == DType::Int64;
}
bool is_unsigned_integer(DType t) {
  return t == DType::UInt8 || t == DType::UInt16 || t == DType::UInt32 || t == DType::UInt64;
}

namespace {
enum class Kind { Bool, Int, Float };
Kind kind_of(DType t) {
  return t == DType::Bool ? Kind::Bool : is_floating(t) ? Kind::Float : Kind::Int;
}

// The strong lattice of jnp.promote_types restricted to strata's dtypes.
DType promote_strong(DType a, DType b) {
  if (a == b) return a;
  const Kind ka = kind_of(a), kb = kind_of(b);
  if (ka == Kind::Bool) return b;
  if (kb == Kind::Bool) return a;
  if (ka == Kind::Float && kb == Kind::Float) {
    // f16 and bf16 meet at f32; otherwise the wider one wins.
    if (itemsize(a) == 2 && itemsize(b) == 2) return DType::Float32;
    return itemsize(a) >= itemsize(b) ? a : b;
  }
  if (ka == Kind::Float) return a;  // integers promote to the float type, whatever its width
  if (kb == Kind::Float) return b;
  // Two integer types of one signedness: the wider wins.
  if (is_signed_integer(a) == is_signed_integer(b)) return itemsize(a) >= itemsize(b) ? a : b;
  // Signed s and unsigned u, JAX's lattice u8 -> i16, u16 -> i32, u32 -> i64, u64 -> float: a
  // strictly wider signed type holds every u value; otherwise the meet is the signed type of twice
  // u's width, and above int64 (u64 vs any signed) it is the default float of JAX's x64 mode.
  const DType s = is_signed_integer(a) ? a : b;
  const DType u = is_signed_integer(a) ? b : a;
  if (itemsize(s) > itemsize(u)) return s;
  switch (u) {
    case DType::UInt8:
      return DType::Int16;
    case DType::UInt16:
      return DType::Int32;
    case DType::UInt32:
      return DType::Int64;
    default:
      return DType::Float64;
  }
}
}  // namespace

DType promote_types(DType a, DType b) {
  return promote_strong(a, b);
}

PromotedType promote_types(DType a, bool a_weak, DType b, bool b_weak) {
  if (a_weak && b_weak) {
    // Two weak values: the higher kind wins, still weak (int + float -> weak float).
    return {kind_of(a) >= kind_of(b) ? a : b, true};
  }
  if (a_weak || b_weak) {
    const DType weak = a_weak ? a : b;
    const DType strong = a_weak ? b : a;
    // A weak value adopts the strong type unless its kind is higher: then the result is the
    // default type of the weak kind and stays weak, as in JAX (i32 array * 0.5 -> weak float32,
    // which then meets a float16 array as float16).
    if (kind_of(weak) <= kind_of(strong)) return {strong, false};
    return {kind_of(weak) == Kind::Float ? kDefaultFloat : kDefaultInt, true};
  }
  return {promote_strong(a, b), false};
}

}  // namespace strata
