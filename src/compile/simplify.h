// Algebraic simplification of layout and conversion chains, and transposes folded into
// dot_general.
#pragma once

#include "ir/graph.h"

namespace strata::compile {

// A copy of `graph` with, in one forward sweep (so chains of any length collapse):
// - reshape(reshape(x)) -> reshape(x); a reshape to the operand's own shape -> its operand;
// - transpose(transpose(x)) -> one transpose of the composed permutation; identity -> x;
// - broadcast_in_dim(broadcast_in_dim(x)) -> one broadcast of the composed dimensions; a
//   broadcast to the operand's shape with identity dimensions -> x;
// - convert to the operand's own dtype and weak flag -> x;
// - dot_general(transpose(x), y) (either side) -> dot_general(x, y) with the dimension numbers
//   mapped through the permutation, when the free axes keep their relative order (dot_general
//   lists free axes in operand order, so otherwise the result's layout would change).
// Every replacement has exactly the replaced value's type.  Ops with nested bodies are copied
// untouched.  Ops left unused by the rewrites (and unused constants) are removed with dce().
ir::Graph simplify(const ir::Graph& graph);

}  // namespace strata::compile
