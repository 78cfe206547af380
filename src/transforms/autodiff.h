// Reverse-mode autodiff of a graph: the forward values are re-emitted through bind (so they are
// computed eagerly, or recorded into the enclosing trace), each op keeping the pullback its
// primitive's linearize() returned; the backward pass walks the ops in reverse, feeding each
// pullback the cotangents of its results and summing what flows into each value.
//
// Everything the backward pass does also goes through bind, with the public ops: under jit it is
// recorded and compiled with the forward, and it can itself be differentiated (grad of grad).
// Cotangents are Arrays; an invalid Array is a symbolic zero that is never materialised.  Only
// floating-point values are active (integers and booleans get no cotangent), and only values
// that depend on a wanted input.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "ir/graph.h"

namespace strata::transforms {

struct LinearizedGraph {
  std::vector<Array> outputs;
  // Cotangents of the graph's outputs (invalid = zero) -> cotangents of its inputs (invalid where
  // zero or not wanted).
  std::function<std::vector<Array>(const std::vector<Array>&)> pullback;
};
// `inputs` are arrays for g's inputs, concrete or traced in the current frame; `wanted` marks the
// inputs that need cotangents.
LinearizedGraph linearize_graph(std::shared_ptr<const ir::Graph> g,
                                const std::vector<Array>& inputs, const std::vector<bool>& wanted);

// g applied to `inputs` through bind (no autodiff): runs it eagerly or inlines it into the
// current trace.
std::vector<Array> eval_graph(const ir::Graph& g, const std::vector<Array>& inputs);

// Which outputs of g depend on the inputs marked active (through floating-point values, not
// through stop_gradient): the activity analysis linearize_graph uses.
std::vector<bool> active_outputs(const ir::Graph& g, const std::vector<bool>& active_inputs);

// a + b where either may be a symbolic zero.
Array add_cotangents(const Array& a, const Array& b);
// The cotangent as an array: zeros of `like`'s shape and dtype where it is a symbolic zero.
Array instantiate(const Array& cotangent, const prim::ValueType& like);

}  // namespace strata::transforms
