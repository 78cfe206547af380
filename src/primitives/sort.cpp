#include "primitives/sort.h"

#include <memory>

#include "backend/cpu/sort.h"
#include "compile/working_memory.h"
#include "transforms/batching.h"

namespace strata::prim {

std::vector<ValueType> Argsort::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  expect_index_axis(name(), in[0], axis_);
  return {ValueType{in[0].shape, DType::Int32, false}};
}

void Argsort::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::argsort(in[0], axis_, out[0]);
}

Primitive::Kernel Argsort::prepare(const std::vector<Array>& in,
                                   const std::vector<ValueType>& /*out*/) const {
  const Array staging =
      in[0].is_contiguous() ? Array() : compile::working_array(in[0].shape(), in[0].dtype());
  auto kernel = std::make_shared<cpu::ArgsortKernel>(in[0], axis_, staging);
  return [kernel](const std::vector<Array>& args, const std::vector<Array>& outs) {
    kernel->run(args[0], outs[0]);
  };
}

// The order is an integer: piecewise constant in the operand, so no cotangent.
std::vector<Array> Argsort::vjp(const VjpArgs& /*args*/) const {
  return {Array()};
}

// Every line along the axis is sorted on its own, so the batch axis is just one more line axis.
Primitive::Batched Argsort::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  const int d = args.dims[0];
  const int axis = transforms::batched_axis(axis_, d);
  return {{bind1(make<Argsort>(axis), {args.operands[0]})}, {d}};
}

std::string Argsort::params() const {
  return detail::cat("axis=", axis_, " stable=True index_dtype=int32");
}

}  // namespace strata::prim
