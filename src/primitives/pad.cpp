#include "primitives/pad.h"

#include <sstream>

#include "backend/cpu/pad.h"
#include "primitives/layout.h"
#include "strata/ops.h"
#include "transforms/batching.h"

namespace strata::prim {

std::vector<ValueType> Pad::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 2);
  const ValueType& x = in[0];
  const ValueType& value = in[1];
  if (!value.shape.empty() || value.dtype != x.dtype) {
    fail(name(), "expected a 0-d padding value of the operand's dtype (", to_string(x), "), found ",
         to_string(value));
  }
  const size_t nd = x.shape.size();
  if (low_.size() != nd || high_.size() != nd || interior_.size() != nd) {
    fail(name(), "expected one (low, high, interior) padding per axis of ", to_string(x),
         ", found ", low_.size(), ", ", high_.size(), " and ", interior_.size(), " entries");
  }
  Shape shape(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (low_[i] < 0 || high_[i] < 0 || interior_[i] < 0) {
      fail(name(), "axis ", i, ": expected non-negative padding, found low ", low_[i], ", high ",
           high_[i], ", interior ", interior_[i], " (negative padding is not supported)");
    }
    const int64_t n = x.shape[i];
    shape[i] = low_[i] + high_[i] + n + std::max<int64_t>(n - 1, 0) * interior_[i];
  }
  return {ValueType{shape, x.dtype, x.weak && value.weak}};
}

void Pad::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::pad(in[0], in[1], low_, interior_, out[0]);
}

// The operand's cotangent is the strided slice of ct that pad wrote the operand into; the
// padding value's is the sum of everything else.
std::vector<Array> Pad::vjp(const VjpArgs& args) const {
  const Array& x = args.primals[0];
  const Array& ct = args.cotangents[0];
  const size_t nd = low_.size();
  std::vector<int64_t> starts(nd), steps(nd);
  for (size_t i = 0; i < nd; ++i) {
    starts[i] = x.shape()[i] == 0 ? 0 : low_[i];
    steps[i] = interior_[i] + 1;
  }
  const Array inner = bind1(make<StaticSlice>(starts, x.shape(), steps), {ct});
  Array value_ct;
  if (args.wanted[1]) value_ct = sum(ct) - sum(inner);
  return {args.wanted[0] ? inner : Array(), value_ct};
}

// A shared padding value: the batch axis is left unpadded.  A padding value per example: pad
// with a placeholder, then put each example's value wherever no operand element landed.
Primitive::Batched Pad::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  auto with_batch_axis = [&](int d) {
    std::vector<int64_t> low = low_, high = high_, interior = interior_;
    for (auto* v : {&low, &high, &interior}) v->insert(v->begin() + d, 0);
    return make<Pad>(low, high, interior);
  };
  if (args.dims[1] == transforms::kNotBatched) {
    const int d = args.dims[0];
    return {{bind1(with_batch_axis(d), args.operands)}, {d}};
  }
  const int64_t B = args.axis_size;
  const Array x = transforms::move_batch_axis(args.operands[0], args.dims[0], B, 0);
  const PrimitivePtr p = with_batch_axis(0);
  const Array padded = bind1(p, {x, zeros({}, x.dtype())});
  const Array landed = bind1(p, {full(x.shape(), 1, DType::Bool), full({}, 0, DType::Bool)});
  Shape value_shape(padded.shape().size(), 1);
  value_shape[0] = B;
  const Array value = reshape(moveaxis(args.operands[1], args.dims[1], 0), value_shape);
  return {{where(landed, padded, broadcast_to(value, padded.shape()))}, {0}};
}

std::string Pad::params() const {
  std::ostringstream os;
  os << "padding_config=(";
  for (size_t i = 0; i < low_.size(); ++i) {
    os << (i ? ", " : "") << "(" << low_[i] << ", " << high_[i] << ", " << interior_[i] << ")";
  }
  os << (low_.size() == 1 ? ",)" : ")");
  return os.str();
}

}  // namespace strata::prim
