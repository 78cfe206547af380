// Batching (vmap) of a graph: its ops are re-emitted through bind, each operand tagged with the
// position of its batch axis or "not batched"; an op none of whose operands is batched is bound
// unchanged, any other goes through its primitive's batch() rule, which returns the batched
// results and their batch axes.  Batch axes stay wherever the rules leave them (a transpose only
// where a primitive needs the axis elsewhere), like JAX's BatchTracer.
//
// Everything is emitted with bind and the public ops, so a batched graph is evaluated eagerly or
// recorded into the enclosing trace (jit, grad, another vmap, a scan body) like user code.
#pragma once

#include <memory>
#include <vector>

#include "ir/graph.h"

namespace strata::transforms {

inline constexpr int kNotBatched = prim::Primitive::kNotBatched;

struct BatchedValues {
  std::vector<Array> values;
  std::vector<int> dims;  // batch axis of each value, or kNotBatched
};

// g applied to `inputs` (batched at `dims`, each of size axis_size along it).
BatchedValues batch_graph(const ir::Graph& g, const std::vector<Array>& inputs,
                          const std::vector<int>& dims, int64_t axis_size);

// g batched as a new graph whose inputs are g's inputs with a leading batch axis where
// `batched_inputs` says so, and whose outputs carry a leading batch axis where the returned flags
// say so (plus wherever `force_outputs` asks for one: a scan carry that must be batched because
// the next iteration's carry is).  Used by primitives that hold a body (scan, checkpoint).
struct BatchedBody {
  std::shared_ptr<const ir::Graph> graph;
  std::vector<bool> batched_outputs;
};
BatchedBody batch_body(const ir::Graph& g, const std::vector<bool>& batched_inputs,
                       int64_t axis_size, const std::vector<bool>& force_outputs = {});

// x with its batch axis moved to `to` (broadcast there, of size `size`, when x is not batched).
Array move_batch_axis(const Array& x, int dim, int64_t size, int to);

// The axis of a batched value corresponding to axis `axis` of the unbatched value, when the batch
// axis sits at `dim`.
inline int batched_axis(int axis, int dim) {
  return axis < dim ? axis : axis + 1;
}

// The elementwise rule: every batched operand's batch axis moved to the first batched operand's,
// unbatched operands broadcast along it (a stride-0 view, never a copy), results batched there.
prim::Primitive::Batched batch_elementwise(const prim::PrimitivePtr& self,
                                           const prim::Primitive::BatchArgs& args);

}  // namespace strata::transforms
