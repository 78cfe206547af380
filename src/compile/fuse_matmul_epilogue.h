// Matmul epilogue fusion.
#pragma once

#include "ir/graph.h"

namespace strata::compile {

// A copy of `graph` in which
//   d = dot_general(x, w); e = broadcast_in_dim(b) (b 1-D along d's last axis); a = add(d, e)
// (add in either operand order), optionally followed by relu as ops.h writes it,
//   r = max(a, z) with z a zero constant (possibly broadcast or converted),
// becomes one dot_general_epilogue(x, w, b) op, so the bias and relu run on the GEMM's output
// tile.  Only when d (and a, if relu is fused) has no other use, since the intermediate is no
// longer computed; only when w has exactly one free axis (the bias then runs along the GEMM's
// N); only when the fused op's type equals the replaced value's.  max(z, a) is not fused: the
// maximum keeps its first operand on ties, so relu(-0.0) would change sign.  Ops left unused
// (the broadcast of b) are removed with dce().
ir::Graph fuse_matmul_epilogue(const ir::Graph& graph);

}  // namespace strata::compile
