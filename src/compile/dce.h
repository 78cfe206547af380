// Dead-code elimination.
#pragma once

#include "ir/graph.h"

namespace strata::compile {

// A copy of `graph` without the ops none of whose results reach an output, and without the
// constants nothing live reads.  Inputs are all kept: they are the graph's signature.  Ops with
// nested bodies are treated like any op (kept exactly when a result is live); bodies are not
// entered.  One backward sweep over the op list (which is in evaluation order), so no recursion.
ir::Graph dce(const ir::Graph& graph);

}  // namespace strata::compile
