#include "transforms/batching.h"

#include "primitives/layout.h"
#include "strata/ops.h"
#include "trace/frame.h"
#include "transforms/graph_values.h"

namespace strata::transforms {

namespace {

// A rule's results must agree with the unbatched shape rule plus the batch axis; a mismatch is a
// bug in the rule, reported with the primitive's name rather than as a later shape error.
void check_result(const ir::Op& op, size_t j, const prim::ValueType& unbatched, const Array& out,
                  int dim, int64_t axis_size) {
  Shape expected = unbatched.shape;
  if (dim != kNotBatched) {
    if (dim < 0 || dim > static_cast<int>(expected.size())) {
      fail("vmap", "internal: the batching rule of `", op.primitive->name(), "` put result ", j,
           "'s batch axis at ", dim);
    }
    expected.insert(expected.begin() + dim, axis_size);
  }
  if (out.shape() != expected || out.dtype() != unbatched.dtype) {
    fail("vmap", "internal: the batching rule of `", op.primitive->name(), "` returned ",
         prim::to_string(prim::type_of(out)), " for result ", j, ", expected ",
         prim::to_string(prim::ValueType{expected, unbatched.dtype}), " (batch axis ", dim, ")");
  }
}

}  // namespace

BatchedValues batch_graph(const ir::Graph& g, const std::vector<Array>& inputs,
                          const std::vector<int>& dims, int64_t axis_size) {
  std::vector<Array> values = initial_values(g, inputs, "vmap");
  std::vector<int> dim(static_cast<size_t>(g.num_values()), kNotBatched);
  for (size_t i = 0; i < dims.size(); ++i) dim[static_cast<size_t>(g.inputs()[i])] = dims[i];
  for (const ir::Op& op : g.ops()) {
    const std::vector<Array> operands = gather(values, op.operands);
    std::vector<int> operand_dims;
    bool any = false;
    for (ir::ValueId v : op.operands) {
      operand_dims.push_back(dim[static_cast<size_t>(v)]);
      any = any || operand_dims.back() != kNotBatched;
    }
    prim::Primitive::Batched out;
    if (any) {
      out = op.primitive->batch(op.primitive, {operands, operand_dims, axis_size});
    } else {
      out.outputs = prim::bind(op.primitive, operands);
      out.dims.assign(out.outputs.size(), kNotBatched);
    }
    for (size_t j = 0; j < op.results.size(); ++j) {
      const auto r = static_cast<size_t>(op.results[j]);
      check_result(op, j, g.type(op.results[j]), out.outputs[j], out.dims[j], axis_size);
      values[r] = std::move(out.outputs[j]);
      dim[r] = out.dims[j];
    }
  }
  BatchedValues result;
  result.values = gather(values, g.outputs());
  for (ir::ValueId v : g.outputs()) result.dims.push_back(dim[static_cast<size_t>(v)]);
  return result;
}

BatchedBody batch_body(const ir::Graph& g, const std::vector<bool>& batched_inputs,
                       int64_t axis_size, const std::vector<bool>& force_outputs) {
  tracing::FrameScope scope;
  const auto& frame = scope.shared();
  std::vector<Array> in;
  std::vector<int> dims;
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    prim::ValueType t = g.type(g.inputs()[i]);
    if (batched_inputs[i]) t.shape.insert(t.shape.begin(), axis_size);
    in.push_back(tracing::new_input(frame, t));
    dims.push_back(batched_inputs[i] ? 0 : kNotBatched);
  }
  BatchedValues out = batch_graph(g, in, dims, axis_size);
  BatchedBody body;
  std::vector<ir::ValueId> ids;
  for (size_t j = 0; j < out.values.size(); ++j) {
    const bool forced = j < force_outputs.size() && force_outputs[j];
    const bool batched = out.dims[j] != kNotBatched || forced;
    const Array v =
        batched ? move_batch_axis(out.values[j], out.dims[j], axis_size, 0) : out.values[j];
    ids.push_back(tracing::lift(*frame, v, "vmap"));
    body.batched_outputs.push_back(batched);
  }
  frame->graph.set_outputs(std::move(ids));
  if (!frame->captured.empty()) fail("vmap", "internal: a batched body captured values");
  body.graph = std::make_shared<const ir::Graph>(frame->graph);
  return body;
}

Array move_batch_axis(const Array& x, int dim, int64_t size, int to) {
  if (dim != kNotBatched) return moveaxis(x, dim, to);
  // One broadcast_in_dim (a stride-0 view), not expand_dims + broadcast_to.
  Shape shape = x.shape();
  shape.insert(shape.begin() + to, size);
  std::vector<int> dims;
  for (int i = 0; i <= x.ndim(); ++i) {
    if (i != to) dims.push_back(i);
  }
  return prim::bind1(prim::make<prim::BroadcastInDim>(shape, dims), {x});
}

prim::Primitive::Batched batch_elementwise(const prim::PrimitivePtr& self,
                                           const prim::Primitive::BatchArgs& args) {
  int d = kNotBatched;
  for (int k : args.dims) {
    if (k != kNotBatched) {
      d = k;
      break;
    }
  }
  std::vector<Array> operands;
  for (size_t i = 0; i < args.operands.size(); ++i) {
    operands.push_back(args.dims[i] == d
                           ? args.operands[i]
                           : move_batch_axis(args.operands[i], args.dims[i], args.axis_size, d));
  }
  prim::Primitive::Batched out;
  out.outputs = prim::bind(self, operands);
  out.dims.assign(out.outputs.size(), d);
  return out;
}

}  // namespace strata::transforms
