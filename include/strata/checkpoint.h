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
//   - names({"a", ...}): also the values marked with checkpoint_name(x, "a")
//   (save_only_these_names).
// Values computed from closed-over constants only (e.g. a transposed shared weight) are never
// saved per iteration: they are computed once, outside the loop, whatever the policy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strata {

struct CheckpointPolicy {
  enum class Save { Everything, Carries, Names };
  Save save = Save::Everything;
  std::vector<std::string> names;  // Save::Names: the checkpoint_name labels to keep

  static CheckpointPolicy save_all() { return {}; }
  static CheckpointPolicy carries_only() { return {Save::Carries, {}}; }
  static CheckpointPolicy carries_and_inputs() { return {Save::Carries, {}}; }
  static CheckpointPolicy save_names(std::vector<std::string> names) {
    return {Save::Names, std::move(names)};
  }
  // Haliax's shorthands: "save_all" (also "none", "disable"), "recompute" / "full" / "carries"
  // (carries_only).  Anything else is a strata::Error listing the accepted names.
  static CheckpointPolicy parse(std::string_view spec);

  // "[api] ..." for contradictory fields (e.g. names given without Save::Names).
  void validate(const char* api) const;
  bool operator==(const CheckpointPolicy&) const = default;
};

}  // namespace strata
