// Element types, the two 16-bit float formats, and JAX's type-promotion lattice.
#pragma once

#include <cstdint>
#include <cstring>
#include <iosfwd>
#include <string_view>
#include <type_traits>

namespace strata {

// Types added after the original eight come last so that earlier codes (and the order of
// kAllDTypes) never change: the unsigned UInt8, UInt16 and UInt64 (random bits of every width,
// bit manipulation), then Int8 and Int16 (quantised weights in real checkpoints).
enum class DType : uint8_t {
  Bool,
  Int32,
  UInt32,
  Int64,
  Float16,
  BFloat16,
  Float32,
  Float64,
  UInt8,
  UInt16,
  UInt64,
  Int8,
  Int16
};

inline constexpr DType kAllDTypes[] = {
    DType::Bool,    DType::Int32,   DType::UInt32, DType::Int64,  DType::Float16, DType::BFloat16,
    DType::Float32, DType::Float64, DType::UInt8,  DType::UInt16, DType::UInt64,
    DType::Int8,    DType::Int16};

// IEEE binary16, stored as bits; arithmetic goes through float (as XLA does on CPU).
struct float16_t {
  uint16_t bits = 0;
  float16_t() = default;
  explicit float16_t(float f);
  explicit operator float() const;
  static float16_t from_bits(uint16_t b) {
    float16_t h;
    h.bits = b;
    return h;
  }
};

// bfloat16: the upper half of an IEEE binary32, rounded to nearest even.
struct bfloat16_t {
  uint16_t bits = 0;
  bfloat16_t() = default;
  explicit bfloat16_t(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep it a quiet NaN
      bits = static_cast<uint16_t>((u >> 16) | 0x40u);
    } else {
      bits = static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
  }
  explicit operator float() const {
    uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  static bfloat16_t from_bits(uint16_t b) {
    bfloat16_t h;
    h.bits = b;
    return h;
  }
};

int64_t itemsize(DType t);
std::string_view name(DType t);  // NumPy names: "float32", "bool", ...
std::ostream& operator<<(std::ostream& os, DType t);

bool is_floating(DType t);
bool is_integer(DType t);  // signed and unsigned integers (not bool)
bool is_signed_integer(DType t);
bool is_unsigned_integer(DType t);

// JAX's promotion lattice (jnp.promote_types), extended with JAX's weak types: a weakly typed
// operand (a C++ scalar mixed with an array) takes the other operand's type when that is of the
// same or a higher kind (bool < integer < float).  When the weak operand's kind is higher, the
// result is the default type of that kind and stays weak (int32 array * 0.5 -> weak float32).
// Two weak operands give a weak result of the higher kind.
struct PromotedType {
  DType dtype;
  bool weak;
};
PromotedType promote_types(DType a, bool a_weak, DType b, bool b_weak);
DType promote_types(DType a, DType b);

// Default types, as in JAX with x64 disabled: int32 and float32.
inline constexpr DType kDefaultInt = DType::Int32;
inline constexpr DType kDefaultFloat = DType::Float32;

// The dtypes by their NumPy names, in the JAX / MLX habit (jnp.float32, mx.int8), usable wherever
// a DType is: zeros({2, 3}, strata::bfloat16), astype(x, st::int8).  bool_ has NumPy's trailing
// underscore (bool is a keyword).
inline constexpr DType bool_ = DType::Bool;
inline constexpr DType int8 = DType::Int8;
inline constexpr DType int16 = DType::Int16;
inline constexpr DType int32 = DType::Int32;
inline constexpr DType int64 = DType::Int64;
inline constexpr DType uint8 = DType::UInt8;
inline constexpr DType uint16 = DType::UInt16;
inline constexpr DType uint32 = DType::UInt32;
inline constexpr DType uint64 = DType::UInt64;
inline constexpr DType float16 = DType::Float16;
inline constexpr DType bfloat16 = DType::BFloat16;
inline constexpr DType float32 = DType::Float32;
inline constexpr DType float64 = DType::Float64;

// Maps a C++ element type to its DType.
template <typename T>
struct dtype_of;
template <>
struct dtype_of<bool> {
  static constexpr DType value = DType::Bool;
};
template <>
struct dtype_of<int8_t> {
  static constexpr DType value = DType::Int8;
};
template <>
struct dtype_of<int16_t> {
  static constexpr DType value = DType::Int16;
};
template <>
struct dtype_of<int32_t> {
  static constexpr DType value = DType::Int32;
};
template <>
struct dtype_of<uint32_t> {
  static constexpr DType value = DType::UInt32;
};
template <>
struct dtype_of<uint8_t> {
  static constexpr DType value = DType::UInt8;
};
template <>
struct dtype_of<uint16_t> {
  static constexpr DType value = DType::UInt16;
};
template <>
struct dtype_of<uint64_t> {
  static constexpr DType value = DType::UInt64;
};
template <>
struct dtype_of<int64_t> {
  static constexpr DType value = DType::Int64;
};
template <>
struct dtype_of<float16_t> {
  static constexpr DType value = DType::Float16;
};
template <>
struct dtype_of<bfloat16_t> {
  static constexpr DType value = DType::BFloat16;
};
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::Float32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::Float64;
};
template <typename T>
inline constexpr DType dtype_v = dtype_of<std::remove_cv_t<T>>::value;

template <typename T>
concept Element = requires {
  dtype_of<std::remove_cv_t<T>>::value;
};

}  // namespace strata
