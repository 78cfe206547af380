// Shared by the ops.h implementations: axis normalisation, NumPy broadcasting, JAX promotion.
// Each takes the user-facing API name so errors read "[sum] axis 3 is out of range ...".
#pragma once

#include <optional>
#include <vector>

#include "primitives/primitive.h"
#include "strata/ops.h"

namespace strata::ops {

// Maps a possibly negative axis into [0, ndim), or throws "[api] axis ... out of range".
int normalize_axis(const char* api, int axis, int ndim);
// Normalises, checks for repeats; the result is sorted.  Empty input means all axes when
// `empty_means_all` (reductions), else stays empty.
std::vector<int> normalize_axes(const char* api, const Axes& axes, int ndim, bool empty_means_all);

// NumPy broadcasting of two shapes; nothing when some axis has two sizes, neither of them 1.
std::optional<Shape> try_broadcast_shapes(const Shape& a, const Shape& b);
// The same, throwing "[api] shapes (..) and (..) cannot be broadcast" on failure.
Shape broadcast_shapes(const char* api, const Shape& a, const Shape& b);
// Broadcasts `a` (right-aligned) to `shape`, which must be a broadcast of a.shape().
Array broadcast_to_shape(const Array& a, const Shape& shape);

// convert_element_type keeping or setting the weak flag; a no-op when nothing changes.
Array convert(const Array& a, DType dtype, bool weak);

// Promotes the operands to one dtype (JAX rules, weak types included) and broadcasts them to one
// shape, ready for an elementwise primitive.
std::vector<Array> promote_and_broadcast(const char* api, const std::vector<Array>& operands);

// Checks that the array handle is non-empty ("[api] argument `what` is an empty Array").
void check_valid(const char* api, const Array& a, const char* what = "operand");

}  // namespace strata::ops
