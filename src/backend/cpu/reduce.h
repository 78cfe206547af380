// Reduction CPU kernels: sum / max / min over a set of axes, and argmax / argmin along one axis.
//
// Operands may be any strided view; outputs are fresh dense arrays of the primitive's result
// type.  Shape and dtype checks are the primitives' job (primitives/reduce.h), not these kernels'.
#pragma once

#include <memory>
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

// reduce() bound to one operand layout, for the compiled executor: the loop nest is planned and
// any staging (a float32 copy of a 16-bit operand, a dense copy of a view whose innermost axis is
// strided) allocated once, at construction, so run() allocates nothing.  The partial results of
// a reduction split across threads are kept between runs (regrown only if the thread count
// rises).  Not reentrant: one run at a time.
class ReduceKernel {
 public:
  ReduceKernel(ReduceOp op, const Shape& shape, const Strides& strides, DType dtype,
               const std::vector<int>& axes);
  ~ReduceKernel();
  // x has the shape, strides and dtype given at construction; out is dense.
  void run(const Array& x, const Array& out);
  // Bytes of the copies allocated at construction (the partial results, a few per thread, are
  // sized by the thread count of the runs, and not counted).
  int64_t staging_bytes() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// out (int32) = index of the first maximum (is_max) or minimum along `axis`; NaN counts as the
// extreme, so the first NaN wins.  x's `axis` must be non-empty unless out is empty.  A view or
// a 16-bit x is first copied densely: into `staging` when given (x's shape; float32 for 16-bit
// floats, else x's dtype: arg_staging_dtype), else into a fresh array.
void arg_reduce(bool is_max, const Array& x, int axis, const Array& out,
                const Array* staging = nullptr);
// The dtype arg_reduce computes x in.
inline DType arg_staging_dtype(DType x) {
  return x == DType::Float16 || x == DType::BFloat16 ? DType::Float32 : x;
}

}  // namespace strata::cpu
