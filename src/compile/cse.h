// Common-subexpression elimination.
#pragma once

#include "ir/graph.h"

namespace strata::compile {

// A copy of `graph` in which an op is replaced by an earlier one when both apply equivalent
// primitives (Primitive::is_equivalent: same name and params) to the same operands (after
// earlier merges, so chains of duplicates collapse in one sweep).  Ops with nested bodies are
// merged only when they hold the very same primitive object: params() does not describe a body.
// Constants are merged when they are the same array object, or when they are small (at most 16
// elements), of one type and bitwise equal; larger arrays are not compared, which would cost
// a full read of each.  Unused values are left for dce().  Candidates are found by hashing
// (name, params, mapped operands) and constant values, so the pass is linear in the graph's size.
ir::Graph cse(const ir::Graph& graph);

}  // namespace strata::compile
