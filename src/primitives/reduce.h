// Reduction primitives (lax.reduce_sum / reduce_max / reduce_min / argmax / argmin).
//
// The attribute is the set of reduced axes, kept sorted so that two equal reductions print (and
// CSE) the same.  The output drops the reduced axes; keepdims, dtype conversions for bool sums and
// the jnp-level rules (mean, var, softmax, ...) live in ops (src/ops/reduce_ops.cpp).
#pragma once

#include "backend/cpu/reduce.h"
#include "primitives/primitive.h"

namespace strata::prim {

// reduce_sum / reduce_max / reduce_min over `axes`.  The result keeps the operand's dtype and weak
// flag.  Sums reject bool operands (ops convert them to int32 first, as jnp.sum does); max and min
// accept every dtype but, having no identity, reject an empty reduced axis.
class Reduce : public Primitive {
 public:
  Reduce(cpu::ReduceOp op, std::vector<int> axes);
  const char* name() const override { return cpu::name(op_); }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  // Plans the loop nest (and any staging copy) once for the operand's layout.
  Kernel prepare(const std::vector<Array>& in, const std::vector<ValueType>& out) const override;
  std::string params() const override { return "axes=" + axes_to_string(axes_); }
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  cpu::ReduceOp op() const { return op_; }
  const std::vector<int>& axes() const { return axes_; }

 private:
  cpu::ReduceOp op_;
  std::vector<int> axes_;  // sorted
};

class ReduceSum : public Reduce {
 public:
  explicit ReduceSum(std::vector<int> axes) : Reduce(cpu::ReduceOp::Sum, std::move(axes)) {}
};
class ReduceMax : public Reduce {
 public:
  explicit ReduceMax(std::vector<int> axes) : Reduce(cpu::ReduceOp::Max, std::move(axes)) {}
};
class ReduceMin : public Reduce {
 public:
  explicit ReduceMin(std::vector<int> axes) : Reduce(cpu::ReduceOp::Min, std::move(axes)) {}
};

// argmax / argmin along one axis: the index (int32) of the first extreme element, NaN counting
// as the extreme (jnp.argmax).  The axis must be non-empty and shorter than 2^31.
class ArgReduce : public Primitive {
 public:
  ArgReduce(bool is_max, int axis) : is_max_(is_max), axis_(axis) {}
  const char* name() const override { return is_max_ ? "argmax" : "argmin"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  // Allocates the dense staging copy of a strided or 16-bit operand once.
  Kernel prepare(const std::vector<Array>& in, const std::vector<ValueType>& out) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  bool is_max() const { return is_max_; }
  int axis() const { return axis_; }

 private:
  bool is_max_;
  int axis_;
};

class ArgMax : public ArgReduce {
 public:
  explicit ArgMax(int axis) : ArgReduce(true, axis) {}
};
class ArgMin : public ArgReduce {
 public:
  explicit ArgMin(int axis) : ArgReduce(false, axis) {}
};

}  // namespace strata::prim
