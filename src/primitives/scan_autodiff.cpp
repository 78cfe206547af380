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

#include "compile/cse.h"
#include "primitives/layout.h"
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

// The combined body of step 1, with which carries / consts / ys / xs take part in the backward
// pass.
struct Combined {
  std::shared_ptr<ir::Graph> graph = std::make_shared<ir::Graph>();
  std::vector<int> ct_carries, ct_consts, ct_ys, ct_xs;
};

Combined combined_body(const Scan& scan, const std::vector<bool>& active,
                       const std::vector<bool>& out_active) {
  const ir::Graph& body = scan.body();
  const int nc = scan.scan_params().num_consts, nk = scan.scan_params().num_carry;
  const int nx = scan.num_xs();
  const int ny = static_cast<int>(body.outputs().size()) - nk;
  auto type_in = [&](int i) { return body.type(body.inputs()[static_cast<size_t>(i)]); };
  auto type_out = [&](int i) { return body.type(body.outputs()[static_cast<size_t>(i)]); };
  Combined c;
  for (int i = 0; i < nk; ++i) {
    if (active[static_cast<size_t>(nc + i)]) c.ct_carries.push_back(i);
  }
  for (int i = 0; i < nc; ++i) {
    if (active[static_cast<size_t>(i)]) c.ct_consts.push_back(i);
  }
  for (int j = 0; j < ny; ++j) {
    if (out_active[static_cast<size_t>(nk + j)]) c.ct_ys.push_back(j);
  }
  for (int j = 0; j < nx; ++j) {
    if (active[static_cast<size_t>(nc + nk + j)]) c.ct_xs.push_back(j);
  }
  tracing::FrameScope scope;
  const auto& frame = scope.shared();
  std::vector<Array> primal_in;
  for (int i = 0; i < nc + nk + nx; ++i) primal_in.push_back(tracing::new_input(frame, type_in(i)));
  std::vector<Array> ct_out(static_cast<size_t>(nk + ny));
  for (int i : c.ct_carries) {
    ct_out[static_cast<size_t>(i)] = tracing::new_input(frame, type_in(nc + i));
  }
  std::vector<Array> acc;
  for (int i : c.ct_consts) acc.push_back(tracing::new_input(frame, type_in(i)));
  for (int j : c.ct_ys) {
    ct_out[static_cast<size_t>(nk + j)] = tracing::new_input(frame, type_out(nk + j));
  }
  transforms::LinearizedGraph lin = transforms::linearize_graph(scan.body_ptr(), primal_in, active);
  const std::vector<Array> cts = lin.pullback(ct_out);
  std::vector<Array> outs = lin.outputs;
  for (int i : c.ct_carries) {
    outs.push_back(transforms::instantiate(cts[static_cast<size_t>(nc + i)], type_in(nc + i)));
  }
  for (size_t k = 0; k < c.ct_consts.size(); ++k) {
    const int i = c.ct_consts[k];
    outs.push_back(acc[k] + transforms::instantiate(cts[static_cast<size_t>(i)], type_in(i)));
  }
  for (int j : c.ct_xs) {
    const int i = nc + nk + j;
    outs.push_back(transforms::instantiate(cts[static_cast<size_t>(i)], type_in(i)));
  }
  std::vector<ir::ValueId> ids;
  for (const Array& a : outs) ids.push_back(tracing::lift(*frame, a, "grad"));
  frame->graph.set_outputs(std::move(ids));
  if (!frame->captured.empty()) fail("grad", "internal: scan's combined body captured values");
  // Residuals are chosen on this graph, so duplicates are merged first: two ops computing one
  // value (mean_var's x - mean and a layer norm's own) would otherwise be stacked twice.
  *c.graph = compile::cse(frame->graph);
  return c;
}

std::vector<transforms::InputRole> input_roles(const Scan& scan, size_t num_inputs) {
  const int nc = scan.scan_params().num_consts, nk = scan.scan_params().num_carry;
  const int np = nc + nk + scan.num_xs();
  std::vector<transforms::InputRole> roles;
  for (int i = 0; i < static_cast<int>(num_inputs); ++i) {
    roles.push_back(i < nc        ? transforms::InputRole::Const
                    : i < nc + nk ? transforms::InputRole::Carry
                    : i < np      ? transforms::InputRole::X
                                  : transforms::InputRole::Backward);
  }
  return roles;
}

int64_t bytes_of(const ir::Graph& g, const std::vector<ir::ValueId>& values, int64_t times) {
  int64_t n = 0;
  for (ir::ValueId v : values) {
    const ValueType& t = g.type(v);
    n += detail::shape_size(t.shape) * itemsize(t.dtype);
  }
  return n * times;
}

// The outer block count of a nested schedule: `requested`, or for 0 the largest divisor of the
// length not above its square root.
int64_t outer_blocks(int64_t length, int64_t requested) {
  if (requested > 0) return requested;
  int64_t best = 1;
  for (int64_t b = 1; b * b <= length; ++b) {
    if (length % b == 0) best = b;
  }
  return best;
}

// scan as B outer iterations of an inner scan over length / B rows, differentiated with the
// outer loop saving only its carries (JAX's / Haliax's nested remat).
Primitive::Linearized linearize_nested(const Scan& scan, const std::vector<Array>& primals,
                                       const std::vector<bool>& wanted, SavePolicy inner_save) {
  const Scan::Params& p = scan.scan_params();
  const ir::Graph& body = scan.body();
  const int nc = p.num_consts, nk = p.num_carry, nx = scan.num_xs();
  const int64_t blocks = outer_blocks(p.length, inner_save.nested_blocks);
  if (blocks < 1 || p.length % blocks != 0) {
    fail("scan", "nested checkpointing with ", blocks, " outer blocks needs a length divisible by ",
         blocks, ", found length ", p.length, "; choose a divisor of ", p.length,
         " or 0 for the automatic choice");
  }
  const int64_t inner_len = p.length / blocks;
  inner_save.nested_blocks = -1;
  inner_save.budget_bytes = -1;
  Scan::Params inner_params = p;
  inner_params.length = inner_len;
  inner_params.save = inner_save;
  auto inner = make<Scan>(scan.body_ptr(), inner_params);

  auto outer_body = std::make_shared<ir::Graph>();
  std::vector<ir::ValueId> ins;
  for (int i = 0; i < nc + nk + nx; ++i) {
    ValueType t = body.type(body.inputs()[static_cast<size_t>(i)]);
    if (i >= nc + nk) t.shape.insert(t.shape.begin(), inner_len);
    ins.push_back(outer_body->add_input(t));
  }
  outer_body->set_outputs(outer_body->add_op(inner, ins));
  Scan::Params outer_params = p;
  outer_params.length = blocks;
  outer_params.unroll = 1;
  outer_params.save = SavePolicy{SavePolicy::Kind::Nothing, {}, -1, -1};
  auto outer = make<Scan>(outer_body, outer_params);

  auto split_rows = [blocks, inner_len](const Array& a) {  // (L, ...) -> (B, L / B, ...)
    Shape s = a.shape();
    s[0] = inner_len;
    s.insert(s.begin(), blocks);
    return bind1(make<Reshape>(s), {a});
  };
  auto merge_rows = [](const Array& a) {  // (B, I, ...) -> (B * I, ...)
    Shape s(a.shape().begin() + 1, a.shape().end());
    s[0] *= a.shape()[0];
    return bind1(make<Reshape>(s), {a});
  };
  std::vector<Array> operands = primals;
  for (size_t i = static_cast<size_t>(nc + nk); i < operands.size(); ++i) {
    operands[i] = split_rows(operands[i]);
  }
  Primitive::Linearized lin = outer->linearize(outer, operands, wanted);
  for (size_t i = static_cast<size_t>(nk); i < lin.outputs.size(); ++i) {
    lin.outputs[i] = merge_rows(lin.outputs[i]);
  }
  Primitive::Pullback pullback = [=, pb = std::move(lin.pullback)](const std::vector<Array>& cts) {
    std::vector<Array> c = cts;
    for (size_t i = static_cast<size_t>(nk); i < c.size(); ++i) {
      if (c[i].valid()) c[i] = split_rows(c[i]);
    }
    std::vector<Array> r = pb(c);
    for (size_t i = static_cast<size_t>(nc + nk); i < r.size(); ++i) {
      if (r[i].valid()) r[i] = merge_rows(r[i]);
    }
    return r;
  };
  return {std::move(lin.outputs), std::move(pullback)};
}

// The cheapest schedule whose saved residuals fit in `budget` bytes: save everything, save the
// carries only, or nested blocks (carries of the outer loop plus one block's carries).
SavePolicy choose_for_budget(const ir::Graph& g, const std::vector<transforms::InputRole>& roles,
                             const std::vector<ir::ValueId>& bwd_outputs, int64_t budget,
                             int64_t length) {
  const SavePolicy all{SavePolicy::Kind::Everything, {}, -1, -1};
  const SavePolicy carries{SavePolicy::Kind::Nothing, {}, -1, -1};
  const transforms::BackwardSplit s_all = transforms::split_backward(g, roles, bwd_outputs, all);
  const transforms::BackwardSplit s_car =
      transforms::split_backward(g, roles, bwd_outputs, carries);
  const int64_t all_bytes = bytes_of(g, s_all.stacked, length) + bytes_of(g, s_all.hoisted, 1);
  const int64_t car_bytes = bytes_of(g, s_car.stacked, length) + bytes_of(g, s_car.hoisted, 1);
  const int64_t blocks = outer_blocks(length, 0);
  const int64_t nested_bytes =
      bytes_of(g, s_car.stacked, blocks + length / blocks) + bytes_of(g, s_car.hoisted, 1);
  SavePolicy chosen;
  std::string name;
  if (all_bytes <= budget) {
    chosen = all, name = "save_all";
  } else if (car_bytes <= budget) {
    chosen = carries, name = "carries_only";
  } else if (nested_bytes <= budget) {
    chosen = carries, chosen.nested_blocks = blocks;
    name = detail::cat("nested(", blocks, " blocks)");
  } else {
    fail("scan", "no checkpoint schedule fits the memory budget of ", budget,
         " bytes for this scan of length ", length, ": save_all needs ", all_bytes,
         " bytes, carries_only ", car_bytes, ", nested ", nested_bytes,
         "; raise the budget to at least ", std::min({all_bytes, car_bytes, nested_bytes}),
         " bytes");
  }
  RematLog::record(detail::cat("scan length ", length, ": memory budget ", budget, " bytes -> ",
                               name, " (save_all ", all_bytes, ", carries_only ", car_bytes,
                               ", nested ", nested_bytes, " bytes)"));
  return chosen;
}

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
  if (!any_active) return linearize_without_flow(self, primals);  // nothing flows back
  if (params_.save.nested_blocks >= 0 && params_.save.budget_bytes < 0) {
    return linearize_nested(*this, primals, wanted, params_.save);
  }
  // (By value: the pullback keeps copies of these.)
  auto type_in = [b = body_](int i) { return b->type(b->inputs()[static_cast<size_t>(i)]); };
  auto type_out = [b = body_](int i) { return b->type(b->outputs()[static_cast<size_t>(i)]); };

  // ---- 1. the combined body, traced once
  const Combined c = combined_body(*this, active, out_active);
  const std::vector<int>& ct_carries = c.ct_carries;
  const std::vector<int>& ct_consts = c.ct_consts;
  const std::vector<int>& ct_ys = c.ct_ys;
  const std::vector<int>& ct_xs = c.ct_xs;
  const ir::Graph& g = *c.graph;

  // ---- 2. split into forward, hoisted and backward parts (a memory budget picks the policy)
  const auto num_primal_in = static_cast<size_t>(nc + nk + nx);
  const std::vector<transforms::InputRole> roles = input_roles(*this, g.inputs().size());
  const auto num_fwd_out = static_cast<size_t>(nk + ny);
  const std::vector<ir::ValueId> bwd_outputs(g.outputs().begin() + static_cast<long>(num_fwd_out),
                                             g.outputs().end());
  SavePolicy policy = params_.save;
  if (policy.budget_bytes >= 0) {
    policy = choose_for_budget(g, roles, bwd_outputs, policy.budget_bytes, params_.length);
    if (policy.nested_blocks >= 0) return linearize_nested(*this, primals, wanted, policy);
  }
  const transforms::BackwardSplit split = transforms::split_backward(g, roles, bwd_outputs, policy);

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

  Pullback pullback = [=, p = params_, keep = self](const std::vector<Array>& cts) {
    (void)keep;  // the scan (and its body graph) outlives this pullback
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
                                                 stacked_type(type_out(nk + j), p.length)));
    }
    Params bwd_params;
    bwd_params.num_consts = static_cast<int>(split.consts.size() + split.hoisted.size());
    bwd_params.num_carry = static_cast<int>(num_bwd_carry);
    bwd_params.length = p.length;
    bwd_params.reverse = !p.reverse;
    bwd_params.unroll = p.unroll;
    bwd_params.save = policy;
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
