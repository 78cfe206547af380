#include "compile/cse.h"

#include <cstring>
#include <string>
#include <unordered_map>

#include "backend/cpu/strided.h"
#include "compile/graph_util.h"

namespace strata::compile {

namespace {

constexpr int64_t kSmallConstant = 16;

bool same_constant(const Array& a, const Array& b) {
  if (a.impl_ptr() == b.impl_ptr()) return true;
  if (a.size() > kSmallConstant || prim::type_of(a) != prim::type_of(b)) return false;
  // Element by element through dense copies: views of different layouts can hold equal values.
  // Bitwise, so 0.0 and -0.0 stay apart and NaNs with one payload merge.
  const Array da = cpu::contiguous(a), db = cpu::contiguous(b);
  return std::memcmp(da.data(), db.data(), static_cast<size_t>(da.nbytes())) == 0;
}

}  // namespace

Graph cse(const Graph& graph) {
  GraphCopy copy(graph);
  copy.copy_inputs();
  std::vector<std::pair<ValueId, Array>> kept;  // dst constants so far
  for (const auto& [v, value] : graph.constants()) {
    bool merged = false;
    for (const auto& [c, existing] : kept) {
      if (same_constant(existing, value)) {
        copy.alias(v, c);
        merged = true;
        break;
      }
    }
    if (!merged) kept.emplace_back(copy.copy_constant(v, value), value);
  }

  // Candidates by name and mapped operands; is_equivalent (or identity) decides among them.
  std::unordered_map<std::string, std::vector<const ir::Op*>> seen;
  for (const ir::Op& op : graph.ops()) {
    std::string key = op.primitive->name();
    for (ValueId v : op.operands) {
      key.push_back(' ');
      key.append(std::to_string(copy.map(v)));
    }
    const bool has_body = !op.primitive->subgraphs().empty();
    const ir::Op* match = nullptr;
    for (const ir::Op* other : seen[key]) {
      const bool same = has_body ? other->primitive == op.primitive
                                 : other->primitive->is_equivalent(*op.primitive);
      if (same && other->results.size() == op.results.size()) {
        match = other;
        break;
      }
    }
    if (match != nullptr) {
      for (size_t i = 0; i < op.results.size(); ++i) {
        copy.alias(op.results[i], copy.map(match->results[i]));
      }
    } else {
      copy.copy_op(op);
      seen[key].push_back(&op);  // source ops: stable addresses, results mapped to dst
    }
  }
  return copy.finish();
}

}  // namespace strata::compile
