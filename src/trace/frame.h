// Tracing: turning calls on traced arrays into graph ops.
//
// A TraceFrame records one graph.  Frames form a per-thread stack: jit and trace push a top-level
// frame, scan pushes one for its body.  prim::bind records into the innermost frame whenever one
// is active (every op is staged, as under JAX's omnistaging), so user code is the same traced or
// eager.  Operands are lifted into the recording frame:
//   - values of that frame are used as they are;
//   - concrete arrays become graph constants (they are fixed while the graph lives);
//   - values of an enclosing frame are captured as inputs of the body (closure capture: inside
//     jit, the body of seed 004 closes over the traced W), which its scan passes as constants.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"

namespace strata::detail {

struct TraceFrame : prim::Recorder {
  // Records `p` applied to `inputs` in this frame; returns the traced results.
  std::vector<Array> record(const prim::PrimitivePtr& p, const std::vector<Array>& inputs) override;

  ir::Graph graph;
  // Values of enclosing frames captured as inputs, in capture order; `captured_ids[i]` is the
  // input standing for `captured[i]`.
  std::vector<Array> captured;
  std::vector<ir::ValueId> captured_ids;
  std::unordered_map<const ArrayImpl*, ir::ValueId> lifted;  // by identity, so each is lifted once
  bool open = true;  // false once the frame is popped: its arrays have escaped
  // The API whose recorded graph is kept and run again ("jit" for jit / trace, "scan" for a scan
  // body), or null: a value user code fixes while tracing such a frame (a constant) repeats on
  // every run.  grad, vmap and checkpoint trace anew on each call and leave it null.
  const char* reruns = nullptr;
  std::weak_ptr<TraceFrame> self;      // set by FrameScope, for wrapping results
  prim::Recorder* previous = nullptr;  // the recorder active before this frame was pushed
};

}  // namespace strata::detail

namespace strata::tracing {

using detail::TraceFrame;

// Whether an op bound now is recorded (some frame is active on this thread).
bool is_tracing();

// Pushes a new frame for the lifetime of the scope.
class FrameScope {
 public:
  FrameScope();
  ~FrameScope();
  FrameScope(const FrameScope&) = delete;
  FrameScope& operator=(const FrameScope&) = delete;
  const std::shared_ptr<TraceFrame>& shared() const { return frame_; }

 private:
  std::shared_ptr<TraceFrame> frame_;
};

// The frame recording `a`; null for a concrete array.
TraceFrame* frame_of(const Array& a);
// Where module state made of `arrays` (an nn::Rngs stream, BatchNorm statistics) lives: the
// innermost of their frames on this thread's stack (null = eager: all concrete), and whether one
// of them belongs to a trace that has ended (the state was stored outside a traced function).
struct StateLevel {
  TraceFrame* frame = nullptr;
  bool ended = false;
};
StateLevel state_level(std::initializer_list<const Array*> arrays);
// The innermost frame on this thread's stack that lies inside `level` (null = eager) and whose
// graph reruns; null when none does.  Throws "[api] ..." when `level` is not on the stack (an
// array of a trace that has ended).
TraceFrame* rerunning_frame_inside(const TraceFrame* level, const char* api);
// For its lifetime, ops bound on this thread are recorded into `level` (null = evaluated
// eagerly) instead of the innermost frame: state that lives at an outer level (an nn::Rngs
// counter) is advanced there, and inner frames capture the result like any closed-over value.
class RecordAt {
 public:
  explicit RecordAt(TraceFrame* level);
  ~RecordAt();
  RecordAt(const RecordAt&) = delete;
  RecordAt& operator=(const RecordAt&) = delete;

 private:
  prim::Recorder* saved_;
};
// `a` as a value of the innermost frame (a constant of it when `a` is concrete); `a` itself when
// evaluating eagerly.
Array at_current_level(const Array& a, const char* api);

// "[api] <what> (<type>) is a leaked tracer ..." when `a` belongs to a trace that has ended: the
// check every entry point (ops, jit, trace, grad, vmap) makes on what the user passes it, so the
// error names the API the user called.
void check_not_leaked(const char* api, const Array& a, const std::string& what);

// A new graph input of `type` in `frame`, as a traced array.
Array new_input(const std::shared_ptr<TraceFrame>& frame, const prim::ValueType& type);
// The traced array naming value `v` of `frame`.
Array wrap(const std::shared_ptr<TraceFrame>& frame, ir::ValueId v);
// The value standing for `a` in `frame` (see the header comment); `api` names the caller.
ir::ValueId lift(TraceFrame& frame, const Array& a, const char* api);

// Moves the captured inputs of a body frame in front of its declared inputs, giving JAX's
// [consts | declared] calling convention, and returns the graph.
ir::Graph finish_body(TraceFrame& frame);

}  // namespace strata::tracing
