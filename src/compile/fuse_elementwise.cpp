#include "compile/fuse_elementwise.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <utility>

#include "primitives/fused_elementwise.h"
#include "primitives/layout.h"

namespace strata::compile {

namespace {

using ir::Graph;
using ir::Op;
using ir::ValueId;

bool fusable_op(const Graph& g, const Op& op) {
  if (op.results.size() != 1 || !prim::FusedElementwise::is_fusable(*op.primitive)) return false;
  for (ValueId v : op.operands) {
    if (!cpu::fusable_dtype(g.type(v).dtype)) return false;
  }
  return cpu::fusable_dtype(g.type(op.results[0]).dtype);
}

// Union-find over op indices; the root is always the group's smallest op index, so the result
// does not depend on the order of unions.
int find(std::vector<int>& parent, int i) {
  int root = i;
  while (parent[static_cast<size_t>(root)] != root) root = parent[static_cast<size_t>(root)];
  while (parent[static_cast<size_t>(i)] != root) {
    const int next = parent[static_cast<size_t>(i)];
    parent[static_cast<size_t>(i)] = root;
    i = next;
  }
  return root;
}

}  // namespace

Graph fuse_elementwise(const Graph& g) {
  const std::vector<Op>& ops = g.ops();
  const int num_ops = static_cast<int>(ops.size());
  const auto num_values = static_cast<size_t>(g.num_values());

  std::vector<int> producer(num_values, -1);
  std::vector<std::vector<int>> users(num_values);
  std::vector<bool> is_output(num_values, false);
  for (int i = 0; i < num_ops; ++i) {
    for (ValueId v : ops[static_cast<size_t>(i)].results) producer[static_cast<size_t>(v)] = i;
    for (ValueId v : ops[static_cast<size_t>(i)].operands)
      users[static_cast<size_t>(v)].push_back(i);
  }
  for (ValueId v : g.outputs()) is_output[static_cast<size_t>(v)] = true;

  // 1. Grow groups in evaluation order.  A group is sealed once an op outside it reads one of
  // its values: a later member would then have to come after that reader, which may itself feed
  // the member, so fusing could create a cycle.
  std::vector<bool> fusable(static_cast<size_t>(num_ops));
  std::vector<int> parent(static_cast<size_t>(num_ops));
  std::iota(parent.begin(), parent.end(), 0);
  std::vector<bool> sealed(static_cast<size_t>(num_ops), false);
  auto group_of_value = [&](ValueId v) {
    const int p = producer[static_cast<size_t>(v)];
    return p >= 0 && fusable[static_cast<size_t>(p)] ? find(parent, p) : -1;
  };
  for (int i = 0; i < num_ops; ++i) {
    const Op& op = ops[static_cast<size_t>(i)];
    fusable[static_cast<size_t>(i)] = fusable_op(g, op);
    if (fusable[static_cast<size_t>(i)]) {
      const Shape& shape = g.type(op.results[0]).shape;
      for (ValueId v : op.operands) {
        const int r = group_of_value(v);
        if (r < 0 || sealed[static_cast<size_t>(r)] || g.type(v).shape != shape) continue;
        const int mine = find(parent, i);
        parent[static_cast<size_t>(std::max(r, mine))] = std::min(r, mine);
      }
    }
    const int mine = fusable[static_cast<size_t>(i)] ? find(parent, i) : -1;
    for (ValueId v : op.operands) {
      const int r = group_of_value(v);
      if (r >= 0 && r != mine) sealed[static_cast<size_t>(r)] = true;
    }
  }

  // Members per group, in evaluation order; groups of one stay plain ops.
  std::vector<std::vector<int>> members(static_cast<size_t>(num_ops));
  for (int i = 0; i < num_ops; ++i) {
    if (fusable[static_cast<size_t>(i)]) members[static_cast<size_t>(find(parent, i))].push_back(i);
  }
  std::vector<int> group(static_cast<size_t>(num_ops), -1);  // root, for groups of 2 or more
  for (int r = 0; r < num_ops; ++r) {
    if (members[static_cast<size_t>(r)].size() < 2) continue;
    for (int m : members[static_cast<size_t>(r)]) group[static_cast<size_t>(m)] = r;
  }

  // 2. A broadcast_in_dim read only by one group becomes a broadcast input of that group.
  std::vector<int> absorbed_into(static_cast<size_t>(num_ops), -1);
  for (int i = 0; i < num_ops; ++i) {
    const Op& op = ops[static_cast<size_t>(i)];
    if (dynamic_cast<const prim::BroadcastInDim*>(op.primitive.get()) == nullptr) continue;
    const ValueId v = op.results[0];
    const std::vector<int>& readers = users[static_cast<size_t>(v)];
    if (is_output[static_cast<size_t>(v)] || readers.empty() ||
        !cpu::fusable_dtype(g.type(v).dtype)) {
      continue;
    }
    const int r = group[static_cast<size_t>(readers[0])];
    bool all_in = r >= 0;
    for (int u : readers) all_in = all_in && group[static_cast<size_t>(u)] == r;
    if (all_in) absorbed_into[static_cast<size_t>(i)] = r;
  }

  // 3. Emit.  Constants and inputs first, in their original order.
  Graph out;
  std::vector<ValueId> remap(num_values, -1);
  std::vector<std::pair<ValueId, int>> leaves;  // (value, constant index or -1 for an input)
  for (size_t c = 0; c < g.constants().size(); ++c) {
    leaves.emplace_back(g.constants()[c].first, static_cast<int>(c));
  }
  for (ValueId v : g.inputs()) leaves.emplace_back(v, -1);
  std::sort(leaves.begin(), leaves.end());
  for (const auto& [v, c] : leaves) {
    remap[static_cast<size_t>(v)] =
        c >= 0 ? out.add_constant(g.constants()[static_cast<size_t>(c)].second)
               : out.add_input(g.type(v));
  }
  // Inputs keep their order (a scan body's calling convention), whatever their value ids.
  std::vector<ValueId> inputs;
  for (ValueId v : g.inputs()) inputs.push_back(remap[static_cast<size_t>(v)]);
  out.set_inputs(std::move(inputs));

  for (int i = 0; i < num_ops; ++i) {
    const Op& op = ops[static_cast<size_t>(i)];
    const int r = group[static_cast<size_t>(i)];
    if (absorbed_into[static_cast<size_t>(i)] >= 0) continue;
    if (r < 0) {
      Op copy{op.primitive, {}, {}};
      for (ValueId v : op.operands) copy.operands.push_back(remap[static_cast<size_t>(v)]);
      for (ValueId v : op.results) {
        remap[static_cast<size_t>(v)] = out.add_value(g.type(v));
        copy.results.push_back(remap[static_cast<size_t>(v)]);
      }
      out.append_op(std::move(copy));
      continue;
    }
    const std::vector<int>& group_ops = members[static_cast<size_t>(r)];
    if (i != group_ops.back()) continue;  // the fused op goes where its last member was

    const Shape& shape = g.type(op.results[0]).shape;
    std::vector<int> identity(shape.size());
    std::iota(identity.begin(), identity.end(), 0);
    std::vector<prim::FusedInput> inputs;
    std::vector<ValueId> operands;  // new graph's values feeding the fused op
    std::map<std::pair<ValueId, std::vector<int>>, int> input_slot;
    auto input = [&](ValueId v, const std::vector<int>& dims) {
      auto [it, fresh] = input_slot.try_emplace({v, dims}, static_cast<int>(inputs.size()));
      if (fresh) {
        inputs.push_back({g.type(v).shape, g.type(v).dtype, dims});
        operands.push_back(remap[static_cast<size_t>(v)]);
      }
      return it->second;
    };
    // Slots of step results are offset by the input count, known only at the end: record
    // (is_step, index) pairs and resolve them afterwards.
    std::map<ValueId, int> step_of;
    std::vector<std::vector<std::pair<bool, int>>> refs;
    std::vector<prim::FusedStep> steps;
    std::vector<int> outputs;
    std::vector<ValueId> fused_results;
    for (int m : group_ops) {
      const Op& member = ops[static_cast<size_t>(m)];
      std::vector<std::pair<bool, int>> args;
      for (ValueId v : member.operands) {
        if (auto it = step_of.find(v); it != step_of.end()) {
          args.emplace_back(true, it->second);
          continue;
        }
        const int p = producer[static_cast<size_t>(v)];
        if (p >= 0 && absorbed_into[static_cast<size_t>(p)] == r) {
          const Op& b = ops[static_cast<size_t>(p)];
          const auto& bp = static_cast<const prim::BroadcastInDim&>(*b.primitive);
          args.emplace_back(false, input(b.operands[0], bp.broadcast_dimensions()));
        } else {
          args.emplace_back(false, input(v, identity));
        }
      }
      const ValueId result = member.results[0];
      const int k = static_cast<int>(steps.size());
      step_of[result] = k;
      steps.push_back({member.primitive, {}});
      refs.push_back(std::move(args));
      bool escapes = is_output[static_cast<size_t>(result)];
      for (int u : users[static_cast<size_t>(result)]) {
        escapes = escapes || group[static_cast<size_t>(u)] != r;
      }
      if (escapes) {
        outputs.push_back(k);
        fused_results.push_back(result);
      }
    }
    // A group nothing reads is dead code: dropped rather than fused into an op with no results.
    if (outputs.empty()) continue;
    const int ni = static_cast<int>(inputs.size());
    for (size_t k = 0; k < steps.size(); ++k) {
      for (const auto& [is_step, idx] : refs[k]) steps[k].args.push_back(is_step ? ni + idx : idx);
    }
    Op fused{prim::make<prim::FusedElementwise>(shape, std::move(inputs), std::move(steps),
                                                std::move(outputs)),
             std::move(operands),
             {}};
    for (ValueId v : fused_results) {
      remap[static_cast<size_t>(v)] = out.add_value(g.type(v));
      fused.results.push_back(remap[static_cast<size_t>(v)]);
    }
    out.append_op(std::move(fused));
  }

  std::vector<ValueId> outputs;
  for (ValueId v : g.outputs()) outputs.push_back(remap[static_cast<size_t>(v)]);
  out.set_outputs(std::move(outputs));
  return out;
}

}  // namespace strata::compile
