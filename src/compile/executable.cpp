#include "compile/executable.h"

#include <algorithm>
#include <map>
#include <set>

#include "backend/cpu/strided.h"
#include "compile/working_memory.h"

namespace strata::compile {

namespace {

using ir::ValueId;
using ImplPtr = std::shared_ptr<detail::ArrayImpl>;

constexpr int64_t kAlign = 64;
int64_t aligned(int64_t bytes) {
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

// Where a value's elements live.
enum class Storage {
  Arena,     // a kernel's result, at a planned offset of the arena
  Constant,  // a captured concrete array
  Input,     // bound by the caller before each run
  Output,    // a kernel's result written straight into the caller's output
  View,      // an alias of another value's storage (`root`), with its own strides
};

struct ValueInfo {
  Storage storage = Storage::Arena;
  ValueId root = -1;         // the value owning the storage (itself unless a view)
  int64_t delta = 0;         // view: offset of element 0 from the root's, in elements
  int def = -1;              // op index defining it (-1: before the first op)
  int last_use = -1;         // op index of its last use, through views included
  ValueId in_place_of = -1;  // shares this dying operand's storage
  int64_t offset = -1;       // arena byte offset
};

struct Step {
  enum class Kind { Kernel, View } kind = Kind::Kernel;
  prim::Primitive::Kernel kernel;
  std::vector<Array> in, out;
  // View: re-point `dst` at `src`'s storage every run (the root is bound at run time).
  detail::ArrayImpl* dst = nullptr;
  const detail::ArrayImpl* src = nullptr;
  int64_t delta = 0;
};

void copy_kernel(const std::vector<Array>& in, const std::vector<Array>& out) {
  cpu::copy_into(in[0], out[0]);
}

int64_t value_bytes(const prim::ValueType& t) {
  return detail::shape_size(t.shape) * itemsize(t.dtype);
}

// Best-fit placement of blocks in the arena: a new block goes into the smallest free gap between
// live blocks that holds it (the lowest offset among equal gaps), or else right after the last
// live block.  The free gaps are kept ordered by (size, offset), so a placement is one
// lower_bound and a release merges with its two neighbours: O(log n) each, where scanning the
// live blocks for every placement made compiling a graph with many live values quadratic.
class ArenaPlanner {
 public:
  int64_t place(int64_t bytes) {
    int64_t offset = end_;
    const auto gap = gaps_.lower_bound({bytes, INT64_MIN});
    if (gap != gaps_.end()) {
      const auto [size, at] = *gap;
      gaps_.erase(gap);
      if (size > bytes) gaps_.emplace(size - bytes, at + bytes);
      offset = at;
    } else {
      end_ += bytes;
    }
    live_.emplace(offset, bytes);
    peak_ = std::max(peak_, offset + bytes);
    return offset;
  }

  void release(int64_t offset) {
    const auto it = live_.find(offset);
    const int64_t block_end = offset + it->second;
    const int64_t before = it == live_.begin() ? 0 : end_of(std::prev(it));
    const auto next = std::next(it);
    live_.erase(it);
    if (before < offset) gaps_.erase({offset - before, before});
    if (next == live_.end()) {  // the last block: the space after `before` is no gap any more
      end_ = before;
      return;
    }
    if (block_end < next->first) gaps_.erase({next->first - block_end, block_end});
    gaps_.emplace(next->first - before, before);
  }

  int64_t peak() const { return peak_; }

 private:
  static int64_t end_of(std::map<int64_t, int64_t>::const_iterator block) {
    return block->first + block->second;
  }
  std::map<int64_t, int64_t> live_;             // offset -> size of the blocks in use
  std::set<std::pair<int64_t, int64_t>> gaps_;  // (size, offset) of the free gaps between them
  int64_t end_ = 0;                             // end of the last live block
  int64_t peak_ = 0;
};

}  // namespace

struct Executable::Impl {
  ir::Graph graph;  // owns the primitives the kernels refer to
  std::vector<ImplPtr> slots;
  std::vector<ImplPtr> inputs, outputs;
  std::vector<prim::ValueType> input_types, output_types;
  std::vector<Step> steps;
  std::shared_ptr<Buffer> arena;
  ExecutableStats stats;
};

Executable::Executable(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executable::~Executable() = default;

std::shared_ptr<Executable> Executable::create(const ir::Graph& graph) {
  auto impl = std::make_unique<Impl>();
  impl->graph = graph;
  const ir::Graph& g = impl->graph;
  const size_t n = static_cast<size_t>(g.num_values());
  const int num_ops = static_cast<int>(g.ops().size());
  std::vector<ValueInfo> info(n);
  std::vector<ImplPtr>& slot = impl->slots;
  slot.resize(n);
  for (size_t v = 0; v < n; ++v) info[v].root = static_cast<ValueId>(v);
  auto at = [&](ValueId v) -> ValueInfo& { return info[static_cast<size_t>(v)]; };

  for (const auto& [v, array] : g.constants()) {
    at(v).storage = Storage::Constant;
    slot[static_cast<size_t>(v)] = std::make_shared<detail::ArrayImpl>(array.impl());
  }
  for (ValueId v : g.inputs()) {
    at(v).storage = Storage::Input;
    slot[static_cast<size_t>(v)] = prim::dense_layout(g.type(v));
    impl->inputs.push_back(slot[static_cast<size_t>(v)]);
    impl->input_types.push_back(g.type(v));
  }

  // ---- classify op results: views or kernel results
  for (int k = 0; k < num_ops; ++k) {
    const ir::Op& op = g.ops()[static_cast<size_t>(k)];
    for (ValueId r : op.results) at(r).def = k;
    if (op.operands.size() == 1 && op.results.size() == 1) {
      const ValueId x = op.operands[0];
      const ValueId r = op.results[0];
      const ImplPtr& xs = slot[static_cast<size_t>(x)];
      if (auto view = op.primitive->view(xs->shape, xs->strides)) {
        ValueInfo& ri = at(r);
        ri.storage = Storage::View;
        ri.root = at(x).root;
        ri.delta = at(x).delta + view->offset;
        auto s = std::make_shared<detail::ArrayImpl>(*xs);
        s->shape = g.type(r).shape;
        s->strides = std::move(view->strides);
        s->weak = g.type(r).weak;
        slot[static_cast<size_t>(r)] = std::move(s);
        continue;
      }
    }
    for (ValueId r : op.results) slot[static_cast<size_t>(r)] = prim::dense_layout(g.type(r));
  }

  // ---- outputs: a kernel result writes straight into the caller's storage; the first output
  // naming it claims it (its storage becomes Output), any other output needs a copy.  An output
  // that is a view of a kernel result laid out as that result's own bytes in the same order (a
  // reshape, stop_gradient, checkpoint_name, or a chain of them) claims the result the same way:
  // the kernel then writes the output directly, with no arena block and no copy step.  The result
  // keeps the output's storage for its whole life, so its other uses read it from there.
  auto claimable_root = [&](ValueId v) -> ValueId {
    const ValueInfo& vi = at(v);
    if (vi.storage == Storage::Arena) return v;
    if (vi.storage != Storage::View || at(vi.root).storage != Storage::Arena) return -1;
    const prim::ValueType& root_type = g.type(vi.root);
    const bool same_bytes =
        vi.delta == 0 && g.type(v).dtype == root_type.dtype &&
        detail::shape_size(g.type(v).shape) == detail::shape_size(root_type.shape) &&
        Array(slot[static_cast<size_t>(v)]).is_contiguous();
    return same_bytes ? vi.root : -1;
  };
  std::vector<ValueId> copy_from(g.outputs().size(), -1);
  for (size_t i = 0; i < g.outputs().size(); ++i) {
    const ValueId v = g.outputs()[i];
    impl->output_types.push_back(g.type(v));
    const ValueId root = claimable_root(v);
    if (root >= 0) {
      // Binding the output binds the root's slot (same element offset, since the view starts at
      // the root's first element); a view step re-points `v` itself for its own readers.
      at(root).storage = Storage::Output;
      impl->outputs.push_back(slot[static_cast<size_t>(root)]);
    } else {
      copy_from[i] = v;
      impl->outputs.push_back(prim::dense_layout(g.type(v)));
      ++impl->stats.num_output_copies;
    }
  }

  // ---- liveness (uses through views count for the root)
  for (int k = 0; k < num_ops; ++k) {
    for (ValueId x : g.ops()[static_cast<size_t>(k)].operands) {
      ValueInfo& root = at(at(x).root);
      root.last_use = std::max(root.last_use, k);
    }
  }
  for (ValueId v : copy_from) {
    if (v >= 0) at(at(v).root).last_use = num_ops;
  }
  for (size_t v = 0; v < n; ++v) info[v].last_use = std::max(info[v].last_use, info[v].def);

  // ---- in place: an elementwise result may take over an operand's storage when the operand
  // (not a view, not external) dies at this op and has the same byte size, and no other operand
  // of the op reads that storage through a different layout (x * reverse(x), x + broadcast of one
  // of x's elements): the kernel writes element i before it reads element j of such a view, so it
  // would read values it has already overwritten.  `owner` is the first value of each in-place
  // chain, the one whose block the chain shares; operands are defined before their op, so one
  // pass in op order resolves every chain.
  auto read_through_other_layout = [&](const ir::Op& op, ValueId x) {
    const detail::ArrayImpl& xs = *slot[static_cast<size_t>(x)];
    return std::any_of(op.operands.begin(), op.operands.end(), [&](ValueId o) {
      if (o == x || at(o).root != x) return false;
      const detail::ArrayImpl& os = *slot[static_cast<size_t>(o)];
      return at(o).delta != 0 || os.shape != xs.shape || os.strides != xs.strides;
    });
  };
  std::vector<char> taken(n, 0);
  std::vector<ValueId> owner(n);
  for (size_t v = 0; v < n; ++v) owner[v] = static_cast<ValueId>(v);
  for (int k = 0; k < num_ops; ++k) {
    const ir::Op& op = g.ops()[static_cast<size_t>(k)];
    if (!op.primitive->can_run_in_place()) continue;
    for (ValueId r : op.results) {
      if (at(r).storage != Storage::Arena) continue;
      for (ValueId x : op.operands) {
        if (at(x).storage != Storage::Arena || taken[static_cast<size_t>(x)] ||
            at(x).last_use != k || g.type(x).shape != g.type(r).shape ||
            value_bytes(g.type(x)) != value_bytes(g.type(r)) || read_through_other_layout(op, x)) {
          continue;
        }
        taken[static_cast<size_t>(x)] = 1;
        at(r).in_place_of = x;
        owner[static_cast<size_t>(r)] = owner[static_cast<size_t>(x)];
        ++impl->stats.num_in_place;
        break;
      }
    }
  }

  // ---- memory plan: best fit over the arena, values released after their last use.  A chain
  // of in-place results is one block, live until the last of them dies.
  std::vector<int> block_end(n, -1);  // for block owners: the last use over the whole chain
  for (size_t v = 0; v < n; ++v) {
    int& end = block_end[static_cast<size_t>(owner[v])];
    end = std::max(end, info[v].last_use);
  }
  // Blocks to release before op k + 1, bucketed by k, the last op that uses them (the blocks of
  // outputs copied at the end, used by op num_ops, are never released).
  std::vector<std::vector<int64_t>> release_after(static_cast<size_t>(num_ops));
  ArenaPlanner arena;
  for (int k = 0; k < num_ops; ++k) {
    if (k > 0) {
      for (int64_t offset : release_after[static_cast<size_t>(k - 1)]) arena.release(offset);
    }
    for (ValueId r : g.ops()[static_cast<size_t>(k)].results) {
      ValueInfo& ri = at(r);
      if (ri.storage != Storage::Arena) continue;
      if (ri.in_place_of >= 0) {
        ri.offset = at(owner[static_cast<size_t>(r)]).offset;
        continue;
      }
      const int64_t bytes = aligned(std::max<int64_t>(value_bytes(g.type(r)), 1));
      ri.offset = arena.place(bytes);
      const int end = block_end[static_cast<size_t>(r)];
      if (end < num_ops) release_after[static_cast<size_t>(end)].push_back(ri.offset);
    }
  }
  const int64_t arena_bytes = arena.peak();
  impl->stats.arena_bytes = arena_bytes;
  impl->arena = Buffer::allocate(std::max<int64_t>(arena_bytes, kAlign), "jit",
                                 "the working memory of a compiled graph");
  for (size_t v = 0; v < n; ++v) {
    if (info[v].storage == Storage::Arena && slot[v]) {
      slot[v]->buffer = impl->arena;
      slot[v]->offset = info[v].offset / itemsize(slot[v]->dtype);
    }
  }
  // Views of storage fixed now (arena, constants) are resolved once; views of external storage
  // are re-pointed by a step each run.
  auto is_external = [&](ValueId root) {
    return at(root).storage == Storage::Input || at(root).storage == Storage::Output;
  };
  for (size_t v = 0; v < n; ++v) {
    if (info[v].storage != Storage::View || is_external(info[v].root)) continue;
    const ImplPtr& root = slot[static_cast<size_t>(info[v].root)];
    slot[v]->buffer = root->buffer;
    slot[v]->offset = root->offset + info[v].delta;
  }

  // ---- steps
  WorkingMemoryScope nested(impl->stats.nested_bytes);
  auto array_of = [&](ValueId v) { return Array(slot[static_cast<size_t>(v)]); };
  for (int k = 0; k < num_ops; ++k) {
    const ir::Op& op = g.ops()[static_cast<size_t>(k)];
    ++impl->stats.num_ops;
    if (op.results.size() == 1 && at(op.results[0]).storage == Storage::View) {
      ++impl->stats.num_views;
      const ValueId r = op.results[0];
      if (is_external(at(r).root)) {
        Step s;
        s.kind = Step::Kind::View;
        s.dst = slot[static_cast<size_t>(r)].get();
        s.src = slot[static_cast<size_t>(at(r).root)].get();
        s.delta = at(r).delta;
        impl->steps.push_back(std::move(s));
      }
      continue;
    }
    Step s;
    for (ValueId x : op.operands) s.in.push_back(array_of(x));
    std::vector<prim::ValueType> out_types;
    for (ValueId r : op.results) {
      s.out.push_back(array_of(r));
      out_types.push_back(g.type(r));
    }
    s.kernel = op.primitive->prepare(s.in, out_types);
    impl->steps.push_back(std::move(s));
    ++impl->stats.num_kernels;
  }
  for (size_t i = 0; i < copy_from.size(); ++i) {
    if (copy_from[i] < 0) continue;
    Step s;
    s.in.push_back(array_of(copy_from[i]));
    s.out.push_back(Array(impl->outputs[i]));
    s.kernel = copy_kernel;
    impl->steps.push_back(std::move(s));
  }
  return std::shared_ptr<Executable>(new Executable(std::move(impl)));
}

size_t Executable::num_inputs() const {
  return impl_->inputs.size();
}
size_t Executable::num_outputs() const {
  return impl_->outputs.size();
}
const prim::ValueType& Executable::input_type(size_t i) const {
  return impl_->input_types.at(i);
}
const prim::ValueType& Executable::output_type(size_t i) const {
  return impl_->output_types.at(i);
}
const ExecutableStats& Executable::stats() const {
  return impl_->stats;
}

void Executable::bind_input(size_t i, const std::shared_ptr<Buffer>& buffer, int64_t offset) {
  detail::ArrayImpl& s = *impl_->inputs[i];
  if (s.buffer != buffer) s.buffer = buffer;
  s.offset = offset;
}

void Executable::bind_output(size_t i, const std::shared_ptr<Buffer>& buffer, int64_t offset) {
  detail::ArrayImpl& s = *impl_->outputs[i];
  if (s.buffer != buffer) s.buffer = buffer;
  s.offset = offset;
}

void Executable::run() {
  for (Step& s : impl_->steps) {
    if (s.kind == Step::Kind::View) {
      if (s.dst->buffer != s.src->buffer) s.dst->buffer = s.src->buffer;
      s.dst->offset = s.src->offset + s.delta;
    } else {
      s.kernel(s.in, s.out);
    }
  }
}

void bind_input(Executable& e, size_t i, const Array& a) {
  e.bind_input(i, a.impl().buffer, a.impl().offset);
}
void bind_output(Executable& e, size_t i, const Array& a) {
  e.bind_output(i, a.impl().buffer, a.impl().offset);
}

std::vector<Array> Executable::operator()(const std::vector<Array>& inputs) {
  if (inputs.size() != num_inputs()) {
    fail("Executable", "expected ", num_inputs(), " inputs, found ", inputs.size());
  }
  std::vector<Array> dense;
  dense.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const prim::ValueType& t = input_type(i);
    if (inputs[i].shape() != t.shape || inputs[i].dtype() != t.dtype) {
      fail("Executable", "input ", i, " must be ", prim::to_string(t), ", found ",
           prim::to_string(prim::type_of(inputs[i])));
    }
    dense.push_back(cpu::contiguous(inputs[i]));
  }
  std::vector<Array> outputs;
  outputs.reserve(num_outputs());
  for (size_t i = 0; i < num_outputs(); ++i) {
    const prim::ValueType& t = output_type(i);
    outputs.push_back(detail::with_weak_type(detail::empty(t.shape, t.dtype, "jit"), t.weak));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  // Drop the references to the caller's buffers afterwards, so they are freed when the caller
  // lets go, also when a kernel raises (an out-of-range index under IndexMode::Raise).
  struct Unbind {
    Impl& impl;
    ~Unbind() {
      for (const ImplPtr& s : impl.inputs) s->buffer.reset();
      for (const ImplPtr& s : impl.outputs) s->buffer.reset();
    }
  } unbind{*impl_};
  for (size_t i = 0; i < dense.size(); ++i) compile::bind_input(*this, i, dense[i]);
  for (size_t i = 0; i < outputs.size(); ++i) compile::bind_output(*this, i, outputs[i]);
  run();
  return outputs;
}

}  // namespace strata::compile
