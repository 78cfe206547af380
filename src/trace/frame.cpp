#include "trace/frame.h"

#include <utility>

namespace strata::tracing {

bool is_tracing() {
  return prim::active_recorder() != nullptr;
}

FrameScope::FrameScope() : frame_(std::make_shared<TraceFrame>()) {
  frame_->self = frame_;
  frame_->previous = prim::active_recorder();
  prim::active_recorder() = frame_.get();
}

FrameScope::~FrameScope() {
  // Scopes nest (they are RAII objects on the stack), so this frame is the active one.
  frame_->open = false;
  prim::active_recorder() = frame_->previous;
  frame_->lifted.clear();
}

TraceFrame* frame_of(const Array& a) {
  return a.valid() ? a.impl().frame.get() : nullptr;
}

namespace {
// The frame below `f` on the stack (every recorder is a TraceFrame).
TraceFrame* below(const TraceFrame* f) {
  return static_cast<TraceFrame*>(f->previous);
}
TraceFrame* innermost() {
  return static_cast<TraceFrame*>(prim::active_recorder());
}
[[noreturn]] void leaked_tracer(const char* api, const std::string& what) {
  fail(api, "an array traced inside an earlier jit / scan / trace", what,
       " was used after that trace ended (a leaked tracer); return values from the traced "
       "function instead of storing them outside it");
}
}  // namespace

void check_not_leaked(const char* api, const Array& a, const std::string& what) {
  if (const TraceFrame* f = frame_of(a); f && !f->open) {
    leaked_tracer(api, " (" + what + ", " + prim::to_string(prim::type_of(a)) + ")");
  }
}

StateLevel state_level(std::initializer_list<const Array*> arrays) {
  StateLevel out;
  for (const Array* a : arrays) {
    if (const TraceFrame* f = frame_of(*a); f && !f->open) out.ended = true;
  }
  for (TraceFrame* f = innermost(); f && !out.frame; f = below(f)) {
    for (const Array* a : arrays) {
      if (frame_of(*a) == f) out.frame = f;
    }
  }
  return out;
}

TraceFrame* rerunning_frame_inside(const TraceFrame* level, const char* api) {
  TraceFrame* found = nullptr;
  for (TraceFrame* f = innermost(); f != level; f = below(f)) {
    if (!f) leaked_tracer(api, "");
    if (f->reruns && !found) found = f;
  }
  return found;
}

RecordAt::RecordAt(TraceFrame* level) : saved_(prim::active_recorder()) {
  prim::active_recorder() = level;
}
RecordAt::~RecordAt() {
  prim::active_recorder() = saved_;
}

Array at_current_level(const Array& a, const char* api) {
  TraceFrame* f = innermost();
  if (!f) return a;
  return wrap(f->self.lock(), lift(*f, a, api));
}

Array wrap(const std::shared_ptr<TraceFrame>& frame, ir::ValueId v) {
  auto impl = prim::dense_layout(frame->graph.type(v));
  impl->frame = frame;
  impl->value = v;
  return Array(std::move(impl));
}

Array new_input(const std::shared_ptr<TraceFrame>& frame, const prim::ValueType& type) {
  return wrap(frame, frame->graph.add_input(type));
}

ir::ValueId lift(TraceFrame& frame, const Array& a, const char* api) {
  const detail::ArrayImpl& impl = a.impl();
  if (impl.frame.get() == &frame) return impl.value;
  if (impl.frame && !impl.frame->open) {
    leaked_tracer(api, " (" + prim::to_string(prim::type_of(a)) + ")");
  }
  if (auto it = frame.lifted.find(&impl); it != frame.lifted.end()) return it->second;
  ir::ValueId v;
  if (!impl.frame) {
    v = frame.graph.add_constant(a);
  } else {
    // A body closes over a value of an enclosing trace: it becomes a body input, and the scan
    // passes it as a constant operand (lifted in turn into the enclosing frame).
    v = frame.graph.add_input(prim::type_of(a));
    frame.captured.push_back(a);
    frame.captured_ids.push_back(v);
  }
  // The key stays valid: constants are held by the graph, captured values by `captured`.
  frame.lifted.emplace(&impl, v);
  return v;
}

}  // namespace strata::tracing

namespace strata::detail {

std::vector<Array> TraceFrame::record(const prim::PrimitivePtr& p,
                                      const std::vector<Array>& inputs) {
  std::vector<ir::ValueId> operands;
  operands.reserve(inputs.size());
  for (const Array& a : inputs) operands.push_back(tracing::lift(*this, a, p->name()));
  const std::shared_ptr<TraceFrame> me = self.lock();
  std::vector<Array> out;
  for (ir::ValueId v : graph.add_op(p, std::move(operands))) out.push_back(tracing::wrap(me, v));
  return out;
}

}  // namespace strata::detail

namespace strata::tracing {

ir::Graph finish_body(TraceFrame& frame) {
  // Marks, not a search of captured_ids per input: a body may close over many values.
  std::vector<char> captured(static_cast<size_t>(frame.graph.num_values()), 0);
  for (ir::ValueId v : frame.captured_ids) captured[static_cast<size_t>(v)] = 1;
  std::vector<ir::ValueId> inputs = frame.captured_ids;
  for (ir::ValueId v : frame.graph.inputs()) {
    if (!captured[static_cast<size_t>(v)]) inputs.push_back(v);
  }
  frame.graph.set_inputs(std::move(inputs));
  return frame.graph;
}

}  // namespace strata::tracing
