// Partial evaluation for reverse mode with rematerialisation (JAX's partial_eval_jaxpr_nounits
// plus a checkpoint policy), on a graph that computes a forward pass and its backward pass
// together: scan's vjp traces "recompute the body, then pull back" into one graph, and this file
// decides which forward values the backward half reads from memory (residuals) and which it
// recomputes.
//
// Each input of the combined graph has a role: a scan constant (available to both halves for
// free), an x-slice (free as well: the backward scan reads the same xs), a carry (available to
// the backward half only when saved, i.e. stacked once per iteration) or a backward input
// (a cotangent, unknown to the forward half).  A value is "known" when it does not depend on a
// backward input, and "invariant" when it depends only on constants.
//
// Walking back from the backward outputs, a needed known value is:
//   - saved when the policy says so (stacked if it varies per iteration, hoisted out of the loop
//     and computed once if it is invariant);
//   - recomputed when it is a view (broadcast, reshape, transpose, slice: free to redo) or when
//     the policy does not save it; invariant values are always hoisted, never recomputed per
//     iteration.
// Carries read by the backward half are stacked (the per-layer input carry every policy saves).
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "primitives/scan.h"

namespace strata::transforms {

enum class InputRole { Const, X, Carry, Backward };

using prim::SavePolicy;

struct BackwardSplit {
  std::vector<ir::ValueId> hoisted;  // invariant residuals, computed once outside the loop
  std::vector<ir::ValueId> stacked;  // residuals saved every iteration (carry inputs included)
  std::vector<ir::ValueId> consts;   // constant inputs the backward half reads
  std::vector<ir::ValueId> xs;       // x-slice inputs the backward half reads
  int64_t recomputed_ops = 0;        // forward ops the backward half recomputes
};

// `roles` has one entry per input of g.
BackwardSplit split_backward(const ir::Graph& g, const std::vector<InputRole>& roles,
                             const std::vector<ir::ValueId>& backward_outputs,
                             const SavePolicy& policy);

// The part of g computing `outputs` from `inputs` (values of g, which become the new graph's
// inputs in this order); only the ops needed are kept, with the constants they read.
ir::Graph extract(const ir::Graph& g, const std::vector<ir::ValueId>& inputs,
                  const std::vector<ir::ValueId>& outputs);

}  // namespace strata::transforms
