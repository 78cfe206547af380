#include "transforms/partial_eval.h"

#include <algorithm>

#include "primitives/checkpoint_name.h"
#include "primitives/primitive.h"

namespace strata::transforms {

namespace {

std::vector<int32_t> producer_index(const ir::Graph& g) {
  std::vector<int32_t> producer(static_cast<size_t>(g.num_values()), -1);
  for (size_t i = 0; i < g.ops().size(); ++i) {
    for (ir::ValueId r : g.ops()[i].results)
      producer[static_cast<size_t>(r)] = static_cast<int32_t>(i);
  }
  return producer;
}

// A layout op whose result is a view of its operand: recomputing it costs nothing.
bool is_view(const ir::Graph& g, const ir::Op& op) {
  if (op.operands.size() != 1 || op.results.size() != 1) return false;
  const Shape& shape = g.type(op.operands[0]).shape;
  return op.primitive->view(shape, detail::row_major_strides(shape)).has_value();
}

bool policy_saves(const SavePolicy& policy, const ir::Op& op) {
  if (policy.kind != SavePolicy::Kind::Names) return false;
  const auto* named = dynamic_cast<const prim::CheckpointName*>(op.primitive.get());
  return named &&
         std::find(policy.names.begin(), policy.names.end(), named->label()) != policy.names.end();
}

}  // namespace

BackwardSplit split_backward(const ir::Graph& g, const std::vector<InputRole>& roles,
                             const std::vector<ir::ValueId>& backward_outputs,
                             const SavePolicy& policy) {
  const auto n = static_cast<size_t>(g.num_values());
  std::vector<int> role(n, -1);  // InputRole of inputs, -1 otherwise
  std::vector<bool> known(n, true), invariant(n, true), constant(n, false);
  for (size_t i = 0; i < roles.size(); ++i) {
    const auto v = static_cast<size_t>(g.inputs()[i]);
    role[v] = static_cast<int>(roles[i]);
    known[v] = roles[i] != InputRole::Backward;
    invariant[v] = roles[i] == InputRole::Const;
  }
  for (const auto& [v, a] : g.constants()) constant[static_cast<size_t>(v)] = true;
  for (const ir::Op& op : g.ops()) {
    bool k = true, inv = true;
    for (ir::ValueId v : op.operands) {
      k = k && known[static_cast<size_t>(v)];
      inv = inv && invariant[static_cast<size_t>(v)];
    }
    for (ir::ValueId r : op.results) {
      known[static_cast<size_t>(r)] = k;
      invariant[static_cast<size_t>(r)] = k && inv;
    }
  }

  const std::vector<int32_t> producer = producer_index(g);
  BackwardSplit split;
  std::vector<bool> visited(n, false), op_done(g.ops().size(), false);
  std::vector<ir::ValueId> work(backward_outputs.rbegin(), backward_outputs.rend());
  while (!work.empty()) {
    const ir::ValueId v = work.back();
    work.pop_back();
    const auto sv = static_cast<size_t>(v);
    if (visited[sv]) continue;
    visited[sv] = true;
    if (role[sv] >= 0) {
      switch (static_cast<InputRole>(role[sv])) {
        case InputRole::Const:
          split.consts.push_back(v);
          break;
        case InputRole::X:
          split.xs.push_back(v);
          break;
        case InputRole::Carry:
          split.stacked.push_back(v);
          break;
        case InputRole::Backward:
          break;
      }
      continue;
    }
    if (constant[sv]) continue;
    const auto op_index = static_cast<size_t>(producer[sv]);
    const ir::Op& op = g.ops()[op_index];
    bool recompute = !known[sv];
    if (known[sv]) {
      if (policy_saves(policy, op)) {
        (invariant[sv] ? split.hoisted : split.stacked).push_back(v);
        continue;
      }
      if (is_view(g, op)) {
        recompute = true;
      } else if (invariant[sv]) {
        split.hoisted.push_back(v);
        continue;
      } else if (policy.kind == SavePolicy::Kind::Everything) {
        split.stacked.push_back(v);
        continue;
      } else {
        recompute = true;
      }
    }
    if (recompute && !op_done[op_index]) {
      op_done[op_index] = true;
      for (ir::ValueId o : op.operands) work.push_back(o);
    }
  }
  for (size_t i = 0; i < op_done.size(); ++i) {
    if (op_done[i] && known[static_cast<size_t>(g.ops()[i].results.at(0))]) ++split.recomputed_ops;
  }
  // Stable orders: by value id (definition order).
  for (auto* list : {&split.hoisted, &split.stacked, &split.consts, &split.xs}) {
    std::sort(list->begin(), list->end());
  }
  return split;
}

ir::Graph extract(const ir::Graph& g, const std::vector<ir::ValueId>& inputs,
                  const std::vector<ir::ValueId>& outputs) {
  const auto n = static_cast<size_t>(g.num_values());
  std::vector<bool> is_input(n, false), needed(n, false);
  for (ir::ValueId v : inputs) is_input[static_cast<size_t>(v)] = true;
  for (ir::ValueId v : outputs) needed[static_cast<size_t>(v)] = true;
  std::vector<bool> keep(g.ops().size(), false);
  for (size_t i = g.ops().size(); i-- > 0;) {
    const ir::Op& op = g.ops()[i];
    for (ir::ValueId r : op.results) {
      if (needed[static_cast<size_t>(r)] && !is_input[static_cast<size_t>(r)]) keep[i] = true;
    }
    if (!keep[i]) continue;
    for (ir::ValueId o : op.operands) needed[static_cast<size_t>(o)] = true;
  }
  ir::Graph out;
  std::vector<ir::ValueId> map(n, -1);
  for (ir::ValueId v : inputs) map[static_cast<size_t>(v)] = out.add_input(g.type(v));
  for (const auto& [v, a] : g.constants()) {
    if (needed[static_cast<size_t>(v)] && !is_input[static_cast<size_t>(v)]) {
      map[static_cast<size_t>(v)] = out.add_constant(a);
    }
  }
  for (size_t i = 0; i < g.ops().size(); ++i) {
    if (!keep[i]) continue;
    const ir::Op& op = g.ops()[i];
    ir::Op copy{op.primitive, {}, {}};
    for (ir::ValueId o : op.operands) {
      const ir::ValueId m = map[static_cast<size_t>(o)];
      if (m < 0)
        fail("grad", "internal: a value needed by `", op.primitive->name(), "` is unavailable");
      copy.operands.push_back(m);
    }
    for (ir::ValueId r : op.results) {
      // A result that is also an input (a residual of a multi-result op) keeps the input; the
      // recomputed copy gets a fresh, unused value.
      const ir::ValueId fresh = out.add_value(g.type(r));
      if (!is_input[static_cast<size_t>(r)]) map[static_cast<size_t>(r)] = fresh;
      copy.results.push_back(fresh);
    }
    out.append_op(std::move(copy));
  }
  std::vector<ir::ValueId> outs;
  for (ir::ValueId v : outputs) {
    const ir::ValueId m = map[static_cast<size_t>(v)];
    if (m < 0) fail("grad", "internal: an extracted output is unavailable");
    outs.push_back(m);
  }
  out.set_outputs(std::move(outs));
  return out;
}

}  // namespace strata::transforms
