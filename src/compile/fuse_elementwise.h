// Elementwise fusion: maximal chains of unary/binary/compare/select/convert ops of one shape (and
// the broadcast_in_dim ops feeding only them) become one prim::FusedElementwise op, which
// evaluates the chain in one pass over memory.
#pragma once

#include "ir/graph.h"

namespace strata::compile {

// Returns `g` with each group of two or more fusable ops replaced by one fused op, placed where
// the group's last op was.  Groups are grown greedily in evaluation order: an op joins the groups
// of its operands when the shapes match and no op outside the group has yet read a group value
// (that keeps every group convex, so the result stays topologically ordered).  Values read
// outside their group, or returned by the graph, become the fused op's results.  A
// broadcast_in_dim whose result only that group reads is folded in as a broadcast input.  Only
// float32, float64 and bool values are fused; ops with nested bodies and all other ops are copied
// unchanged.  Deterministic and iterative.
ir::Graph fuse_elementwise(const ir::Graph& g);

}  // namespace strata::compile
