#include "compile/fold_constants.h"

namespace strata::compile {

using ir::ValueId;

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
      known[static_cast<size_t>(op.results[i])] = results[i];
    }
    folded[k] = 1;
  }

  // Rebuild: constants (original and folded ones that are still used), inputs in order, the
  // remaining ops.
  std::vector<char> used(n, 0);
  for (size_t k = 0; k < g.ops().size(); ++k) {
    if (folded[k]) continue;
    for (ValueId v : g.ops()[k].operands) used[static_cast<size_t>(v)] = 1;
  }
  for (ValueId v : g.outputs()) used[static_cast<size_t>(v)] = 1;

  ir::Graph out;
  std::vector<ValueId> remap(n, -1);
  for (const auto& [v, a] : g.constants()) {
    if (used[static_cast<size_t>(v)]) remap[static_cast<size_t>(v)] = out.add_constant(a);
  }
  for (ValueId v : g.inputs()) remap[static_cast<size_t>(v)] = out.add_input(g.type(v));
  for (size_t k = 0; k < g.ops().size(); ++k) {
    const ir::Op& op = g.ops()[k];
    if (folded[k]) {
      for (ValueId r : op.results) {
        if (used[static_cast<size_t>(r)]) {
          // Keep the declared type (weak flag included) on the folded array.
          const Array& a = known[static_cast<size_t>(r)];
          remap[static_cast<size_t>(r)] =
              out.add_constant(detail::with_weak_type(a, g.type(r).weak));
        }
      }
      continue;
    }
    ir::Op copy{op.primitive, {}, {}};
    for (ValueId v : op.operands) copy.operands.push_back(remap[static_cast<size_t>(v)]);
    for (ValueId r : op.results) {
      remap[static_cast<size_t>(r)] = out.add_value(g.type(r));
      copy.results.push_back(remap[static_cast<size_t>(r)]);
    }
    out.append_op(std::move(copy));
  }
  std::vector<ValueId> outputs;
  for (ValueId v : g.outputs()) outputs.push_back(remap[static_cast<size_t>(v)]);
  out.set_outputs(std::move(outputs));
  return out;
}

}  // namespace strata::compile
