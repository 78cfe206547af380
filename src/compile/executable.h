// The compiled form of a graph: a flat list of steps over a static memory plan.
//
// Compilation (Executable::create) decides everything once: which values are views of others
// (layout primitives whose result is a stride pattern over their operand), where every other
// value lives (offsets in one arena, reused by liveness, elementwise results written in place over
// an operand that dies there), and the kernel of every op (Primitive::prepare: oneDNN plans are
// made here).  Running does none of that: it points the input and output slots at the caller's
// storage and calls the prepared kernels in order, with no allocation, hashing or graph work
// (tests/compile/no_allocation_test.cpp; oneDNN's own calls still allocate inside the library).
//
// Graph inputs and outputs are "external" slots: their storage is bound before each run
// (bind_input / bind_output), which is how a scan rebinds its body to a new slice, carry buffer
// and ys row on every iteration without copying.  An output that is a kernel's result, or a view
// covering such a result's bytes in their order (a reshape, stop_gradient), is written by that
// kernel straight into the caller's storage.  Other outputs (an input passed through, a constant,
// a strided view, a value returned twice) get a copy step.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace strata::compile {

struct ExecutableStats {
  int64_t num_ops = 0;            // ops of the compiled graph (nested bodies not counted)
  int64_t num_kernels = 0;        // steps that run a kernel
  int64_t num_views = 0;          // ops that became aliases (no kernel, no memory)
  int64_t num_in_place = 0;       // results written over a dying operand
  int64_t num_output_copies = 0;  // outputs that needed a copy step
  int64_t arena_bytes = 0;        // the static plan's arena
  // Working memory kernels keep for themselves, reported at prepare time
  // (compile/working_memory.h): nested executables (scan and checkpoint bodies), scan carries,
  // staging copies of operands, oneDNN scratchpads, fused loops' scratch blocks.
  int64_t nested_bytes = 0;
  // Planned peak of memory this executable owns while running: arena + nested (inputs and
  // outputs belong to the caller).
  int64_t planned_peak_bytes() const { return arena_bytes + nested_bytes; }
};

class Executable {
 public:
  // Compiles `graph` as it is (the optimisation passes run before, in compile/pipeline.h).
  static std::shared_ptr<Executable> create(const ir::Graph& graph);
  ~Executable();
  Executable(const Executable&) = delete;
  Executable& operator=(const Executable&) = delete;

  size_t num_inputs() const;
  size_t num_outputs() const;
  const prim::ValueType& input_type(size_t i) const;
  const prim::ValueType& output_type(size_t i) const;
  const ExecutableStats& stats() const;

  // Binds storage: `buffer` at element `offset` holds the value densely (row-major).  Outputs
  // must not overlap inputs or each other.  Bindings persist until rebound.
  void bind_input(size_t i, const std::shared_ptr<Buffer>& buffer, int64_t offset);
  void bind_output(size_t i, const std::shared_ptr<Buffer>& buffer, int64_t offset);
  // Runs the steps on the bound storage.  Not reentrant: callers serialise runs (run_locked).
  void run();

  // The convenient form: makes inputs dense if needed, allocates fresh outputs, runs under a
  // lock.  Inputs must have the input types (shape and dtype).
  std::vector<Array> operator()(const std::vector<Array>& inputs);

 private:
  struct Impl;
  explicit Executable(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::mutex mutex_;
};

// Binds a dense array as input / output i (keeps its buffer alive through the binding).
void bind_input(Executable& e, size_t i, const Array& a);
void bind_output(Executable& e, size_t i, const Array& a);

}  // namespace strata::compile
