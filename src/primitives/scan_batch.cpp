// scan's batching rule (JAX's scan batching rule): the body is batched once, after a fixpoint over
// which carries are batched.  A carry starts batched when its initial value is; the body batched
// with that assumption may produce a batched new carry from an unbatched one (an iteration mixes in
// a batched const or x), which makes that carry batched too, and the body is batched again, until
// nothing changes.  Constants and carries that stay unbatched are passed as they are: weights
// shared by a batch are never copied per example.  Batched constants and carries carry the batch
// axis first in the body; batched xs and ys carry it second (the scan axis stays first).
#include "primitives/scan.h"
#include "strata/ops.h"
#include "transforms/batching.h"

namespace strata::prim {

Primitive::Batched Scan::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  using transforms::kNotBatched;
  const int nc = params_.num_consts, nk = params_.num_carry, nx = num_xs();
  const int64_t B = args.axis_size;
  std::vector<bool> batched(args.dims.size());
  for (size_t i = 0; i < batched.size(); ++i) batched[i] = args.dims[i] != kNotBatched;
  std::vector<bool> carry_batched(batched.begin() + nc, batched.begin() + nc + nk);
  transforms::BatchedBody body;
  for (bool changed = true; changed;) {
    std::copy(carry_batched.begin(), carry_batched.end(), batched.begin() + nc);
    body = transforms::batch_body(*body_, batched, B, carry_batched);
    changed = false;
    for (int i = 0; i < nk; ++i) {
      if (body.batched_outputs[static_cast<size_t>(i)] && !carry_batched[static_cast<size_t>(i)]) {
        carry_batched[static_cast<size_t>(i)] = true;
        changed = true;
      }
    }
  }
  std::vector<Array> operands;
  for (int i = 0; i < nc + nk + nx; ++i) {
    const auto k = static_cast<size_t>(i);
    if (!batched[k]) {
      operands.push_back(args.operands[k]);
    } else {
      const int to = i < nc + nk ? 0 : 1;
      operands.push_back(transforms::move_batch_axis(args.operands[k], args.dims[k], B, to));
    }
  }
  Batched out;
  out.outputs = prim::bind(make<Scan>(body.graph, params_), operands);
  for (size_t j = 0; j < out.outputs.size(); ++j) {
    const bool is_carry = j < static_cast<size_t>(nk);
    out.dims.push_back(!body.batched_outputs[j] ? kNotBatched : is_carry ? 0 : 1);
  }
  return out;
}

}  // namespace strata::prim
