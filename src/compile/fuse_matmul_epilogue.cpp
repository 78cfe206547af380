#include "compile/fuse_matmul_epilogue.h"

#include <optional>
#include <string_view>

#include "compile/dce.h"
#include "compile/graph_util.h"
#include "primitives/dot_general.h"
#include "primitives/dot_general_epilogue.h"
#include "primitives/elementwise.h"

namespace strata::compile {

namespace {

struct Match {
  const ir::Op* dot = nullptr;
  std::vector<size_t> ops;  // indices of the matched ops but the last (which the fused op takes)
  ValueId bias = -1;
  cpu::MatmulActivation activation = cpu::MatmulActivation::None;
  ValueId result = -1;  // the value the fused op replaces
};

class Matcher {
 public:
  explicit Matcher(const Graph& g) : g_(g), uses_(use_counts(g)), def_(producers(g)) {
    users_.assign(static_cast<size_t>(g.num_values()), -1);
    for (size_t i = 0; i < g.ops().size(); ++i) {
      for (ValueId v : g.ops()[i].operands) users_[static_cast<size_t>(v)] = static_cast<int>(i);
    }
  }

  // The match whose first op is op i, if any; `last` receives the index of its final op.
  std::optional<Match> match(size_t i, size_t& last) const {
    const ir::Op& op = g_.ops()[i];
    const auto* dot = dynamic_cast<const prim::DotGeneral*>(op.primitive.get());
    if (dot == nullptr) return std::nullopt;
    const ValueId d = op.results[0];
    const ir::Op* add = sole_user(d, cpu::BinaryOp::Add);
    if (add == nullptr) return std::nullopt;
    const ValueId other = add->operands[0] == d ? add->operands[1] : add->operands[0];
    if (other == d) return std::nullopt;  // add(d, d)
    const ir::Op* bcast = def(other);
    const auto dims = bcast == nullptr ? std::nullopt : broadcast_dims(*bcast->primitive);
    const int out_rank = static_cast<int>(g_.type(d).shape.size());
    if (!dims || *dims != std::vector<int>{out_rank - 1}) return std::nullopt;

    Match m{&op, {i}, bcast->operands[0], cpu::MatmulActivation::None, add->results[0]};
    last = index_of(add);
    const ValueId a = add->results[0];
    const ir::Op* act = nullptr;
    if (const ir::Op* mx = sole_user(a, cpu::BinaryOp::Max);
        mx != nullptr && mx->operands[0] == a && is_zero(mx->operands[1])) {
      m.activation = cpu::MatmulActivation::Relu;
      act = mx;
    } else if (const ir::Op* u = sole_unary_user(a)) {
      const cpu::UnaryOp kind = static_cast<const prim::Unary&>(*u->primitive).op();
      if (kind == cpu::UnaryOp::Tanh) m.activation = cpu::MatmulActivation::Tanh;
      if (kind == cpu::UnaryOp::Logistic) m.activation = cpu::MatmulActivation::Logistic;
      if (m.activation != cpu::MatmulActivation::None) act = u;
    }
    if (act != nullptr) {
      m.result = act->results[0];
      m.ops.push_back(last);
      last = index_of(act);
    }
    // The fused op must type exactly as the value it replaces (this also checks the rhs has one
    // free axis and the bias's length and dtype).
    try {
      const prim::DotGeneralEpilogue fused(dot->dims(), dot->preferred_element_type(),
                                           m.activation);
      const auto t =
          fused.infer({g_.type(op.operands[0]), g_.type(op.operands[1]), g_.type(m.bias)});
      if (t[0] != g_.type(m.result)) return std::nullopt;
    } catch (const Error&) {
      return std::nullopt;
    }
    return m;
  }

 private:
  const Graph& g_;
  std::vector<int32_t> uses_, def_;
  std::vector<int> users_;  // the last op reading each value (meaningful for single-use values)

  const ir::Op* def(ValueId v) const {
    const int32_t i = def_[static_cast<size_t>(v)];
    return i < 0 ? nullptr : &g_.ops()[static_cast<size_t>(i)];
  }
  size_t index_of(const ir::Op* op) const { return static_cast<size_t>(op - g_.ops().data()); }

  // The op reading v, when that is v's only use (a graph output counts as a use).
  const ir::Op* sole_user(ValueId v) const {
    if (uses_[static_cast<size_t>(v)] != 1 || users_[static_cast<size_t>(v)] < 0) return nullptr;
    return &g_.ops()[static_cast<size_t>(users_[static_cast<size_t>(v)])];
  }
  // ... when it is the binary `kind`.
  const ir::Op* sole_user(ValueId v, cpu::BinaryOp kind) const {
    const ir::Op* user = sole_user(v);
    const auto* b = user ? dynamic_cast<const prim::Binary*>(user->primitive.get()) : nullptr;
    return b != nullptr && b->op() == kind ? user : nullptr;
  }
  // ... when it is a unary primitive.
  const ir::Op* sole_unary_user(ValueId v) const {
    const ir::Op* user = sole_user(v);
    return user && dynamic_cast<const prim::Unary*>(user->primitive.get()) ? user : nullptr;
  }

  // A zero constant, seen through broadcasts and conversions (relu's weak 0 reaches max so).
  bool is_zero(ValueId v) const {
    for (;;) {
      for (const auto& [c, value] : g_.constants()) {
        if (c == v) return all_zero(value);
      }
      const ir::Op* op = def(v);
      if (op == nullptr || op->operands.size() != 1) return false;
      const std::string_view name = op->primitive->name();
      if (name != "broadcast_in_dim" && name != "convert") return false;
      v = op->operands[0];
    }
  }
};

}  // namespace

Graph fuse_matmul_epilogue(const Graph& graph) {
  const Matcher matcher(graph);
  const std::vector<ir::Op>& ops = graph.ops();
  std::vector<std::optional<Match>> at(ops.size());  // by the index of a match's final op
  std::vector<char> skip(ops.size(), 0);
  for (size_t i = 0; i < ops.size(); ++i) {
    size_t last = i;
    std::optional<Match> m = matcher.match(i, last);
    if (!m) continue;
    // The fused op goes where the match's final op was, where the bias is surely defined.  The
    // ops before it (dot_general, and add when relu is fused) are dropped: their results were
    // read only inside the match.
    for (size_t j : m->ops) skip[j] = 1;
    at[last] = std::move(m);
  }

  GraphCopy copy(graph);
  copy.copy_inputs();
  for (const auto& [v, value] : graph.constants()) copy.copy_constant(v, value);
  for (size_t i = 0; i < ops.size(); ++i) {
    if (at[i]) {
      const Match& m = *at[i];
      const auto* dot = static_cast<const prim::DotGeneral*>(m.dot->primitive.get());
      const std::vector<ValueId> r = copy.add_op(
          prim::make<prim::DotGeneralEpilogue>(dot->dims(), dot->preferred_element_type(),
                                               m.activation),
          {copy.map(m.dot->operands[0]), copy.map(m.dot->operands[1]), copy.map(m.bias)});
      copy.alias(m.result, r[0]);
    } else if (!skip[i]) {
      copy.copy_op(ops[i]);
    }
  }
  return dce(copy.finish());
}

}  // namespace strata::compile
