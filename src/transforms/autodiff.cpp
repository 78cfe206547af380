#include "transforms/autodiff.h"

#include "primitives/checkpoint_name.h"
#include "transforms/graph_values.h"
#include "strata/ops.h"

namespace strata::transforms {

namespace {

// A rule's cotangent must have its primal's shape and dtype; a mismatch is a bug in the rule,
// reported with the primitive's name rather than surfacing later as a confusing shape error.
void check_cotangent(const ir::Op& op, size_t i, const Array& ct, const Array& primal) {
  if (ct.shape() != primal.shape() || ct.dtype() != primal.dtype()) {
    fail("grad", "internal: the vjp rule of `", op.primitive->name(), "` returned a ",
         prim::to_string(prim::type_of(ct)), " cotangent for operand ", i, " of type ",
         prim::to_string(prim::type_of(primal)));
  }
}

// Whether an op passes activity on: some operand is active and it is not stop_gradient.
bool propagates(const ir::Op& op, const std::vector<bool>& active) {
  if (dynamic_cast<const prim::StopGradient*>(op.primitive.get())) return false;
  for (ir::ValueId v : op.operands) {
    if (active[static_cast<size_t>(v)]) return true;
  }
  return false;
}

// Marks the active inputs (wanted and floating point).
std::vector<bool> input_activity(const ir::Graph& g, const std::vector<bool>& wanted) {
  std::vector<bool> active(static_cast<size_t>(g.num_values()), false);
  for (size_t i = 0; i < wanted.size(); ++i) {
    const ir::ValueId v = g.inputs()[i];
    active[static_cast<size_t>(v)] = wanted[i] && prim::is_differentiable(g.type(v).dtype);
  }
  return active;
}

}  // namespace

std::vector<bool> active_outputs(const ir::Graph& g, const std::vector<bool>& active_inputs) {
  std::vector<bool> active = input_activity(g, active_inputs);
  for (const ir::Op& op : g.ops()) {
    const bool any = propagates(op, active);
    for (ir::ValueId r : op.results) {
      active[static_cast<size_t>(r)] = any && prim::is_differentiable(g.type(r).dtype);
    }
  }
  std::vector<bool> out;
  for (ir::ValueId v : g.outputs()) out.push_back(active[static_cast<size_t>(v)]);
  return out;
}

Array add_cotangents(const Array& a, const Array& b) {
  if (!a.valid()) return b;
  if (!b.valid()) return a;
  return a + b;
}

Array instantiate(const Array& cotangent, const prim::ValueType& like) {
  if (cotangent.valid()) return cotangent;
  return broadcast_to(zeros({}, like.dtype), like.shape);
}

std::vector<Array> eval_graph(const ir::Graph& g, const std::vector<Array>& inputs) {
  std::vector<Array> values = initial_values(g, inputs, "grad");
  for (const ir::Op& op : g.ops()) {
    std::vector<Array> out = prim::bind(op.primitive, gather(values, op.operands));
    for (size_t j = 0; j < out.size(); ++j) {
      values[static_cast<size_t>(op.results[j])] = std::move(out[j]);
    }
  }
  return gather(values, g.outputs());
}

LinearizedGraph linearize_graph(std::shared_ptr<const ir::Graph> graph,
                                const std::vector<Array>& inputs, const std::vector<bool>& wanted) {
  const ir::Graph& g = *graph;
  std::vector<Array> values = initial_values(g, inputs, "grad");
  std::vector<bool> active = input_activity(g, wanted);
  // The pullback of every op that has an active operand, in forward order.
  struct Step {
    const ir::Op* op;
    prim::Primitive::Pullback pullback;
    std::vector<bool> wanted;
  };
  std::vector<Step> steps;
  for (const ir::Op& op : g.ops()) {
    // stop_gradient blocks activity: nothing flows back through it.
    const bool any = propagates(op, active);
    std::vector<bool> op_wanted;
    for (ir::ValueId v : op.operands) op_wanted.push_back(active[static_cast<size_t>(v)]);
    std::vector<Array> out;
    if (any) {
      prim::Primitive::Linearized lin =
          op.primitive->linearize(op.primitive, gather(values, op.operands), op_wanted);
      out = std::move(lin.outputs);
      steps.push_back({&op, std::move(lin.pullback), std::move(op_wanted)});
    } else {
      out = prim::bind(op.primitive, gather(values, op.operands));
    }
    for (size_t j = 0; j < out.size(); ++j) {
      const ir::ValueId r = op.results[j];
      values[static_cast<size_t>(r)] = std::move(out[j]);
      active[static_cast<size_t>(r)] = any && prim::is_differentiable(g.type(r).dtype);
    }
  }

  LinearizedGraph result;
  result.outputs = gather(values, g.outputs());
  // The pullback owns what the backward pass reads: the graph, the steps (whose closures hold the
  // primal values their rules need) and the activity flags.
  result.pullback = [graph, steps = std::move(steps), active = std::move(active),
                     primals = std::move(values),
                     wanted](const std::vector<Array>& output_cts) -> std::vector<Array> {
    const ir::Graph& g = *graph;
    if (output_cts.size() != g.outputs().size()) {
      fail("grad", "internal: ", output_cts.size(), " cotangents for ", g.outputs().size(),
           " outputs");
    }
    std::vector<Array> ct(static_cast<size_t>(g.num_values()));
    for (size_t i = 0; i < output_cts.size(); ++i) {
      const auto v = static_cast<size_t>(g.outputs()[i]);
      if (active[v]) ct[v] = add_cotangents(ct[v], output_cts[i]);
    }
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
      const ir::Op& op = *it->op;
      std::vector<Array> result_cts = gather(ct, op.results);
      bool any = false;
      for (const Array& c : result_cts) any = any || c.valid();
      if (!any) continue;
      const std::vector<Array> operand_cts = it->pullback(result_cts);
      for (size_t i = 0; i < op.operands.size(); ++i) {
        if (!it->wanted[i] || i >= operand_cts.size() || !operand_cts[i].valid()) continue;
        const auto v = static_cast<size_t>(op.operands[i]);
        check_cotangent(op, i, operand_cts[i], primals[v]);
        ct[v] = add_cotangents(ct[v], operand_cts[i]);
      }
      // Result cotangents are consumed; free them early in eager mode.
      for (ir::ValueId r : op.results) ct[static_cast<size_t>(r)] = Array();
    }
    std::vector<Array> input_cts;
    input_cts.reserve(g.inputs().size());
    for (size_t i = 0; i < g.inputs().size(); ++i) {
      input_cts.push_back(wanted[i] ? ct[static_cast<size_t>(g.inputs()[i])] : Array());
    }
    return input_cts;
  };
  return result;
}

}  // namespace strata::transforms
