// Accounting for memory that kernels prepare for themselves at compile time (a scan's body
// executable and carry buffers), so an executable's planned peak includes its nested bodies.
#pragma once

#include <cstdint>

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

}  // namespace strata::compile
