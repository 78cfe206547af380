// Reduction ops of ops.h: jax.numpy / jax.nn semantics composed from the reduce primitives and
// the elementwise ops, so they trace, differentiate and batch like everything else.
#include <algorithm>
#include <limits>

#include "ops/helpers.h"
#include "primitives/layout.h"
#include "primitives/reduce.h"
#include "primitives/sort.h"
#include "strata/grad.h"

namespace strata {

using cpu::ReduceOp;

namespace {

// `shape` with the reduced axes kept as size 1 (keepdims=True).
Shape keepdims_shape(const Shape& shape, const std::vector<int>& axes) {
  Shape out = shape;
  for (int a : axes) out[static_cast<size_t>(a)] = 1;
  return out;
}

// `shape` without the reduced axes.
Shape reduced_shape(const Shape& shape, const std::vector<int>& axes) {
  Shape out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!std::binary_search(axes.begin(), axes.end(), static_cast<int>(i))) out.push_back(shape[i]);
  }
  return out;
}

int64_t reduced_count(const Shape& shape, const std::vector<int>& axes) {
  int64_t n = 1;
  for (int a : axes) n *= shape[static_cast<size_t>(a)];
  return n;
}

Array reshape_to(const Array& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  return prim::bind1(prim::make<prim::Reshape>(shape), {a});
}

// The primitive over normalised axes, then keepdims as a reshape (as jnp does).
Array reduce(ReduceOp op, const Array& a, const std::vector<int>& axes, bool keepdims) {
  const Array r = prim::bind1(prim::make<prim::Reduce>(op, axes), {a});
  return keepdims ? reshape_to(r, keepdims_shape(a.shape(), axes)) : r;
}

// jnp.max / jnp.min / jnp.argmax have no identity: reducing an empty axis is an error, even when
// the result would be empty, as in JAX.
void reject_empty_axes(const char* api, const Array& a, const std::vector<int>& axes) {
  for (int ax : axes) {
    if (a.shape()[static_cast<size_t>(ax)] == 0) {
      fail(api, "cannot reduce axis ", ax, " of an array of shape ", to_string(a.shape()),
           ": the axis is empty and ", api,
           " has no identity; reduce only non-empty axes (sum has identity 0)");
    }
  }
}

// The max along `axis` (kept as size 1), subtracted so exp never overflows.  softmax and
// log_softmax do not depend on it, so its true gradient is zero: stop_gradient makes it a
// constant to autodiff (as jax.nn.softmax does), so the backward pass neither saves a tie mask
// for the max nor computes that zero.
Array stability_shift(const Array& x, int axis) {
  return stop_gradient(reduce(ReduceOp::Max, x, {axis}, true));
}

// Integers and bools compute in float32, as jnp.mean / jax.nn.softmax do.
Array to_inexact(const Array& a) {
  return is_floating(a.dtype()) ? a : ops::convert(a, kDefaultFloat, a.weak_type());
}

// mean / var / mean_var: jnp computes float16 and bfloat16 in float32 and rounds the result once.
struct Upcast {
  Array x;          // the operand in its computation dtype
  DType out_dtype;  // the result dtype
};
Upcast upcast_for_moments(const Array& a) {
  const Array x = to_inexact(a);
  const DType out = x.dtype();
  const bool half = out == DType::Float16 || out == DType::BFloat16;
  return {half ? ops::convert(x, DType::Float32, x.weak_type()) : x, out};
}

Array finish(const Array& r, DType dtype) {
  return ops::convert(r, dtype, r.weak_type());
}

// Mean of x (already in its computation dtype) over normalised axes; 0 elements give NaN (0 / 0).
Array mean_of(const Array& x, const std::vector<int>& axes, bool keepdims) {
  const double count = static_cast<double>(reduced_count(x.shape(), axes));
  return divide(reduce(ReduceOp::Sum, x, axes, keepdims), weak_scalar(count));
}

// Sum of squared deviations from the mean (the numerator of the variance), centred first for
// accuracy (no E[x^2] - E[x]^2 cancellation).
Array squared_deviations(const Array& x, const std::vector<int>& axes, bool keepdims) {
  const Array centred = subtract(x, mean_of(x, axes, true));
  return reduce(ReduceOp::Sum, multiply(centred, centred), axes, keepdims);
}

// An array of `shape` filled with `value` (a broadcast view of one element).
Array filled(const Shape& shape, double value, DType dtype, bool weak) {
  return ops::broadcast_to_shape(ops::convert(scalar(value), dtype, weak), shape);
}

Array arg_reduce(const char* api, bool is_max, const Array& a, int axis, bool keepdims) {
  ops::check_valid(api, a);
  const int ax = ops::normalize_axis(api, axis, a.ndim());
  reject_empty_axes(api, a, {ax});
  const Array r = prim::bind1(prim::make<prim::ArgReduce>(is_max, ax), {a});
  return keepdims ? reshape_to(r, keepdims_shape(a.shape(), {ax})) : r;
}

}  // namespace

Array sum(const Array& a, const Axes& axes, bool keepdims) {
  ops::check_valid("sum", a);
  const std::vector<int> ax = ops::normalize_axes("sum", axes, a.ndim(), true);
  // jnp.sum counts bools: they sum as the default integer type.
  const Array x = a.dtype() == DType::Bool ? ops::convert(a, kDefaultInt, false) : a;
  return reduce(ReduceOp::Sum, x, ax, keepdims);
}

Array mean(const Array& a, const Axes& axes, bool keepdims) {
  ops::check_valid("mean", a);
  const std::vector<int> ax = ops::normalize_axes("mean", axes, a.ndim(), true);
  const Upcast u = upcast_for_moments(a);
  return finish(mean_of(u.x, ax, keepdims), u.out_dtype);
}

Array max(const Array& a, const Axes& axes, bool keepdims) {
  ops::check_valid("max", a);
  const std::vector<int> ax = ops::normalize_axes("max", axes, a.ndim(), true);
  reject_empty_axes("max", a, ax);
  return reduce(ReduceOp::Max, a, ax, keepdims);
}

Array min(const Array& a, const Axes& axes, bool keepdims) {
  ops::check_valid("min", a);
  const std::vector<int> ax = ops::normalize_axes("min", axes, a.ndim(), true);
  reject_empty_axes("min", a, ax);
  return reduce(ReduceOp::Min, a, ax, keepdims);
}

Array var(const Array& a, const Axes& axes, bool keepdims, int64_t ddof) {
  ops::check_valid("var", a);
  const std::vector<int> ax = ops::normalize_axes("var", axes, a.ndim(), true);
  const Upcast u = upcast_for_moments(a);
  // Like NumPy, the divisor never goes below zero: ddof >= count gives inf (or NaN for 0 / 0)
  // rather than a negative variance.
  const int64_t divisor = std::max<int64_t>(reduced_count(a.shape(), ax) - ddof, 0);
  const Array v =
      divide(squared_deviations(u.x, ax, keepdims), weak_scalar(static_cast<double>(divisor)));
  return finish(v, u.out_dtype);
}

MeanVar mean_var(const Array& a, const Axes& axes) {
  ops::check_valid("mean_var", a);
  const std::vector<int> ax = ops::normalize_axes("mean_var", axes, a.ndim(), true);
  const Upcast u = upcast_for_moments(a);
  const Array m = mean_of(u.x, ax, true);
  const Array centred = subtract(u.x, m);
  const Array v = mean_of(multiply(centred, centred), ax, true);
  return {finish(m, u.out_dtype), finish(v, u.out_dtype)};
}

Array logsumexp(const Array& a, const Axes& axes, bool keepdims) {
  ops::check_valid("logsumexp", a);
  const std::vector<int> ax = ops::normalize_axes("logsumexp", axes, a.ndim(), true);
  const Array x = to_inexact(a);
  const Shape out_shape = keepdims ? keepdims_shape(x.shape(), ax) : reduced_shape(x.shape(), ax);
  if (reduced_count(x.shape(), ax) == 0) {  // log(0): the sum of no exponentials
    return filled(out_shape, -std::numeric_limits<double>::infinity(), x.dtype(), x.weak_type());
  }
  // Shift by the max so exp never overflows.  A non-finite max (all -inf, or any +inf / NaN)
  // shifts by 0 instead, so -inf stays -inf and +inf / NaN come through (jax.nn.logsumexp).
  // The result does not depend on the shift (its gradient is exactly zero), so it is a constant
  // to autodiff, as in JAX: the backward pass then neither saves nor differentiates the max.
  const Array m = stop_gradient(reduce(ReduceOp::Max, x, ax, true));
  const Array finite = less(abs(m), weak_scalar(std::numeric_limits<double>::infinity()));
  const Array shift = where(finite, m, weak_scalar(0.0));
  const Array s = reduce(ReduceOp::Sum, exp(subtract(x, shift)), ax, keepdims);
  return add(log(s), reshape_to(shift, out_shape));
}

Array argmax(const Array& a, int axis, bool keepdims) {
  return arg_reduce("argmax", true, a, axis, keepdims);
}

Array argmin(const Array& a, int axis, bool keepdims) {
  return arg_reduce("argmin", false, a, axis, keepdims);
}

Array argsort(const Array& a, int axis) {
  ops::check_valid("argsort", a);
  if (a.ndim() == 0) {
    fail("argsort",
         "needs an operand with at least one axis, found a 0-d array; reshape it to "
         "(1,) first");
  }
  const int ax = ops::normalize_axis("argsort", axis, a.ndim());
  return prim::bind1(prim::make<prim::Argsort>(ax), {a});
}

Array softmax(const Array& a, int axis) {
  ops::check_valid("softmax", a);
  const int ax = ops::normalize_axis("softmax", axis, a.ndim());
  Array x = to_inexact(a);
  if (x.size() == 0) return x;  // nothing to normalise (and no max of an empty axis)
  const Array e = exp(subtract(x, stability_shift(x, ax)));
  return divide(e, reduce(ReduceOp::Sum, e, {ax}, true));
}

Array log_softmax(const Array& a, int axis) {
  ops::check_valid("log_softmax", a);
  const int ax = ops::normalize_axis("log_softmax", axis, a.ndim());
  Array x = to_inexact(a);
  if (x.size() == 0) return x;
  const Array shifted = subtract(x, stability_shift(x, ax));
  return subtract(shifted, log(reduce(ReduceOp::Sum, exp(shifted), {ax}, true)));
}

}  // namespace strata
