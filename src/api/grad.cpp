// vjp / grad: tracing the function, linearizing its graph, checking what users pass.
#include "strata/grad.h"

#include "api/internal.h"
#include "primitives/checkpoint_name.h"
#include "primitives/remat.h"
#include "trace/frame.h"
#include "transforms/autodiff.h"

namespace strata {

Array stop_gradient(const Array& x) {
  static const prim::PrimitivePtr p = prim::make<prim::StopGradient>();
  return prim::bind1(p, {x});
}

Array checkpoint_name(const Array& x, const std::string& name) {
  if (name.empty()) {
    fail("checkpoint_name",
         "the name is empty; CheckpointPolicy::save_names cannot select an "
         "empty name, so give the value a non-empty label");
  }
  return prim::bind1(prim::make<prim::CheckpointName>(name), {x});
}

namespace detail {

TracedBody trace_body(const char* api, const std::vector<Array>& inputs, const GradLeafFn& fn) {
  std::vector<prim::ValueType> types;
  types.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].valid()) {
      fail(api, "argument leaf ", i, " is an empty Array; pass a value for every leaf");
    }
    tracing::check_not_leaked(api, inputs[i], "argument leaf " + std::to_string(i));
    types.push_back(prim::type_of(inputs[i]));
  }
  return trace_body(api, types, fn);
}

TracedBody trace_body(const char* api, const std::vector<prim::ValueType>& types,
                      const GradLeafFn& fn) {
  tracing::FrameScope scope;
  const auto& frame = scope.shared();
  std::vector<Array> traced;
  traced.reserve(types.size());
  for (const prim::ValueType& t : types) traced.push_back(tracing::new_input(frame, t));
  std::vector<ir::ValueId> outputs;
  for (const Array& r : fn(traced)) {
    if (!r.valid()) fail(api, "the function returned an empty Array as an output leaf");
    outputs.push_back(tracing::lift(*frame, r, api));
  }
  frame->graph.set_outputs(std::move(outputs));
  TracedBody out;
  out.captured = frame->captured;
  out.graph = std::make_shared<const ir::Graph>(tracing::finish_body(*frame));
  return out;
}

prim::SavePolicy save_policy(const CheckpointPolicy& c) {
  prim::SavePolicy p;
  switch (c.save) {
    case CheckpointPolicy::Save::Everything:
      p.kind = prim::SavePolicy::Kind::Everything;
      break;
    case CheckpointPolicy::Save::Carries:
      p.kind = prim::SavePolicy::Kind::Nothing;
      break;
    case CheckpointPolicy::Save::Names:
      p.kind = prim::SavePolicy::Kind::Names;
      p.names = c.names;
      break;
  }
  p.nested_blocks = c.nested_blocks.value_or(-1);
  p.budget_bytes = c.memory_budget.value_or(-1);
  return p;
}

VjpLeaves vjp_leaves(const std::vector<Array>& inputs, const std::vector<bool>& wanted,
                     const GradLeafFn& fn, const char* api) {
  // Record fn once; values it closes over from enclosing traces become leading inputs (consts),
  // which get no cotangent here (an enclosing grad differentiates through them itself).
  const TracedBody traced = trace_body(api, inputs, fn);
  const std::shared_ptr<const ir::Graph>& graph = traced.graph;
  const std::vector<Array>& consts = traced.captured;
  std::vector<Array> all = consts;
  all.insert(all.end(), inputs.begin(), inputs.end());
  std::vector<bool> all_wanted(consts.size(), false);
  all_wanted.insert(all_wanted.end(), wanted.begin(), wanted.end());
  transforms::LinearizedGraph lin = transforms::linearize_graph(graph, all, all_wanted);

  VjpLeaves out;
  out.outputs = lin.outputs;
  out.pullback = [num_consts = consts.size(), outputs = lin.outputs,
                  pb = std::move(lin.pullback)](const std::vector<Array>& cts) {
    if (cts.size() != outputs.size()) {
      fail("vjp", "expected ", outputs.size(), " cotangent leaves, found ", cts.size());
    }
    for (size_t i = 0; i < cts.size(); ++i) {
      if (!cts[i].valid()) continue;
      if (cts[i].shape() != outputs[i].shape() || cts[i].dtype() != outputs[i].dtype()) {
        fail("vjp", "cotangent leaf ", i, " must have the type of the output, ",
             prim::to_string(prim::type_of(outputs[i])), ", found ",
             prim::to_string(prim::type_of(cts[i])));
      }
    }
    std::vector<Array> input_cts = pb(cts);
    input_cts.erase(input_cts.begin(), input_cts.begin() + static_cast<long>(num_consts));
    return input_cts;
  };
  return out;
}

std::pair<std::vector<Array>, std::vector<Array>> jvp_leaves(const std::vector<Array>& inputs,
                                                             const std::vector<Array>& tangents,
                                                             const GradLeafFn& fn) {
  std::vector<bool> wanted(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].valid()) {
      fail("jvp", "primal leaf ", i, " is an empty Array; pass a value for every leaf");
    }
    wanted[i] = is_floating(inputs[i].dtype());
    if (!wanted[i]) continue;
    if (!tangents[i].valid() || tangents[i].shape() != inputs[i].shape() ||
        tangents[i].dtype() != inputs[i].dtype()) {
      fail("jvp", "tangent leaf ", i, " must have the primal's type ",
           prim::to_string(prim::type_of(inputs[i])), ", found ",
           tangents[i].valid() ? prim::to_string(prim::type_of(tangents[i])) : "an empty Array");
    }
  }
  VjpLeaves primal = vjp_leaves(inputs, wanted, fn, "jvp");
  // u -> pullback(u) is linear; its vjp at any u, applied to the tangents, is J·tangents.
  std::vector<Array> u0;
  std::vector<bool> u_wanted;
  for (const Array& y : primal.outputs) {
    u0.push_back(zeros_like(y));
    u_wanted.push_back(is_floating(y.dtype()));
  }
  VjpLeaves transposed = vjp_leaves(u0, u_wanted, [&](const std::vector<Array>& u) {
    std::vector<Array> cts = primal.pullback(u);
    std::vector<Array> out;
    for (size_t i = 0; i < cts.size(); ++i) {
      if (wanted[i]) out.push_back(cts[i].valid() ? cts[i] : zeros_like(inputs[i]));
    }
    return out;
  });
  std::vector<Array> t;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (wanted[i]) t.push_back(tangents[i]);
  }
  std::vector<Array> out_tangents = transposed.pullback(t);
  for (size_t j = 0; j < out_tangents.size(); ++j) {
    if (!out_tangents[j].valid() && u_wanted[j]) out_tangents[j] = zeros_like(primal.outputs[j]);
  }
  return {primal.outputs, out_tangents};
}

std::vector<Array> checkpoint_leaves(const std::vector<Array>& inputs,
                                     const CheckpointPolicy& policy, const GradLeafFn& fn) {
  policy.validate("checkpoint");
  if (policy.nested_blocks || policy.memory_budget) {
    fail("checkpoint",
         "nested and memory-budget schedules restructure a scan's loop; give them "
         "to strata::scan through ScanOptions::checkpoint, not to checkpoint(f)");
  }
  const TracedBody traced = trace_body("checkpoint", inputs, fn);
  std::vector<Array> operands = traced.captured;
  operands.insert(operands.end(), inputs.begin(), inputs.end());
  return prim::bind(prim::make<prim::Remat>(traced.graph, save_policy(policy)), operands);
}

void check_differentiable(const char* api, const std::vector<Array>& leaves,
                          const std::vector<std::string>& paths, const std::vector<bool>& wanted) {
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (wanted[i] && leaves[i].valid() && !is_floating(leaves[i].dtype())) {
      fail(api, "leaf `", paths[i], "` of a differentiated argument is ",
           prim::to_string(prim::type_of(leaves[i])),
           "; gradients exist only for floating-point leaves: convert it with astype, or pass it "
           "in an argument that is not in argnums");
    }
  }
}

void check_scalar_loss(const char* api, const Array& out) {
  if (out.ndim() != 0 || !is_floating(out.dtype())) {
    fail(api, "f must return a floating-point scalar (the loss), found ",
         prim::to_string(prim::type_of(out)),
         "; reduce it (e.g. st::sum or st::mean), or use vjp for non-scalar outputs");
  }
}

std::vector<Array> instantiate_zeros(std::vector<Array> cts, const std::vector<Array>& like) {
  for (size_t i = 0; i < cts.size(); ++i) {
    if (!cts[i].valid()) cts[i] = zeros_like(like[i]);
  }
  return cts;
}

}  // namespace detail
}  // namespace strata
