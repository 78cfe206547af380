#include "primitives/remat.h"

#include <algorithm>

#include "backend/cpu/strided.h"
#include "compile/cse.h"
#include "compile/pipeline.h"
#include "compile/working_memory.h"
#include "strata/ops.h"
#include "trace/frame.h"
#include "transforms/autodiff.h"
#include "transforms/batching.h"
#include "transforms/partial_eval.h"

namespace strata::prim {

namespace {

void run_body(compile::Executable& e, const std::vector<Array>& in, const std::vector<Array>& out) {
  for (size_t i = 0; i < in.size(); ++i) compile::bind_input(e, i, in[i]);
  for (size_t i = 0; i < out.size(); ++i) compile::bind_output(e, i, out[i]);
  e.run();
}

}  // namespace

Remat::Remat(std::shared_ptr<const ir::Graph> body, SavePolicy save)
    : body_(std::move(body)), save_(std::move(save)) {}
Remat::~Remat() = default;

std::vector<ValueType> Remat::infer(const std::vector<ValueType>& in) const {
  const ir::Graph& b = *body_;
  expect_arity(name(), in, b.inputs().size());
  for (size_t i = 0; i < in.size(); ++i) {
    const ValueType& want = b.type(b.inputs()[i]);
    if (in[i].shape != want.shape || in[i].dtype != want.dtype) {
      fail(name(), "operand ", i, " must be ", to_string(want), ", found ", to_string(in[i]));
    }
  }
  std::vector<ValueType> out;
  for (ir::ValueId v : b.outputs()) out.push_back(b.type(v));
  return out;
}

void Remat::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  std::lock_guard<std::mutex> lock(eager_mutex_);
  if (!eager_) eager_ = compile::compile(*body_);
  std::vector<Array> dense;
  dense.reserve(in.size());
  for (const Array& a : in) dense.push_back(cpu::contiguous(a));
  run_body(*eager_, dense, out);
}

Primitive::Kernel Remat::prepare(const std::vector<Array>& inputs,
                                 const std::vector<ValueType>& /*outputs*/) const {
  int64_t bytes = 0;
  std::shared_ptr<compile::Executable> exe;
  {
    compile::WorkingMemoryScope nested(bytes);
    exe = compile::compile(*body_);
  }
  bytes += exe->stats().planned_peak_bytes();
  Kernel kernel = compile::dense_operand_kernel(
      inputs,
      [exe](const std::vector<Array>& in, const std::vector<Array>& out) {
        run_body(*exe, in, out);
      },
      bytes);
  compile::report_working_memory(bytes);
  return kernel;
}

// Reverse mode: trace "run the body, then pull back" once, split it so the forward op also
// returns what the policy saves, and run the rest (recomputation included) as a second
// checkpoint op in the backward pass.
Primitive::Linearized Remat::linearize(const std::shared_ptr<const Primitive>& self,
                                       const std::vector<Array>& primals,
                                       const std::vector<bool>& wanted) const {
  const ir::Graph& body = *body_;
  std::vector<bool> active(wanted.size());
  for (size_t i = 0; i < wanted.size(); ++i) {
    active[i] = wanted[i] && is_differentiable(body.type(body.inputs()[i]).dtype);
  }
  const std::vector<bool> out_active = transforms::active_outputs(body, active);
  std::vector<size_t> ct_outs;
  for (size_t j = 0; j < out_active.size(); ++j) {
    if (out_active[j]) ct_outs.push_back(j);
  }
  if (ct_outs.empty()) return linearize_without_flow(self, primals);

  ir::Graph g;
  const size_t n_in = body.inputs().size(), n_out = body.outputs().size();
  {
    tracing::FrameScope scope;
    const auto& frame = scope.shared();
    std::vector<Array> in;
    for (ir::ValueId v : body.inputs()) in.push_back(tracing::new_input(frame, body.type(v)));
    std::vector<Array> cts(n_out);
    for (size_t j : ct_outs) cts[j] = tracing::new_input(frame, body.type(body.outputs()[j]));
    transforms::LinearizedGraph lin = transforms::linearize_graph(body_, in, active);
    const std::vector<Array> in_cts = lin.pullback(cts);
    std::vector<Array> outs = lin.outputs;
    for (size_t i = 0; i < n_in; ++i) {
      if (active[i])
        outs.push_back(transforms::instantiate(in_cts[i], body.type(body.inputs()[i])));
    }
    std::vector<ir::ValueId> ids;
    for (const Array& a : outs) ids.push_back(tracing::lift(*frame, a, "grad"));
    frame->graph.set_outputs(std::move(ids));
    // Residuals are chosen on this graph: merge duplicate computations first, so one value is
    // not saved twice under two names.
    g = compile::cse(frame->graph);
  }
  // Inputs are held by the caller for the backward pass anyway: free to both halves.
  std::vector<transforms::InputRole> roles(g.inputs().size(), transforms::InputRole::Backward);
  for (size_t i = 0; i < n_in; ++i) roles[i] = transforms::InputRole::X;
  const std::vector<ir::ValueId> bwd_out(g.outputs().begin() + static_cast<long>(n_out),
                                         g.outputs().end());
  const transforms::BackwardSplit split = transforms::split_backward(g, roles, bwd_out, save_);
  std::vector<ir::ValueId> fwd_out(g.outputs().begin(),
                                   g.outputs().begin() + static_cast<long>(n_out));
  fwd_out.insert(fwd_out.end(), split.stacked.begin(), split.stacked.end());
  const std::vector<ir::ValueId> primal_ids(g.inputs().begin(),
                                            g.inputs().begin() + static_cast<long>(n_in));
  auto forward = std::make_shared<const ir::Graph>(transforms::extract(g, primal_ids, fwd_out));
  std::vector<ir::ValueId> bwd_in = split.xs;
  bwd_in.insert(bwd_in.end(), split.stacked.begin(), split.stacked.end());
  bwd_in.insert(bwd_in.end(), g.inputs().begin() + static_cast<long>(n_in), g.inputs().end());
  auto backward = std::make_shared<const ir::Graph>(transforms::extract(g, bwd_in, bwd_out));

  std::vector<Array> fwd = prim::bind(make<Remat>(forward, save_), primals);
  std::vector<Array> outputs(fwd.begin(), fwd.begin() + static_cast<long>(n_out));
  std::vector<Array> residuals(fwd.begin() + static_cast<long>(n_out), fwd.end());
  std::vector<size_t> xs_index;
  for (ir::ValueId v : split.xs) {
    xs_index.push_back(static_cast<size_t>(std::find(g.inputs().begin(), g.inputs().end(), v) -
                                           g.inputs().begin()));
  }
  const SavePolicy save = save_;
  Pullback pullback = [=, body = body_](const std::vector<Array>& cts) {
    std::vector<Array> operands;
    for (size_t i : xs_index) operands.push_back(primals[i]);
    operands.insert(operands.end(), residuals.begin(), residuals.end());
    for (size_t j : ct_outs) {
      operands.push_back(transforms::instantiate(cts[j], body->type(body->outputs()[j])));
    }
    const std::vector<Array> r = prim::bind(make<Remat>(backward, save), operands);
    std::vector<Array> out(primals.size());
    size_t k = 0;
    for (size_t i = 0; i < active.size(); ++i) {
      if (active[i]) out[i] = r[k++];
    }
    return out;
  };
  return {std::move(outputs), std::move(pullback)};
}

Primitive::Batched Remat::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  std::vector<bool> batched;
  std::vector<Array> operands;
  for (size_t i = 0; i < args.operands.size(); ++i) {
    batched.push_back(args.dims[i] != transforms::kNotBatched);
    operands.push_back(batched.back() ? moveaxis(args.operands[i], args.dims[i], 0)
                                      : args.operands[i]);
  }
  const transforms::BatchedBody body = transforms::batch_body(*body_, batched, args.axis_size);
  Batched out;
  out.outputs = prim::bind(make<Remat>(body.graph, save_), operands);
  for (bool b : body.batched_outputs) out.dims.push_back(b ? 0 : transforms::kNotBatched);
  return out;
}

}  // namespace strata::prim
