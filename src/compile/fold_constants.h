// Constant folding: ops whose operands are all constants are evaluated at compile time when their
// results are small (the converts and broadcasts of the weak scalars in `x * 2.0`), so they cost
// nothing per run and let the fusion pass see one chain.
#pragma once

#include "ir/graph.h"

namespace strata::compile {

// Results of at most this many elements are folded; larger ones (a broadcast to a big shape)
// stay ops, which the executor turns into views anyway.
inline constexpr int64_t kMaxFoldedElements = 4096;

ir::Graph fold_constants(const ir::Graph& graph);

}  // namespace strata::compile
