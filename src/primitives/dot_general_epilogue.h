// dot_general_epilogue: activation(dot_general(lhs, rhs) + bias), bias broadcast along the
// result's last axis; the activation is none, relu, tanh or logistic.  The fusion pass
// (compile/fuse_matmul_epilogue) forms it from the unfused dot_general, add and maximum / tanh /
// logistic so the bias and activation are applied while the GEMM's output tile is in cache
// (oneDNN post-ops), instead of two more passes over memory.
#pragma once

#include <optional>

#include "backend/cpu/matmul.h"
#include "primitives/primitive.h"
#include "strata/ops.h"

namespace strata::prim {

class DotGeneralEpilogue : public Primitive {
 public:
  // Operands: lhs, rhs, bias.  The rhs must have exactly one free axis (the result's last axis,
  // the GEMM's N); bias is 1-D of that size and of the result's dtype.
  DotGeneralEpilogue(DotDims dims, std::optional<DType> preferred, cpu::MatmulActivation act)
      : dims_(std::move(dims)), preferred_(preferred), activation_(act) {}
  const char* name() const override { return "dot_general_epilogue"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  Kernel prepare(const std::vector<Array>& in, const std::vector<ValueType>& out) const override;
  std::string params() const override;

  const DotDims& dims() const { return dims_; }
  cpu::MatmulActivation activation() const { return activation_; }

 private:
  DotDims dims_;
  std::optional<DType> preferred_;
  cpu::MatmulActivation activation_;
  cpu::MatmulEpilogue epilogue() const { return {true, activation_}; }
};

}  // namespace strata::prim
