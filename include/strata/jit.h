// strata::trace and strata::jit: a C++ callable over pytrees of arrays, recorded once as a graph
// and compiled once per input signature.
//
//   auto f = [](const Array& x, const Array& W) { return st::tanh(st::matmul(x, W)); };
//   std::cout << st::trace(f, x, W).to_string();   // the jaxpr-like listing
//   auto fast = st::jit(f);
//   Array y = fast(x, W);                          // traces + compiles on first call, then runs
//   st::CompileStats s = fast.lower(x, W).compile().stats();
//
// jit(f)(args...) flattens the arguments (pytrees: strata/tree/tree.h); the compiled executable
// is cached by the arguments' tree structure, shapes and dtypes (static, non-leaf members of
// structs are taken from the first call with that structure).  Inside another trace (a jitted
// function, a scan body) a jitted function is simply inlined.  Arrays the function closes over
// are captured as constants of the compiled graph.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/tree/tree.h"

namespace strata {

namespace ir {
class Graph;
}
namespace compile {
class Executable;
}

// A recorded graph (JAX's jaxpr).
class Jaxpr {
 public:
  explicit Jaxpr(std::shared_ptr<const ir::Graph> graph) : graph_(std::move(graph)) {}
  std::string to_string() const;  // stable, jaxpr-like listing (see docs/ in the README)
  int64_t num_ops() const;        // ops of the outer graph
  int64_t num_ops_total() const;  // including nested bodies (scan)
  const ir::Graph& graph() const { return *graph_; }

 private:
  std::shared_ptr<const ir::Graph> graph_;
};
std::ostream& operator<<(std::ostream& os, const Jaxpr& j);

struct CompileStats {
  int64_t num_ops = 0;           // ops in the traced graph (outer level)
  int64_t num_ops_total = 0;     // including nested scan bodies
  int64_t optimized_ops = 0;     // outer ops after the optimisation passes
  int64_t num_kernels = 0;       // kernels the executable runs (outer level)
  int64_t scan_body_traces = 0;  // scan bodies traced while recording (once per scan call)
  double trace_seconds = 0;
  double compile_seconds = 0;
  int64_t planned_peak_bytes = 0;  // working memory the executable owns (inputs/outputs excluded)
  // What memory-budget checkpoint policies chose while tracing, one line per differentiated scan.
  std::vector<std::string> remat_decisions;
};

namespace detail {

bool is_tracing();
// "[api] ..." for an empty or leaked (traced by a trace that has ended) argument leaf.
void check_arguments(const char* api, const std::vector<Array>& leaves);
// Records fn(inputs as traced arrays) in a fresh top-level frame; `fn` returns the output leaves.
struct Traced {
  std::shared_ptr<const ir::Graph> graph;
  int64_t scan_body_traces = 0;
  double seconds = 0;
  std::vector<std::string> remat_decisions;
};
using LeafFn = std::function<std::vector<Array>(const std::vector<Array>&)>;
Traced trace_leaves(const std::vector<Array>& example_inputs, const LeafFn& fn,
                    const char* api = "jit");

struct CompiledGraph {
  std::shared_ptr<compile::Executable> executable;
  CompileStats stats;
};
CompiledGraph compile_traced(const Traced& traced);
std::vector<Array> run_compiled(compile::Executable& e, const std::vector<Array>& inputs);

// The jit cache: one compiled graph per (tree structure, leaf shapes and dtypes).
class JitCache {
 public:
  struct Entry {
    CompiledGraph compiled;
    tree::TreeDef out_def;
  };
  JitCache();
  ~JitCache();
  // The entry for this signature, building it with `build` on a miss (thread-safe).
  std::shared_ptr<const Entry> get(const tree::TreeDef& def, const std::vector<Array>& leaves,
                                   const std::function<Entry()>& build);
  size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

template <class... Args>
using ArgTuple = std::tuple<std::remove_cvref_t<Args>...>;

}  // namespace detail

class Compiled {
 public:
  Compiled(detail::CompiledGraph compiled, Jaxpr jaxpr)
      : compiled_(std::move(compiled)), jaxpr_(std::move(jaxpr)) {}
  const CompileStats& stats() const { return compiled_.stats; }
  const Jaxpr& jaxpr() const { return jaxpr_; }

 private:
  detail::CompiledGraph compiled_;
  Jaxpr jaxpr_;
};

class Lowered {
 public:
  explicit Lowered(detail::Traced traced) : traced_(std::move(traced)) {}
  Jaxpr jaxpr() const { return Jaxpr(traced_.graph); }
  Compiled compile() const { return Compiled(detail::compile_traced(traced_), jaxpr()); }

 private:
  detail::Traced traced_;
};

template <class F>
class Jit {
 public:
  explicit Jit(F f) : f_(std::move(f)), cache_(std::make_shared<detail::JitCache>()) {}

  template <class... Args>
  auto operator()(const Args&... args) const {
    using R = std::remove_cvref_t<std::invoke_result_t<const F&, const Args&...>>;
    const detail::ArgTuple<Args...> tuple(args...);
    auto [leaves, def] = tree::flatten(tuple);
    if (detail::is_tracing()) {  // inlined into the enclosing trace
      detail::check_arguments("jit", leaves);
      return R(f_(args...));
    }
    // The bindings are named in the capture: clang before 16 cannot capture structured bindings.
    const auto entry = cache_->get(def, leaves, [&, &def = def, &leaves = leaves] {
      tree::TreeDef out_def;
      detail::Traced traced = trace_args<R, detail::ArgTuple<Args...>>(def, leaves, out_def);
      return detail::JitCache::Entry{detail::compile_traced(traced), out_def};
    });
    return tree::unflatten<R>(entry->out_def,
                              detail::run_compiled(*entry->compiled.executable, leaves));
  }

  // Traces for these arguments without running: .jaxpr() and .compile().stats().
  template <class... Args>
  Lowered lower(const Args&... args) const {
    using R = std::remove_cvref_t<std::invoke_result_t<const F&, const Args&...>>;
    const detail::ArgTuple<Args...> tuple(args...);
    auto [leaves, def] = tree::flatten(tuple);
    tree::TreeDef out_def;
    return Lowered(trace_args<R, detail::ArgTuple<Args...>>(def, leaves, out_def));
  }

  // Compiled signatures so far.
  size_t cache_size() const { return cache_->size(); }

 private:
  template <class R, class Tuple>
  detail::Traced trace_args(const tree::TreeDef& def, const std::vector<Array>& leaves,
                            tree::TreeDef& out_def) const {
    return detail::trace_leaves(leaves, [&](const std::vector<Array>& traced) {
      auto args = tree::unflatten<Tuple>(def, traced);
      R r = std::apply(f_, args);
      out_def = tree::structure(r);
      return tree::leaves(r);
    });
  }
  F f_;
  std::shared_ptr<detail::JitCache> cache_;
};

template <class F>
Jit<std::decay_t<F>> jit(F&& f) {
  return Jit<std::decay_t<F>>(std::forward<F>(f));
}

// The graph f records on these arguments (pytrees of arrays), without compiling or running it.
template <class F, class... Args>
Jaxpr trace(F&& f, const Args&... args) {
  const detail::ArgTuple<Args...> tuple(args...);
  auto [leaves, def] = tree::flatten(tuple);
  const auto record = [&, &def = def](const std::vector<Array>& traced) {  // as in Jit above
    auto targs = tree::unflatten<detail::ArgTuple<Args...>>(def, traced);
    return tree::leaves(std::apply(f, targs));
  };
  return Jaxpr(detail::trace_leaves(leaves, record, "trace").graph);
}

}  // namespace strata
