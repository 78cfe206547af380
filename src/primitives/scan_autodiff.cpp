// scan's reverse-mode rule (JAX's scan partial-eval + transpose rules, after a fixpoint over
// which carries are active):
//   1. trace, once, a combined body that recomputes the forward body and pulls it back:
//        [consts | carry | x | ct_carry | ct_consts_acc | ct_y]
//          -> [carry' | y | ct_carry_in | ct_consts_acc + ct_consts | ct_x];
//   2. split it (transforms/partial_eval): residuals that vary per iteration are stacked by the
//      forward scan as extra ys; invariant ones (computed from constants only, e.g. anything
//      derived from closed-over weights) are hoisted and computed once; the rest is recomputed in
//      the backward body, as the save policy asks;
//   3. forward: hoisted residuals, then one scan over the forward half (same results as the plain
//      scan); backward: one reverse scan whose carry holds the carry cotangent and the
//      accumulated cotangents of the constants, and whose ys are the cotangents of the xs
//      (stacked per-layer weight gradients come out stacked).
// Like scan.cpp this sits above the transforms it uses, as JAX's loops.py does.
#include "primitives/scan.h"

#include <unordered_map>

#include "strata/ops.h"
#include "trace/frame.h"
#include "transforms/autodiff.h"
#include "transforms/partial_eval.h"

namespace strata::prim {

namespace {

ValueType stacked_type(ValueType t, int64_t length) {
  t.shape.insert(t.shape.begin(), length);
  return t;
}

// The carries whose cotangent matters: those wanted, and those an active value flows into,
// found by iterating to a fixpoint (a carry can become active through the loop).
std::vector<bool> active_inputs(const ir::Graph& body, int nc, int nk,
                                const std::vector<bool>& wanted) {
  std::vector<bool> active(body.inputs().size());
  for (size_t i = 0; i < active.size(); ++i) {
    active[i] = wanted[i] && is_differentiable(body.type(body.inputs()[i]).dtype);
  }
  for (bool changed = true; changed;) {
    changed = false;
    const std::vector<bool> out = transforms::active_outputs(body, active);
    for (int i = 0; i < nk; ++i) {
      const auto in = static_cast<size_t>(nc + i);
      if (out[static_cast<size_t>(i)] && !active[in]) {
        active[in] = true;
        changed = true;
      }
    }
  }
  return active;
}

}  // namespace

Primitive::Linearized Scan::linearize(const std::shared_ptr<const Primitive>& self,
                                      const std::vector<Array>& primals,
                                      const std::vector<bool>& wanted) const {
  const ir::Graph& body = *body_;
  const int nc = params_.num_consts, nk = params_.num_carry, nx = num_xs();
  const int ny = static_cast<int>(body.outputs().size()) - nk;
  const std::vector<bool> active = active_inputs(body, nc, nk, wanted);
  const std::vector<bool> out_active = transforms::active_outputs(body, active);
  bool any_active = false;
  for (bool b : out_active) any_active = any_active || b;
  if (!any_active) return Primitive::linearize(self, primals, wanted);  // nothing flows back
  auto type_in = [&](int i) { return body.type(body.inputs()[static_cast<size_t>(i)]); };
  auto type_out = [&](int i) { return body.type(body.outputs()[static_cast<size_t>(i)]); };

  // ---- 1. the combined body, traced once
  std::vector<int> ct_carries, ct_consts, ct_ys, ct_xs;  // which carries / consts / ys / xs
  for (int i = 0; i < nk; ++i) {
    if (active[static_cast<size_t>(nc + i)]) ct_carries.push_back(i);
  }
  for (int i = 0; i < nc; ++i) {
    if (active[static_cast<size_t>(i)]) ct_consts.push_back(i);
  }
  for (int j = 0; j < ny; ++j) {
    if (out_active[static_cast<size_t>(nk + j)]) ct_ys.push_back(j);
  }
  for (int j = 0; j < nx; ++j) {
    if (active[static_cast<size_t>(nc + nk + j)]) ct_xs.push_back(j);
  }
  auto combined = std::make_shared<ir::Graph>();
  {
    tracing::FrameScope scope;
    const auto& frame = scope.shared();
    std::vector<Array> primal_in;
    for (int i = 0; i < nc + nk + nx; ++i)
      primal_in.push_back(tracing::new_input(frame, type_in(i)));
    std::vector<Array> ct_out(static_cast<size_t>(nk + ny));
    for (int i : ct_carries)
      ct_out[static_cast<size_t>(i)] = tracing::new_input(frame, type_in(nc + i));
    std::vector<Array> acc;
    for (int i : ct_consts) acc.push_back(tracing::new_input(frame, type_in(i)));
    for (int j : ct_ys)
      ct_out[static_cast<size_t>(nk + j)] = tracing::new_input(frame, type_out(nk + j));

    transforms::LinearizedGraph lin = transforms::linearize_graph(body_, primal_in, active);
    const std::vector<Array> cts = lin.pullback(ct_out);
    std::vector<Array> outs = lin.outputs;
    for (int i : ct_carries) {
      outs.push_back(transforms::instantiate(cts[static_cast<size_t>(nc + i)], type_in(nc + i)));
    }
    for (size_t k = 0; k < ct_consts.size(); ++k) {
      const int i = ct_consts[k];
      outs.push_back(acc[k] + transforms::instantiate(cts[static_cast<size_t>(i)], type_in(i)));
    }
    for (int j : ct_xs) {
      const int i = nc + nk + j;
      outs.push_back(transforms::instantiate(cts[static_cast<size_t>(i)], type_in(i)));
    }
    std::vector<ir::ValueId> ids;
    for (const Array& a : outs) ids.push_back(tracing::lift(*frame, a, "grad"));
    frame->graph.set_outputs(std::move(ids));
    if (!frame->captured.empty()) fail("grad", "internal: scan's combined body captured values");
    *combined = frame->graph;
  }
  const ir::Graph& g = *combined;

  // ---- 2. split into forward, hoisted and backward parts
  const auto num_primal_in = static_cast<size_t>(nc + nk + nx);
  std::vector<transforms::InputRole> roles;
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    const int ii = static_cast<int>(i);
    roles.push_back(ii < nc             ? transforms::InputRole::Const
                    : ii < nc + nk      ? transforms::InputRole::Carry
                    : i < num_primal_in ? transforms::InputRole::X
                                        : transforms::InputRole::Backward);
  }
  const auto num_fwd_out = static_cast<size_t>(nk + ny);
  const std::vector<ir::ValueId> bwd_outputs(g.outputs().begin() + static_cast<long>(num_fwd_out),
                                             g.outputs().end());
  const transforms::BackwardSplit split =
      transforms::split_backward(g, roles, bwd_outputs, params_.save);

  std::vector<ir::ValueId> fwd_outputs(g.outputs().begin(),
                                       g.outputs().begin() + static_cast<long>(num_fwd_out));
  fwd_outputs.insert(fwd_outputs.end(), split.stacked.begin(), split.stacked.end());
  const std::vector<ir::ValueId> primal_ids(g.inputs().begin(),
                                            g.inputs().begin() + static_cast<long>(num_primal_in));
  auto forward = std::make_shared<const ir::Graph>(transforms::extract(g, primal_ids, fwd_outputs));
  const std::vector<ir::ValueId> const_ids(g.inputs().begin(), g.inputs().begin() + nc);
  auto hoisted =
      std::make_shared<const ir::Graph>(transforms::extract(g, const_ids, split.hoisted));

  // Backward body: [consts read | hoisted | ct_carry | acc | stacked rows | xs read | ct_y rows]
  //             -> [ct_carry_in | acc' | ct_x rows].
  std::vector<ir::ValueId> bwd_inputs = split.consts;
  bwd_inputs.insert(bwd_inputs.end(), split.hoisted.begin(), split.hoisted.end());
  const size_t first_ct = num_primal_in;
  const size_t num_bwd_carry = ct_carries.size() + ct_consts.size();
  for (size_t i = 0; i < num_bwd_carry; ++i) bwd_inputs.push_back(g.inputs()[first_ct + i]);
  bwd_inputs.insert(bwd_inputs.end(), split.stacked.begin(), split.stacked.end());
  bwd_inputs.insert(bwd_inputs.end(), split.xs.begin(), split.xs.end());
  for (size_t j = 0; j < ct_ys.size(); ++j)
    bwd_inputs.push_back(g.inputs()[first_ct + num_bwd_carry + j]);
  auto backward =
      std::make_shared<const ir::Graph>(transforms::extract(g, bwd_inputs, bwd_outputs));

  // Which operand each input value of the combined graph stands for.
  std::unordered_map<ir::ValueId, size_t> operand_of;
  for (size_t i = 0; i < num_primal_in; ++i) operand_of[g.inputs()[i]] = i;

  // ---- 3. forward: hoisted residuals, then the forward scan
  const std::vector<Array> consts(primals.begin(), primals.begin() + nc);
  std::vector<Array> hoisted_values = transforms::eval_graph(*hoisted, consts);
  Params fwd_params = params_;
  std::vector<Array> fwd = prim::bind(make<Scan>(forward, fwd_params), primals);
  std::vector<Array> outputs(fwd.begin(), fwd.begin() + static_cast<long>(num_fwd_out));
  std::vector<Array> residuals(fwd.begin() + static_cast<long>(num_fwd_out), fwd.end());

  Pullback pullback = [=, this](const std::vector<Array>& cts) {
    std::vector<Array> operands;
    for (ir::ValueId v : split.consts) operands.push_back(primals[operand_of.at(v)]);
    operands.insert(operands.end(), hoisted_values.begin(), hoisted_values.end());
    for (int i : ct_carries) {
      operands.push_back(transforms::instantiate(cts[static_cast<size_t>(i)], type_in(nc + i)));
    }
    for (int i : ct_consts) operands.push_back(transforms::instantiate(Array(), type_in(i)));
    operands.insert(operands.end(), residuals.begin(), residuals.end());
    for (ir::ValueId v : split.xs) operands.push_back(primals[operand_of.at(v)]);
    for (int j : ct_ys) {
      operands.push_back(transforms::instantiate(cts[static_cast<size_t>(nk + j)],
                                                 stacked_type(type_out(nk + j), params_.length)));
    }
    Params bwd_params;
    bwd_params.num_consts = static_cast<int>(split.consts.size() + split.hoisted.size());
    bwd_params.num_carry = static_cast<int>(num_bwd_carry);
    bwd_params.length = params_.length;
    bwd_params.reverse = !params_.reverse;
    bwd_params.unroll = params_.unroll;
    bwd_params.save = params_.save;
    const std::vector<Array> r = prim::bind(make<Scan>(backward, bwd_params), operands);
    std::vector<Array> out(primals.size());
    size_t k = 0;
    for (int i : ct_carries) out[static_cast<size_t>(nc + i)] = r[k++];
    for (int i : ct_consts) out[static_cast<size_t>(i)] = r[k++];
    for (int j : ct_xs) out[static_cast<size_t>(nc + nk + j)] = r[k++];
    for (size_t i = 0; i < out.size(); ++i) {
      if (!wanted[i]) out[i] = Array();
    }
    return out;
  };
  return {std::move(outputs), std::move(pullback)};
}

}  // namespace strata::prim
