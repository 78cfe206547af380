#include "compile/simplify.h"

#include <algorithm>
#include <numeric>
#include <string_view>

#include "compile/dce.h"
#include "compile/graph_util.h"
#include "primitives/dot_general.h"
#include "primitives/layout.h"

namespace strata::compile {

namespace {

bool is(const ir::Op* op, std::string_view name) {
  return op != nullptr && op->primitive->name() == name;
}

bool is_identity(const std::vector<int>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int>(i)) return false;
  }
  return true;
}

// Maps one operand's axis lists through the transpose that produced it (transposed axis i is
// source axis perm[i]).  False when the operand's free axes would change their relative order.
bool fold_transpose(const std::vector<int>& perm, Axes& contract, Axes& batch) {
  std::vector<int> free_axes;
  for (int ax = 0; ax < static_cast<int>(perm.size()); ++ax) {
    if (std::find(contract.begin(), contract.end(), ax) == contract.end() &&
        std::find(batch.begin(), batch.end(), ax) == batch.end()) {
      free_axes.push_back(perm[static_cast<size_t>(ax)]);
    }
  }
  if (!std::is_sorted(free_axes.begin(), free_axes.end())) return false;
  for (int& ax : contract) ax = perm[static_cast<size_t>(ax)];
  for (int& ax : batch) ax = perm[static_cast<size_t>(ax)];
  return true;
}

class Simplifier {
 public:
  explicit Simplifier(const Graph& g) : src_(g), copy_(g) {}

  Graph run() {
    copy_.copy_inputs();
    for (const auto& [v, value] : src_.constants()) copy_.copy_constant(v, value);
    for (const ir::Op& op : src_.ops()) {
      if (!rewrite(op)) copy_.copy_op(op);
    }
    return dce(copy_.finish());
  }

 private:
  const Graph& src_;
  GraphCopy copy_;

  const prim::ValueType& result_type(const ir::Op& op) const { return src_.type(op.results[0]); }

  // Replaces op's single result by dst value v when the types agree exactly.
  bool replace_with(const ir::Op& op, ValueId v) {
    if (copy_.dst().type(v) != result_type(op)) return false;
    copy_.alias(op.results[0], v);
    return true;
  }

  // Appends `p` on dst operands and replaces op's result with it when the type agrees; otherwise
  // the new op is left dead (dce drops it) and the original is copied.
  bool replace_with_new(const ir::Op& op, prim::PrimitivePtr p, std::vector<ValueId> operands) {
    const std::vector<ValueId> r = copy_.add_op(std::move(p), std::move(operands));
    return r.size() == 1 && replace_with(op, r[0]);
  }

  bool rewrite(const ir::Op& op) {
    if (!op.primitive->subgraphs().empty() || op.results.size() != 1) return false;
    const std::string_view name = op.primitive->name();
    if (name == "dot_general") return rewrite_dot(op);
    if (op.operands.size() != 1) return false;
    const ValueId x = copy_.map(op.operands[0]);
    const ir::Op* def = copy_.producer(x);
    const prim::ValueType& out = result_type(op);
    if (name == "convert" || name == "reshape") {
      if (replace_with(op, x)) return true;  // to its own type or shape
      if (name == "reshape" && is(def, "reshape")) {
        const ValueId inner = def->operands[0];
        return replace_with(op, inner) ||
               replace_with_new(op, prim::make<prim::Reshape>(out.shape), {inner});
      }
      return false;
    }
    if (name == "transpose") {
      const auto& perm = static_cast<const prim::Transpose&>(*op.primitive).perm();
      if (is_identity(perm)) return replace_with(op, x);
      if (!is(def, "transpose")) return false;
      const auto& first = static_cast<const prim::Transpose&>(*def->primitive).perm();
      std::vector<int> composed(perm.size());  // output axis i = source axis first[perm[i]]
      for (size_t i = 0; i < perm.size(); ++i) composed[i] = first[static_cast<size_t>(perm[i])];
      const ValueId inner = def->operands[0];
      if (is_identity(composed)) return replace_with(op, inner);
      return replace_with_new(op, prim::make<prim::Transpose>(composed), {inner});
    }
    if (name == "broadcast_in_dim") {
      const auto dims = broadcast_dims(*op.primitive);
      if (!dims) return false;
      if (is_identity(*dims) && copy_.dst().type(x).shape == out.shape) return replace_with(op, x);
      const auto first = is(def, "broadcast_in_dim") ? broadcast_dims(*def->primitive)
                                                     : std::optional<std::vector<int>>{};
      if (!first) return false;
      std::vector<int> composed;  // inner axis i -> middle axis first[i] -> out axis dims[..]
      for (int ax : *first) composed.push_back((*dims)[static_cast<size_t>(ax)]);
      const ValueId inner = def->operands[0];
      if (is_identity(composed) && copy_.dst().type(inner).shape == out.shape) {
        return replace_with(op, inner);
      }
      return replace_with_new(op, prim::make<prim::BroadcastInDim>(out.shape, composed), {inner});
    }
    return false;
  }

  bool rewrite_dot(const ir::Op& op) {
    const auto& dot = static_cast<const prim::DotGeneral&>(*op.primitive);
    DotDims dims = dot.dims();
    ValueId lhs = copy_.map(op.operands[0]), rhs = copy_.map(op.operands[1]);
    bool changed = false;
    auto fold = [&](ValueId& v, Axes& contract, Axes& batch) {
      const ir::Op* def = copy_.producer(v);
      if (!is(def, "transpose")) return;
      const auto& perm = static_cast<const prim::Transpose&>(*def->primitive).perm();
      if (fold_transpose(perm, contract, batch)) {
        v = def->operands[0];
        changed = true;
      }
    };
    fold(lhs, dims.lhs_contract, dims.lhs_batch);
    fold(rhs, dims.rhs_contract, dims.rhs_batch);
    if (!changed) return false;
    return replace_with_new(
        op, prim::make<prim::DotGeneral>(std::move(dims), dot.preferred_element_type()),
        {lhs, rhs});
  }
};

}  // namespace

Graph simplify(const Graph& graph) {
  return Simplifier(graph).run();
}

}  // namespace strata::compile
