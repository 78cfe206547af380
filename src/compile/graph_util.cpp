#include "compile/graph_util.h"

#include "primitives/layout.h"

#include <cstdlib>
#include <string>

#include "backend/cpu/dispatch.h"

namespace strata::compile {

GraphCopy::GraphCopy(const Graph& src)
    : src_(src), map_(static_cast<size_t>(src.num_values()), -1) {}

void GraphCopy::grow() {
  const auto n = static_cast<size_t>(dst_.num_values());
  producer_.resize(n, -1);
  constant_.resize(n, -1);
}

void GraphCopy::copy_inputs() {
  for (ValueId v : src_.inputs()) alias(v, dst_.add_input(src_.type(v)));
  grow();
}

ValueId GraphCopy::copy_constant(ValueId v, const Array& value) {
  const ValueId c = dst_.add_constant(value);
  grow();
  constant_[static_cast<size_t>(c)] = static_cast<int32_t>(dst_.constants().size() - 1);
  alias(v, c);
  return c;
}

void GraphCopy::copy_op(const ir::Op& op) {
  ir::Op copy{op.primitive, {}, {}};
  for (ValueId v : op.operands) copy.operands.push_back(map(v));
  for (ValueId r : op.results) copy.results.push_back(dst_.add_value(src_.type(r)));
  grow();
  for (size_t i = 0; i < op.results.size(); ++i) {
    alias(op.results[i], copy.results[i]);
    producer_[static_cast<size_t>(copy.results[i])] = static_cast<int32_t>(dst_.ops().size());
  }
  dst_.append_op(std::move(copy));
}

std::vector<ValueId> GraphCopy::add_op(prim::PrimitivePtr p, std::vector<ValueId> operands) {
  std::vector<ValueId> results = dst_.add_op(std::move(p), std::move(operands));
  grow();
  for (ValueId r : results) {
    producer_[static_cast<size_t>(r)] = static_cast<int32_t>(dst_.ops().size() - 1);
  }
  return results;
}

void GraphCopy::alias(ValueId old, ValueId to) {
  map_.at(static_cast<size_t>(old)) = to;
}

bool GraphCopy::mapped(ValueId old) const {
  return map_.at(static_cast<size_t>(old)) >= 0;
}

ValueId GraphCopy::map(ValueId old) const {
  const ValueId v = map_.at(static_cast<size_t>(old));
  if (v < 0) fail("compile", "internal: value ", ir::value_name(old), " was used before copied");
  return v;
}

Graph GraphCopy::finish() {
  std::vector<ValueId> outs;
  for (ValueId v : src_.outputs()) outs.push_back(map(v));
  dst_.set_outputs(std::move(outs));
  return std::move(dst_);
}

const ir::Op* GraphCopy::producer(ValueId v) const {
  const int32_t i = producer_.at(static_cast<size_t>(v));
  return i < 0 ? nullptr : &dst_.ops()[static_cast<size_t>(i)];
}

const Array* GraphCopy::constant(ValueId v) const {
  const int32_t i = constant_.at(static_cast<size_t>(v));
  return i < 0 ? nullptr : &dst_.constants()[static_cast<size_t>(i)].second;
}

std::vector<int32_t> use_counts(const Graph& g) {
  std::vector<int32_t> uses(static_cast<size_t>(g.num_values()), 0);
  for (const ir::Op& op : g.ops()) {
    for (ValueId v : op.operands) ++uses[static_cast<size_t>(v)];
  }
  for (ValueId v : g.outputs()) ++uses[static_cast<size_t>(v)];
  return uses;
}

std::vector<int32_t> producers(const Graph& g) {
  std::vector<int32_t> def(static_cast<size_t>(g.num_values()), -1);
  for (size_t i = 0; i < g.ops().size(); ++i) {
    for (ValueId r : g.ops()[i].results) def[static_cast<size_t>(r)] = static_cast<int32_t>(i);
  }
  return def;
}

std::optional<std::vector<int>> broadcast_dims(const prim::Primitive& p) {
  if (const auto* b = dynamic_cast<const prim::BroadcastInDim*>(&p)) {
    return b->broadcast_dimensions();
  }
  return std::nullopt;
}

bool all_zero(const Array& a) {
  bool zero = true;
  cpu::visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (auto v : a.to_vector<T>()) zero = zero && cpu::convert<double>(static_cast<T>(v)) == 0.0;
  });
  return zero;
}

}  // namespace strata::compile
