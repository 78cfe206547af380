// The dot_general primitive (lax.dot_general): a contraction of two arrays over paired
// contracting dimensions, batched over paired batch dimensions.  The result's axes are the batch
// axes, then the lhs's free axes, then the rhs's free axes, each in operand order.  matmul, dot,
// einsum-like products and the vjp of all of them are expressed with it.
#pragma once

#include <optional>
#include <utility>

#include "backend/cpu/matmul.h"
#include "primitives/primitive.h"
#include "strata/ops.h"

namespace strata::prim {

class DotGeneral : public Primitive {
 public:
  // `dims` hold non-negative axes (ops.h normalises).  The result dtype is the operands' dtype,
  // or `preferred` (lax's preferred_element_type): float32 for float16 / bfloat16 operands keeps
  // the oneDNN accumulator's precision.
  explicit DotGeneral(DotDims dims, std::optional<DType> preferred = std::nullopt)
      : dims_(std::move(dims)), preferred_(preferred) {}
  const char* name() const override { return "dot_general"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  // Plans the GEMM once for these operand layouts; the kernel only executes the plan.
  Kernel prepare(const std::vector<Array>& in, const std::vector<ValueType>& out) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;

  const DotDims& dims() const { return dims_; }
  std::optional<DType> preferred_element_type() const { return preferred_; }

 private:
  DotDims dims_;
  std::optional<DType> preferred_;
};

// How dot_general(lhs, rhs, dims) maps onto one strided batched GEMM (cpu::MatmulProblem) for
// operands with these shapes and strides: the lhs becomes A with axes (batch, free, contract), the
// rhs B with (batch, contract, free), by reading the views' strides in that order and merging axes
// whose strides line up (x[8,128,256] . W[256,512] is one GEMM with M = 1024).  When an operand's
// view cannot be expressed for the dtype's backend (cpu::matmul_backend), copy_lhs / copy_rhs say
// so: that operand must first be copied densely with its axes in lhs_order / rhs_order, after
// which planning again yields a problem.  `dims` must be valid (infer() checked them) and every
// dimension non-zero.  The compiled executor calls this once per dot_general at compile time.
struct DotGeneralLayout {
  bool copy_lhs = false, copy_rhs = false;
  std::vector<int> lhs_order, rhs_order;
  cpu::MatmulProblem problem;  // meaningful only when neither copy is needed
};
DotGeneralLayout plan_dot_general(const Shape& lhs_shape, const Strides& lhs_strides,
                                  const Shape& rhs_shape, const Strides& rhs_strides,
                                  const DotDims& dims, DType dtype, DType out_dtype);

// The evaluation shared by dot_general and dot_general_epilogue: out = epilogue(lhs . rhs) into
// the dense `out`, copying an operand only where planning says so.  `bias` (1-D, out's dtype,
// any layout) is read when the epilogue has a bias; it runs along out's last axis, which must be
// the GEMM's N (the caller's shape rule ensures it).  Eager: plans come from the plan cache.
void run_dot_general(const Array& lhs, const Array& rhs, const Array& out, const DotDims& dims,
                     const cpu::MatmulEpilogue& epilogue = {}, const Array* bias = nullptr);
// The compiled form of run_dot_general for fixed operand layouts: takes the plan from the plan
// cache once (kernels of one problem share it: plans are immutable), and the kernel runs it
// through a cpu::BoundMatmul of its own (scratch and oneDNN memory objects; a kernel runs on one
// thread at a time) without allocating.  Operands the GEMM cannot read in place (and a
// strided bias) are copied every run into dense arrays allocated here.  Empty products get
// `fallback` (the eager evaluation).
Primitive::Kernel prepare_dot_general(const std::vector<Array>& in, const DotDims& dims,
                                      DType out_dtype, const cpu::MatmulEpilogue& epilogue,
                                      Primitive::Kernel fallback);

}  // namespace strata::prim
