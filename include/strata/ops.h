// NumPy / jax.numpy-style free functions on strata::Array.
//
// Semantics follow jax.numpy: NumPy broadcasting, JAX's type promotion (see promote_types), and
// results that are new immutable arrays.  Every op is expressed through the closed primitive set,
// so the same code runs eagerly now and is traced, differentiated and batched by the transforms.
// Mistakes throw strata::Error with the op's name in brackets.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "strata/core/array.h"

namespace strata {

using Axes = std::vector<int>;

// ---------------------------------------------------------------- creation
Array zeros(const Shape& shape, DType dtype = kDefaultFloat);
Array ones(const Shape& shape, DType dtype = kDefaultFloat);
Array full(const Shape& shape, double value, DType dtype = kDefaultFloat);
Array zeros_like(const Array& a);
Array ones_like(const Array& a);
Array full_like(const Array& a, double value);
// arange(stop), arange(start, stop, step): like jnp.arange; integer arguments give int32.
Array arange(int64_t stop, DType dtype = kDefaultInt);
Array arange(double start, double stop, double step = 1.0, DType dtype = kDefaultFloat);
Array eye(int64_t n, std::optional<int64_t> m = std::nullopt, int64_t k = 0,
          DType dtype = kDefaultFloat);
// iota(dtype, shape, dimension): like lax.broadcasted_iota — the index along `dimension`.
Array iota(DType dtype, const Shape& shape, int dimension = 0);
Array astype(const Array& a, DType dtype);

// ---------------------------------------------------------------- elementwise (broadcasting)
Array add(const Array& a, const Array& b);
Array subtract(const Array& a, const Array& b);
Array multiply(const Array& a, const Array& b);
Array divide(const Array& a, const Array& b);  // true division: integers promote to float
Array pow(const Array& a, const Array& b);
Array maximum(const Array& a, const Array& b);  // NaN-propagating, like jnp.maximum
Array minimum(const Array& a, const Array& b);

Array negative(const Array& a);
Array abs(const Array& a);
Array sign(const Array& a);
Array exp(const Array& a);
Array log(const Array& a);
Array log1p(const Array& a);
Array expm1(const Array& a);
Array sqrt(const Array& a);
Array rsqrt(const Array& a);
Array square(const Array& a);
Array tanh(const Array& a);
Array logistic(const Array& a);  // 1 / (1 + exp(-a))
Array sigmoid(const Array& a);   // = logistic
Array relu(const Array& a);
Array gelu(const Array& a, bool approximate = true);  // tanh form when approximate, erf otherwise
Array silu(const Array& a);
Array erf(const Array& a);
Array erf_inv(const Array& a);  // inverse of erf on (-1, 1); ±inf at ±1 (lax.erf_inv)
Array sin(const Array& a);
Array cos(const Array& a);
Array floor(const Array& a);
Array ceil(const Array& a);

Array equal(const Array& a, const Array& b);
Array not_equal(const Array& a, const Array& b);
Array less(const Array& a, const Array& b);
Array less_equal(const Array& a, const Array& b);
Array greater(const Array& a, const Array& b);
Array greater_equal(const Array& a, const Array& b);

// Logical ops (jnp.logical_*): operands are read as truth values (non-zero is true); bool result.
Array logical_and(const Array& a, const Array& b);
Array logical_or(const Array& a, const Array& b);
Array logical_xor(const Array& a, const Array& b);
Array logical_not(const Array& a);

// Bitwise ops (jnp.bitwise_*): integer or bool operands, promoted and broadcast; on bool they
// are the logical ops.
Array bitwise_and(const Array& a, const Array& b);
Array bitwise_or(const Array& a, const Array& b);
Array bitwise_xor(const Array& a, const Array& b);
Array bitwise_not(const Array& a);
// Shifts of integers (lax.shift_*): operands promoted and broadcast; a shift amount outside
// [0, bit width) gives 0 (left, logical right) or the sign fill (arithmetic right), as in XLA.
Array shift_left(const Array& a, const Array& amount);
Array shift_right_logical(const Array& a, const Array& amount);
Array shift_right_arithmetic(const Array& a, const Array& amount);
// lax.bitcast_convert_type for equal widths: the same bits read as `dtype` (uint32 -> float32).
Array bitcast_convert_type(const Array& a, DType dtype);

// where(cond, x, y): a non-bool cond counts as true where it is nonzero (as jnp.where); x and y
// promote; all three broadcast.
Array where(const Array& cond, const Array& x, const Array& y);

// ---------------------------------------------------------------- reductions
// `axes` empty means all axes.  Negative axes count from the end; repeated axes are errors.
Array sum(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array mean(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array max(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array min(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array var(const Array& a, const Axes& axes = {}, bool keepdims = false, int64_t ddof = 0);
Array logsumexp(const Array& a, const Axes& axes = {}, bool keepdims = false);
// argmax along one axis (NaN counts as the maximum; first occurrence wins); int32 result.
Array argmax(const Array& a, int axis, bool keepdims = false);
Array argmin(const Array& a, int axis, bool keepdims = false);
// jnp.argsort(a, axis, stable=True): int32 positions that sort every line along `axis` in
// ascending order, equal elements keeping their order; floats in IEEE total order (NaNs last,
// -0 before +0, like lax.sort).  Not differentiable (an integer result); batches under vmap.
Array argsort(const Array& a, int axis = -1);
Array softmax(const Array& a, int axis = -1);
Array log_softmax(const Array& a, int axis = -1);
// Layer-norm building block: mean and (biased) variance over `axes`, with keepdims.
struct MeanVar {
  Array mean;
  Array var;
};
MeanVar mean_var(const Array& a, const Axes& axes);

// ---------------------------------------------------------------- shape ops
Array reshape(const Array& a, const Shape& shape);       // one -1 entry is inferred
Array transpose(const Array& a, const Axes& perm = {});  // empty: reverse the axes
Array swapaxes(const Array& a, int axis1, int axis2);
Array moveaxis(const Array& a, int source, int destination);  // jnp.moveaxis
Array broadcast_to(const Array& a, const Shape& shape);
Array expand_dims(const Array& a, int axis);
Array squeeze(const Array& a, const Axes& axes = {});  // empty: all size-1 axes
Array flatten(const Array& a);

// Static slicing per axis (Python's start:stop:step, negative values count from the end,
// clamped like Python).  Axes beyond the given specs are taken whole.
struct Slice {
  std::optional<int64_t> start, stop;
  int64_t step = 1;
};
Array slice(const Array& a, const std::vector<Slice>& specs);
// take(a, indices): rows of `a` along the leading axis; result shape indices.shape + a.shape[1:].
// Indices in [-n, n) are valid (negative ones count from the end).  What an index outside that
// range does is the mode's:
//   Raise (default): a strata::Error naming `api` and the index — eagerly and equally inside jit,
//     scan bodies and vmap, where the check runs as part of the compiled graph (XLA cannot raise
//     there, so JAX has no such mode under jit; strata's executables run on the host and can);
//   Clip: the index is clamped into [0, n - 1] first (jnp.take(mode="clip"): -1 reads row 0);
//   Fill: the row is filled with NaN for floating types, the lowest value for signed integers, the
//     highest for unsigned ones and true for bool (jnp.take's default mode="fill").
// Gradients flow to the rows actually read (none for filled rows).  `api` is the name errors
// report: a layer built on take passes its own (nn.Embedding does).
enum class IndexMode { Raise, Clip, Fill };
Array take(const Array& a, const Array& indices, IndexMode mode = IndexMode::Raise,
           const std::string& api = "take");
Array concatenate(const std::vector<Array>& arrays, int axis = 0);
Array stack(const std::vector<Array>& arrays, int axis = 0);
// split into `sections` equal parts, or at the given indices.
std::vector<Array> split(const Array& a, int64_t sections, int axis = 0);
std::vector<Array> split(const Array& a, const std::vector<int64_t>& indices, int axis = 0);

// ---------------------------------------------------------------- linear algebra
// matmul: NumPy semantics — 1-D operands are promoted and the added axis removed, leading batch
// dimensions broadcast.  Runs on oneDNN for float32 / bfloat16 / float16.
Array matmul(const Array& a, const Array& b);
// dot_general (lax.dot_general): result axes are batch, then a's free axes, then b's free axes.
struct DotDims {
  Axes lhs_contract, rhs_contract;
  Axes lhs_batch, rhs_batch;
};
Array dot_general(const Array& a, const Array& b, const DotDims& dims);

// ---------------------------------------------------------------- operators
Array operator+(const Array& a, const Array& b);
Array operator-(const Array& a, const Array& b);
Array operator*(const Array& a, const Array& b);
Array operator/(const Array& a, const Array& b);
Array operator-(const Array& a);
Array operator==(const Array& a, const Array& b);
Array operator!=(const Array& a, const Array& b);
Array operator<(const Array& a, const Array& b);
Array operator<=(const Array& a, const Array& b);
Array operator>(const Array& a, const Array& b);
Array operator>=(const Array& a, const Array& b);
Array operator&&(const Array& a, const Array& b);
Array operator||(const Array& a, const Array& b);
Array operator!(const Array& a);

// Mixing an array with a C++ number makes the number weakly typed, as in JAX: x_f16 * 2.0 stays
// float16, x_i32 + 1 stays int32, x_i32 * 0.5 becomes float32.
template <typename S>
concept Scalar = std::is_arithmetic_v<S> && !std::is_same_v<S, bool>;
namespace detail {
template <Scalar S>
Array weak(S s) {
  if constexpr (std::is_floating_point_v<S>) {
    return weak_scalar(static_cast<double>(s));
  } else {
    return weak_scalar(static_cast<int64_t>(s));
  }
}
}  // namespace detail
#define STRATA_SCALAR_OPERATOR(op)         \
  template <Scalar S>                      \
  Array operator op(const Array& a, S s) { \
    return a op detail::weak(s);           \
  }                                        \
  template <Scalar S>                      \
  Array operator op(S s, const Array& a) { \
    return detail::weak(s) op a;           \
  }
STRATA_SCALAR_OPERATOR(+)
STRATA_SCALAR_OPERATOR(-)
STRATA_SCALAR_OPERATOR(*)
STRATA_SCALAR_OPERATOR(/)
// where with C++ numbers for either branch (weakly typed, like jnp.where(c, x, 0.0)).
template <Scalar S>
Array where(const Array& cond, const Array& x, S y) {
  return where(cond, x, detail::weak(y));
}
template <Scalar S>
Array where(const Array& cond, S x, const Array& y) {
  return where(cond, detail::weak(x), y);
}
template <Scalar S, Scalar T>
Array where(const Array& cond, S x, T y) {
  return where(cond, detail::weak(x), detail::weak(y));
}
STRATA_SCALAR_OPERATOR(==)
STRATA_SCALAR_OPERATOR(!=)
STRATA_SCALAR_OPERATOR(<)
STRATA_SCALAR_OPERATOR(<=)
STRATA_SCALAR_OPERATOR(>)
STRATA_SCALAR_OPERATOR(>=)
#undef STRATA_SCALAR_OPERATOR

// ---------------------------------------------------------------- threads
// The OpenMP thread count used by strata's kernels and by oneDNN (one runtime for both).
// Initialised from STRATA_NUM_THREADS, else OMP_NUM_THREADS, else the number of cores.
int num_threads();
void set_num_threads(int n);

}  // namespace strata
