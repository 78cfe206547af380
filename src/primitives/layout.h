// Layout primitives: broadcast_in_dim, reshape, transpose and static slice.  Eagerly they return
// views of their operand (zero strides, permuted strides, offsets) instead of copying; compiled,
// they copy into a dense output unless the compiler folds them into their consumer.
#pragma once

#include "primitives/primitive.h"

namespace strata::prim {

// What the four share: their compiled form, used only where view() has no answer for the
// operand's layout (a reshape of a view whose axes do not merge), copies the result densely.
class LayoutPrimitive : public Primitive {
 public:
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  // The view (or, for a reshape, the operand's row-major order) is worked out once here; the
  // kernel then only copies through a reader made for it.
  Kernel prepare(const std::vector<Array>& in, const std::vector<ValueType>& out) const override;
};

// lax.broadcast_in_dim: operand axis i becomes output axis dims[i] (sizes equal or operand 1).
class BroadcastInDim : public LayoutPrimitive {
 public:
  BroadcastInDim(Shape shape, std::vector<int> dims)
      : shape_(std::move(shape)), dims_(std::move(dims)) {}
  const char* name() const override { return "broadcast_in_dim"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  std::vector<Array> eval_eager(const std::vector<Array>& in) const override;
  std::optional<View> view(const Shape& shape, const Strides& strides) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  const Shape& shape() const { return shape_; }
  const std::vector<int>& broadcast_dimensions() const { return dims_; }

 private:
  Shape shape_;
  std::vector<int> dims_;
};

class Reshape : public LayoutPrimitive {
 public:
  explicit Reshape(Shape shape) : shape_(std::move(shape)) {}
  const char* name() const override { return "reshape"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  std::vector<Array> eval_eager(const std::vector<Array>& in) const override;
  std::optional<View> view(const Shape& shape, const Strides& strides) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;

 private:
  Shape shape_;
};

// Output axis i is operand axis perm[i].
class Transpose : public LayoutPrimitive {
 public:
  explicit Transpose(std::vector<int> perm) : perm_(std::move(perm)) {}
  const char* name() const override { return "transpose"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  std::vector<Array> eval_eager(const std::vector<Array>& in) const override;
  std::optional<View> view(const Shape& shape, const Strides& strides) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  const std::vector<int>& perm() const { return perm_; }

 private:
  std::vector<int> perm_;
};

// Static strided slice: along axis i, sizes[i] elements starting at starts[i], stepping steps[i]
// (which may be negative: a reversed view).  Indices are already normalised and in range.
class StaticSlice : public LayoutPrimitive {
 public:
  StaticSlice(std::vector<int64_t> starts, std::vector<int64_t> sizes, std::vector<int64_t> steps)
      : starts_(std::move(starts)), sizes_(std::move(sizes)), steps_(std::move(steps)) {}
  const char* name() const override { return "slice"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  std::vector<Array> eval_eager(const std::vector<Array>& in) const override;
  std::optional<View> view(const Shape& shape, const Strides& strides) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;

 private:
  std::vector<int64_t> starts_, sizes_, steps_;
};

}  // namespace strata::prim
