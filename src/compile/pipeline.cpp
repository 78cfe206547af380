#include "compile/pipeline.h"

#include "compile/cse.h"
#include "compile/dce.h"
#include "compile/fold_constants.h"
#include "compile/fuse_elementwise.h"
#include "compile/fuse_matmul_epilogue.h"
#include "compile/simplify.h"

namespace strata::compile {

ir::Graph optimize(const ir::Graph& graph) {
  // Folding first exposes constant operands (the zero of relu) to the matchers; simplify ends
  // with dce; cse may leave duplicates unused; the epilogue fusion takes bias + relu before the
  // elementwise fusion would claim them.
  ir::Graph g = simplify(fold_constants(graph));
  g = dce(cse(g));
  g = fuse_matmul_epilogue(g);
  return fuse_elementwise(g);
}

std::shared_ptr<Executable> compile(const ir::Graph& graph) {
  return Executable::create(optimize(graph));
}

}  // namespace strata::compile
