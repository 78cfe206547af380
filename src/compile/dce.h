// Dead-code elimination.
#pragma once

#include "ir/graph.h"

namespace strata::compile {

// A copy of `graph` without the ops none of whose results reach an output, and without the
// constants nothing live reads.  Inputs are all kept: they are the graph's signature.  Ops with
// nested bodies are kept exactly when a result is live; a kept scan with dead ys becomes a scan
// whose body no longer produces them (that body is dce'd too, so recursion goes as deep as the
// scans nest, never as long as the op list).  One backward sweep over the op list (which is in
// evaluation order).
ir::Graph dce(const ir::Graph& graph);

}  // namespace strata::compile
