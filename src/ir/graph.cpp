#include "ir/graph.h"

#include <algorithm>

namespace strata::ir {

ValueId Graph::add_value(prim::ValueType type) {
  types_.push_back(std::move(type));
  return static_cast<ValueId>(types_.size() - 1);
}

ValueId Graph::add_input(prim::ValueType type) {
  const ValueId v = add_value(std::move(type));
  inputs_.push_back(v);
  return v;
}

ValueId Graph::add_constant(const Array& value) {
  if (!value.valid()) fail("Graph::add_constant", "cannot capture an empty Array");
  const ValueId v = add_value(prim::type_of(value));
  constants_.emplace_back(v, value);
  return v;
}

void Graph::check_defined(ValueId v, const char* what) const {
  if (v < 0 || v >= num_values()) {
    fail("Graph", what, " refers to value ", v, ", but the graph defines values 0 to ",
         num_values() - 1);
  }
}

std::vector<ValueId> Graph::add_op(prim::PrimitivePtr primitive, std::vector<ValueId> operands) {
  std::vector<prim::ValueType> operand_types;
  operand_types.reserve(operands.size());
  for (ValueId v : operands) {
    check_defined(v, "an operand");
    operand_types.push_back(types_[static_cast<size_t>(v)]);
  }
  Op op{std::move(primitive), std::move(operands), {}};
  for (prim::ValueType& t : op.primitive->infer(operand_types)) {
    detail::checked_nbytes(t.shape, t.dtype, op.primitive->name());
    op.results.push_back(add_value(std::move(t)));
  }
  std::vector<ValueId> results = op.results;
  ops_.push_back(std::move(op));
  return results;
}

ValueId Graph::add_op1(prim::PrimitivePtr primitive, std::vector<ValueId> operands) {
  std::vector<ValueId> results = add_op(std::move(primitive), std::move(operands));
  if (results.size() != 1) {
    fail("Graph::add_op1", "expected a primitive with one result, found ", results.size());
  }
  return results.front();
}

void Graph::append_op(Op op) {
  ops_.push_back(std::move(op));
}

void Graph::set_outputs(std::vector<ValueId> outputs) {
  for (ValueId v : outputs) check_defined(v, "an output");
  outputs_ = std::move(outputs);
}

void Graph::set_inputs(std::vector<ValueId> inputs) {
  std::vector<ValueId> a = inputs, b = inputs_;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b) fail("Graph::set_inputs", "expected a permutation of the ", b.size(), " inputs");
  inputs_ = std::move(inputs);
}

const prim::ValueType& Graph::type(ValueId v) const {
  check_defined(v, "a type query");
  return types_[static_cast<size_t>(v)];
}

std::string value_name(ValueId v) {
  // Base 26 with 'a' as the digit zero, as jaxprs name variables: a..z, ba..bz, ca.., zz, baa..
  // No name but "a" starts with 'a', so names never collide.
  std::string name;
  int64_t n = v;
  do {
    name.insert(name.begin(), static_cast<char>('a' + n % 26));
    n /= 26;
  } while (n > 0);
  return name;
}

}  // namespace strata::ir
