// A test-local interpreter for graphs: binds each op's primitive to the arrays of its operands,
// in order.  The passes' tests compare a graph's results before and after a rewrite with it.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "test_util.h"

namespace strata::testing {

inline std::vector<Array> run_graph(const ir::Graph& g, const std::vector<Array>& inputs) {
  std::vector<Array> values(static_cast<size_t>(g.num_values()));
  for (const auto& [v, a] : g.constants()) values[static_cast<size_t>(v)] = a;
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    values[static_cast<size_t>(g.inputs()[i])] = inputs.at(i);
  }
  for (const ir::Op& op : g.ops()) {
    std::vector<Array> args;
    for (ir::ValueId v : op.operands) args.push_back(values[static_cast<size_t>(v)]);
    const std::vector<Array> results = prim::bind(op.primitive, args);
    for (size_t i = 0; i < results.size(); ++i) {
      values[static_cast<size_t>(op.results[i])] = results[i];
    }
  }
  std::vector<Array> out;
  for (ir::ValueId v : g.outputs()) out.push_back(values[static_cast<size_t>(v)]);
  return out;
}

inline int count_ops(const ir::Graph& g, const char* name) {
  int n = 0;
  for (const ir::Op& op : g.ops()) n += std::string(op.primitive->name()) == name;
  return n;
}

// Both graphs give bitwise-equal results (as doubles) on these inputs.
inline void expect_same_results(const ir::Graph& a, const ir::Graph& b,
                                const std::vector<Array>& inputs) {
  const std::vector<Array> ra = run_graph(a, inputs), rb = run_graph(b, inputs);
  ASSERT_EQ(ra.size(), rb.size());
  for (size_t i = 0; i < ra.size(); ++i) {
    EXPECT_EQ(ra[i].shape(), rb[i].shape());
    EXPECT_EQ(to_doubles(ra[i]), to_doubles(rb[i])) << "output " << i;
  }
}

}  // namespace strata::testing
