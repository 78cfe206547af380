// Elementwise ops of ops.h: jax.numpy semantics on top of the lax-style elementwise primitives.
#include <cmath>
#include <numbers>

#include "ops/helpers.h"
#include "primitives/elementwise.h"

namespace strata {

using cpu::BinaryOp;
using cpu::CompareOp;
using cpu::UnaryOp;

namespace {

Array unary_op(UnaryOp op, const Array& a) {
  return prim::bind1(prim::make<prim::Unary>(op), {a});
}

// Operands promoted and broadcast, then the primitive.
Array binary_op(const char* api, BinaryOp op, const Array& a, const Array& b) {
  auto ops = ops::promote_and_broadcast(api, {a, b});
  return prim::bind1(prim::make<prim::Binary>(op), {ops[0], ops[1]});
}

Array compare_op(const char* api, CompareOp op, const Array& a, const Array& b) {
  auto ops = ops::promote_and_broadcast(api, {a, b});
  return prim::bind1(prim::make<prim::Compare>(op), {ops[0], ops[1]});
}

// jnp's transcendental functions compute in floating point: integers and bools become float32.
Array to_inexact(const char* api, const Array& a) {
  ops::check_valid(api, a);
  return is_floating(a.dtype()) ? a : ops::convert(a, kDefaultFloat, a.weak_type());
}

Array float_unary(const char* api, UnaryOp op, const Array& a) {
  return unary_op(op, to_inexact(api, a));
}

void reject_bool(const char* api, const Array& a, const char* instead) {
  ops::check_valid(api, a);
  if (a.dtype() == DType::Bool) {
    fail(api, "is not defined for bool arrays (found shape ", to_string(a.shape()),
         ", dtype bool); ", instead);
  }
}

// Truth values (non-zero is true) as a bool array, for the logical ops and where().
Array truth(const char* api, const Array& a) {
  ops::check_valid(api, a);
  if (a.dtype() == DType::Bool) return a;
  return prim::bind1(prim::make<prim::Compare>(CompareOp::Ne),
                     {a, ops::broadcast_to_shape(zeros({}, a.dtype()), a.shape())});
}

// jnp's arithmetic on two bool arrays is logic: add and maximum are or, multiply and minimum and.
bool both_bool(const Array& a, const Array& b) {
  return a.valid() && b.valid() && a.dtype() == DType::Bool && b.dtype() == DType::Bool;
}

// A weakly typed constant of a's kind, for expressions like relu = max(x, 0).
Array weak_constant(double v) {
  return weak_scalar(v);
}

}  // namespace

Array astype(const Array& a, DType dtype) {
  ops::check_valid("astype", a);
  return ops::convert(a, dtype, false);
}

// ---------------------------------------------------------------- arithmetic
Array add(const Array& a, const Array& b) {
  return both_bool(a, b) ? logical_or(a, b) : binary_op("add", BinaryOp::Add, a, b);
}

Array subtract(const Array& a, const Array& b) {
  reject_bool("subtract", a, "use logical_xor, or astype(int32) first");
  reject_bool("subtract", b, "use logical_xor, or astype(int32) first");
  return binary_op("subtract", BinaryOp::Sub, a, b);
}

Array multiply(const Array& a, const Array& b) {
  return both_bool(a, b) ? logical_and(a, b) : binary_op("multiply", BinaryOp::Mul, a, b);
}

Array divide(const Array& a, const Array& b) {
  // True division: integer and bool operands divide as float32, as jnp.true_divide does.
  auto ops = ops::promote_and_broadcast("divide", {a, b});
  for (Array& x : ops) x = to_inexact("divide", x);
  return prim::bind1(prim::make<prim::Binary>(BinaryOp::Div), {ops[0], ops[1]});
}

Array pow(const Array& a, const Array& b) {
  reject_bool("pow", a, "astype(int32) first");
  reject_bool("pow", b, "astype(int32) first");
  return binary_op("pow", BinaryOp::Pow, a, b);
}

Array maximum(const Array& a, const Array& b) {
  return both_bool(a, b) ? logical_or(a, b) : binary_op("maximum", BinaryOp::Max, a, b);
}

Array minimum(const Array& a, const Array& b) {
  return both_bool(a, b) ? logical_and(a, b) : binary_op("minimum", BinaryOp::Min, a, b);
}

Array negative(const Array& a) {
  reject_bool("negative", a, "use logical_not");
  return unary_op(UnaryOp::Neg, a);
}
Array abs(const Array& a) {
  reject_bool("abs", a, "astype(int32) first");
  return unary_op(UnaryOp::Abs, a);
}
Array sign(const Array& a) {
  reject_bool("sign", a, "astype(int32) first");
  return unary_op(UnaryOp::Sign, a);
}
Array square(const Array& a) {
  ops::check_valid("square", a);
  return multiply(a, a);
}

Array exp(const Array& a) {
  return float_unary("exp", UnaryOp::Exp, a);
}
Array log(const Array& a) {
  return float_unary("log", UnaryOp::Log, a);
}
Array log1p(const Array& a) {
  return float_unary("log1p", UnaryOp::Log1p, a);
}
Array expm1(const Array& a) {
  return float_unary("expm1", UnaryOp::Expm1, a);
}
Array sqrt(const Array& a) {
  return float_unary("sqrt", UnaryOp::Sqrt, a);
}
Array rsqrt(const Array& a) {
  return float_unary("rsqrt", UnaryOp::Rsqrt, a);
}
Array tanh(const Array& a) {
  return float_unary("tanh", UnaryOp::Tanh, a);
}
Array logistic(const Array& a) {
  return float_unary("logistic", UnaryOp::Logistic, a);
}
Array sigmoid(const Array& a) {
  return float_unary("sigmoid", UnaryOp::Logistic, a);
}
Array erf(const Array& a) {
  return float_unary("erf", UnaryOp::Erf, a);
}
Array erf_inv(const Array& a) {
  return float_unary("erf_inv", UnaryOp::ErfInv, a);
}
Array sin(const Array& a) {
  return float_unary("sin", UnaryOp::Sin, a);
}
Array cos(const Array& a) {
  return float_unary("cos", UnaryOp::Cos, a);
}
Array floor(const Array& a) {
  return float_unary("floor", UnaryOp::Floor, a);
}
Array ceil(const Array& a) {
  return float_unary("ceil", UnaryOp::Ceil, a);
}

// ---------------------------------------------------------------- activations
Array relu(const Array& a) {
  reject_bool("relu", a, "astype(float32) first");
  return maximum(a, weak_constant(0.0));
}

Array gelu(const Array& a, bool approximate) {
  const Array x = to_inexact("gelu", a);
  if (approximate) {
    // jax.nn.gelu(approximate=True): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), one
    // elementwise primitive whose vjp keeps only x (backend/cpu/elementwise.h).
    return unary_op(UnaryOp::GeluTanh, x);
  }
  // Exact: 0.5 x (1 + erf(x / sqrt(2)))
  const Array e = erf(multiply(x, weak_constant(1.0 / std::numbers::sqrt2)));
  return multiply(multiply(x, weak_constant(0.5)), add(e, weak_constant(1.0)));
}

Array silu(const Array& a) {
  const Array x = to_inexact("silu", a);
  return multiply(x, logistic(x));
}

// ---------------------------------------------------------------- comparisons and logic
Array equal(const Array& a, const Array& b) {
  return compare_op("equal", CompareOp::Eq, a, b);
}
Array not_equal(const Array& a, const Array& b) {
  return compare_op("not_equal", CompareOp::Ne, a, b);
}
Array less(const Array& a, const Array& b) {
  return compare_op("less", CompareOp::Lt, a, b);
}
Array less_equal(const Array& a, const Array& b) {
  return compare_op("less_equal", CompareOp::Le, a, b);
}
Array greater(const Array& a, const Array& b) {
  return compare_op("greater", CompareOp::Gt, a, b);
}
Array greater_equal(const Array& a, const Array& b) {
  return compare_op("greater_equal", CompareOp::Ge, a, b);
}

namespace {
Array logical_op(const char* api, BinaryOp op, const Array& a, const Array& b) {
  auto ops = ops::promote_and_broadcast(api, {truth(api, a), truth(api, b)});
  return prim::bind1(prim::make<prim::Binary>(op), {ops[0], ops[1]});
}
}  // namespace

Array logical_and(const Array& a, const Array& b) {
  return logical_op("logical_and", BinaryOp::And, a, b);
}
Array logical_or(const Array& a, const Array& b) {
  return logical_op("logical_or", BinaryOp::Or, a, b);
}
Array logical_xor(const Array& a, const Array& b) {
  return logical_op("logical_xor", BinaryOp::Xor, a, b);
}
Array logical_not(const Array& a) {
  return unary_op(UnaryOp::Not, truth("logical_not", a));
}

// ---------------------------------------------------------------- bits
namespace {
void require_integer(const char* api, const Array& a, bool bool_ok) {
  ops::check_valid(api, a);
  if (is_integer(a.dtype()) || (bool_ok && a.dtype() == DType::Bool)) return;
  fail(api, "needs ", bool_ok ? "integer or bool" : "integer", " operands, found shape ",
       to_string(a.shape()), " dtype ", a.dtype(),
       is_floating(a.dtype()) ? "; to work on a float's bits, bitcast_convert_type it first"
                              : "; astype an integer dtype first");
}

Array bits_op(const char* api, BinaryOp op, const Array& a, const Array& b, bool bool_ok) {
  require_integer(api, a, bool_ok);
  require_integer(api, b, bool_ok);
  return binary_op(api, op, a, b);
}
}  // namespace

Array bitwise_and(const Array& a, const Array& b) {
  return bits_op("bitwise_and", BinaryOp::And, a, b, true);
}
Array bitwise_or(const Array& a, const Array& b) {
  return bits_op("bitwise_or", BinaryOp::Or, a, b, true);
}
Array bitwise_xor(const Array& a, const Array& b) {
  return bits_op("bitwise_xor", BinaryOp::Xor, a, b, true);
}
Array bitwise_not(const Array& a) {
  require_integer("bitwise_not", a, true);
  return unary_op(UnaryOp::Not, a);
}
Array shift_left(const Array& a, const Array& amount) {
  return bits_op("shift_left", BinaryOp::ShiftLeft, a, amount, false);
}
Array shift_right_logical(const Array& a, const Array& amount) {
  return bits_op("shift_right_logical", BinaryOp::ShiftRightLogical, a, amount, false);
}
Array shift_right_arithmetic(const Array& a, const Array& amount) {
  return bits_op("shift_right_arithmetic", BinaryOp::ShiftRightArithmetic, a, amount, false);
}

Array bitcast_convert_type(const Array& a, DType dtype) {
  ops::check_valid("bitcast_convert_type", a);
  if (a.dtype() == dtype) return a;
  return prim::bind1(prim::make<prim::BitcastConvert>(dtype), {a});
}

Array where(const Array& cond, const Array& x, const Array& y) {
  const Array c = truth("where", cond);
  auto branches = ops::promote_and_broadcast("where", {x, y});
  const Shape shape = ops::broadcast_shapes("where", c.shape(), branches[0].shape());
  return prim::bind1(prim::make<prim::Select>(), {ops::broadcast_to_shape(c, shape),
                                                  ops::broadcast_to_shape(branches[0], shape),
                                                  ops::broadcast_to_shape(branches[1], shape)});
}

// ---------------------------------------------------------------- operators
Array operator+(const Array& a, const Array& b) {
  return add(a, b);
}
Array operator-(const Array& a, const Array& b) {
  return subtract(a, b);
}
Array operator*(const Array& a, const Array& b) {
  return multiply(a, b);
}
Array operator/(const Array& a, const Array& b) {
  return divide(a, b);
}
Array operator-(const Array& a) {
  return negative(a);
}
Array operator==(const Array& a, const Array& b) {
  return equal(a, b);
}
Array operator!=(const Array& a, const Array& b) {
  return not_equal(a, b);
}
Array operator<(const Array& a, const Array& b) {
  return less(a, b);
}
Array operator<=(const Array& a, const Array& b) {
  return less_equal(a, b);
}
Array operator>(const Array& a, const Array& b) {
  return greater(a, b);
}
Array operator>=(const Array& a, const Array& b) {
  return greater_equal(a, b);
}
Array operator&&(const Array& a, const Array& b) {
  return logical_and(a, b);
}
Array operator||(const Array& a, const Array& b) {
  return logical_or(a, b);
}
Array operator!(const Array& a) {
  return logical_not(a);
}

}  // namespace strata
