#include "compile/pipeline.h"

namespace strata::compile {

ir::Graph optimize(const ir::Graph& graph) {
  return graph;
}

std::shared_ptr<Executable> compile(const ir::Graph& graph) {
  return Executable::create(optimize(graph));
}

}  // namespace strata::compile
