// Turning a runtime DType into a compile-time element type.
//
// Storage types are the dtypes' C++ types.  Compute types are what kernels compute in: float16
// and bfloat16 compute in float (as XLA does on CPU), bool in uint8_t.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "strata/core/dtype.h"
#include "strata/core/error.h"

namespace strata::cpu {

template <typename T>
struct compute_type {
  using type = T;
};
template <>
struct compute_type<float16_t> {
  using type = float;
};
template <>
struct compute_type<bfloat16_t> {
  using type = float;
};
template <>
struct compute_type<bool> {
  using type = uint8_t;
};
template <typename T>
using compute_t = typename compute_type<T>::type;

// Converts between element types: float -> int truncates toward zero and saturates (NaN -> 0),
// int -> float rounds, and the 16-bit formats go through float.
template <typename To, typename From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<From, float16_t> || std::is_same_v<From, bfloat16_t>) {
    return convert<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, float16_t> || std::is_same_v<To, bfloat16_t>) {
    return To(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From{0};
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    // Saturating, NaN -> 0: defined for every input (a plain cast is UB out of range).
    if (std::isnan(v)) return To{0};
    if (v <= static_cast<From>(std::numeric_limits<To>::min()))
      return std::numeric_limits<To>::min();
    if (v >= static_cast<From>(std::numeric_limits<To>::max()))
      return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

// The unsigned type integer arithmetic on T wraps in: T's unsigned twin, widened to unsigned int
// for 8- and 16-bit T, because C++ promotes narrower operands to (signed) int, where a product
// such as 65535 * 65535 would overflow.
template <typename T>
using wrap_unsigned_t = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned,
                                           std::make_unsigned_t<T>>;

// NaN test that stays branch-free inside simd loops: NaN is the only value unequal to itself.
// Also works lane-wise on GCC vector types (then it returns a lane mask).
template <typename T>
constexpr auto is_nan(T v) {
  return v != v;  // NOLINT(misc-redundant-expression)
}

// Calls fn(T{}) with T the storage type of `dtype`.
template <typename Fn>
decltype(auto) visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::Bool:
      return fn(bool{});
    case DType::Int32:
      return fn(int32_t{});
    case DType::UInt32:
      return fn(uint32_t{});
    case DType::Int64:
      return fn(int64_t{});
    case DType::Float16:
      return fn(float16_t{});
    case DType::BFloat16:
      return fn(bfloat16_t{});
    case DType::Float32:
      return fn(float{});
    case DType::Float64:
      return fn(double{});
    case DType::UInt8:
      return fn(uint8_t{});
    case DType::UInt16:
      return fn(uint16_t{});
    case DType::UInt64:
      return fn(uint64_t{});
    case DType::Int8:
      return fn(int8_t{});
    case DType::Int16:
      return fn(int16_t{});
  }
  fail("dtype", "unknown dtype code ", static_cast<int>(dtype));
}

}  // namespace strata::cpu
