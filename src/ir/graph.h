// The graph IR: an SSA graph of primitive applications, the hub every transform reads and writes
// (design §2).  Values are numbered; each has a ValueType.  A graph has constants (concrete arrays
// it captured), inputs, ops in a valid evaluation order, and outputs.  Primitives that own nested
// bodies (scan) expose them through Primitive::subgraphs(), so the printer and the verifier see
// them without knowing the primitive.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "primitives/primitive.h"

namespace strata::ir {

using ValueId = int32_t;

struct Op {
  prim::PrimitivePtr primitive;
  std::vector<ValueId> operands;
  std::vector<ValueId> results;
};

class Graph {
 public:
  // A new graph input of the given type.
  ValueId add_input(prim::ValueType type);
  // A captured concrete array: a value fixed when the graph was built.
  ValueId add_constant(const Array& value);
  // Appends `primitive` applied to `operands` (already defined values); result types come from
  // the primitive's shape rule, which also validates the operands.
  std::vector<ValueId> add_op(prim::PrimitivePtr primitive, std::vector<ValueId> operands);
  ValueId add_op1(prim::PrimitivePtr primitive, std::vector<ValueId> operands);
  void set_outputs(std::vector<ValueId> outputs);
  // Reorders the inputs (tracing appends captured values, then puts them first); `inputs` must be
  // a permutation of inputs().
  void set_inputs(std::vector<ValueId> inputs);

  const prim::ValueType& type(ValueId v) const;
  int32_t num_values() const { return static_cast<int32_t>(types_.size()); }
  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  const std::vector<std::pair<ValueId, Array>>& constants() const { return constants_; }

  // For passes that build a graph op by op with known types (e.g. copying a verified graph):
  // appends without re-running shape rules.  verify() checks the result.
  ValueId add_value(prim::ValueType type);
  void append_op(Op op);

 private:
  void check_defined(ValueId v, const char* what) const;
  std::vector<prim::ValueType> types_;
  std::vector<Op> ops_;
  std::vector<ValueId> inputs_, outputs_;
  std::vector<std::pair<ValueId, Array>> constants_;
};

// A stable, jaxpr-like listing:
//   { lambda a:f32[3]; b:f32[2,3]. let
//       c:f32[2,3] = broadcast_in_dim[shape=(2, 3) broadcast_dimensions=(1,)] a
//       d:f32[2,3] = add b c
//     in (d) }
// Constants come before ';', inputs after it.  Nested bodies print indented under their op.
std::string to_string(const Graph& graph);

// Checks the invariants every pass relies on, throwing strata::Error("[verify] ...") on the first
// violation: each value defined exactly once (as constant, input or op result) before any use;
// every op's result types equal its primitive's shape rule applied to its operand types;
// outputs defined.  Nested bodies are verified too.  Iterative: deep graphs cannot overflow the
// stack.
void verify(const Graph& graph);

// Jaxpr-style variable names: a, b, ..., z, ba, bb, ...
std::string value_name(ValueId v);

}  // namespace strata::ir
