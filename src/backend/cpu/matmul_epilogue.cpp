// The matmul epilogue as a loop over C, for the backends that cannot take oneDNN post-ops
// (dnnl_sgemm, the float32 staging, the reference loop).  It computes exactly what the unfused
// add, maximum, tanh and logistic primitives compute, element by element in the same order of
// operations (tanh and logistic through the unary kernels' own loops), so a fused float64 or
// integer product equals the unfused one bit for bit.
#include <algorithm>
#include <cmath>
#include <optional>
#include <type_traits>

#include "backend/cpu/dispatch.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/parallel.h"

namespace strata::cpu {

namespace {

template <typename T>
T add_bias(T x, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = wrap_unsigned_t<T>;  // wraps like the elementwise add, without signed UB
    return static_cast<T>(static_cast<U>(x) + static_cast<U>(b));
  } else {
    return static_cast<T>(x + b);
  }
}

// max(x, 0) with the elementwise maximum's NaN rule (a NaN first operand wins).
template <typename T>
T relu(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return (x > T{0} || std::isnan(x)) ? x : T{0};
  } else {
    return x > T{0} ? x : T{0};
  }
}

// The unary primitive an activation stands for, when it is one (tanh, logistic).
std::optional<UnaryOp> unary_of(MatmulActivation a) {
  if (a == MatmulActivation::Tanh) return UnaryOp::Tanh;
  if (a == MatmulActivation::Logistic) return UnaryOp::Logistic;
  return std::nullopt;
}

// One row in the storage type S, computing in C = compute_t<S> (float for the 16-bit floats,
// which round once per primitive as the elementwise kernels do: after the add, after the
// activation).
template <typename S>
void row_epilogue(const MatmulEpilogue& e, S* row, const S* bias, int64_t n) {
  using C = compute_t<S>;
  const std::optional<UnaryOp> unary = unary_of(e.activation);
  if constexpr (std::is_same_v<S, C>) {
    // Plain types: separate simple loops the compiler vectorises.
    if (e.bias) {
      for (int64_t j = 0; j < n; ++j) row[j] = add_bias(row[j], bias[j]);
    }
    if (e.activation == MatmulActivation::Relu) {
      for (int64_t j = 0; j < n; ++j) row[j] = relu(row[j]);
    } else if (unary) {
      if constexpr (std::is_floating_point_v<S>) unary_span(*unary, n, row, row);
    }
  } else if (unary) {
    // The unary kernel's float loop over a staged block, as the unfused kernel stages its tiles.
    constexpr int64_t kChunk = 256;
    C staged[kChunk];
    for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
      const int64_t m = std::min(kChunk, n - j0);
      for (int64_t j = 0; j < m; ++j) {
        S v = row[j0 + j];
        if (e.bias) v = S(static_cast<C>(v) + static_cast<C>(bias[j0 + j]));
        staged[j] = static_cast<C>(v);
      }
      unary_span(*unary, m, staged, staged);
      for (int64_t j = 0; j < m; ++j) row[j0 + j] = S(staged[j]);
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      S v = row[j];
      if (e.bias) v = S(static_cast<C>(v) + static_cast<C>(bias[j]));
      if (e.activation == MatmulActivation::Relu) v = S(relu(static_cast<C>(v)));
      row[j] = v;
    }
  }
}

}  // namespace

const char* name(MatmulActivation activation) {
  static constexpr const char* kNames[] = {"none", "relu", "tanh", "logistic"};
  return kNames[static_cast<int>(activation)];
}

void apply_matmul_epilogue(const MatmulEpilogue& epilogue, DType dtype, int64_t rows, int64_t n,
                           void* c, const void* bias) {
  if (epilogue.empty() || rows <= 0 || n <= 0) return;
  if (dtype == DType::Bool) fail("dot_general", "internal: no matmul epilogue for bool");
  if (unary_of(epilogue.activation) && !is_floating(dtype)) {
    fail("dot_general", "internal: no ", name(epilogue.activation), " epilogue for ", dtype);
  }
  visit_dtype(dtype, [&](auto tag) {
    using S = decltype(tag);
    if constexpr (!std::is_same_v<S, bool>) {
      S* out = static_cast<S*>(c);
      const S* b = static_cast<const S*>(bias);
      const std::optional<UnaryOp> unary = unary_of(epilogue.activation);
      const int64_t cost = unary ? unary_cost(*unary) : 1;
      parallel_for(
          rows,
          [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) row_epilogue(epilogue, out + r * n, b, n);
          },
          n * cost);
    }
  });
}

}  // namespace strata::cpu
