// Rematerialisation policies: what a differentiated scan keeps from its forward pass for the
// backward pass (Haliax's ScanCheckpointPolicy, JAX's checkpoint policies).
//
//   st::scan(body, init, xs, {.checkpoint = st::CheckpointPolicy::carries_only()});
//
// Every policy saves each iteration's input carry (the layer input).  Beyond that:
//   - save_all(): every value the backward pass reads (no recomputation; the default, Haliax's
//     gradient_checkpointing=False);
//   - carries_only(): nothing else, each layer's internals are recomputed in the backward loop
//     (Haliax's True / "recompute" / "full"; about 4/3 of the work of save_all for a
//     matmul-dominated layer);
//   - carries_and_inputs(): the same here, since the backward scan reads the xs (per-layer
//     weights) where they already are, so saving the inputs costs nothing extra;
//   - save_names({"a", ...}): also the values marked with checkpoint_name(x, "a")
//     (save_only_these_names);
//   - nested(B): a two-level scan of B outer blocks (0: the largest divisor of the length not
//     above its square root); the outer loop saves only its B carries, and each block is re-run
//     in the backward pass saving its own carries, so about 2 sqrt(L) carries are live at once;
//   - budget(bytes): the cheapest of save_all, carries_only and nested whose saved values fit in
//     `bytes` (jit's CompileStats::remat_decisions says which it took; none fitting is an error
//     that states the minimum).
// Values computed from closed-over constants only (e.g. a transposed shared weight) are never
// saved per iteration: they are computed once, outside the loop, whatever the policy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

struct CheckpointPolicy {
  enum class Save { Everything, Carries, Names };
  Save save = Save::Everything;
  std::vector<std::string> names;        // Save::Names: the checkpoint_name labels to keep
  std::optional<int64_t> nested_blocks;  // two-level scan with this many outer blocks (0: auto)
  std::optional<int64_t> memory_budget;  // bytes: choose the schedule (the fields above unused)

  static CheckpointPolicy save_all() { return {}; }
  static CheckpointPolicy carries_only() { return {Save::Carries, {}, {}, {}}; }
  static CheckpointPolicy carries_and_inputs() { return carries_only(); }
  static CheckpointPolicy save_names(std::vector<std::string> names) {
    return {Save::Names, std::move(names), {}, {}};
  }
  static CheckpointPolicy nested(int64_t outer_blocks = 0) {
    return {Save::Carries, {}, outer_blocks, {}};
  }
  static CheckpointPolicy budget(int64_t bytes) { return {Save::Everything, {}, {}, bytes}; }
  // Haliax's shorthands: "save_all" (also "none", "disable"), "recompute" / "full" / "carries"
  // (carries_only), "nested".  Anything else is a strata::Error listing the accepted names.
  static CheckpointPolicy parse(std::string_view spec);

  // "[api] ..." for contradictory fields (e.g. names given without Save::Names).
  void validate(const char* api) const;
  bool operator==(const CheckpointPolicy&) const = default;
};

}  // namespace strata
