#include "compile/working_memory.h"

#include <algorithm>
#include <memory>

#include "backend/cpu/strided.h"

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

Array working_array(const Shape& shape, DType dtype) {
  Array a = detail::empty(shape, dtype);
  report_working_memory(a.nbytes());
  return a;
}

prim::Primitive::Kernel dense_operand_kernel(const std::vector<Array>& inputs, DenseRun run,
                                             int64_t& working_bytes) {
  std::vector<int> staged;
  std::vector<Array> staging;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].is_contiguous()) continue;
    staged.push_back(static_cast<int>(i));
    staging.push_back(detail::empty(inputs[i].shape(), inputs[i].dtype()));
    working_bytes += staging.back().nbytes();
  }
  if (staged.empty()) return run;
  auto dense = std::make_shared<std::vector<Array>>(inputs.size());
  return [run = std::move(run), staged, staging, dense](const std::vector<Array>& in,
                                                        const std::vector<Array>& out) {
    std::copy(in.begin(), in.end(), dense->begin());
    for (size_t s = 0; s < staged.size(); ++s) {
      cpu::copy_into(in[static_cast<size_t>(staged[s])], staging[s]);
      (*dense)[static_cast<size_t>(staged[s])] = staging[s];
    }
    run(*dense, out);
  };
}

}  // namespace strata::compile
