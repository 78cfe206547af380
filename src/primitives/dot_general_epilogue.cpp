#include "primitives/dot_general_epilogue.h"

#include <algorithm>

#include "primitives/dot_general.h"

namespace strata::prim {

std::vector<ValueType> DotGeneralEpilogue::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 3);
  ValueType out = DotGeneral(dims_, preferred_).infer({in[0], in[1]})[0];
  const size_t rhs_rank = in[1].shape.size();
  const size_t rhs_free = rhs_rank - dims_.rhs_contract.size() - dims_.rhs_batch.size();
  if (rhs_free != 1) {
    fail(name(), "the rhs must have exactly one free axis (the bias runs along it), found ",
         rhs_free, " for rhs ", to_string(in[1]), " with contracting ",
         axes_to_string(dims_.rhs_contract), " and batch ", axes_to_string(dims_.rhs_batch));
  }
  const ValueType& bias = in[2];
  if (bias.shape != Shape{out.shape.back()} || bias.dtype != out.dtype) {
    fail(name(), "bias must be ", to_string(ValueType{{out.shape.back()}, out.dtype}),
         " (the result's last axis and dtype), found ", to_string(bias));
  }
  if (bias.dtype == DType::Bool) fail(name(), "bool products take no bias or activation");
  const bool unary =
      activation_ == cpu::MatmulActivation::Tanh || activation_ == cpu::MatmulActivation::Logistic;
  if (unary && !is_floating(out.dtype)) {
    fail(name(), "activation ", cpu::name(activation_), " needs a floating-point product, found ",
         to_string(out));
  }
  // As add (and maximum with a weak zero) would type it.
  out.weak = out.weak && bias.weak;
  return {out};
}

void DotGeneralEpilogue::eval_cpu(const std::vector<Array>& in,
                                  const std::vector<Array>& out) const {
  run_dot_general(in[0], in[1], out[0], dims_, epilogue(), &in[2]);
}

Primitive::Kernel DotGeneralEpilogue::prepare(const std::vector<Array>& in,
                                              const std::vector<ValueType>& out) const {
  return prepare_dot_general(in, dims_, out[0].dtype, epilogue(), Primitive::prepare(in, out));
}

std::string DotGeneralEpilogue::params() const {
  std::string s = DotGeneral(dims_, preferred_).params();
  return s + " activation=" + cpu::name(activation_);
}

}  // namespace strata::prim
