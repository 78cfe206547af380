#include "compile/dce.h"

#include "compile/graph_util.h"

namespace strata::compile {

Graph dce(const Graph& graph) {
  std::vector<char> live(static_cast<size_t>(graph.num_values()), 0);
  for (ValueId v : graph.outputs()) live[static_cast<size_t>(v)] = 1;
  const std::vector<ir::Op>& ops = graph.ops();
  std::vector<char> keep(ops.size(), 0);
  // Every use of a value follows its definition, so walking backwards sees all users of an op's
  // results before the op itself.
  for (size_t i = ops.size(); i-- > 0;) {
    for (ValueId r : ops[i].results) keep[i] = keep[i] || live[static_cast<size_t>(r)];
    if (!keep[i]) continue;
    for (ValueId v : ops[i].operands) live[static_cast<size_t>(v)] = 1;
  }

  GraphCopy copy(graph);
  copy.copy_inputs();
  for (const auto& [v, value] : graph.constants()) {
    if (live[static_cast<size_t>(v)]) copy.copy_constant(v, value);
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    if (keep[i]) copy.copy_op(ops[i]);
  }
  return copy.finish();
}

}  // namespace strata::compile
