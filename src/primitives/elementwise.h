// Elementwise primitives (lax.neg/exp/add/…/select/convert_element_type): operands of one shape
// and one dtype; NumPy broadcasting and promotion happen in ops.h before binding.
#pragma once

#include "backend/cpu/elementwise.h"
#include "primitives/primitive.h"

namespace strata::prim {

class Unary : public Primitive {
 public:
  explicit Unary(cpu::UnaryOp op) : op_(op) {}
  const char* name() const override { return cpu::name(op_); }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  bool can_run_in_place() const override { return true; }
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  cpu::UnaryOp op() const { return op_; }

 private:
  cpu::UnaryOp op_;
};

class Binary : public Primitive {
 public:
  explicit Binary(cpu::BinaryOp op) : op_(op) {}
  const char* name() const override { return cpu::name(op_); }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  bool can_run_in_place() const override { return true; }
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  cpu::BinaryOp op() const { return op_; }

 private:
  cpu::BinaryOp op_;
};

class Compare : public Primitive {
 public:
  explicit Compare(cpu::CompareOp op) : op_(op) {}
  const char* name() const override { return cpu::name(op_); }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  cpu::CompareOp op() const { return op_; }

 private:
  cpu::CompareOp op_;
};

// select(pred, on_true, on_false), pred bool.
class Select : public Primitive {
 public:
  const char* name() const override { return "select"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  bool can_run_in_place() const override { return true; }
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
};

// convert_element_type.  `weak` is the result's weak-type flag (promotion keeps it, astype drops
// it).
class Convert : public Primitive {
 public:
  Convert(DType dtype, bool weak) : dtype_(dtype), weak_(weak) {}
  const char* name() const override { return "convert"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::vector<Array> eval_eager(const std::vector<Array>& in) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  DType dtype() const { return dtype_; }

 private:
  DType dtype_;
  bool weak_;
};

// bitcast_convert_type between dtypes of one width (uint32 <-> float32, uint16 -> bfloat16, ...):
// the same bytes read as another type.
class BitcastConvert : public Primitive {
 public:
  explicit BitcastConvert(DType dtype) : dtype_(dtype) {}
  const char* name() const override { return "bitcast_convert_type"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  DType dtype() const { return dtype_; }

 private:
  DType dtype_;
};

}  // namespace strata::prim
