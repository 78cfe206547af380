// fused_elementwise: a chain of elementwise primitives (unary, binary, compare, select, convert)
// evaluated as one op, so intermediates never become full-size arrays.  Produced by
// compile::fuse_elementwise; the program is a primitive attribute, so identical fusions are
// CSE-equivalent and the printer shows the program.
#pragma once

#include "backend/cpu/fused_elementwise.h"
#include "primitives/primitive.h"

namespace strata::prim {

// An operand of the fused op: its shape and dtype, and where its axes go in the output
// (broadcast_in_dim's broadcast_dimensions).  An input of the output shape has (0, ..., r-1); a
// bias [F] feeding [B,F] has (1,) and is read with zero strides, never materialised.
struct FusedInput {
  Shape shape;
  DType dtype = DType::Float32;
  std::vector<int> broadcast_dimensions;
};

// A step applies an elementwise primitive to slots: slot i < inputs is input i, slot
// inputs + k is step k's result.  Args must name earlier slots.
struct FusedStep {
  PrimitivePtr primitive;  // Unary, Binary, Compare, Select or Convert
  std::vector<int> args;
};

class FusedElementwise : public Primitive {
 public:
  // `outputs` are step indices, one per result.  Validates the program (throwing
  // strata::Error "[fused_elementwise] ...").
  FusedElementwise(Shape shape, std::vector<FusedInput> inputs, std::vector<FusedStep> steps,
                   std::vector<int> outputs);
  const char* name() const override { return "fused_elementwise"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  // Plans the loop (buffers, input readers, scratch) once for these input layouts.
  Kernel prepare(const std::vector<Array>& in, const std::vector<ValueType>& out) const override;
  std::string params() const override;

  // True for the primitives a program may contain (their dtypes are checked separately, with
  // cpu::fusable_dtype).
  static bool is_fusable(const Primitive& p);

  const Shape& shape() const { return shape_; }
  const std::vector<FusedInput>& inputs() const { return inputs_; }
  const std::vector<FusedStep>& steps() const { return steps_; }
  const std::vector<int>& outputs() const { return outputs_; }

 private:
  // Slot types for the given input types (weak flags included), each step checked by its own
  // primitive's shape rule.
  std::vector<ValueType> slot_types(const std::vector<ValueType>& in) const;
  // The kernel for inputs laid out as `in` (only their shapes and strides are read).
  cpu::FusedKernel kernel(const std::vector<Array>& in) const;

  Shape shape_;
  std::vector<FusedInput> inputs_;
  std::vector<FusedStep> steps_;
  std::vector<int> outputs_;
  cpu::FusedProgram program_;  // the kernel's form, built once
};

}  // namespace strata::prim
