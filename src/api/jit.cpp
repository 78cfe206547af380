// trace / jit: recording a callable into a graph, compiling it, the per-signature cache.
#include "strata/jit.h"

#include <chrono>
#include <mutex>
#include <ostream>
#include <unordered_map>

#include "api/trace_counters.h"
#include "compile/pipeline.h"
#include "primitives/scan.h"
#include "trace/frame.h"

namespace strata {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int64_t count_ops_total(const ir::Graph& g) {
  int64_t n = 0;
  std::vector<const ir::Graph*> work{&g};
  while (!work.empty()) {
    const ir::Graph* cur = work.back();
    work.pop_back();
    n += static_cast<int64_t>(cur->ops().size());
    for (const ir::Op& op : cur->ops()) {
      for (const ir::Graph* body : op.primitive->subgraphs()) work.push_back(body);
    }
  }
  return n;
}

}  // namespace

std::string Jaxpr::to_string() const {
  return ir::to_string(*graph_);
}
int64_t Jaxpr::num_ops() const {
  return static_cast<int64_t>(graph_->ops().size());
}
int64_t Jaxpr::num_ops_total() const {
  return count_ops_total(*graph_);
}
std::ostream& operator<<(std::ostream& os, const Jaxpr& j) {
  return os << j.to_string();
}

namespace detail {

namespace {
thread_local int64_t scan_body_trace_count = 0;
}
void count_scan_body_trace() {
  ++scan_body_trace_count;
}
int64_t scan_body_traces() {
  return scan_body_trace_count;
}

bool is_tracing() {
  return tracing::is_tracing();
}

void check_arguments(const char* api, const std::vector<Array>& leaves) {
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (!leaves[i].valid()) {
      fail(api, "argument leaf ", i, " is an empty Array; pass a value for every leaf");
    }
    tracing::check_not_leaked(api, leaves[i], "argument leaf " + std::to_string(i));
  }
}

Traced trace_leaves(const std::vector<Array>& example_inputs, const LeafFn& fn, const char* api) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t traces_before = scan_body_traces();
  prim::RematLog remat_log;
  Traced out;
  tracing::FrameScope scope;
  const auto& frame = scope.shared();
  frame->reruns = "jit";
  std::vector<Array> inputs;
  check_arguments(api, example_inputs);
  for (size_t i = 0; i < example_inputs.size(); ++i) {
    inputs.push_back(tracing::new_input(frame, prim::type_of(example_inputs[i])));
  }
  std::vector<ir::ValueId> outputs;
  for (const Array& r : fn(inputs)) {
    if (!r.valid()) fail(api, "the function returned an empty Array as an output leaf");
    outputs.push_back(tracing::lift(*frame, r, api));
  }
  frame->graph.set_outputs(std::move(outputs));
#ifndef NDEBUG
  ir::verify(frame->graph);
#endif
  out.graph = std::make_shared<const ir::Graph>(frame->graph);
  out.scan_body_traces = scan_body_traces() - traces_before;
  out.remat_decisions = remat_log.lines();
  out.seconds = seconds_since(start);
  return out;
}

CompiledGraph compile_traced(const Traced& traced) {
  const auto start = std::chrono::steady_clock::now();
  CompiledGraph out;
  const ir::Graph optimized = compile::optimize(*traced.graph);
  out.executable = compile::Executable::create(optimized);
  CompileStats& s = out.stats;
  s.compile_seconds = seconds_since(start);
  s.trace_seconds = traced.seconds;
  s.num_ops = static_cast<int64_t>(traced.graph->ops().size());
  s.num_ops_total = count_ops_total(*traced.graph);
  s.optimized_ops = static_cast<int64_t>(optimized.ops().size());
  s.num_kernels = out.executable->stats().num_kernels;
  s.scan_body_traces = traced.scan_body_traces;
  s.remat_decisions = traced.remat_decisions;
  s.planned_peak_bytes = out.executable->stats().planned_peak_bytes();
  return out;
}

std::vector<Array> run_compiled(compile::Executable& e, const std::vector<Array>& inputs) {
  return e(inputs);
}

// ---------------------------------------------------------------- cache
namespace {
struct Key {
  tree::TreeDef def;
  std::vector<prim::ValueType> types;
  bool operator==(const Key& o) const { return def == o.def && types == o.types; }
};
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = k.def.hash();
    auto mix = [&](size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
    for (const prim::ValueType& t : k.types) {
      mix(static_cast<size_t>(t.dtype));
      mix(t.weak);
      for (int64_t d : t.shape) mix(static_cast<size_t>(d));
    }
    return h;
  }
};
}  // namespace

struct JitCache::Impl {
  mutable std::mutex mutex;
  std::unordered_map<Key, std::shared_ptr<const Entry>, KeyHash> entries;
};

JitCache::JitCache() : impl_(std::make_unique<Impl>()) {}
JitCache::~JitCache() = default;

std::shared_ptr<const JitCache::Entry> JitCache::get(const tree::TreeDef& def,
                                                     const std::vector<Array>& leaves,
                                                     const std::function<Entry()>& build) {
  Key key{def, {}};
  key.types.reserve(leaves.size());
  check_arguments("jit", leaves);
  for (const Array& a : leaves) key.types.push_back(prim::type_of(a));
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->entries.find(key);
  if (it != impl_->entries.end()) return it->second;
  auto entry = std::make_shared<const Entry>(build());
  impl_->entries.emplace(std::move(key), entry);
  return entry;
}

size_t JitCache::size() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->entries.size();
}

}  // namespace detail
}  // namespace strata
