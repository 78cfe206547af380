// The primitive interface: one class per primitive owns its shape/dtype rule and its CPU
// evaluation, its vjp rule and its batching rule.  Everything in ops.h is
// composed from these, so eager code, traced code and transformed code share one implementation.
//
// Primitives follow jax.lax conventions: operands already broadcast and promoted by the caller
// (ops.h does that), attributes fixed at construction, outputs described by ValueType.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/array.h"

namespace strata::ir {
class Graph;  // nested bodies (scan) are graphs; the IR sits above this layer
}

namespace strata::prim {

// The abstract value of an array: what the shape rule sees and produces.
struct ValueType {
  Shape shape;
  DType dtype = DType::Float32;
  bool weak = false;
  friend bool operator==(const ValueType&, const ValueType&) = default;
};
ValueType type_of(const Array& a);
// A buffer-less row-major array description of type `t`: what traced arrays and the executor's
// value slots start from.
std::shared_ptr<detail::ArrayImpl> dense_layout(const ValueType& t);
std::string to_string(const ValueType& t);  // "f32[2,3]"

class Primitive {
 public:
  virtual ~Primitive() = default;
  virtual const char* name() const = 0;

  // Shape/dtype rule.  Validates the operands (throwing strata::Error "[<name>] ...") and returns
  // the output types.
  virtual std::vector<ValueType> infer(const std::vector<ValueType>& inputs) const = 0;

  // Evaluation into preallocated contiguous outputs of the inferred types.  Inputs may be any
  // strided view.  This is the entry the compiled executor uses.
  virtual void eval_cpu(const std::vector<Array>& inputs,
                        const std::vector<Array>& outputs) const = 0;

  // A kernel bound to fixed operand layouts, prepared once by the compiled executor at compile
  // time and run many times.  `inputs` are views with the shapes and strides the kernel will see
  // at run time (their data is not read; only layouts matter); `outputs` are dense.  The kernel
  // must not keep pointers to the arrays passed to prepare: at run time it gets arrays with the
  // same layouts at other addresses.  Kernels that need set-up work (oneDNN primitives, plans,
  // staging buffers) override this so no planning, hashing or allocation happens per run.  The
  // default runs eval_cpu, which must then allocate nothing either (the elementwise kernels keep
  // their per-axis bookkeeping inline).  A kernel runs on one thread at a time, so it may own
  // mutable scratch.
  using Kernel =
      std::function<void(const std::vector<Array>& inputs, const std::vector<Array>& outputs)>;
  virtual Kernel prepare(const std::vector<Array>& inputs,
                         const std::vector<ValueType>& outputs) const;

  // Layout primitives (broadcast, reshape, transpose, slice) can produce their result as a view
  // of operand 0: given the operand's shape and strides (in elements), the result's shape,
  // strides and its first element's offset from the operand's, or nothing when a copy is needed.
  // Eager evaluation returns such views; the executor turns them into aliases instead of kernels.
  struct View {
    Shape shape;
    Strides strides;
    int64_t offset = 0;
  };
  virtual std::optional<View> view(const Shape& /*shape*/, const Strides& /*strides*/) const {
    return std::nullopt;
  }

  // Eager evaluation.  The default allocates the outputs and calls eval_cpu; shape primitives
  // override it to return views instead of copies.
  virtual std::vector<Array> eval_eager(const std::vector<Array>& inputs) const;

  // Attributes in the graph printer's syntax, e.g. "axes=(0, 1)".  Also the primitive's identity
  // for CSE: two primitives with the same name and params are interchangeable.
  virtual std::string params() const { return {}; }
  bool is_equivalent(const Primitive& other) const;

  // Elementwise primitives whose kernel may write its result over an operand of the same shape
  // and byte size (every element is read before the same element is written): the memory plan
  // then reuses a dying operand's storage.
  virtual bool can_run_in_place() const { return false; }

  // An op whose evaluation may raise on its operands' values (check_index): dead-code elimination
  // keeps it, and any scan or checkpoint whose body holds one, though nothing reads its results,
  // so a compiled graph raises wherever eager code does.
  virtual bool has_effect() const { return false; }

  // Graphs this primitive evaluates as part of itself (scan's body); empty for plain primitives.
  virtual std::vector<const ir::Graph*> subgraphs() const { return {}; }

  // ---- reverse-mode autodiff (transforms/autodiff.h)
  // Cotangents travel as Arrays; an invalid (default-constructed) Array is a symbolic zero, which
  // is never materialised.  Integer and boolean values have no cotangent.
  struct VjpArgs {
    const std::vector<Array>& primals;     // the operands
    const std::vector<Array>& outputs;     // the results
    const std::vector<Array>& cotangents;  // one per result (invalid = zero)
    const std::vector<bool>& wanted;       // which operands need a cotangent
  };
  // One cotangent per operand (invalid where zero or not wanted), computed with the public ops
  // (strata/ops.h), so the rule is traced, compiled and differentiated again like user code.  The
  // default throws "[grad] <name> has no vjp rule".
  virtual std::vector<Array> vjp(const VjpArgs& args) const;

  // Evaluates the primitive (through bind) and returns what its backward pass needs.  The
  // default binds `self` and keeps operands and results for vjp(); primitives whose backward
  // needs values the plain forward does not produce (scan: stacked per-iteration residuals)
  // override it.  `self` is this primitive's shared handle.
  using Pullback = std::function<std::vector<Array>(const std::vector<Array>& cotangents)>;
  struct Linearized {
    std::vector<Array> outputs;
    Pullback pullback;  // cotangents of the outputs -> cotangents of the wanted operands
  };
  virtual Linearized linearize(const std::shared_ptr<const Primitive>& self,
                               const std::vector<Array>& primals,
                               const std::vector<bool>& wanted) const;
  // The linearization of an op none of whose outputs depends on a wanted operand (a scan or
  // checkpoint whose results ignore the differentiated inputs): it evaluates the op and pulls
  // back zeros (symbolic), as JAX does.
  static Linearized linearize_without_flow(const std::shared_ptr<const Primitive>& self,
                                           const std::vector<Array>& primals);

  // ---- batching (transforms/batching.h)
  // Each operand either carries the batch axis (of size axis_size) at dims[i], or is the same for
  // every example (kNotBatched).  The rule returns the batched results and where each carries the
  // batch axis (kNotBatched where a result is the same for every example), built with the public
  // ops and bind, so batched code traces, compiles and differentiates like user code.  Rules move
  // a batch axis only when the primitive needs it somewhere else (like JAX's BatchTracer, which
  // carries the batch dimension's position through the graph).  Only called with at least one
  // batched operand.  The default throws "[vmap] <name> has no batching rule".
  static constexpr int kNotBatched = -1;
  struct BatchArgs {
    const std::vector<Array>& operands;
    const std::vector<int>& dims;
    int64_t axis_size;
  };
  struct Batched {
    std::vector<Array> outputs;
    std::vector<int> dims;
  };
  virtual Batched batch(const std::shared_ptr<const Primitive>& self, const BatchArgs& args) const;
};
using PrimitivePtr = std::shared_ptr<const Primitive>;

// Whether values of dtype `d` carry cotangents (the floating-point dtypes).
bool is_differentiable(DType d);

// What bind() does while a trace is being recorded: the trace layer (trace/frame.h) installs
// its innermost frame here, per thread, and bind() hands every op to it instead of evaluating —
// the same dispatch as JAX's current trace, with the dependency pointing down.
class Recorder {
 public:
  virtual ~Recorder() = default;
  virtual std::vector<Array> record(const PrimitivePtr& p, const std::vector<Array>& inputs) = 0;
};
Recorder*& active_recorder();  // this thread's; null when evaluating eagerly

// Applies a primitive to operands: checks them with infer(), then evaluates (or records, inside
// a trace).
std::vector<Array> bind(const PrimitivePtr& p, const std::vector<Array>& inputs);
Array bind1(const PrimitivePtr& p, const std::vector<Array>& inputs);

template <typename P, typename... Args>
PrimitivePtr make(Args&&... args) {
  return std::make_shared<const P>(std::forward<Args>(args)...);
}

// Helpers shared by the rule implementations.
std::string axes_to_string(const std::vector<int>& axes);
std::string axes_to_string(const std::vector<int64_t>& axes);
void expect_arity(const char* name, const std::vector<ValueType>& inputs, size_t n);
// Throws "[name] ..." unless `axis` is in [0, rank of t) and t's size along it fits an int32
// index (the primitives that return positions along one axis: argmax / argmin, argsort).
void expect_index_axis(const char* name, const ValueType& t, int axis);

}  // namespace strata::prim
