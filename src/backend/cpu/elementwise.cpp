#include "backend/cpu/elementwise.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cpu/parallel.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/vector_math.h"

namespace strata::cpu {

const char* name(UnaryOp op) {
  static constexpr const char* kNames[] = {
      "neg",   "abs",   "sign", "exp",      "log",       "log1p",         "expm1",
      "sqrt",  "rsqrt", "tanh", "logistic", "erf",       "sin",           "cos",
      "floor", "ceil",  "not",  "erf_inv",  "gelu_tanh", "gelu_tanh_grad"};
  return kNames[static_cast<int>(op)];
}
const char* name(BinaryOp op) {
  static constexpr const char* kNames[] = {"add",
                                           "sub",
                                           "mul",
                                           "div",
                                           "pow",
                                           "max",
                                           "min",
                                           "and",
                                           "or",
                                           "xor",
                                           "shift_left",
                                           "shift_right_logical",
                                           "shift_right_arithmetic"};
  return kNames[static_cast<int>(op)];
}
const char* name(CompareOp op) {
  static constexpr const char* kNames[] = {"eq", "ne", "lt", "le", "gt", "ge"};
  return kNames[static_cast<int>(op)];
}

namespace {

// Elements per tile: operands are staged in L1-sized dense tiles.
constexpr int64_t kTile = 1024;

// bool is stored as one byte holding 0 or 1; kernels see it as uint8_t.
template <typename S>
using lane_t = std::conditional_t<std::is_same_v<S, bool>, uint8_t, compute_t<S>>;

// True when elements of `dtype` are stored exactly as C (so a dense operand is used in place).
template <typename C>
bool lane_matches(DType dtype) {
  bool match = false;
  visit_dtype(dtype, [&](auto tag) {
    using S = decltype(tag);
    using Lane = std::conditional_t<std::is_same_v<S, bool>, uint8_t, S>;
    match = std::is_same_v<Lane, C>;
  });
  return match;
}

// Runs span(n, inputs, out) over the whole output in tiles.  Each input is used in place when it
// is dense and already of compute type C; otherwise its tile is gathered (and converted).  The
// output is written in place when its storage is the compute type D.
template <typename C, typename D, size_t N, typename Span>
void run_tiles(const std::array<const Array*, N>& inputs, const Array& out, Span span,
               int64_t cost = 1) {
  std::array<StridedReader, N> readers = [&]<size_t... I>(std::index_sequence<I...>) {
    return std::array<StridedReader, N>{StridedReader(*inputs[I])...};
  }
  (std::make_index_sequence<N>{});
  visit_dtype(out.dtype(), [&](auto out_tag) {
    using S = decltype(out_tag);
    using Lane = std::conditional_t<std::is_same_v<S, bool>, uint8_t, S>;
    Lane* out_base = static_cast<Lane*>(detail::mutable_data(out));
    std::array<bool, N> direct{};
    for (size_t k = 0; k < N; ++k) {
      direct[k] = readers[k].dense() && lane_matches<C>(readers[k].dtype());
    }
    parallel_for(
        out.size(),
        [&](int64_t begin, int64_t end) {
          alignas(64) C staged[N][kTile];
          alignas(64) D result[kTile];
          const C* ptrs[N];
          for (int64_t t = begin; t < end; t += kTile) {
            const int64_t n = std::min(kTile, end - t);
            for (size_t k = 0; k < N; ++k) {
              if (direct[k]) {
                ptrs[k] = static_cast<const C*>(readers[k].base()) + t;
              } else {
                readers[k].template read<C>(t, n, staged[k]);
                ptrs[k] = staged[k];
              }
            }
            if constexpr (std::is_same_v<Lane, D>) {
              span(n, ptrs, out_base + t);
            } else {
              span(n, ptrs, result);
              for (int64_t i = 0; i < n; ++i) out_base[t + i] = convert<S>(result[i]);
            }
          }
        },
        cost);
  });
}

template <typename T>
constexpr bool kFloat = std::is_floating_point_v<T>;

// Integer arithmetic wraps on overflow, as in XLA: computed in the unsigned twin, where wrapping
// is defined, and converted back.
template <typename T>
struct wrap_type {
  using type = T;
};
template <typename T>
requires std::is_integral_v<T>
struct wrap_type<T> {
  using type = wrap_unsigned_t<T>;
};
template <typename T>
using wrap_t = typename wrap_type<T>::type;
template <typename T>
T wrap(wrap_t<T> v) {
  return static_cast<T>(v);
}

template <typename T>
T integer_pow(T base, T exponent) {
  if constexpr (std::is_signed_v<T>) {
    if (exponent < 0) return base == 1 ? 1 : base == -1 ? ((exponent & 1) ? -1 : 1) : 0;
  }
  using U = wrap_unsigned_t<T>;  // wrap on overflow like XLA, not signed UB
  U result = 1, b = static_cast<U>(base);
  for (auto e = static_cast<U>(exponent); e != 0; e >>= 1) {
    if (e & 1) result *= b;
    b *= b;
  }
  return static_cast<T>(result);
}

template <typename T>
T integer_div(T a, T b) {
  if (b == 0) return static_cast<T>(-1);  // XLA's defined result for division by zero
  if constexpr (std::is_signed_v<T>) {
    if (a == std::numeric_limits<T>::min() && b == -1) return a;  // overflow wraps, as in XLA
  }
  return static_cast<T>(a / b);
}

template <typename T>
T logistic(T x) {
  // Stable for large |x|: never exp of a large positive number.
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

// Shifts with XLA's semantics (see BinaryOp), computed on the unsigned twin so that no C++ shift
// is ever undefined: the amount is read as unsigned, so a negative amount counts as too large.
template <typename T>
T shift_left(T x, T amount) {
  using U = std::make_unsigned_t<T>;
  constexpr U kBits = static_cast<U>(sizeof(T) * 8);
  if (static_cast<U>(amount) >= kBits) return T(0);
  return static_cast<T>(static_cast<U>(static_cast<U>(x) << static_cast<U>(amount)));
}
template <typename T>
T shift_right_logical(T x, T amount) {
  using U = std::make_unsigned_t<T>;
  constexpr U kBits = static_cast<U>(sizeof(T) * 8);
  if (static_cast<U>(amount) >= kBits) return T(0);
  return static_cast<T>(static_cast<U>(static_cast<U>(x) >> static_cast<U>(amount)));
}
template <typename T>
T shift_right_arithmetic(T x, T amount) {
  using U = std::make_unsigned_t<T>;
  using S = std::make_signed_t<T>;
  constexpr U kBits = static_cast<U>(sizeof(T) * 8);
  const U shift = std::min<U>(static_cast<U>(amount), kBits - 1);  // past the width: sign fill
  // Right shift of a negative signed value is arithmetic in C++20.
  return static_cast<T>(static_cast<S>(static_cast<S>(x) >> shift));
}

// erf^-1 as XLA expands chlo.erf_inv for float32 (rng.md 9.1): a degree-8 polynomial in
// w = -log1p(-x^2), one set of coefficients for the centre (w < 5) and one for the tails.  With
// T = float every step rounds to float exactly as the elementwise HLO does (no fused multiply-add:
// the project builds in ISO mode, where GCC does not contract), which jax.random.normal needs.
// With T = double it is only the first guess of erf_inv_f64.
template <typename T>
T erf_inv_poly(T x) {
  static constexpr T kCentre[] = {T(2.81022636e-08f),  T(3.43273939e-07f), T(-3.5233877e-06f),
                                  T(-4.39150654e-06f), T(0.00021858087f),  T(-0.00125372503f),
                                  T(-0.00417768164f),  T(0.246640727f),    T(1.50140941f)};
  static constexpr T kTail[] = {T(-0.000200214257f), T(0.000100950558f), T(0.00134934322f),
                                T(-0.00367342844f),  T(0.00573950773f),  T(-0.0076224613f),
                                T(0.00943887047f),   T(1.00167406f),     T(2.83297682f)};
  const T w = -std::log1p(-x * x);
  const bool centre = w < T(5);
  const T t = centre ? w - T(2.5) : std::sqrt(w) - T(3);
  const T* c = centre ? kCentre : kTail;
  T p = c[0];
  for (int k = 1; k < 9; ++k) p = c[k] + p * t;
  if (std::fabs(x) == T(1)) return x * std::numeric_limits<T>::infinity();
  return p * x;
}

// erf^-1 in float64.  XLA's float64 expansion is another polynomial that rng.md does not give, so
// this one aims at the true value instead: the polynomial above evaluated in double as a first
// guess, then Halley steps on f(y) = erf(y) - |x|.  For |x| >= 1/2 the residual is written
// (1 - |x|) - erfc(y), where 1 - |x| is exact, so it keeps its digits in the tails where
// erf(y) - |x| would cancel to nothing.
double erf_inv_f64(double x) {
  const double ax = std::fabs(x);
  if (!(ax < 1.0)) return ax == 1.0 ? x * std::numeric_limits<double>::infinity() : NAN;
  if (x == 0.0) return x;
  constexpr double kTwoOverSqrtPi = 1.1283791670955126;
  double y = erf_inv_poly(ax);
  for (int it = 0; it < 8; ++it) {
    const double residual = ax < 0.5 ? std::erf(y) - ax : (1.0 - ax) - std::erfc(y);
    const double delta = residual / (kTwoOverSqrtPi * std::exp(-y * y));
    const double step = delta / (1.0 + y * delta);  // Halley: f''/f' = -2y
    y -= step;
    if (std::fabs(step) <= 1e-17 * y) break;
  }
  return std::copysign(y, x);
}

float erf_inv(float x) {
  return erf_inv_poly(x);
}
double erf_inv(double x) {
  return erf_inv_f64(x);
}

// gelu's constants and inner polynomial, k (x + c x^3) computed in the composed form's order
// ((x + c * (x * x^2)) * k), so the one-pass kernel gives its values up to FMA contraction.
constexpr double kGeluK = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double kGeluC = 0.044715;
template <typename T>
T gelu_inner(T v) {
  return (v + T(kGeluC) * (v * (v * v))) * T(kGeluK);
}
float tanh_of(float v) {
  return vmath::tanh_f32(v);
}
double tanh_of(double v) {
  return std::tanh(v);
}

template <typename T>
void unary_span(UnaryOp op, int64_t n, const T* x, T* y) {
  switch (op) {
    case UnaryOp::Neg:
      for (int64_t i = 0; i < n; ++i) y[i] = wrap<T>(wrap_t<T>(0) - static_cast<wrap_t<T>>(x[i]));
      return;
    case UnaryOp::Abs:
      if constexpr (std::is_unsigned_v<T>) {
        for (int64_t i = 0; i < n; ++i) y[i] = x[i];
      } else {
        for (int64_t i = 0; i < n; ++i) {
          y[i] = x[i] < T(0) ? wrap<T>(wrap_t<T>(0) - static_cast<wrap_t<T>>(x[i])) : x[i];
        }
      }
      return;
    case UnaryOp::Sign:
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (kFloat<T>) {
          y[i] = std::isnan(x[i]) ? x[i] : static_cast<T>((x[i] > T(0)) - (x[i] < T(0)));
        } else {
          y[i] = static_cast<T>((x[i] > T(0)) - (x[i] < T(0)));
        }
      }
      return;
    case UnaryOp::Not:
      // Bitwise here, uint8_t included: bool lanes (also uint8_t) take logical_not_span instead.
      if constexpr (std::is_integral_v<T>) {
        for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(~x[i]);
        return;
      }
      break;
    default:
      break;
  }
  if constexpr (kFloat<T>) {
    switch (op) {
      case UnaryOp::Exp:
        for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
        return;
      case UnaryOp::Log:
        for (int64_t i = 0; i < n; ++i) y[i] = std::log(x[i]);
        return;
      case UnaryOp::Log1p:
        for (int64_t i = 0; i < n; ++i) y[i] = std::log1p(x[i]);
        return;
      case UnaryOp::Expm1:
        for (int64_t i = 0; i < n; ++i) y[i] = std::expm1(x[i]);
        return;
      case UnaryOp::Sqrt:
        for (int64_t i = 0; i < n; ++i) y[i] = std::sqrt(x[i]);
        return;
      case UnaryOp::Rsqrt:
        for (int64_t i = 0; i < n; ++i) y[i] = T(1) / std::sqrt(x[i]);
        return;
      // float32 (and the 16-bit floats, which compute in float) use the vectorisable forms of
      // vector_math.h, correctly rounded but for the rarest midpoints; float64 keeps libm's.
      case UnaryOp::Tanh:
        if constexpr (std::is_same_v<T, float>) {
          for (int64_t i = 0; i < n; ++i) y[i] = vmath::tanh_f32(x[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
        }
        return;
      case UnaryOp::Logistic:
        if constexpr (std::is_same_v<T, float>) {
          for (int64_t i = 0; i < n; ++i) y[i] = vmath::logistic_f32(x[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) y[i] = logistic(x[i]);
        }
        return;
      case UnaryOp::Erf:
        for (int64_t i = 0; i < n; ++i) y[i] = std::erf(x[i]);
        return;
      case UnaryOp::Sin:
        for (int64_t i = 0; i < n; ++i) y[i] = std::sin(x[i]);
        return;
      case UnaryOp::Cos:
        for (int64_t i = 0; i < n; ++i) y[i] = std::cos(x[i]);
        return;
      case UnaryOp::Floor:
        for (int64_t i = 0; i < n; ++i) y[i] = std::floor(x[i]);
        return;
      case UnaryOp::Ceil:
        for (int64_t i = 0; i < n; ++i) y[i] = std::ceil(x[i]);
        return;
      case UnaryOp::ErfInv:
        for (int64_t i = 0; i < n; ++i) y[i] = erf_inv(x[i]);
        return;
      case UnaryOp::GeluTanh:
        for (int64_t i = 0; i < n; ++i) {
          const T v = x[i];
          y[i] = (v * T(0.5)) * (tanh_of(gelu_inner(v)) + T(1));
        }
        return;
      case UnaryOp::GeluTanhGrad:
        // d/dx 0.5 x (1 + t) = 0.5 (1 + t) + 0.5 x (1 - t^2) u', t = tanh(u), u' = k (1 + 3 c x^2)
        for (int64_t i = 0; i < n; ++i) {
          const T v = x[i], t = tanh_of(gelu_inner(v));
          const T du = T(kGeluK) * (T(1) + T(3 * kGeluC) * (v * v));
          y[i] = T(0.5) * (T(1) + t) + (T(0.5) * v) * ((T(1) - t * t) * du);
        }
        return;
      default:
        break;
    }
  }
  fail(name(op), "no CPU kernel for this dtype (the shape rule should have rejected it)");
}

template <typename T>
void binary_span(BinaryOp op, int64_t n, const T* a, const T* b, T* y) {
  switch (op) {
    case BinaryOp::Add:
      for (int64_t i = 0; i < n; ++i) {
        y[i] = wrap<T>(static_cast<wrap_t<T>>(a[i]) + static_cast<wrap_t<T>>(b[i]));
      }
      return;
    case BinaryOp::Sub:
      for (int64_t i = 0; i < n; ++i) {
        y[i] = wrap<T>(static_cast<wrap_t<T>>(a[i]) - static_cast<wrap_t<T>>(b[i]));
      }
      return;
    case BinaryOp::Mul:
      for (int64_t i = 0; i < n; ++i) {
        y[i] = wrap<T>(static_cast<wrap_t<T>>(a[i]) * static_cast<wrap_t<T>>(b[i]));
      }
      return;
    case BinaryOp::Div:
      if constexpr (kFloat<T>) {
        for (int64_t i = 0; i < n; ++i) y[i] = a[i] / b[i];
      } else {
        for (int64_t i = 0; i < n; ++i) y[i] = integer_div(a[i], b[i]);
      }
      return;
    case BinaryOp::Pow:
      if constexpr (kFloat<T>) {
        for (int64_t i = 0; i < n; ++i) y[i] = std::pow(a[i], b[i]);
      } else {
        for (int64_t i = 0; i < n; ++i) y[i] = integer_pow(a[i], b[i]);
      }
      return;
    case BinaryOp::Max:
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (kFloat<T>) {
          y[i] = (a[i] > b[i] || std::isnan(a[i])) ? a[i] : b[i];
        } else {
          y[i] = a[i] > b[i] ? a[i] : b[i];
        }
      }
      return;
    case BinaryOp::Min:
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (kFloat<T>) {
          y[i] = (a[i] < b[i] || std::isnan(a[i])) ? a[i] : b[i];
        } else {
          y[i] = a[i] < b[i] ? a[i] : b[i];
        }
      }
      return;
    default:
      break;
  }
  if constexpr (std::is_integral_v<T>) {
    switch (op) {
      case BinaryOp::And:
        for (int64_t i = 0; i < n; ++i) y[i] = a[i] & b[i];
        return;
      case BinaryOp::Or:
        for (int64_t i = 0; i < n; ++i) y[i] = a[i] | b[i];
        return;
      case BinaryOp::Xor:
        for (int64_t i = 0; i < n; ++i) y[i] = a[i] ^ b[i];
        return;
      case BinaryOp::ShiftLeft:
        for (int64_t i = 0; i < n; ++i) y[i] = shift_left(a[i], b[i]);
        return;
      case BinaryOp::ShiftRightLogical:
        for (int64_t i = 0; i < n; ++i) y[i] = shift_right_logical(a[i], b[i]);
        return;
      case BinaryOp::ShiftRightArithmetic:
        for (int64_t i = 0; i < n; ++i) y[i] = shift_right_arithmetic(a[i], b[i]);
        return;
      default:
        break;
    }
  }
  fail(name(op), "no CPU kernel for this dtype (the shape rule should have rejected it)");
}

template <typename T>
void compare_span(CompareOp op, int64_t n, const T* a, const T* b, uint8_t* y) {
  switch (op) {
    case CompareOp::Eq:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] == b[i];
      return;
    case CompareOp::Ne:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] != b[i];
      return;
    case CompareOp::Lt:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] < b[i];
      return;
    case CompareOp::Le:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] <= b[i];
      return;
    case CompareOp::Gt:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] > b[i];
      return;
    case CompareOp::Ge:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] >= b[i];
      return;
  }
}

}  // namespace

// Transcendental functions cost tens of cycles per element: split work across threads sooner.
int64_t unary_cost(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg:
    case UnaryOp::Abs:
    case UnaryOp::Sign:
    case UnaryOp::Not:
    case UnaryOp::Floor:
    case UnaryOp::Ceil:
      return 1;
    default:
      return 16;
  }
}

int64_t binary_cost(BinaryOp op) {
  return op == BinaryOp::Pow ? 16 : 1;
}

// Non-template entry points for fused kernels; the explicit template argument picks the loop
// above rather than these overloads.
void unary_span(UnaryOp op, int64_t n, const float* x, float* y) {
  unary_span<float>(op, n, x, y);
}
void unary_span(UnaryOp op, int64_t n, const double* x, double* y) {
  unary_span<double>(op, n, x, y);
}
void unary_span(UnaryOp op, int64_t n, const uint8_t* x, uint8_t* y) {
  if (op == UnaryOp::Not) {  // bool lanes: logical, not bitwise (~1 would be 0xfe)
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] == 0;
    return;
  }
  unary_span<uint8_t>(op, n, x, y);
}
void binary_span(BinaryOp op, int64_t n, const float* a, const float* b, float* y) {
  binary_span<float>(op, n, a, b, y);
}
void binary_span(BinaryOp op, int64_t n, const double* a, const double* b, double* y) {
  binary_span<double>(op, n, a, b, y);
}
void binary_span(BinaryOp op, int64_t n, const uint8_t* a, const uint8_t* b, uint8_t* y) {
  binary_span<uint8_t>(op, n, a, b, y);
}
void compare_span(CompareOp op, int64_t n, const float* a, const float* b, uint8_t* y) {
  compare_span<float>(op, n, a, b, y);
}
void compare_span(CompareOp op, int64_t n, const double* a, const double* b, uint8_t* y) {
  compare_span<double>(op, n, a, b, y);
}
void compare_span(CompareOp op, int64_t n, const uint8_t* a, const uint8_t* b, uint8_t* y) {
  compare_span<uint8_t>(op, n, a, b, y);
}

void unary(UnaryOp op, const Array& x, const Array& out) {
  visit_dtype(x.dtype(), [&](auto tag) {
    using S = decltype(tag);
    using L = lane_t<S>;
    // bool and uint8 share the uint8_t lane; only `not` tells them apart.
    constexpr bool kBool = std::is_same_v<S, bool>;
    run_tiles<L, L, 1>(
        {&x}, out,
        [op](int64_t n, const L* const* in, L* y) {
          if constexpr (kBool) {
            unary_span(op, n, in[0], y);  // the non-template bool entry
          } else {
            unary_span<L>(op, n, in[0], y);
          }
        },
        unary_cost(op));
  });
}

void binary(BinaryOp op, const Array& a, const Array& b, const Array& out) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using L = lane_t<decltype(tag)>;
    run_tiles<L, L, 2>(
        {&a, &b}, out,
        [op](int64_t n, const L* const* in, L* y) { binary_span<L>(op, n, in[0], in[1], y); },
        binary_cost(op));
  });
}

void compare(CompareOp op, const Array& a, const Array& b, const Array& out) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using L = lane_t<decltype(tag)>;
    run_tiles<L, uint8_t, 2>({&a, &b}, out, [op](int64_t n, const L* const* in, uint8_t* y) {
      compare_span<L>(op, n, in[0], in[1], y);
    });
  });
}

void select(const Array& pred, const Array& on_true, const Array& on_false, const Array& out) {
  // The predicate is read as the branches' compute type (0 or 1) so one tile loop serves all three.
  visit_dtype(on_true.dtype(), [&](auto tag) {
    using L = lane_t<decltype(tag)>;
    run_tiles<L, L, 3>({&pred, &on_true, &on_false}, out, [](int64_t n, const L* const* in, L* y) {
      for (int64_t i = 0; i < n; ++i) y[i] = in[0][i] != L(0) ? in[1][i] : in[2][i];
    });
  });
}

void bitcast_into(const Array& x, const Array& out) {
  // Read tiles in x's own storage type (a plain copy for any strided view), then move the bytes:
  // memcpy keeps this free of type punning.
  visit_dtype(x.dtype(), [&](auto tag) {
    using S = decltype(tag);
    const StridedReader reader(x);
    auto* dst = static_cast<unsigned char*>(detail::mutable_data(out));
    parallel_for(out.size(), [&](int64_t begin, int64_t end) {
      alignas(64) S staged[kTile];
      for (int64_t t = begin; t < end; t += kTile) {
        const int64_t n = std::min(kTile, end - t);
        reader.template read<S>(t, n, staged);
        std::memcpy(dst + t * static_cast<int64_t>(sizeof(S)), staged,
                    static_cast<size_t>(n) * sizeof(S));
      }
    });
  });
}

}  // namespace strata::cpu
