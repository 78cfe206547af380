#include "compile/fold_constants.h"

#include "compile/graph_util.h"

namespace strata::compile {

ir::Graph fold_constants(const ir::Graph& g) {
  const size_t n = static_cast<size_t>(g.num_values());
  std::vector<Array> known(n);  // concrete value of constants and folded results
  for (const auto& [v, a] : g.constants()) known[static_cast<size_t>(v)] = a;

  std::vector<char> folded(g.ops().size(), 0);
  for (size_t k = 0; k < g.ops().size(); ++k) {
    const ir::Op& op = g.ops()[k];
    if (!op.primitive->subgraphs().empty()) continue;
    bool all_known = true;
    std::vector<Array> args;
    for (ValueId v : op.operands) {
      all_known = all_known && known[static_cast<size_t>(v)].valid();
      if (all_known) args.push_back(known[static_cast<size_t>(v)]);
    }
    int64_t elements = 0;
    for (ValueId r : op.results) elements += detail::shape_size(g.type(r).shape);
    if (!all_known || elements > kMaxFoldedElements) continue;
    const std::vector<Array> results = op.primitive->eval_eager(args);
    for (size_t i = 0; i < results.size(); ++i) {
      // Keep the declared type (weak flag included) on the folded array.
      known[static_cast<size_t>(op.results[i])] =
          detail::with_weak_type(results[i], g.type(op.results[i]).weak);
    }
    folded[k] = 1;
  }

  // Rebuild: the constants still read (original and folded), inputs in order, remaining ops.
  std::vector<char> used(n, 0);
  for (size_t k = 0; k < g.ops().size(); ++k) {
    if (folded[k]) continue;
    for (ValueId v : g.ops()[k].operands) used[static_cast<size_t>(v)] = 1;
  }
  for (ValueId v : g.outputs()) used[static_cast<size_t>(v)] = 1;
  GraphCopy copy(g);
  copy.copy_inputs();
  for (const auto& [v, a] : g.constants()) {
    if (used[static_cast<size_t>(v)]) copy.copy_constant(v, a);
  }
  for (size_t k = 0; k < g.ops().size(); ++k) {
    const ir::Op& op = g.ops()[k];
    if (!folded[k]) {
      copy.copy_op(op);
      continue;
    }
    for (ValueId r : op.results) {
      if (used[static_cast<size_t>(r)]) copy.copy_constant(r, known[static_cast<size_t>(r)]);
    }
  }
  return copy.finish();
}

}  // namespace strata::compile
