#include "primitives/reduce.h"

#include <algorithm>

#include "compile/working_memory.h"
#include "primitives/layout.h"
#include "strata/ops.h"
#include "transforms/batching.h"

namespace strata::prim {

Reduce::Reduce(cpu::ReduceOp op, std::vector<int> axes) : op_(op), axes_(std::move(axes)) {
  // Canonical order, so equal reductions compare equal; repeats survive for infer() to report.
  std::sort(axes_.begin(), axes_.end());
}

// A sum's cotangent is the result's cotangent broadcast back over the reduced axes.  max / min
// share it evenly among the elements equal to the extreme (JAX's rule), so ties split it.
std::vector<Array> Reduce::vjp(const VjpArgs& args) const {
  const Array& x = args.primals[0];
  std::vector<int> kept;
  for (size_t d = 0; d < x.shape().size(); ++d) {
    if (!std::binary_search(axes_.begin(), axes_.end(), static_cast<int>(d))) {
      kept.push_back(static_cast<int>(d));
    }
  }
  auto back = [&](const Array& r) { return bind1(make<BroadcastInDim>(x.shape(), kept), {r}); };
  if (op_ == cpu::ReduceOp::Sum) return {back(args.cotangents[0])};
  const Array at_extreme = astype(back(args.outputs[0]) == x, x.dtype());
  const Array count = bind1(make<ReduceSum>(axes_), {at_extreme});
  return {at_extreme * back(args.cotangents[0] / count)};
}

// The reduced axes renumbered around the batch axis, which survives (moved down past the
// reduced axes before it).
Primitive::Batched Reduce::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  const int d = args.dims[0];
  std::vector<int> axes;
  int before = 0;
  for (int a : axes_) {
    axes.push_back(transforms::batched_axis(a, d));
    before += a < d ? 1 : 0;
  }
  return {{bind1(make<Reduce>(op_, axes), {args.operands[0]})}, {d - before}};
}

std::vector<ValueType> Reduce::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  const ValueType& t = in[0];
  const int ndim = static_cast<int>(t.shape.size());
  for (size_t i = 0; i < axes_.size(); ++i) {
    if (axes_[i] < 0 || axes_[i] >= ndim) {
      fail(name(), "axis ", axes_[i], " is out of range for an operand of type ", to_string(t),
           " (axes must be in [0, ", ndim, "); normalise negative axes first)");
    }
    if (i > 0 && axes_[i] == axes_[i - 1]) {
      fail(name(), "axes ", axes_to_string(axes_), " name axis ", axes_[i],
           " more than once; name each reduced axis once");
    }
  }
  if (op_ == cpu::ReduceOp::Sum && t.dtype == DType::Bool) {
    fail(name(), "expected a numeric operand, found ", to_string(t),
         "; convert bool to int32 first (strata::sum does, like jnp.sum)");
  }
  if (op_ != cpu::ReduceOp::Sum) {
    for (int a : axes_) {
      if (t.shape[static_cast<size_t>(a)] == 0) {
        fail(name(), "cannot reduce an empty axis: axis ", a, " of ", to_string(t), " has size 0 (",
             op_ == cpu::ReduceOp::Max ? "max" : "min",
             " has no identity); reduce only non-empty axes");
      }
    }
  }
  Shape shape;
  for (int i = 0; i < ndim; ++i) {
    if (!std::binary_search(axes_.begin(), axes_.end(), i)) {
      shape.push_back(t.shape[static_cast<size_t>(i)]);
    }
  }
  return {ValueType{shape, t.dtype, t.weak}};
}

void Reduce::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::reduce(op_, in[0], axes_, out[0]);
}

Primitive::Kernel Reduce::prepare(const std::vector<Array>& in,
                                  const std::vector<ValueType>& /*out*/) const {
  auto k = std::make_shared<cpu::ReduceKernel>(op_, in[0].shape(), in[0].strides(), in[0].dtype(),
                                               axes_);
  compile::report_working_memory(k->staging_bytes());
  return [k](const std::vector<Array>& args, const std::vector<Array>& outs) {
    k->run(args[0], outs[0]);
  };
}

std::vector<ValueType> ArgReduce::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  const ValueType& t = in[0];
  expect_index_axis(name(), t, axis_);
  if (t.shape[static_cast<size_t>(axis_)] == 0) {
    fail(name(), "cannot reduce an empty axis: axis ", axis_, " of ", to_string(t),
         " has size 0, so there is no index to return; reduce only non-empty axes");
  }
  Shape shape = t.shape;
  shape.erase(shape.begin() + axis_);
  return {ValueType{shape, DType::Int32, false}};
}

void ArgReduce::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::arg_reduce(is_max_, in[0], axis_, out[0]);
}

Primitive::Kernel ArgReduce::prepare(const std::vector<Array>& in,
                                     const std::vector<ValueType>& out) const {
  const DType staged = cpu::arg_staging_dtype(in[0].dtype());
  if (in[0].is_contiguous() && staged == in[0].dtype()) return Primitive::prepare(in, out);
  const Array staging = compile::working_array(in[0].shape(), staged);
  return [this, staging](const std::vector<Array>& args, const std::vector<Array>& outs) {
    cpu::arg_reduce(is_max_, args[0], axis_, outs[0], &staging);
  };
}

// The index result is an integer: piecewise constant in the operand, so no cotangent.
std::vector<Array> ArgReduce::vjp(const VjpArgs& /*args*/) const {
  return {Array()};
}

Primitive::Batched ArgReduce::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  const int d = args.dims[0];
  const int axis = transforms::batched_axis(axis_, d);
  return {{bind1(make<ArgReduce>(is_max_, axis), {args.operands[0]})}, {axis_ < d ? d - 1 : d}};
}

std::string ArgReduce::params() const {
  return detail::cat("axes=", axes_to_string(std::vector<int>{axis_}), " index_dtype=int32");
}

}  // namespace strata::prim
