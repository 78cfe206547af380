#include "compile/pipeline.h"

#include "compile/fold_constants.h"
#include "compile/fuse_elementwise.h"

namespace strata::compile {

ir::Graph optimize(const ir::Graph& graph) {
  return fuse_elementwise(fold_constants(graph));
}

std::shared_ptr<Executable> compile(const ir::Graph& graph) {
  return Executable::create(optimize(graph));
}

}  // namespace strata::compile
