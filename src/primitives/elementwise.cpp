#include "primitives/elementwise.h"

#include "backend/cpu/strided.h"
#include "strata/ops.h"
#include "transforms/batching.h"

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
  } else if (op_ == BinaryOp::ShiftLeft || op_ == BinaryOp::ShiftRightLogical ||
             op_ == BinaryOp::ShiftRightArithmetic) {
    require(is_integer(t.dtype), name(), t, "integer");
  } else {
    require(t.dtype != DType::Bool, name(), t, "numeric (not bool)");
  }
  return {t};
}

void Binary::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::binary(op_, in[0], in[1], out[0]);
}

// d out / d x in terms of x and out, times the cotangent.  Piecewise-constant ops (sign, floor,
// ceil) have zero derivative, as in JAX.
std::vector<Array> Unary::vjp(const VjpArgs& args) const {
  const Array& x = args.primals[0];
  const Array& out = args.outputs[0];
  const Array& ct = args.cotangents[0];
  switch (op_) {
    case cpu::UnaryOp::Neg:
      return {-ct};
    case cpu::UnaryOp::Abs:
      // +1 at x = 0 (not sign(0) = 0), as jax.lax.abs's jvp: select(x >= 0, g, -g).
      return {where(x >= 0.0, ct, -ct)};
    case cpu::UnaryOp::Exp:
      return {ct * out};
    case cpu::UnaryOp::Log:
      return {ct / x};
    case cpu::UnaryOp::Log1p:
      return {ct / (x + 1.0)};
    case cpu::UnaryOp::Expm1:
      return {ct * (out + 1.0)};
    case cpu::UnaryOp::Sqrt:
      return {ct / (2.0 * out)};
    case cpu::UnaryOp::Rsqrt:
      return {ct * -0.5 * out / x};
    case cpu::UnaryOp::Tanh:
      return {ct * (1.0 - out * out)};
    case cpu::UnaryOp::Logistic:
      return {ct * out * (1.0 - out)};
    case cpu::UnaryOp::Erf:
      return {ct * 1.1283791670955126 * exp(-(x * x))};  // 2 / sqrt(pi)
    case cpu::UnaryOp::ErfInv:
      // d/dx erf^-1(x) = 1 / erf'(y) = sqrt(pi) / 2 * exp(y^2), y = erf^-1(x)
      return {ct * 0.88622692545275801 * exp(out * out)};
    case cpu::UnaryOp::Sin:
      return {ct * cos(x)};
    case cpu::UnaryOp::Cos:
      return {-ct * sin(x)};
    case cpu::UnaryOp::GeluTanh:  // keeps only x
      return {ct * bind1(make<Unary>(cpu::UnaryOp::GeluTanhGrad), {x})};
    case cpu::UnaryOp::GeluTanhGrad: {
      // d/dx gelu'(x) = (1 - t^2) (u' - x t u'^2 + 3 k c x^2), t = tanh(u), u = k (x + c x^3)
      constexpr double k = 0.7978845608028654, c = 0.044715;
      const Array t = tanh((x + c * (x * (x * x))) * k);
      const Array du = k * (1.0 + 3.0 * c * (x * x));
      return {ct * ((1.0 - t * t) * (du - x * t * du * du + 3.0 * k * c * (x * x)))};
    }
    default:  // sign, floor, ceil, not
      return {Array()};
  }
}

// Each operand's cotangent, as jax.lax's jvp rules transposed.  max / min split the cotangent
// evenly between equal operands (JAX's balanced rule), so relu's gradient at 0 is 1/2.
std::vector<Array> Binary::vjp(const VjpArgs& args) const {
  const Array& a = args.primals[0];
  const Array& b = args.primals[1];
  const Array& out = args.outputs[0];
  const Array& ct = args.cotangents[0];
  // 1 where x alone is the result, 1/2 where both are, 0 where the other is (in x's dtype, so
  // the mask fuses with the multiply).
  auto share_of = [&](const Array& x, const Array& other) {
    const Array mine = astype(x == out, x.dtype());
    return mine / (mine + astype(other == out, x.dtype()));
  };
  switch (op_) {
    case cpu::BinaryOp::Add:
      return {ct, ct};
    case cpu::BinaryOp::Sub:
      return {ct, args.wanted[1] ? -ct : Array()};
    case cpu::BinaryOp::Mul:
      return {args.wanted[0] ? ct * b : Array(), args.wanted[1] ? ct * a : Array()};
    case cpu::BinaryOp::Div:
      return {args.wanted[0] ? ct / b : Array(), args.wanted[1] ? -ct * out / b : Array()};
    case cpu::BinaryOp::Pow:
      // d/da a^b = b a^(b-1); d/db a^b = a^b log a, taken as 0 where a = 0 (as JAX does).
      return {args.wanted[0] ? ct * b * pow(a, b - 1.0) : Array(),
              args.wanted[1] ? ct * out * log(where(a == 0.0, 1.0, a)) : Array()};
    case cpu::BinaryOp::Max:
    case cpu::BinaryOp::Min:
      return {args.wanted[0] ? ct * share_of(a, b) : Array(),
              args.wanted[1] ? ct * share_of(b, a) : Array()};
    default:  // logical / bitwise ops act on integers and booleans: no cotangent
      return {Array(), Array()};
  }
}

std::vector<ValueType> Compare::infer(const std::vector<ValueType>& in) const {
  ValueType t = same_type_operands(name(), in, 2);
  return {ValueType{t.shape, DType::Bool, false}};
}

void Compare::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::compare(op_, in[0], in[1], out[0]);
}

// A comparison's result is bool, so autodiff never hands it a cotangent; its operands get none.
std::vector<Array> Compare::vjp(const VjpArgs& /*args*/) const {
  return {Array(), Array()};
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

// Each branch gets the cotangent where it was chosen and zero elsewhere; the predicate is bool
// and gets none.
std::vector<Array> Select::vjp(const VjpArgs& args) const {
  const Array& pred = args.primals[0];
  const Array& ct = args.cotangents[0];
  return {Array(), args.wanted[1] ? where(pred, ct, 0.0) : Array(),
          args.wanted[2] ? where(pred, 0.0, ct) : Array()};
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

std::vector<Array> Convert::vjp(const VjpArgs& args) const {
  const Array& x = args.primals[0];
  if (!is_differentiable(x.dtype())) return {Array()};
  return {astype(args.cotangents[0], x.dtype())};
}

std::string Convert::params() const {
  return detail::cat("new_dtype=", dtype_, weak_ ? " weak_type=True" : "");
}

// Elementwise primitives batch by lining up their operands' batch axes.
Primitive::Batched Unary::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  return transforms::batch_elementwise(self, args);
}
Primitive::Batched Binary::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  return transforms::batch_elementwise(self, args);
}
Primitive::Batched Compare::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  return transforms::batch_elementwise(self, args);
}
Primitive::Batched Select::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  return transforms::batch_elementwise(self, args);
}
Primitive::Batched Convert::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  return transforms::batch_elementwise(self, args);
}
Primitive::Batched BitcastConvert::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  return transforms::batch_elementwise(self, args);
}

}  // namespace strata::prim

namespace strata::prim {

std::vector<ValueType> BitcastConvert::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  const ValueType& t = in[0];
  if (t.dtype == DType::Bool || dtype_ == DType::Bool) {
    fail(name(), "bool has no fixed bit layout to reinterpret, found ", to_string(t), " -> ",
         dtype_, "; convert with astype instead");
  }
  if (itemsize(t.dtype) != itemsize(dtype_)) {
    fail(name(), "needs the same bit width on both sides, found ", to_string(t), " (",
         itemsize(t.dtype) * 8, " bits) -> ", dtype_, " (", itemsize(dtype_) * 8,
         " bits); pick a target dtype of ", itemsize(t.dtype) * 8, " bits");
  }
  return {ValueType{t.shape, dtype_, false}};
}

void BitcastConvert::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::bitcast_into(in[0], out[0]);
}

// Reinterpreting bits is not differentiable (JAX has no jvp for it either): no cotangent.
std::vector<Array> BitcastConvert::vjp(const VjpArgs& /*args*/) const {
  return {Array()};
}

std::string BitcastConvert::params() const {
  return detail::cat("new_dtype=", dtype_);
}

}  // namespace strata::prim
