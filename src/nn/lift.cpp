#include "strata/nn/lift.h"

namespace strata::nn::lift::detail {
namespace {

// The collection a variable kind belongs to (Linen's names); null for kinds no lift maps.
const char* collection(Kind kind) {
  switch (kind) {
    case Kind::Param:
      return "params";
    case Kind::BatchStat:
      return "batch_stats";
    case Kind::Cache:
      return "cache";
    case Kind::RngState:
    case Kind::Plain:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

bool maps_any(const char* api, const VariableAxes& axes) {
  bool any = false;
  for (const auto& [name, axis] : axes) {
    if (name != "params" && name != "batch_stats" && name != "cache") {
      fail(api, "variable_axes names the collection '", name,
           "'; the collections are 'params' (nn::Param), 'batch_stats' (nn::BatchStat) and "
           "'cache' (nn::Cache)");
    }
    if (axis.axis() && *axis.axis() != 0) {
      fail(api, "variable_axes['", name, "'] = ", *axis.axis(),
           ": a lift adds its axis in front (0) or not at all (st::none)");
    }
    any = any || axis.axis().has_value();
  }
  return any;
}

std::vector<bool> mapped_leaves(const char* api, const std::vector<Kind>& kinds,
                                const VariableAxes& axes) {
  maps_any(api, axes);
  std::vector<bool> out;
  for (Kind kind : kinds) {
    const char* name = collection(kind);
    const auto it = name ? axes.find(name) : axes.end();
    out.push_back(it != axes.end() && it->second.axis().has_value());
  }
  return out;
}

Rngs split_for_lift(const char* api, Rngs& rngs, int64_t n, const SplitRngs& split) {
  std::vector<std::string> streams;
  for (const auto& [name, on] : split) {
    if (!on) continue;
    if (!rngs.has(name) && !rngs.has("default")) {
      fail(api, "split_rngs names the stream '", name,
           "', which the Rngs does not have (and it has no 'default' to fall back to)");
    }
    streams.push_back(name);
  }
  return rngs.split(n, streams);
}

void bad_length(const char* api, int64_t length) {
  fail(api, "the number of layers / members must be at least 1, found ", length,
       "; set options.length (scan) or options.axis_size (vmap)");
}

void needs_axis_size(const char* api) {
  fail(api,
       "variable_axes maps a collection (an ensemble: one copy per member), so init needs "
       "the number of members: set options.axis_size, or use st::none to share the "
       "variables across the batch");
}

void in_axes_count(const AxisSpec& in_axes, size_t num_args) {
  fail("nn.lift.vmap", "in_axes ", in_axes.to_string(), " has ", in_axes.children().size(),
       " entries for ", num_args, " arguments; give one spec per argument, or one for all");
}

}  // namespace strata::nn::lift::detail
