#include "strata/checkpoint.h"

#include "strata/core/error.h"

namespace strata {

CheckpointPolicy CheckpointPolicy::parse(std::string_view spec) {
  if (spec == "save_all" || spec == "none" || spec == "disable") return save_all();
  if (spec == "recompute" || spec == "full" || spec == "carries") return carries_only();
  if (spec == "nested") return nested();
  fail("CheckpointPolicy", "unknown policy \"", spec,
       "\"; expected one of \"save_all\", \"none\", \"disable\", \"recompute\", \"full\", "
       "\"carries\", \"nested\"");
}

void CheckpointPolicy::validate(const char* api) const {
  if (save != Save::Names && !names.empty()) {
    fail(api,
         "the checkpoint policy lists names to save but does not save by name; use "
         "CheckpointPolicy::save_names({...})");
  }
  if (save == Save::Names && names.empty()) {
    fail(api,
         "CheckpointPolicy::save_names needs at least one name (checkpoint_name labels); "
         "use carries_only() to save no internals");
  }
  for (const std::string& n : names) {
    if (n.empty()) fail(api, "a checkpoint name to save is empty");
  }
  if (nested_blocks && *nested_blocks < 0) {
    fail(api,
         "nested checkpointing needs a number of outer blocks >= 1 (or 0 for automatic), "
         "found ",
         *nested_blocks);
  }
  if (memory_budget) {
    if (*memory_budget < 0)
      fail(api, "the memory budget must be >= 0 bytes, found ", *memory_budget);
    if (nested_blocks || save != Save::Everything) {
      fail(api,
           "a memory budget chooses the schedule itself; do not combine it with nested "
           "blocks or a save mode (use CheckpointPolicy::budget(bytes) alone)");
    }
  }
}

}  // namespace strata
