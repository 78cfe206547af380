// Data-movement primitives (jax.lax names): concatenate, iota, gather along the leading axis and
// its transpose scatter_add, dynamic_slice and dynamic_update_slice.  Index operands are data (they
// may be traced values), so out-of-range indices are clamped like XLA does; only eager take()
// checks its concrete indices and reports the bad one.
#pragma once

#include <string>

#include "primitives/primitive.h"

namespace strata::prim {

// lax.concatenate: operands of one dtype and rank whose shapes agree except along `axis`.
class Concatenate : public Primitive {
 public:
  explicit Concatenate(int axis) : axis_(axis) {}
  const char* name() const override { return "concatenate"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  // Allocates the dense staging copies write_window wants for short strided operands, once.
  Kernel prepare(const std::vector<Array>& in, const std::vector<ValueType>& out) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  int axis() const { return axis_; }

 private:
  int axis_;
};

// lax.broadcasted_iota: no operands; each element is its index along `dimension`.
class Iota : public Primitive {
 public:
  Iota(DType dtype, Shape shape, int dimension)
      : dtype_(dtype), shape_(std::move(shape)), dimension_(dimension) {}
  const char* name() const override { return "iota"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;

 private:
  DType dtype_;
  Shape shape_;
  int dimension_;
};

// Rows of the operand [N, ...] picked by integer indices of any shape; the result has shape
// indices.shape + operand.shape[1:].  Negative indices wrap once; what is still out of range is
// clamped (as XLA's gather does).  take() puts a check_index in front when out-of-range indices
// must raise.  `api` names the public op in shape errors; it is not part of params().
class Gather : public Primitive {
 public:
  explicit Gather(std::string api = "gather") : api_(std::move(api)) {}
  const char* name() const override { return "gather"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  // The row-index buffer (the indices' size is static) is allocated once.
  Kernel prepare(const std::vector<Array>& in, const std::vector<ValueType>& out) const override;
  std::string params() const override { return "axis=0"; }
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;

 private:
  std::string api_;
};

// The indices themselves, after checking that each lies in [-size, size): the runtime check in
// front of a gather whose out-of-range indices must raise.  It runs as a kernel wherever the
// gather runs (eagerly, in a jit executable, in a scan body, batched by vmap: the check is
// elementwise), and throws "[<api>] index ... out of range" after its loop, so the API the user
// called (take, nn.Embedding) is named even when the error surfaces while a compiled graph runs.
class CheckIndex : public Primitive {
 public:
  CheckIndex(int64_t size, std::string api) : size_(size), api_(std::move(api)) {}
  const char* name() const override { return "check_index"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::string params() const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  bool has_effect() const override { return true; }

 private:
  int64_t size_;
  std::string api_;
};

// Gather's transpose: operands (operand [N, ...], integer indices, updates of shape
// indices.shape + operand.shape[1:]); the result is the operand with update row i added to row
// indices[i].  Repeated indices accumulate, in index order (deterministic).  Indices wrap and
// clamp exactly as Gather's compiled evaluation does, so a gradient lands on the row the
// forward read.
class ScatterAdd : public Primitive {
 public:
  const char* name() const override { return "scatter_add"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::string params() const override { return "axis=0"; }
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
};

// lax.dynamic_slice: operands are the array and one 0-d integer start index per axis.  Negative
// starts wrap once, then each start is clamped so the slice of `sizes` fits.  Eagerly a view.
class DynamicSlice : public Primitive {
 public:
  explicit DynamicSlice(Shape sizes) : sizes_(std::move(sizes)) {}
  const char* name() const override { return "dynamic_slice"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::vector<Array> eval_eager(const std::vector<Array>& in) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  const Shape& sizes() const { return sizes_; }

 private:
  Shape sizes_;
};

// lax.dynamic_update_slice: operands are the array, the update (same dtype and rank, no larger)
// and one 0-d integer start index per axis, wrapped and clamped like dynamic_slice.  The result
// is the array with the window replaced by the update.
class DynamicUpdateSlice : public Primitive {
 public:
  const char* name() const override { return "dynamic_update_slice"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  // Allocates the dense staging copy write_window wants for a short strided update, once.
  Kernel prepare(const std::vector<Array>& in, const std::vector<ValueType>& out) const override;

 private:
  void run(const std::vector<Array>& in, const std::vector<Array>& out, const Array* staging) const;
};

}  // namespace strata::prim
