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
  Not,  // logical not on bool, bitwise not on integers
};
enum class BinaryOp { Add, Sub, Mul, Div, Pow, Max, Min, And, Or, Xor };
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

}  // namespace strata::cpu
