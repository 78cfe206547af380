#include "primitives/layout.h"

#include <optional>

#include "backend/cpu/strided.h"
#include "primitives/pad.h"
#include "primitives/reduce.h"
#include "strata/ops.h"
#include "transforms/batching.h"

namespace strata::prim {

// ---------------------------------------------------------------- compiled form
void LayoutPrimitive::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::copy_into(eval_eager(in)[0], out[0]);
}

Primitive::Kernel LayoutPrimitive::prepare(const std::vector<Array>& in,
                                           const std::vector<ValueType>& /*out*/) const {
  const Array& x = in[0];
  // Without a view (only a reshape can lack one) the result is x's elements in row-major order.
  const std::optional<View> v = view(x.shape(), x.strides());
  auto reader = std::make_shared<cpu::StridedReader>(v ? v->shape : x.shape(),
                                                     v ? v->strides : x.strides(), x.dtype());
  const int64_t offset_bytes = v ? v->offset * itemsize(x.dtype()) : 0;
  return [reader, offset_bytes](const std::vector<Array>& args, const std::vector<Array>& outs) {
    reader->rebase(static_cast<const char*>(args[0].data()) + offset_bytes);
    cpu::copy_into(*reader, outs[0]);
  };
}

namespace {
// The result of a layout primitive as a view of x (its view() must accept x's layout).
Array as_view(const Primitive& p, const Array& x) {
  Primitive::View v = *p.view(x.shape(), x.strides());
  return detail::make_view(x, std::move(v.shape), std::move(v.strides), x.impl().offset + v.offset);
}
}  // namespace

// ---------------------------------------------------------------- broadcast_in_dim
std::vector<ValueType> BroadcastInDim::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  const Shape& from = in[0].shape;
  if (dims_.size() != from.size()) {
    fail(name(), "broadcast_dimensions ", axes_to_string(dims_),
         " must name one output axis per operand axis; operand has shape ",
         strata::to_string(from));
  }
  for (size_t i = 0; i < dims_.size(); ++i) {
    const int d = dims_[i];
    if (d < 0 || d >= static_cast<int>(shape_.size()) || (i > 0 && d <= dims_[i - 1]) ||
        (from[i] != 1 && from[i] != shape_[static_cast<size_t>(d)])) {
      fail(name(), "cannot broadcast operand of shape ", strata::to_string(from), " to shape ",
           strata::to_string(shape_), " with broadcast_dimensions ", axes_to_string(dims_),
           " (dimensions must be increasing, in range, and sizes equal or 1)");
    }
  }
  return {ValueType{shape_, in[0].dtype, in[0].weak}};
}

std::optional<Primitive::View> BroadcastInDim::view(const Shape& shape,
                                                    const Strides& strides) const {
  Strides out(shape_.size(), 0);
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (shape[i] != 1) out[static_cast<size_t>(dims_[i])] = strides[i];
  }
  return View{shape_, std::move(out), 0};
}

std::vector<Array> BroadcastInDim::eval_eager(const std::vector<Array>& in) const {
  return {as_view(*this, in[0])};
}

// The transpose of a broadcast sums the cotangent over the axes it created or stretched, then
// restores the operand's size-1 axes.
std::vector<Array> BroadcastInDim::vjp(const VjpArgs& args) const {
  const Array& x = args.primals[0];
  std::vector<bool> kept(shape_.size(), false);
  for (size_t j = 0; j < dims_.size(); ++j) {
    const auto d = static_cast<size_t>(dims_[j]);
    kept[d] = x.shape()[j] == shape_[d];
  }
  std::vector<int> summed;
  for (size_t d = 0; d < shape_.size(); ++d) {
    if (!kept[d]) summed.push_back(static_cast<int>(d));
  }
  Array ct = args.cotangents[0];
  if (!summed.empty()) ct = bind1(make<ReduceSum>(summed), {ct});
  if (ct.shape() != x.shape()) ct = bind1(make<Reshape>(x.shape()), {ct});
  return {ct};
}

std::string BroadcastInDim::params() const {
  return detail::cat("shape=", strata::to_string(shape_),
                     " broadcast_dimensions=", axes_to_string(dims_));
}

// ---------------------------------------------------------------- reshape
std::vector<ValueType> Reshape::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  if (detail::shape_size(shape_) != detail::shape_size(in[0].shape)) {
    fail(name(), "cannot reshape an array of shape ", strata::to_string(in[0].shape), " (",
         detail::shape_size(in[0].shape), " elements) into shape ", strata::to_string(shape_), " (",
         detail::shape_size(shape_), " elements)");
  }
  return {ValueType{shape_, in[0].dtype, in[0].weak}};
}

namespace {
// Strides that let a view of `shape` address the same elements as `x` in row-major order, or
// nothing when the reshape mixes axes that are not laid out contiguously with each other (then a
// copy is needed).  Old axes are grouped so each group's product equals a group of new axes;
// within a group the old axes must be mutually contiguous.
std::optional<Strides> reshape_strides(const Shape& x_shape, const Strides& x_strides,
                                       const Shape& shape) {
  if (detail::shape_size(x_shape) == 0) return detail::row_major_strides(shape);
  Shape old_shape;
  Strides old_strides;
  for (size_t i = 0; i < x_shape.size(); ++i) {
    if (x_shape[i] == 1) continue;
    old_shape.push_back(x_shape[i]);
    old_strides.push_back(x_strides[i]);
  }
  Strides strides(shape.size(), 0);  // size-1 axes keep stride 0: they never move the cursor
  size_t oi = 0, ni = 0;
  while (ni < shape.size() && shape[ni] == 1) ++ni;
  while (oi < old_shape.size()) {
    size_t oj = oi + 1, nj = ni + 1;
    int64_t old_product = old_shape[oi], new_product = shape[ni];
    while (old_product != new_product) {
      if (new_product < old_product) {
        new_product *= shape[nj++];
      } else {
        old_product *= old_shape[oj++];
      }
    }
    for (size_t k = oi; k + 1 < oj; ++k) {
      if (old_strides[k] != old_strides[k + 1] * old_shape[k + 1]) return std::nullopt;
    }
    int64_t stride = old_strides[oj - 1];
    for (size_t k = nj; k-- > ni;) {
      if (shape[k] == 1) continue;
      strides[k] = stride;
      stride *= shape[k];
    }
    oi = oj;
    ni = nj;
    while (ni < shape.size() && shape[ni] == 1) ++ni;
  }
  return strides;
}
}  // namespace

std::optional<Primitive::View> Reshape::view(const Shape& shape, const Strides& strides) const {
  if (auto out = reshape_strides(shape, strides, shape_)) return View{shape_, std::move(*out), 0};
  return std::nullopt;
}

std::vector<Array> Reshape::eval_eager(const std::vector<Array>& in) const {
  const Array& x = in[0];
  if (view(x.shape(), x.strides())) return {as_view(*this, x)};
  const Array dense = cpu::contiguous(x);
  return {detail::make_view(dense, shape_, detail::row_major_strides(shape_), dense.impl().offset)};
}

std::vector<Array> Reshape::vjp(const VjpArgs& args) const {
  return {bind1(make<Reshape>(args.primals[0].shape()), {args.cotangents[0]})};
}

std::string Reshape::params() const {
  return "new_sizes=" + strata::to_string(shape_);
}

// ---------------------------------------------------------------- transpose
std::vector<ValueType> Transpose::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  const Shape& from = in[0].shape;
  std::vector<bool> seen(from.size(), false);
  bool ok = perm_.size() == from.size();
  for (int p : perm_) {
    ok = ok && p >= 0 && p < static_cast<int>(from.size()) && !seen[static_cast<size_t>(p)];
    if (ok) seen[static_cast<size_t>(p)] = true;
  }
  if (!ok) {
    fail(name(), "permutation ", axes_to_string(perm_), " is not a permutation of the ",
         from.size(), " axes of shape ", strata::to_string(from));
  }
  Shape shape(from.size());
  for (size_t i = 0; i < perm_.size(); ++i) shape[i] = from[static_cast<size_t>(perm_[i])];
  return {ValueType{shape, in[0].dtype, in[0].weak}};
}

std::optional<Primitive::View> Transpose::view(const Shape& shape, const Strides& strides) const {
  View v{Shape(perm_.size()), Strides(perm_.size()), 0};
  for (size_t i = 0; i < perm_.size(); ++i) {
    v.shape[i] = shape[static_cast<size_t>(perm_[i])];
    v.strides[i] = strides[static_cast<size_t>(perm_[i])];
  }
  return v;
}

std::vector<Array> Transpose::eval_eager(const std::vector<Array>& in) const {
  return {as_view(*this, in[0])};
}

std::vector<Array> Transpose::vjp(const VjpArgs& args) const {
  std::vector<int> inverse(perm_.size());
  for (size_t i = 0; i < perm_.size(); ++i)
    inverse[static_cast<size_t>(perm_[i])] = static_cast<int>(i);
  return {bind1(make<Transpose>(inverse), {args.cotangents[0]})};
}

std::string Transpose::params() const {
  return "permutation=" + axes_to_string(perm_);
}

// ---------------------------------------------------------------- slice
std::vector<ValueType> StaticSlice::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  const Shape& from = in[0].shape;
  const size_t nd = from.size();
  if (starts_.size() != nd || sizes_.size() != nd || steps_.size() != nd) {
    fail(name(), "expected one (start, size, step) per axis of shape ", strata::to_string(from));
  }
  for (size_t i = 0; i < nd; ++i) {
    const int64_t last = starts_[i] + (sizes_[i] - 1) * steps_[i];
    const bool ok = steps_[i] != 0 && sizes_[i] >= 0 &&
                    (sizes_[i] == 0 ||
                     (starts_[i] >= 0 && starts_[i] < from[i] && last >= 0 && last < from[i]));
    if (!ok) {
      fail(name(), "axis ", i, ": ", sizes_[i], " elements from ", starts_[i], " in steps of ",
           steps_[i], " do not fit in size ", from[i]);
    }
  }
  return {ValueType{sizes_, in[0].dtype, in[0].weak}};
}

std::optional<Primitive::View> StaticSlice::view(const Shape& shape, const Strides& strides) const {
  Strides out(shape.size());
  int64_t offset = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = strides[i] * steps_[i];
    if (sizes_[i] > 0) offset += starts_[i] * strides[i];
  }
  return View{sizes_, std::move(out), offset};
}

std::vector<Array> StaticSlice::eval_eager(const std::vector<Array>& in) const {
  return {as_view(*this, in[0])};
}

// The transpose of a slice (lax's _slice_transpose_rule): the cotangent padded with zeros back to
// the operand's shape, its elements `|step| - 1` apart.  Axes sliced with a negative step are
// reversed first, so the cotangent's elements come in increasing operand position.
std::vector<Array> StaticSlice::vjp(const VjpArgs& args) const {
  const Shape& from = args.primals[0].shape();
  const size_t nd = from.size();
  Array ct = args.cotangents[0];
  std::vector<int64_t> rev_starts(nd, 0), rev_steps(nd, 1);
  bool reversed = false;
  for (size_t i = 0; i < nd; ++i) {
    if (steps_[i] < 0 && sizes_[i] > 1) {
      rev_starts[i] = sizes_[i] - 1;
      rev_steps[i] = -1;
      reversed = true;
    }
  }
  if (reversed) ct = bind1(make<StaticSlice>(rev_starts, sizes_, rev_steps), {ct});
  std::vector<int64_t> low(nd, 0), high(nd, 0), interior(nd, 0);
  bool identity = true;
  for (size_t i = 0; i < nd; ++i) {
    const int64_t n = sizes_[i];
    if (n == 0) {
      high[i] = from[i];
    } else {
      const int64_t step = steps_[i] < 0 ? -steps_[i] : steps_[i];
      low[i] = steps_[i] > 0 ? starts_[i] : starts_[i] + (n - 1) * steps_[i];  // first position
      interior[i] = n > 1 ? step - 1 : 0;
      high[i] = from[i] - 1 - (low[i] + (n - 1) * step);
    }
    identity = identity && low[i] == 0 && high[i] == 0 && interior[i] == 0;
  }
  if (identity) return {ct};
  return {bind1(make<Pad>(low, high, interior), {ct, zeros({}, ct.dtype())})};
}

std::string StaticSlice::params() const {
  return detail::cat("start_indices=", axes_to_string(starts_), " sizes=", axes_to_string(sizes_),
                     " strides=", axes_to_string(steps_));
}

// ---- batching: the batch axis goes first in the result (broadcast, reshape, transpose), where
// the new layout is defined anyway, or stays where it is (slice).

Primitive::Batched BroadcastInDim::batch(const PrimitivePtr& /*self*/,
                                         const BatchArgs& args) const {
  const Array x = moveaxis(args.operands[0], args.dims[0], 0);
  Shape shape = shape_;
  shape.insert(shape.begin(), args.axis_size);
  std::vector<int> dims{0};
  for (int d : dims_) dims.push_back(d + 1);
  return {{bind1(make<BroadcastInDim>(shape, dims), {x})}, {0}};
}

Primitive::Batched Reshape::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  const Array x = moveaxis(args.operands[0], args.dims[0], 0);
  Shape shape = shape_;
  shape.insert(shape.begin(), args.axis_size);
  return {{bind1(make<Reshape>(shape), {x})}, {0}};
}

Primitive::Batched Transpose::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  const int d = args.dims[0];
  std::vector<int> perm{d};
  for (int p : perm_) perm.push_back(transforms::batched_axis(p, d));
  return {{bind1(make<Transpose>(perm), {args.operands[0]})}, {0}};
}

Primitive::Batched StaticSlice::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  const auto d = static_cast<size_t>(args.dims[0]);
  std::vector<int64_t> starts = starts_, sizes = sizes_, steps = steps_;
  starts.insert(starts.begin() + static_cast<long>(d), 0);
  sizes.insert(sizes.begin() + static_cast<long>(d), args.axis_size);
  steps.insert(steps.begin() + static_cast<long>(d), 1);
  return {{bind1(make<StaticSlice>(starts, sizes, steps), {args.operands[0]})}, {args.dims[0]}};
}

}  // namespace strata::prim
