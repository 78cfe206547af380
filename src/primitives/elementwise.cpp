#include "primitives/elementwise.h"

#include "backend/cpu/strided.h"

namespace strata::prim {

namespace {

// Shared rule: n operands of one shape and dtype; the result is weak only if every operand is.
ValueType same_type_operands(const char* name, const std::vector<ValueType>& in, size_t n) {
  expect_arity(name, in, n);
  ValueType out = in[0];
  for (size_t i = 1; i < n; ++i) {
    if (in[i].shape != in[0].shape || in[i].dtype != in[0].dtype) {
      fail(name, "operands must have one shape and dtype, found ", to_string(in[0]), " and ",
           to_string(in[i]), " (broadcast and promote first, as strata's ops do)");
    }
    out.weak = out.weak && in[i].weak;
  }
  return out;
}

void require(bool ok, const char* name, const ValueType& t, const char* what) {
  if (!ok) fail(name, "expected ", what, " operands, found ", to_string(t));
}

}  // namespace

std::vector<ValueType> Unary::infer(const std::vector<ValueType>& in) const {
  ValueType t = same_type_operands(name(), in, 1);
  using cpu::UnaryOp;
  switch (op_) {
    case UnaryOp::Neg:
    case UnaryOp::Abs:
    case UnaryOp::Sign:
      require(t.dtype != DType::Bool, name(), t, "numeric (not bool)");
      break;
    case UnaryOp::Not:
      require(t.dtype == DType::Bool || is_integer(t.dtype), name(), t, "bool or integer");
      break;
    default:
      require(is_floating(t.dtype), name(), t, "floating-point");
      break;
  }
  return {t};
}

void Unary::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::unary(op_, in[0], out[0]);
}

std::vector<ValueType> Binary::infer(const std::vector<ValueType>& in) const {
  ValueType t = same_type_operands(name(), in, 2);
  using cpu::BinaryOp;
  if (op_ == BinaryOp::And || op_ == BinaryOp::Or || op_ == BinaryOp::Xor) {
    require(t.dtype == DType::Bool || is_integer(t.dtype), name(), t, "bool or integer");
  } else {
    require(t.dtype != DType::Bool, name(), t, "numeric (not bool)");
  }
  return {t};
}

void Binary::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::binary(op_, in[0], in[1], out[0]);
}

std::vector<ValueType> Compare::infer(const std::vector<ValueType>& in) const {
  ValueType t = same_type_operands(name(), in, 2);
  return {ValueType{t.shape, DType::Bool, false}};
}

void Compare::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::compare(op_, in[0], in[1], out[0]);
}

std::vector<ValueType> Select::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 3);
  if (in[0].dtype != DType::Bool || in[0].shape != in[1].shape) {
    fail(name(), "expected a bool predicate of the branches' shape ",
         strata::to_string(in[1].shape), ", found ", to_string(in[0]));
  }
  return {same_type_operands(name(), {in[1], in[2]}, 2)};
}

void Select::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::select(in[0], in[1], in[2], out[0]);
}

std::vector<ValueType> Convert::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  return {ValueType{in[0].shape, dtype_, weak_}};
}

void Convert::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::copy_into(in[0], out[0]);
}

std::vector<Array> Convert::eval_eager(const std::vector<Array>& in) const {
  if (in[0].dtype() == dtype_) return {detail::with_weak_type(in[0], weak_)};  // no copy
  return {detail::with_weak_type(cpu::contiguous_copy(in[0], dtype_), weak_)};
}

std::string Convert::params() const {
  return detail::cat("new_dtype=", dtype_, weak_ ? " weak_type=True" : "");
}

}  // namespace strata::prim
