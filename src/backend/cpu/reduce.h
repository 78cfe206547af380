// Reduction CPU kernels: sum / max / min over a set of axes, and argmax / argmin along one axis.
//
// Operands may be any strided view; outputs are fresh dense arrays of the primitive's result
// type.  Shape and dtype checks are the primitives' job (primitives/reduce.h), not these kernels'.
#pragma once

#include <vector>

#include "strata/core/array.h"

namespace strata::cpu {

enum class ReduceOp { Sum, Max, Min };
const char* name(ReduceOp op);  // "reduce_sum", "reduce_max", "reduce_min"

// out = reduce(x) over `axes` (sorted, unique, in range); out's shape is x's without those axes.
// Sums accumulate float16/bfloat16/float32 in float32, float64 in double and integers in their
// own width with wrap-around.  Max/min propagate NaN.  A reduction over zero elements writes the
// identity (0, -inf / lowest, +inf / highest).  Results are deterministic for a given thread
// count.
void reduce(ReduceOp op, const Array& x, const std::vector<int>& axes, const Array& out);

// out (int32) = index of the first maximum (is_max) or minimum along `axis`; NaN counts as the
// extreme, so the first NaN wins.  x's `axis` must be non-empty unless out is empty.
void arg_reduce(bool is_max, const Array& x, int axis, const Array& out);

}  // namespace strata::cpu
