#include "compile/working_memory.h"

namespace strata::compile {

namespace {
int64_t*& current_total() {
  thread_local int64_t* total = nullptr;
  return total;
}
}  // namespace

WorkingMemoryScope::WorkingMemoryScope(int64_t& total) : previous_(current_total()) {
  current_total() = &total;
}

WorkingMemoryScope::~WorkingMemoryScope() {
  current_total() = previous_;
}

void report_working_memory(int64_t bytes) {
  if (int64_t* total = current_total()) *total += bytes;
}

}  // namespace strata::compile
