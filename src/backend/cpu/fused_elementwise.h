// The fused elementwise kernel: a straight-line program of elementwise ops evaluated block by
// block, so a whole chain reads its inputs and writes its outputs in one pass over memory, its
// intermediates living in small per-thread scratch blocks instead of full-size arrays.
#pragma once

#include <vector>

#include "backend/cpu/elementwise.h"
#include "strata/core/array.h"

namespace strata::cpu {

enum class FusedKind { Unary, Binary, Compare, Select, Convert };

// One step.  `args` are slots: slot i < num_inputs is input i, slot num_inputs + k is step k's
// result.  `code` is the UnaryOp/BinaryOp/CompareOp (unused for select and convert).  `dtype` is
// the result's dtype; `arg_dtype` the (first data) operand's, which for select is on_true's.
struct FusedInstr {
  FusedKind kind = FusedKind::Unary;
  int code = 0;
  DType dtype = DType::Float32;
  DType arg_dtype = DType::Float32;
  std::vector<int> args;
};

struct FusedProgram {
  int num_inputs = 0;
  std::vector<FusedInstr> steps;
  std::vector<int> outputs;  // step indices, one per output array
};

// Only these dtypes are fused: they compute in their storage type, so a fused step rounds exactly
// as the unfused kernel does (16-bit floats round through float after every op).
inline bool fusable_dtype(DType d) {
  return d == DType::Float32 || d == DType::Float64 || d == DType::Bool;
}

// Evaluates `program`.  `inputs` are views of the output shape (broadcast ones with zero strides,
// any other strides allowed); `outputs` are dense arrays of the output steps' dtypes.
void fused_elementwise(const FusedProgram& program, const std::vector<Array>& inputs,
                       const std::vector<Array>& outputs);

}  // namespace strata::cpu
