// Creation ops of ops.h: constants are a 0-d literal broadcast to the shape (eagerly a zero-stride
// view, so zeros({4096, 4096}) allocates one element; arrays are immutable, so the view is
// indistinguishable from a filled array), ranges are iota plus elementwise arithmetic.
#include <cmath>

#include "backend/cpu/dispatch.h"
#include "ops/helpers.h"
#include "primitives/data_movement.h"
#include "primitives/layout.h"

namespace strata {

namespace {

// A strongly typed 0-d literal holding `value` converted to `dtype` exactly once (double ->
// float16 directly would round twice through float; cpu::convert goes through float like XLA's
// constant folding, and saturates float -> int instead of invoking UB).
Array literal(double value, DType dtype) {
  return cpu::visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    return scalar<T>(cpu::convert<T>(value));
  });
}

// `value` broadcast to `shape`; weak when the result should stay weakly typed (the *_like forms
// of a weak array, as lax.full_like does).
Array filled(const char* api, const Shape& shape, double value, DType dtype, bool weak) {
  detail::checked_nbytes(shape, dtype, api);
  Array v = ops::convert(literal(value, dtype), dtype, weak);
  if (shape.empty()) return v;
  return prim::bind1(prim::make<prim::BroadcastInDim>(shape, std::vector<int>{}), {v});
}

}  // namespace

Array full(const Shape& shape, double value, DType dtype) {
  return filled("full", shape, value, dtype, false);
}
Array zeros(const Shape& shape, DType dtype) {
  return filled("zeros", shape, 0.0, dtype, false);
}
Array ones(const Shape& shape, DType dtype) {
  return filled("ones", shape, 1.0, dtype, false);
}

Array full_like(const Array& a, double value) {
  ops::check_valid("full_like", a);
  return filled("full_like", a.shape(), value, a.dtype(), a.weak_type());
}
Array zeros_like(const Array& a) {
  ops::check_valid("zeros_like", a);
  return filled("zeros_like", a.shape(), 0.0, a.dtype(), a.weak_type());
}
Array ones_like(const Array& a) {
  ops::check_valid("ones_like", a);
  return filled("ones_like", a.shape(), 1.0, a.dtype(), a.weak_type());
}

Array iota(DType dtype, const Shape& shape, int dimension) {
  detail::checked_nbytes(shape, dtype, "iota");
  if (dtype == DType::Bool) fail("iota", "dtype must be numeric, found bool");
  if (shape.empty()) fail("iota", "needs at least one dimension, found shape ()");
  const int dim = ops::normalize_axis("iota", dimension, static_cast<int>(shape.size()));
  return prim::bind1(prim::make<prim::Iota>(dtype, shape, dim), {});
}

Array arange(int64_t stop, DType dtype) {
  if (dtype == DType::Bool) fail("arange", "dtype must be numeric, found bool");
  detail::checked_nbytes({std::max<int64_t>(stop, 0)}, dtype, "arange");
  return iota(dtype, Shape{std::max<int64_t>(stop, 0)}, 0);
}

Array arange(double start, double stop, double step, DType dtype) {
  if (!std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step)) {
    fail("arange", "start, stop and step must be finite, found start=", start, " stop=", stop,
         " step=", step);
  }
  if (step == 0) fail("arange", "step cannot be zero");
  if (dtype == DType::Bool) fail("arange", "dtype must be numeric, found bool");
  const double count = std::ceil((stop - start) / step);
  if (count > 9.0e15) {
    fail("arange", "the range start=", start, " stop=", stop, " step=", step, " has ", count,
         " elements, too many to allocate");
  }
  const int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  detail::checked_nbytes({n}, DType::Float64, "arange");
  // start + i * step in float64 (one rounding to `dtype` at the end), like np.arange's values.
  Array values = iota(DType::Float64, Shape{n}, 0);
  if (step != 1.0) values = multiply(values, scalar(step));
  if (start != 0.0) values = add(values, scalar(start));
  return astype(values, dtype);
}

Array eye(int64_t n, std::optional<int64_t> m, int64_t k, DType dtype) {
  const int64_t cols = m.value_or(n);
  if (n < 0 || cols < 0) {
    fail("eye", "the number of rows and columns must be >= 0, found N=", n, " M=", cols);
  }
  if (n == 0 || cols == 0) return zeros({n, cols}, dtype);
  detail::checked_nbytes({n, cols}, DType::Int64, "eye");  // the size of the index grids below
  // Ones where column - row == k.
  const Array row = iota(DType::Int64, {n, cols}, 0);
  const Array col = iota(DType::Int64, {n, cols}, 1);
  return astype(equal(subtract(col, row), scalar<int64_t>(k)), dtype);
}

}  // namespace strata
