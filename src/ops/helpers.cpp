#include "ops/helpers.h"

#include <algorithm>

#include "primitives/elementwise.h"
#include "primitives/layout.h"
#include "trace/frame.h"

namespace strata::ops {

int normalize_axis(const char* api, int axis, int ndim) {
  if (axis < -ndim || axis >= ndim) {
    fail(api, "axis ", axis, " is out of range for an array with ", ndim, " dimension",
         ndim == 1 ? "" : "s", " (valid: ", -ndim, " to ", ndim - 1, ")");
  }
  return axis < 0 ? axis + ndim : axis;
}

std::vector<int> normalize_axes(const char* api, const Axes& axes, int ndim, bool empty_means_all) {
  std::vector<int> out;
  if (axes.empty() && empty_means_all) {
    for (int i = 0; i < ndim; ++i) out.push_back(i);
    return out;
  }
  for (int a : axes) out.push_back(normalize_axis(api, a, ndim));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    fail(api, "axes ", prim::axes_to_string(axes), " repeat an axis; name each axis at most once");
  }
  return out;
}

// Axis i of the right-aligned broadcast of two shapes: the sizes of a and b there (1 if absent).
static std::pair<int64_t, int64_t> aligned_sizes(const Shape& a, const Shape& b, size_t n,
                                                 size_t i) {
  return {i < n - a.size() ? 1 : a[i - (n - a.size())],
          i < n - b.size() ? 1 : b[i - (n - b.size())]};
}

std::optional<Shape> try_broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const auto [da, db] = aligned_sizes(a, b, n, i);
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Shape broadcast_shapes(const char* api, const Shape& a, const Shape& b) {
  if (std::optional<Shape> out = try_broadcast_shapes(a, b)) {
    detail::checked_size(*out, api);
    return *out;
  }
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0;; ++i) {  // name the first axis that does not broadcast
    const auto [da, db] = aligned_sizes(a, b, n, i);
    if (da != db && da != 1 && db != 1) {
      fail(api, "shapes ", to_string(a), " and ", to_string(b),
           " cannot be broadcast together: axis ", static_cast<int>(i) - static_cast<int>(n),
           " has sizes ", da, " and ", db, " (sizes must match or be 1)");
    }
  }
}

Array broadcast_to_shape(const Array& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  std::vector<int> dims(a.shape().size());
  const int lead = static_cast<int>(shape.size() - a.shape().size());
  for (size_t i = 0; i < dims.size(); ++i) dims[i] = lead + static_cast<int>(i);
  return prim::bind1(prim::make<prim::BroadcastInDim>(shape, dims), {a});
}

Array convert(const Array& a, DType dtype, bool weak) {
  if (a.dtype() == dtype && a.weak_type() == weak) return a;
  return prim::bind1(prim::make<prim::Convert>(dtype, weak), {a});
}

std::vector<Array> promote_and_broadcast(const char* api, const std::vector<Array>& operands) {
  for (const Array& a : operands) check_valid(api, a);
  PromotedType t{operands[0].dtype(), operands[0].weak_type()};
  Shape shape = operands[0].shape();
  for (size_t i = 1; i < operands.size(); ++i) {
    t = promote_types(t.dtype, t.weak, operands[i].dtype(), operands[i].weak_type());
    shape = broadcast_shapes(api, shape, operands[i].shape());
  }
  std::vector<Array> out;
  out.reserve(operands.size());
  for (const Array& a : operands) {
    out.push_back(broadcast_to_shape(convert(a, t.dtype, t.weak), shape));
  }
  return out;
}

void check_valid(const char* api, const Array& a, const char* what) {
  if (!a.valid()) {
    fail(api, what, " is an empty Array (default-constructed); pass an array with a value");
  }
  tracing::check_not_leaked(api, a, what);
}

}  // namespace strata::ops
