// Helpers shared by the graph passes: copying a graph value by value into a fresh one (passes
// never edit in place, so the input graph stays valid for comparison), use counts, and reading
// attributes of layout primitives.
#pragma once

#include <optional>
#include <vector>

#include "ir/graph.h"

namespace strata::compile {

using ir::Graph;
using ir::ValueId;

// Builds a new graph from `src`.  Every value of `src` that is kept gets a value in the new
// graph; map() translates.  Values defined by a rewrite are aliased to their replacement.
class GraphCopy {
 public:
  explicit GraphCopy(const Graph& src);

  Graph& dst() { return dst_; }
  const Graph& src() const { return src_; }

  // The inputs of `src`, in order: they are the graph's signature, so every pass keeps them.
  void copy_inputs();
  ValueId copy_constant(ValueId v, const Array& value);
  // Appends `op` with its operands mapped and fresh results of the same types (no shape rule:
  // the op was valid in `src`).
  void copy_op(const ir::Op& op);
  // Appends a new op on already-mapped operands, running its shape rule; returns its results.
  std::vector<ValueId> add_op(prim::PrimitivePtr p, std::vector<ValueId> mapped_operands);
  // From now on `old` (a value of src) means `to` (a value of dst).
  void alias(ValueId old, ValueId to);
  bool mapped(ValueId old) const;
  ValueId map(ValueId old) const;
  // Sets the mapped outputs and returns the graph.
  Graph finish();

  // The dst op defining dst value v, or nullptr for inputs and constants.  Pointers are valid
  // until the next op is appended.
  const ir::Op* producer(ValueId v) const;
  // The constant array of dst value v, or nullptr.
  const Array* constant(ValueId v) const;

 private:
  const Graph& src_;
  Graph dst_;
  std::vector<ValueId> map_;
  std::vector<int32_t> producer_;  // per dst value: index into dst_.ops(), -1 if none
  std::vector<int32_t> constant_;  // per dst value: index into dst_.constants(), -1 if none
  void grow();
};

// How often each value of `g` is read: once per operand slot and once per output slot.
std::vector<int32_t> use_counts(const Graph& g);
// For each value of `g`, the index of the op defining it, or -1.
std::vector<int32_t> producers(const Graph& g);

// broadcast_in_dim's broadcast_dimensions; nullopt if `p` is not a broadcast_in_dim.
std::optional<std::vector<int>> broadcast_dims(const prim::Primitive& p);

// True when every element of `a` is zero (+0 or -0 compare equal to 0).
bool all_zero(const Array& a);

}  // namespace strata::compile
