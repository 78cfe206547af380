// Shape ops of ops.h: reshape, transpose, broadcasting, axis insertion/removal, slicing, take,
// concatenation and splitting.  Each checks its arguments against the public API (so errors name
// the op the user called) and then binds layout / data-movement primitives.
#include <algorithm>
#include <limits>

#include "ops/helpers.h"
#include "primitives/data_movement.h"
#include "primitives/layout.h"

namespace strata {

namespace {

// The axes of `ndim` except `skip`, i.e. where an operand's axes land when one is inserted.
std::vector<int> dims_without(int ndim, int skip) {
  std::vector<int> dims;
  for (int i = 0; i < ndim; ++i) {
    if (i != skip) dims.push_back(i);
  }
  return dims;
}

Array reshape_to(const Array& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  return prim::bind1(prim::make<prim::Reshape>(shape), {a});
}

// Promotes like jnp.concatenate, checks ranks and shapes (naming `api`), then binds.
Array concatenate_checked(const char* api, const std::vector<Array>& arrays, int axis) {
  if (arrays.empty()) fail(api, "needs at least one array, found an empty list");
  for (const Array& a : arrays) ops::check_valid(api, a, "an element of the list");
  const Array& first = arrays[0];
  if (first.ndim() == 0) {
    fail(api,
         "0-d arrays cannot be concatenated (they have no axis to join along); use stack, "
         "or expand_dims first");
  }
  const int ax = ops::normalize_axis(api, axis, first.ndim());
  PromotedType t{first.dtype(), first.weak_type()};
  for (size_t i = 1; i < arrays.size(); ++i) {
    const Array& a = arrays[i];
    bool same = a.ndim() == first.ndim();
    for (int d = 0; same && d < first.ndim(); ++d) same = d == ax || a.shape(d) == first.shape(d);
    if (!same) {
      fail(api, "array ", i, " has shape ", to_string(a.shape()), " but array 0 has shape ",
           to_string(first.shape()), "; all shapes must agree except along axis ", ax);
    }
    t = promote_types(t.dtype, t.weak, a.dtype(), a.weak_type());
  }
  std::vector<Array> operands;
  operands.reserve(arrays.size());
  for (const Array& a : arrays) operands.push_back(ops::convert(a, t.dtype, t.weak));
  if (operands.size() == 1) return operands[0];
  Shape joined = first.shape();
  joined[static_cast<size_t>(ax)] = 0;
  for (const Array& a : arrays) {
    if (__builtin_add_overflow(joined[static_cast<size_t>(ax)], a.shape(ax),
                               &joined[static_cast<size_t>(ax)])) {
      fail(api, "the joined axis ", ax, " would have more than 2^63 - 1 elements");
    }
  }
  detail::checked_nbytes(joined, t.dtype, api);
  return prim::bind1(prim::make<prim::Concatenate>(ax), operands);
}

// The `specs` that take axis `axis` from start to stop (Python semantics) and the rest whole.
std::vector<Slice> axis_slice(int axis, std::optional<int64_t> start, std::optional<int64_t> stop) {
  std::vector<Slice> specs(static_cast<size_t>(axis) + 1);
  specs.back() = Slice{start, stop, 1};
  return specs;
}

}  // namespace

Array reshape(const Array& a, const Shape& shape) {
  ops::check_valid("reshape", a);
  Shape out = shape;
  int infer_at = -1;
  int64_t known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer_at >= 0) {
        fail("reshape", "only one dimension can be -1 (inferred), found shape ", to_string(shape));
      }
      infer_at = static_cast<int>(i);
    } else if (out[i] < 0) {
      fail("reshape", "shape ", to_string(shape), " has a negative dimension ", out[i],
           "; use -1 for the one inferred dimension");
    }
  }
  Shape given = out;  // the sizes given explicitly: their product must fit
  if (infer_at >= 0) given.erase(given.begin() + infer_at);
  known = detail::checked_size(given, "reshape");
  const int64_t n = a.size();
  if (infer_at >= 0) {
    if (known == 0) {
      fail("reshape", "cannot reshape an array of shape ", to_string(a.shape()), " (", n,
           " elements) into shape ", to_string(shape),
           ": the other dimensions hold 0 elements, so the -1 is ambiguous; give every size");
    }
    if (n % known != 0) {
      fail("reshape", "cannot reshape an array of shape ", to_string(a.shape()), " (", n,
           " elements) into shape ", to_string(shape), ": the other dimensions hold ", known,
           " elements, which does not divide ", n);
    }
    out[static_cast<size_t>(infer_at)] = n / known;
  } else if (known != n) {
    fail("reshape", "cannot reshape an array of shape ", to_string(a.shape()), " (", n,
         " elements) into shape ", to_string(shape), " (", known,
         " elements); the element counts must match");
  }
  return reshape_to(a, out);
}

Array transpose(const Array& a, const Axes& perm) {
  ops::check_valid("transpose", a);
  const int nd = a.ndim();
  std::vector<int> p;
  if (perm.empty()) {
    for (int i = nd - 1; i >= 0; --i) p.push_back(i);
  } else {
    std::vector<bool> seen(static_cast<size_t>(nd), false);
    bool ok = static_cast<int>(perm.size()) == nd;
    for (int axis : perm) {
      const int q = axis < 0 ? axis + nd : axis;
      ok = ok && q >= 0 && q < nd && !seen[static_cast<size_t>(q)];
      if (ok) seen[static_cast<size_t>(q)] = true;
      p.push_back(q);
    }
    if (!ok) {
      fail("transpose", "axes ", prim::axes_to_string(perm), " are not a permutation of the ", nd,
           " axes of an array of shape ", to_string(a.shape()),
           "; name every axis exactly once (negative axes count from the end)");
    }
  }
  bool identity = true;
  for (int i = 0; i < nd; ++i) identity = identity && p[static_cast<size_t>(i)] == i;
  if (identity) return a;
  return prim::bind1(prim::make<prim::Transpose>(p), {a});
}

Array swapaxes(const Array& a, int axis1, int axis2) {
  ops::check_valid("swapaxes", a);
  const int i = ops::normalize_axis("swapaxes", axis1, a.ndim());
  const int j = ops::normalize_axis("swapaxes", axis2, a.ndim());
  Axes perm;
  for (int k = 0; k < a.ndim(); ++k) perm.push_back(k);
  std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
  return transpose(a, perm);
}

Array moveaxis(const Array& a, int source, int destination) {
  ops::check_valid("moveaxis", a);
  const int from = ops::normalize_axis("moveaxis", source, a.ndim());
  const int to = ops::normalize_axis("moveaxis", destination, a.ndim());
  if (from == to) return a;
  Axes perm;
  for (int k = 0; k < a.ndim(); ++k) {
    if (k != from) perm.push_back(k);
  }
  perm.insert(perm.begin() + to, from);
  return transpose(a, perm);
}

Array broadcast_to(const Array& a, const Shape& shape) {
  ops::check_valid("broadcast_to", a);
  detail::checked_nbytes(shape, a.dtype(), "broadcast_to");
  const Shape& from = a.shape();
  if (from.size() > shape.size()) {
    fail("broadcast_to", "cannot broadcast shape ", to_string(from), " to ", to_string(shape),
         ": the target has fewer dimensions (broadcasting only adds leading axes)");
  }
  const size_t lead = shape.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) {
    if (from[i] != 1 && from[i] != shape[lead + i]) {
      fail("broadcast_to", "cannot broadcast shape ", to_string(from), " to ", to_string(shape),
           ": axis ", static_cast<int64_t>(i) - static_cast<int64_t>(from.size()), " has size ",
           from[i], " but the target has ", shape[lead + i],
           " (only size-1 axes can be broadcast; arrays never shrink)");
    }
  }
  return ops::broadcast_to_shape(a, shape);
}

Array expand_dims(const Array& a, int axis) {
  ops::check_valid("expand_dims", a);
  const int nd = a.ndim();
  if (axis < -nd - 1 || axis > nd) {
    fail("expand_dims", "axis ", axis, " is out of range for an array with ", nd,
         " dimensions (valid: ", -nd - 1, " to ", nd, ")");
  }
  const int ax = axis < 0 ? axis + nd + 1 : axis;
  Shape shape = a.shape();
  shape.insert(shape.begin() + ax, 1);
  // broadcast_in_dim, not reshape: it stays a view for any input layout.
  return prim::bind1(prim::make<prim::BroadcastInDim>(shape, dims_without(nd + 1, ax)), {a});
}

Array squeeze(const Array& a, const Axes& axes) {
  ops::check_valid("squeeze", a);
  const std::vector<int> drop = ops::normalize_axes("squeeze", axes, a.ndim(), false);
  for (int ax : drop) {
    if (a.shape(ax) != 1) {
      fail("squeeze", "cannot squeeze axis ", ax, " of an array of shape ", to_string(a.shape()),
           ": it has size ", a.shape(ax), ", not 1");
    }
  }
  Shape shape;
  for (int i = 0; i < a.ndim(); ++i) {
    const bool dropped =
        axes.empty() ? a.shape(i) == 1 : std::find(drop.begin(), drop.end(), i) != drop.end();
    if (!dropped) shape.push_back(a.shape(i));
  }
  return reshape_to(a, shape);
}

Array flatten(const Array& a) {
  ops::check_valid("flatten", a);
  return reshape_to(a, Shape{a.size()});
}

Array slice(const Array& a, const std::vector<Slice>& specs) {
  ops::check_valid("slice", a);
  const int nd = a.ndim();
  if (static_cast<int>(specs.size()) > nd) {
    fail("slice", "got ", specs.size(), " slice specs for an array of shape ", to_string(a.shape()),
         " with ", nd, " dimensions; give at most one per axis");
  }
  std::vector<int64_t> starts(static_cast<size_t>(nd), 0), sizes = a.shape(),
                                                           steps(static_cast<size_t>(nd), 1);
  for (size_t i = 0; i < specs.size(); ++i) {
    const Slice& s = specs[i];
    const int64_t n = a.shape()[i];
    if (s.step == 0) fail("slice", "slice step cannot be zero (axis ", i, ")");
    // Python's slice.indices(): negative bounds count from the end, then clamp.  With a negative
    // step the "before the first element" position is -1.
    const int64_t lo = s.step > 0 ? 0 : -1;
    const int64_t hi = s.step > 0 ? n : n - 1;
    auto bound = [&](std::optional<int64_t> v, int64_t fallback) {
      if (!v) return fallback;
      const int64_t x = *v < 0 ? *v + n : *v;
      return std::clamp(x, lo, hi);
    };
    const int64_t start = bound(s.start, s.step > 0 ? 0 : n - 1);
    const int64_t stop = bound(s.stop, s.step > 0 ? n : -1);
    const int64_t span = s.step > 0 ? stop - start : start - stop;
    const int64_t step_abs = s.step > 0 ? s.step : -s.step;
    const int64_t size = span <= 0 ? 0 : (span - 1) / step_abs + 1;
    starts[i] = size == 0 ? 0 : start;
    sizes[i] = size;
    steps[i] = s.step;
  }
  return prim::bind1(prim::make<prim::StaticSlice>(starts, sizes, steps), {a});
}

namespace {
// jnp.take's fill value for out-of-range rows (full() saturates the infinities to the integer
// type's extremes).
double fill_value(DType dtype) {
  if (is_floating(dtype)) return std::numeric_limits<double>::quiet_NaN();
  if (dtype == DType::Bool) return 1.0;
  return is_unsigned_integer(dtype) ? std::numeric_limits<double>::infinity()
                                    : -std::numeric_limits<double>::infinity();
}
}  // namespace

Array take(const Array& a, const Array& indices, IndexMode mode, const std::string& api) {
  const char* name = api.c_str();
  ops::check_valid(name, a, "the array");
  ops::check_valid(name, indices, "indices");
  if (a.ndim() == 0) {
    fail(name, "cannot take from a 0-d array: it has no leading axis; reshape it to (1,) first");
  }
  if (!is_integer(indices.dtype())) {
    fail(name, "indices must have an integer dtype (int32, uint32 or int64), found ",
         indices.dtype(), "; convert them with astype(int32)");
  }
  const int64_t n = a.shape(0);
  const auto gather = [&](const Array& rows) {
    return prim::bind1(prim::make<prim::Gather>(api), {a, rows});
  };
  switch (mode) {
    case IndexMode::Raise:
      return gather(prim::bind1(prim::make<prim::CheckIndex>(n, api), {indices}));
    case IndexMode::Clip: {
      if (n == 0) return gather(indices);  // nothing to clamp into: the gather reads zeros
      const Array i64 = astype(indices, DType::Int64);
      return gather(minimum(maximum(i64, weak_scalar(int64_t{0})), weak_scalar(n - 1)));
    }
    case IndexMode::Fill: {
      const Array i64 = astype(indices, DType::Int64);
      Array valid = logical_and(i64 >= weak_scalar(-n), i64 < weak_scalar(n));
      const Array rows = gather(indices);
      for (int d = 1; d < a.ndim(); ++d) valid = expand_dims(valid, -1);
      const Array fill = full({}, fill_value(a.dtype()), a.dtype());
      return where(valid, rows, fill);
    }
  }
  fail(name, "unknown IndexMode ", static_cast<int>(mode));
}

Array concatenate(const std::vector<Array>& arrays, int axis) {
  return concatenate_checked("concatenate", arrays, axis);
}

Array stack(const std::vector<Array>& arrays, int axis) {
  if (arrays.empty()) fail("stack", "needs at least one array, found an empty list");
  for (const Array& a : arrays) ops::check_valid("stack", a, "an element of the list");
  const Shape& shape = arrays[0].shape();
  for (size_t i = 1; i < arrays.size(); ++i) {
    if (arrays[i].shape() != shape) {
      fail("stack", "all arrays must have the same shape: array 0 has shape ", to_string(shape),
           ", array ", i, " has shape ", to_string(arrays[i].shape()));
    }
  }
  const int nd = static_cast<int>(shape.size());
  if (axis < -nd - 1 || axis > nd) {
    fail("stack", "axis ", axis, " is out of range for stacking arrays with ", nd,
         " dimensions (valid: ", -nd - 1, " to ", nd, ")");
  }
  std::vector<Array> expanded;
  expanded.reserve(arrays.size());
  for (const Array& a : arrays) expanded.push_back(expand_dims(a, axis));
  return concatenate_checked("stack", expanded, axis);
}

std::vector<Array> split(const Array& a, int64_t sections, int axis) {
  ops::check_valid("split", a);
  const int ax = ops::normalize_axis("split", axis, a.ndim());
  const int64_t n = a.shape(ax);
  if (sections <= 0) fail("split", "the number of sections must be positive, found ", sections);
  if (n % sections != 0) {
    fail("split", "axis ", ax, " of size ", n, " cannot be split into ", sections,
         " equal sections; pass split indices for unequal parts");
  }
  std::vector<int64_t> indices;
  for (int64_t i = 1; i < sections; ++i) indices.push_back(i * (n / sections));
  return split(a, indices, ax);
}

std::vector<Array> split(const Array& a, const std::vector<int64_t>& indices, int axis) {
  ops::check_valid("split", a);
  const int ax = ops::normalize_axis("split", axis, a.ndim());
  // Like np.split: piece k is a[indices[k-1]:indices[k]] along the axis, Python slice semantics.
  std::vector<Array> parts;
  std::optional<int64_t> start;
  for (int64_t stop : indices) {
    parts.push_back(slice(a, axis_slice(ax, start, stop)));
    start = stop;
  }
  parts.push_back(slice(a, axis_slice(ax, start, std::nullopt)));
  return parts;
}

}  // namespace strata
