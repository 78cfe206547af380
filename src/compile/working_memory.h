// Accounting for memory that kernels prepare for themselves at compile time (a scan's body
// executable and carry buffers, staging copies of operands, scratch), so an executable's planned
// peak includes everything it keeps besides its arena.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "primitives/primitive.h"

namespace strata::compile {

// While alive, report_working_memory() adds to `total` (scopes nest: inner ones shadow outer).
class WorkingMemoryScope {
 public:
  explicit WorkingMemoryScope(int64_t& total);
  ~WorkingMemoryScope();
  WorkingMemoryScope(const WorkingMemoryScope&) = delete;
  WorkingMemoryScope& operator=(const WorkingMemoryScope&) = delete;

 private:
  int64_t* previous_;
};

void report_working_memory(int64_t bytes);

// A dense array for a kernel's own use (staging, scratch), allocated by prepare() and reported.
Array working_array(const Shape& shape, DType dtype);

// The kernel of a primitive that runs compiled graphs on dense operands (scan, checkpoint):
// operands that arrive as strided views (a transposed or broadcast constant) are staged into
// dense buffers allocated now, at prepare time, and counted in `working_bytes`.
using DenseRun = std::function<void(const std::vector<Array>& in, const std::vector<Array>& out)>;
prim::Primitive::Kernel dense_operand_kernel(const std::vector<Array>& inputs, DenseRun run,
                                             int64_t& working_bytes);

}  // namespace strata::compile
