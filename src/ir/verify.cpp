// ir::verify: the invariants every pass relies on.  Graphs (and nested bodies) are visited from a
// work list, not by recursion.
#include <vector>

#include "ir/graph.h"

namespace strata::ir {

namespace {

void verify_one(const Graph& g, std::vector<const Graph*>& work) {
  std::vector<bool> defined(static_cast<size_t>(g.num_values()), false);
  auto define = [&](ValueId v, const std::string& where) {
    if (v < 0 || v >= g.num_values()) {
      fail("verify", where, " defines value ", v, " outside the graph's ", g.num_values(),
           " values");
    }
    if (defined[static_cast<size_t>(v)]) {
      fail("verify", where, " redefines ", value_name(v), ", which is already defined (SSA)");
    }
    defined[static_cast<size_t>(v)] = true;
  };
  auto use = [&](ValueId v, const std::string& where) {
    if (v < 0 || v >= g.num_values() || !defined[static_cast<size_t>(v)]) {
      fail("verify", where, " uses ", v >= 0 ? value_name(v) : std::to_string(v),
           " before it is defined");
    }
  };
  for (const auto& [v, array] : g.constants()) {
    define(v, "a constant");
    if (prim::type_of(array) != g.type(v)) {
      fail("verify", "constant ", value_name(v), " is declared ", prim::to_string(g.type(v)),
           " but holds ", prim::to_string(prim::type_of(array)));
    }
  }
  for (ValueId v : g.inputs()) define(v, "an input");
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const Op& op = g.ops()[i];
    const std::string where = detail::cat("op ", i, " (", op.primitive->name(), ")");
    std::vector<prim::ValueType> operand_types;
    for (ValueId v : op.operands) {
      use(v, where);
      operand_types.push_back(g.type(v));
    }
    const std::vector<prim::ValueType> expected = op.primitive->infer(operand_types);
    if (expected.size() != op.results.size()) {
      fail("verify", where, " has ", op.results.size(), " results; its shape rule gives ",
           expected.size());
    }
    for (size_t r = 0; r < expected.size(); ++r) {
      define(op.results[r], where);
      if (g.type(op.results[r]) != expected[r]) {
        fail("verify", where, " result ", value_name(op.results[r]), " is declared ",
             prim::to_string(g.type(op.results[r])), " but its shape rule gives ",
             prim::to_string(expected[r]));
      }
    }
    for (const Graph* body : op.primitive->subgraphs()) work.push_back(body);
  }
  for (ValueId v : g.outputs()) use(v, "an output");
}

}  // namespace

void verify(const Graph& graph) {
  std::vector<const Graph*> work{&graph};
  while (!work.empty()) {
    const Graph* g = work.back();
    work.pop_back();
    verify_one(*g, work);
  }
}

}  // namespace strata::ir
