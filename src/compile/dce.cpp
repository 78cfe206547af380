#include "compile/dce.h"

#include <memory>

#include "compile/graph_util.h"
#include "primitives/scan.h"

namespace strata::compile {

namespace {

// The same scan over a body that no longer produces the ys `live` marks dead (results are
// [carry | ys]; carries always stay, the next iteration reads them), or nullptr when every ys is
// live.  Dropping them matters for memory, not only for time: a scan's results all need storage,
// so an unused ys would still get a stacked buffer of `length` rows.
prim::PrimitivePtr without_dead_ys(const prim::Scan& scan, const std::vector<ValueId>& results,
                                   const std::vector<char>& live) {
  const ir::Graph& body = scan.body();
  const size_t num_carry = static_cast<size_t>(scan.scan_params().num_carry);
  std::vector<ValueId> outputs;
  for (size_t j = 0; j < results.size(); ++j) {
    if (j < num_carry || live[static_cast<size_t>(results[j])]) {
      outputs.push_back(body.outputs()[j]);
    }
  }
  if (outputs.size() == results.size()) return nullptr;
  ir::Graph pruned = body;
  pruned.set_outputs(std::move(outputs));
  return prim::make<prim::Scan>(std::make_shared<const ir::Graph>(dce(pruned)), scan.scan_params());
}

// Whether the op must run though nothing reads its results: it may raise (has_effect), itself or
// anywhere in the graphs it evaluates.
bool has_effect(const ir::Op& op) {
  if (op.primitive->has_effect()) return true;
  for (const ir::Graph* body : op.primitive->subgraphs()) {
    for (const ir::Op& inner : body->ops()) {
      if (has_effect(inner)) return true;
    }
  }
  return false;
}

}  // namespace

Graph dce(const Graph& graph) {
  std::vector<char> live(static_cast<size_t>(graph.num_values()), 0);
  for (ValueId v : graph.outputs()) live[static_cast<size_t>(v)] = 1;
  const std::vector<ir::Op>& ops = graph.ops();
  std::vector<char> keep(ops.size(), 0);
  // Every use of a value follows its definition, so walking backwards sees all users of an op's
  // results before the op itself.
  for (size_t i = ops.size(); i-- > 0;) {
    keep[i] = has_effect(ops[i]);
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
    if (!keep[i]) continue;
    const ir::Op& op = ops[i];
    const auto* scan = dynamic_cast<const prim::Scan*>(op.primitive.get());
    prim::PrimitivePtr pruned = scan ? without_dead_ys(*scan, op.results, live) : nullptr;
    if (!pruned) {
      copy.copy_op(op);
      continue;
    }
    std::vector<ValueId> operands;
    for (ValueId v : op.operands) operands.push_back(copy.map(v));
    const std::vector<ValueId> results = copy.add_op(std::move(pruned), std::move(operands));
    const auto num_carry = static_cast<size_t>(scan->scan_params().num_carry);
    size_t next = 0;
    for (size_t j = 0; j < op.results.size(); ++j) {
      if (j < num_carry || live[static_cast<size_t>(op.results[j])]) {
        copy.alias(op.results[j], results[next++]);
      }
    }
  }
  return copy.finish();
}

}  // namespace strata::compile
