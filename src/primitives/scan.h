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
#include <string>
#include <vector>

#include "ir/graph.h"
#include "primitives/primitive.h"

namespace strata::prim {

// What a scan's forward pass saves for its backward pass, besides each iteration's input carry
// (Haliax's ScanCheckpointPolicy internals, applied by transforms/partial_eval): everything the
// backward pass reads, nothing (each layer's internals are recomputed from the saved carry), or
// only the values marked with checkpoint_name(x, name) for these names.
//
// Two schedules restructure the loop when it is differentiated:
//   - nested_blocks >= 0: a two-level scan, B outer blocks (0: the largest divisor of the length
//     not above its square root) of length / B inner iterations; the outer loop saves only its
//     B carries and each block is recomputed, under `kind`, in the backward loop;
//   - budget_bytes >= 0: the cheapest of everything / nothing / nested whose saved residuals fit
//     in that many bytes (an error states the minimum when none does).
struct SavePolicy {
  enum class Kind { Everything, Nothing, Names };
  Kind kind = Kind::Everything;
  std::vector<std::string> names;
  int64_t nested_blocks = -1;
  int64_t budget_bytes = -1;
  bool operator==(const SavePolicy&) const = default;
  std::string to_string() const;  // "everything", "nothing", "names(a, b)", "nested(4, nothing)"
};
// Where memory-budget policies report their choice ("scan length 64: ... -> carries_only"): the
// innermost collector installed on this thread (jit installs one while tracing and copies it into
// its CompileStats); with none installed the choice is not recorded.
class RematLog {
 public:
  RematLog();
  ~RematLog();
  RematLog(const RematLog&) = delete;
  RematLog& operator=(const RematLog&) = delete;
  const std::vector<std::string>& lines() const { return lines_; }
  static void record(std::string line);

 private:
  std::vector<std::string> lines_;
  RematLog* previous_;
};

class Scan : public Primitive {
 public:
  struct Params {
    int num_consts = 0;
    int num_carry = 0;
    int64_t length = 0;
    bool reverse = false;
    int64_t unroll = 1;
    SavePolicy save = {};  // used when the scan is differentiated
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
  // Reverse mode (scan_autodiff.cpp): a forward scan that also stacks the residuals its policy
  // saves, and a backward pass that is one reverse scan.
  Linearized linearize(const std::shared_ptr<const Primitive>& self,
                       const std::vector<Array>& primals,
                       const std::vector<bool>& wanted) const override;
  // Batching (scan_batch.cpp): the body batched once, after a fixpoint over batched carries.
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;

  const ir::Graph& body() const { return *body_; }
  const std::shared_ptr<const ir::Graph>& body_ptr() const { return body_; }
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
