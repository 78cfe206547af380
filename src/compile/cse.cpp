#include "compile/cse.h"

#include <cstdint>
#include <string>
#include <unordered_map>

#include "backend/cpu/strided.h"
#include "compile/graph_util.h"

namespace strata::compile {

namespace {

constexpr int64_t kSmallConstant = 16;

// The identity of a small constant for merging: its type and its bytes, densely laid out.
// Bitwise, so 0.0 and -0.0 stay apart and NaNs with one payload merge; dense, so views of
// different layouts holding equal values meet.
std::string small_constant_key(const Array& a) {
  const Array dense = cpu::contiguous(a);
  std::string key = prim::to_string(prim::type_of(a));
  key.push_back(a.weak_type() ? 'w' : 's');
  if (dense.nbytes() > 0) {
    key.append(static_cast<const char*>(dense.data()), static_cast<size_t>(dense.nbytes()));
  }
  return key;
}

// The identity of an op for merging, given its mapped operands.  Name and params are the whole
// identity of a plain primitive (Primitive::is_equivalent), so equal keys mean equivalent ops
// and a lookup replaces comparing against every earlier op on the same operands, which was
// quadratic when many ops differ only in attributes (the L slices of a stacked weight in an
// unrolled loop).  A body is not described by params(), so ops with bodies are keyed by the
// primitive object itself.
std::string op_key(const ir::Op& op, const GraphCopy& copy) {
  // Length-prefixed, so no params text can pass for the operand list that follows it.
  const std::string params =
      op.primitive->subgraphs().empty()
          ? op.primitive->params()
          : std::to_string(reinterpret_cast<std::uintptr_t>(op.primitive.get()));
  std::string key = op.primitive->name();
  key.push_back('[');
  key.append(std::to_string(params.size()));
  key.push_back(':');
  key.append(params);
  key.push_back(']');
  for (ValueId v : op.operands) {
    key.push_back(' ');
    key.append(std::to_string(copy.map(v)));
  }
  return key;
}

}  // namespace

Graph cse(const Graph& graph) {
  GraphCopy copy(graph);
  copy.copy_inputs();
  // dst constants so far, by array object and (small ones) by value: lookups, not a scan of
  // every earlier constant, so graphs with many distinct constants stay linear.
  std::unordered_map<const void*, ValueId> by_object;
  std::unordered_map<std::string, ValueId> by_value;
  for (const auto& [v, value] : graph.constants()) {
    const bool small = value.size() <= kSmallConstant;
    if (auto it = by_object.find(value.impl_ptr().get()); it != by_object.end()) {
      copy.alias(v, it->second);
      continue;
    }
    std::string key = small ? small_constant_key(value) : std::string();
    if (small) {
      if (auto it = by_value.find(key); it != by_value.end()) {
        copy.alias(v, it->second);
        continue;
      }
    }
    const ValueId c = copy.copy_constant(v, value);
    by_object.emplace(value.impl_ptr().get(), c);
    if (small) by_value.emplace(std::move(key), c);
  }

  std::unordered_map<std::string, const ir::Op*> seen;  // source ops, results mapped to dst
  for (const ir::Op& op : graph.ops()) {
    auto [it, inserted] = seen.try_emplace(op_key(op, copy), &op);
    const ir::Op* match = inserted ? nullptr : it->second;
    if (match != nullptr && match->results.size() == op.results.size()) {
      for (size_t i = 0; i < op.results.size(); ++i) {
        copy.alias(op.results[i], copy.map(match->results[i]));
      }
    } else {
      copy.copy_op(op);
    }
  }
  return copy.finish();
}

}  // namespace strata::compile
