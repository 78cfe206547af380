// Discrete samplers: bernoulli, categorical and permutation, built from uniform, gumbel and
// argsort exactly as jax.random builds them, so the same key draws the same values.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "ops/helpers.h"
#include "random/internal.h"
#include "strata/ops.h"
#include "strata/random.h"

namespace strata::random {

namespace {

void check_floating(const char* api, const char* what, DType dtype) {
  if (!is_floating(dtype)) {
    fail(api, what, " must have a floating-point dtype, found ", dtype,
         "; convert it with astype(x, strata::float32)");
  }
}

// Throws unless `from` broadcasts to exactly `to` (jax.random's _check_shape).
void check_broadcasts(const char* api, const char* what, const Shape& from, const Shape& to) {
  const std::optional<Shape> b = ops::try_broadcast_shapes(from, to);
  if (!b || *b != to) {
    fail(api, "the shape ", to_string(to), " is not a broadcast of ", what, "'s shape ",
         to_string(from), "; pass a shape that ", what, " broadcasts to");
  }
}

// jax.random._shuffle's number of sorting rounds: enough fresh 32-bit sort keys that ties
// between n elements are unlikely (ceil(3 ln n / ln(2^32 - 1))).
int shuffle_rounds(int64_t n) {
  const double rounds = 3.0 * std::log(static_cast<double>(std::max<int64_t>(n, 1))) /
                        std::log(static_cast<double>(std::numeric_limits<uint32_t>::max()));
  return static_cast<int>(std::ceil(rounds));
}

// The order jax.random._shuffle puts n elements in: each round sorts (stably) by fresh random
// 32-bit keys, drawn from the second half of a split of the running key.
Array shuffled_order(const char* api, const Array& key, int64_t n) {
  detail::check_key(api, key);
  detail::check_shape(api, {n});
  Array order = arange(n);
  Array k = key;
  for (int r = 0; r < shuffle_rounds(n); ++r) {
    const Array keys = split(k);
    k = keys[0];
    order = take(order, argsort(bits(keys[1], {n})));
  }
  return order;
}

}  // namespace

Array bernoulli(const Array& key, double p, Shape shape) {
  return bernoulli(key, full({}, p, DType::Float32), std::move(shape));
}

Array bernoulli(const Array& key, const Array& p, std::optional<Shape> shape) {
  detail::check_key("random.bernoulli", key);
  check_floating("random.bernoulli", "p", p.dtype());
  const Shape out = std::move(shape).value_or(p.shape());
  detail::check_shape("random.bernoulli", out);
  check_broadcasts("random.bernoulli", "p", p.shape(), out);
  return less(uniform(key, out, p.dtype()), p);
}

Array categorical(const Array& key, const Array& logits, int axis, std::optional<Shape> shape) {
  const char* api = "random.categorical";
  detail::check_key(api, key);
  check_floating(api, "logits", logits.dtype());
  if (logits.ndim() == 0) {
    fail(api, "logits must have at least one axis (the categories), found a 0-d array");
  }
  const int ndim = logits.ndim();
  if (axis < -ndim || axis >= ndim) {
    fail(api, "axis ", axis, " is out of range for logits of shape ", to_string(logits.shape()),
         " (valid: ", -ndim, " to ", ndim - 1, ")");
  }
  const int ax = axis < 0 ? axis + ndim : axis;
  const int64_t categories = logits.shape()[static_cast<size_t>(ax)];
  if (categories == 0) fail(api, "logits have no categories: axis ", axis, " has size 0");
  Shape batch = logits.shape();
  batch.erase(batch.begin() + ax);
  const Shape out = std::move(shape).value_or(batch);
  detail::check_shape(api, out);
  check_broadcasts(api, "logits (without the category axis)", batch, out);
  // The Gumbel noise has the result's shape with the category axis put back at the same place
  // counted from the end; logits broadcast against it.
  Shape noise_shape = out;
  const int from_end = ndim - ax;  // >= 1
  noise_shape.insert(noise_shape.end() - (from_end - 1), categories);
  const Array noisy = gumbel(key, noise_shape, logits.dtype()) + logits;
  return argmax(noisy, static_cast<int>(noise_shape.size()) - from_end);
}

Array permutation(const Array& key, int64_t n) {
  return shuffled_order("random.permutation", key, n);
}

Array permutation(const Array& key, const Array& x, int axis) {
  const char* api = "random.permutation";
  if (x.ndim() == 0) {
    fail(api,
         "x must have at least one axis, found a 0-d array; to permute 0 .. n-1 pass the "
         "integer n");
  }
  const int ndim = x.ndim();
  if (axis < -ndim || axis >= ndim) {
    fail(api, "axis ", axis, " is out of range for x of shape ", to_string(x.shape()),
         " (valid: ", -ndim, " to ", ndim - 1, ")");
  }
  const int ax = axis < 0 ? axis + ndim : axis;
  const Array order = shuffled_order(api, key, x.shape()[static_cast<size_t>(ax)]);
  return moveaxis(take(moveaxis(x, ax, 0), order), 0, ax);
}

}  // namespace strata::random
