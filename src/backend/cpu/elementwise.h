// Elementwise CPU kernels: one tiled, vectorisable loop per op, over operands of equal shape that
// may be any strided view (broadcast operands arrive as zero-stride views).  Outputs are dense.
#pragma once

#include "strata/core/array.h"

namespace strata::cpu {

enum class UnaryOp {
  Neg,
  Abs,
  Sign,
  Exp,
  Log,
  Log1p,
  Expm1,
  Sqrt,
  Rsqrt,
  Tanh,
  Logistic,
  Erf,
  Sin,
  Cos,
  Floor,
  Ceil,
  Not,     // logical not on bool, bitwise not on integers
  ErfInv,  // inverse error function (float32: the polynomial XLA lowers erf_inv to)
  // jax.nn.gelu(approximate=True), 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in one pass
  // (the composed form's operations in its order, up to FMA contraction), and its derivative in
  // x: the vjp then keeps only x, where the composed form kept its tanh and cube intermediates.
  GeluTanh,
  GeluTanhGrad,
};
// And/Or/Xor are logical on bool and bitwise on integers.  Shifts follow XLA: the amount is read
// as unsigned, and an amount of at least the bit width gives 0 (logical) or the sign fill
// (arithmetic) instead of C++'s undefined behaviour.
enum class BinaryOp {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Max,
  Min,
  And,
  Or,
  Xor,
  ShiftLeft,
  ShiftRightLogical,
  ShiftRightArithmetic
};
enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge };

const char* name(UnaryOp op);
const char* name(BinaryOp op);
const char* name(CompareOp op);

// Kernels.  Operands share one shape and (except select's predicate) one dtype; `out` is a fresh
// dense array of the result type.  Callers (the primitives) have checked all of that.
void unary(UnaryOp op, const Array& x, const Array& out);
void binary(BinaryOp op, const Array& a, const Array& b, const Array& out);
void compare(CompareOp op, const Array& a, const Array& b, const Array& out);
void select(const Array& pred, const Array& on_true, const Array& on_false, const Array& out);
// Copies x's bytes into `out`, a dense array of another dtype of the same item size.
void bitcast_into(const Array& x, const Array& out);

// The per-op loops the kernels above run on each dense tile, exposed so fused kernels
// (backend/cpu/fused_elementwise) compute bit-identical results by running the very same code.
// Lanes are compute types: float, double, or uint8_t for bool (0 or 1) — the uint8_t entries
// have bool semantics (not is logical), since fused kernels only see uint8_t lanes for bool.
void unary_span(UnaryOp op, int64_t n, const float* x, float* y);
void unary_span(UnaryOp op, int64_t n, const double* x, double* y);
void unary_span(UnaryOp op, int64_t n, const uint8_t* x, uint8_t* y);
void binary_span(BinaryOp op, int64_t n, const float* a, const float* b, float* y);
void binary_span(BinaryOp op, int64_t n, const double* a, const double* b, double* y);
void binary_span(BinaryOp op, int64_t n, const uint8_t* a, const uint8_t* b, uint8_t* y);
void compare_span(CompareOp op, int64_t n, const float* a, const float* b, uint8_t* y);
void compare_span(CompareOp op, int64_t n, const double* a, const double* b, uint8_t* y);
void compare_span(CompareOp op, int64_t n, const uint8_t* a, const uint8_t* b, uint8_t* y);
// Cost of one element relative to an add (transcendentals are ~16): scales the threading grain.
int64_t unary_cost(UnaryOp op);
int64_t binary_cost(BinaryOp op);

}  // namespace strata::cpu
