// The scan primitive (lax.scan_p): one traced body applied `length` times.
//
// Operands are [consts | init carry | xs], results [final carry | ys]; the body graph maps
// [consts | carry | x slice] -> [carry | y].  xs and ys carry a leading axis of size `length`;
// `reverse` walks it from the end (ys stay indexed by position).  The body is compiled once,
// whatever the length: each iteration rebinds the body executable's inputs to a row of xs (a
// view, no copy) and to one of two carry buffers, and its outputs to the other carry buffer and a
// row of ys, so ys are written in place.  `unroll` = k compiles k copies of the body into one loop
// trip (the remainder runs the single body), which changes speed, never results.
//
// Unlike the other primitives, scan holds a graph and evaluates it through the executor, so this
// file depends on ir/ and compile/ (as JAX's loops.py sits above its core).
#pragma once

#include <memory>
#include <mutex>

#include "ir/graph.h"
#include "primitives/primitive.h"

namespace strata::prim {

class Scan : public Primitive {
 public:
  struct Params {
    int num_consts = 0;
    int num_carry = 0;
    int64_t length = 0;
    bool reverse = false;
    int64_t unroll = 1;
  };
  Scan(std::shared_ptr<const ir::Graph> body, Params params);
  ~Scan() override;

  const char* name() const override { return "scan"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  Kernel prepare(const std::vector<Array>& inputs,
                 const std::vector<ValueType>& outputs) const override;
  std::string params() const override;
  std::vector<const ir::Graph*> subgraphs() const override { return {body_.get()}; }

  const ir::Graph& body() const { return *body_; }
  const Params& scan_params() const { return params_; }
  int num_xs() const;

  struct Runner;  // a compiled body with its carry buffers (scan.cpp)

 private:
  std::shared_ptr<const ir::Graph> body_;
  Params params_;
  // Eager evaluation compiles the body on first use and keeps it.
  mutable std::mutex eager_mutex_;
  mutable std::shared_ptr<Runner> eager_runner_;
};

// The body with k copies chained in one graph: [consts | carry | x_0 .. x_{k-1}] ->
// [carry | y_0 .. y_{k-1}].  Used for unroll = k.
ir::Graph unroll_body(const ir::Graph& body, int num_consts, int num_carry, int64_t k);

}  // namespace strata::prim
