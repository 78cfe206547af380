#include "strata/checkpoint.h"

#include "strata/core/error.h"

namespace strata {

CheckpointPolicy CheckpointPolicy::parse(std::string_view spec) {
  if (spec == "save_all" || spec == "none" || spec == "disable") return save_all();
  if (spec == "recompute" || spec == "full" || spec == "carries") return carries_only();
  fail("CheckpointPolicy", "unknown policy \"", spec,
       "\"; expected one of \"save_all\", \"none\", \"disable\", \"recompute\", \"full\", "
       "\"carries\"");
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
}

}  // namespace strata
