// The jaxpr-like listing of a graph (ir::to_string).  Nested bodies are printed with an explicit
// work stack, not recursion, so arbitrarily nested scans cannot overflow the call stack.
#include <sstream>

#include "ir/graph.h"

namespace strata::ir {

namespace {

std::string typed(const Graph& g, ValueId v) {
  return value_name(v) + ":" + prim::to_string(g.type(v));
}

std::string header(const Graph& g) {
  std::ostringstream os;
  // "{ lambda ; a:f32[3]. let" without constants, "{ lambda c:f32[3]; a:f32[3]. let" with.
  os << "{ lambda ";
  for (size_t i = 0; i < g.constants().size(); ++i) {
    os << (i ? " " : "") << typed(g, g.constants()[i].first);
  }
  os << ";";
  for (ValueId v : g.inputs()) os << " " << typed(g, v);
  os << ". let";
  return os.str();
}

std::string equation(const Graph& g, const Op& op) {
  std::ostringstream os;
  for (size_t i = 0; i < op.results.size(); ++i) os << (i ? " " : "") << typed(g, op.results[i]);
  os << " = " << op.primitive->name();
  const std::string params = op.primitive->params();
  if (!params.empty()) os << "[" << params << "]";
  for (ValueId v : op.operands) os << " " << value_name(v);
  return os.str();
}

std::string footer(const Graph& g) {
  std::ostringstream os;
  os << "in (";
  for (size_t i = 0; i < g.outputs().size(); ++i)
    os << (i ? ", " : "") << value_name(g.outputs()[i]);
  os << ") }";
  return os.str();
}

}  // namespace

std::string to_string(const Graph& graph) {
  // Each frame prints one graph: its header, then its ops one by one (pausing to print an op's
  // nested bodies), then its footer.
  struct Frame {
    const Graph* graph;
    size_t indent;
    size_t next_op = 0;
    size_t next_body = 0;  // of ops()[next_op - 1]
  };
  std::ostringstream os;
  std::vector<Frame> stack{{&graph, 0}};
  os << header(graph) << "\n";
  while (!stack.empty()) {
    Frame& f = stack.back();
    const std::string pad(f.indent, ' ');
    if (f.next_op > 0) {
      const std::vector<const Graph*> bodies = f.graph->ops()[f.next_op - 1].primitive->subgraphs();
      if (f.next_body < bodies.size()) {
        const Graph* body = bodies[f.next_body++];
        os << pad << "      " << header(*body) << "\n";
        stack.push_back({body, f.indent + 6});
        continue;
      }
    }
    if (f.next_op < f.graph->ops().size()) {
      os << pad << "    " << equation(*f.graph, f.graph->ops()[f.next_op]) << "\n";
      ++f.next_op;
      f.next_body = 0;
      continue;
    }
    os << pad << "  " << footer(*f.graph);
    stack.pop_back();
    if (!stack.empty()) os << "\n";
  }
  return os.str();
}

}  // namespace strata::ir
