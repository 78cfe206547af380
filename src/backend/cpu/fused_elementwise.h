// The fused elementwise kernel: a straight-line program of elementwise ops evaluated block by
// block, so a whole chain reads its inputs and writes its outputs in one pass over memory, its
// intermediates living in small per-thread scratch blocks instead of full-size arrays.
#pragma once

#include <memory>
#include <vector>

#include "backend/cpu/elementwise.h"
#include "backend/cpu/strided.h"
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

// `program` bound to fixed input layouts: where each step writes, which scratch blocks it uses
// and how each input is read are decided once, at construction (the compiled executor's
// prepare); run() then allocates nothing.  Its per-chunk scratch is owned by the kernel, sized
// for the thread count at construction and regrown only when that rises.  Not reentrant: one run at
// a time.
class FusedKernel {
 public:
  // `inputs` read each input as a view of the output shape of `n` elements (broadcast axes with
  // zero strides, any other strides allowed); their base addresses are set by run().
  FusedKernel(FusedProgram program, std::vector<StridedReader> inputs, int64_t n);
  // Reads input i from inputs[i].data() on (the layout is the reader's, not the array's: a
  // broadcast input is passed unbroadcast); `outputs` are dense arrays of the output steps'
  // dtypes.
  void run(const std::vector<Array>& inputs, const std::vector<Array>& outputs);
  // The per-chunk scratch allocated at construction, for the thread count of that moment.
  int64_t scratch_bytes() const { return scratch_->bytes(); }

 private:
  FusedProgram program_;
  std::vector<StridedReader> readers_;
  int64_t n_ = 0;
  int64_t cost_ = 1;              // per element, for the threading grain
  std::vector<int> out_of_step_;  // the output a step writes straight into, or -1
  std::vector<int> buffer_of_;    // per slot: its scratch block, or -1
  int num_buffers_ = 0;
  std::vector<DType> slot_dtype_;
  int64_t block_bytes_ = 0;  // one scratch block: up to kBlock doubles
  int64_t chunk_bytes_ = 0;  // scratch blocks plus slot pointers, per chunk
  std::shared_ptr<Buffer> scratch_;
};

}  // namespace strata::cpu
