// The non-template parts of nn::Stacked / ArrayStacked / Sequential: which arguments are sliced
// per layer, the checks and their messages, and the identical-layers warning.
#include "strata/nn/stacked.h"

#include <atomic>
#include <cstdio>
#include <cstring>

#include "backend/cpu/strided.h"
#include "strata/core/error.h"
#include "strata/ops.h"

namespace strata::nn::detail {
namespace {

std::string type_string(const Array& a) {
  return std::string(strata::name(a.dtype())) + " of shape " + to_string(a.shape());
}

// "argument 1 after the carry (`arg1.W`)": the position, and the leaf inside it.
std::string argument(size_t position, bool after_carry, const std::string& path) {
  return "argument " + std::to_string(position) + (after_carry ? " after the carry" : "") + " (`" +
         path + "`)";
}

// The in_axes entry of each argument (nullopt: shared).
std::vector<std::optional<int>> axes_per_argument(const std::string& api, const AxisSpec& spec,
                                                  size_t count, bool after_carry) {
  std::vector<std::optional<int>> axes(count);
  switch (spec.kind()) {
    case AxisSpec::Kind::Axis:
      for (auto& a : axes) a = spec.axis();
      break;
    case AxisSpec::Kind::NotMapped:
      break;
    case AxisSpec::Kind::Children: {
      const auto& entries = spec.children();
      if (entries.size() != count) {
        fail(api, "in_axes ", spec.to_string(), " lists ", entries.size(), " spec",
             entries.size() == 1 ? "" : "s", " for ", count, " argument", count == 1 ? "" : "s",
             after_carry ? " after the carry" : "",
             "; give one int or st::none per argument, or a single int / "
             "st::none for all of them");
      }
      for (size_t i = 0; i < count; ++i) {
        if (entries[i].kind() == AxisSpec::Kind::Axis) {
          axes[i] = entries[i].axis();
        } else if (entries[i].kind() != AxisSpec::Kind::NotMapped) {
          fail(api, "in_axes entry ", i, " is ", entries[i].to_string(),
               "; each argument takes an int (slice every array in it along that axis) or "
               "st::none (share it across layers)");
        }
      }
      break;
    }
    case AxisSpec::Kind::Fields:
      fail(api, "in_axes ", spec.to_string(),
           " names fields; give an int, st::none, or one int / st::none per argument");
  }
  return axes;
}

}  // namespace

bool LayerArg::per_layer() const {
  for (int64_t r : row) {
    if (r >= 0) return true;
  }
  return false;
}

void plan_by_in_axes(const std::string& api, const InAxes& in_axes, int64_t num_layers,
                     const std::string& layers, bool after_carry, PerLayerPlan& plan) {
  const std::vector<std::optional<int>> axes =
      axes_per_argument(api, in_axes.spec(), plan.args.size(), after_carry);
  for (size_t i = 0; i < plan.args.size(); ++i) {
    LayerArg& arg = plan.args[i];
    arg.row.assign(arg.leaves.size(), -1);
    if (!axes[i]) continue;
    const int axis = *axes[i];
    if (!arg.is_tree) {
      fail(api, "argument ", i, after_carry ? " after the carry" : "", " (a ", arg.type_name,
           ") gets axis ", axis,
           " from in_axes, but it holds no arrays to slice per layer; give it st::none");
    }
    for (size_t k = 0; k < arg.leaves.size(); ++k) {
      const Array& x = arg.leaves[k];
      if (!x.valid()) fail(api, argument(i, after_carry, arg.paths[k]), " is an empty Array");
      const int ndim = x.ndim();
      const int resolved = axis < 0 ? axis + ndim : axis;
      if (resolved < 0 || resolved >= ndim) {
        fail(api, "in_axes gives ", argument(i, after_carry, arg.paths[k]), " axis ", axis,
             ", which is out of range for its shape ", to_string(x.shape()), " (", ndim,
             " axes); give an axis whose size is ", layers, ", or st::none to share it");
      }
      if (x.shape()[static_cast<size_t>(resolved)] != num_layers) {
        fail(api, argument(i, after_carry, arg.paths[k]), " has shape ", to_string(x.shape()),
             ": in_axes gives it axis ", axis, ", whose size must be ", layers, ", found ",
             x.shape()[static_cast<size_t>(resolved)],
             "; pass one slice per layer along that axis, or st::none to share the argument "
             "across layers");
      }
      arg.row[k] = static_cast<int64_t>(plan.stacked.size());
      plan.stacked.push_back(resolved == 0 ? x : strata::moveaxis(x, resolved, 0));
    }
  }
}

void plan_for_init(const std::string& api, int64_t num_layers, PerLayerPlan& plan) {
  for (size_t position = 0; position < plan.args.size(); ++position) {
    LayerArg& arg = plan.args[position];
    arg.row.assign(arg.leaves.size(), -1);
    for (size_t k = 0; k < arg.leaves.size(); ++k) {
      const Array& x = arg.leaves[k];
      if (!x.valid()) {
        fail(api, "leaf ", k, " of the constructor argument arg", position,
             " is an empty Array; give it a value");
      }
      // ArrayStacked's rule: an array is per layer when its leading size is num_layers.
      if (arg.is_rngs || (x.ndim() >= 1 && x.shape()[0] == num_layers)) {
        arg.row[k] = static_cast<int64_t>(plan.stacked.size());
        plan.stacked.push_back(x);
      }
    }
  }
}

Rngs rngs_for_layers(const std::string& api, Rngs& rngs, int64_t num_layers, size_t position) {
  bool any_split = false;
  for (const std::string& stream : rngs.names()) any_split |= rngs.key(stream).ndim() != 1;
  if (!any_split) return rngs.split(num_layers);
  for (const std::string& stream : rngs.names()) {
    const Array key = rngs.key(stream);
    if (key.ndim() != 2 || key.shape()[0] != num_layers) {
      fail(api, "the nn::Rngs argument arg", position, " has stream '", stream,
           "' with keys of shape ", to_string(key.shape()),
           "; pass an unsplit Rngs (init splits it into num_layers = ", num_layers,
           ") or one split into exactly that many (rngs.split(", num_layers, "))");
    }
  }
  return rngs;
}

void check_carry_leaves(const std::string& api, const tree::TreeDef& in_def,
                        const std::vector<std::pair<std::string, Array>>& in,
                        const tree::TreeDef& out_def, const std::vector<Array>& out) {
  if (!(in_def == out_def)) {
    fail(api, "the layer must return a carry with the structure of the carry it was given, but ",
         tree::first_difference(in_def, out_def).value_or("they differ"), " (given ",
         in_def.to_string(), ", returned ", out_def.to_string(),
         "); each layer maps the carry to a value built like it");
  }
  for (size_t k = 0; k < in.size(); ++k) {
    const auto& [path, a] = in[k];
    const Array& b = out[k];
    if (!b.valid()) {
      fail(api, "the layer returned an empty Array for carry leaf `", tree::display_path(path),
           "`; return a value for every carry leaf");
    }
    if (a.shape() != b.shape() || a.dtype() != b.dtype()) {
      fail(api,
           "the layer must return a carry with the shapes and dtypes of the carry it was given, "
           "but carry leaf `",
           tree::display_path(path), "` is ", type_string(a), " on input and ", type_string(b),
           " on output; every layer of a stack maps the carry to the same type (e.g. equal "
           "input and output features)");
    }
  }
}

void check_options(const std::string& api, int64_t num_layers, const StackedOptions& options) {
  if (num_layers < 1) {
    fail(api, "num_layers must be >= 1, found ", num_layers);
  }
  if (options.unroll < 1) {
    fail(api, "options.unroll must be >= 1 (layers per loop trip), found ", options.unroll);
  }
  const CheckpointPolicy& policy = options.gradient_checkpointing.policy();
  policy.validate(api.c_str());
  if (const auto b = policy.nested_blocks; b && *b > 0 && num_layers % *b != 0) {
    fail(api, "nested checkpointing with ", *b, " outer blocks needs num_layers divisible by ", *b,
         ", found num_layers = ", num_layers, "; choose a divisor of ", num_layers,
         " or CheckpointPolicy::nested(0) / \"nested\" for the automatic choice");
  }
}

void check_stacked_leaves(const std::string& api,
                          const std::vector<std::pair<std::string, Array>>& leaves,
                          int64_t num_layers, const std::string& layers) {
  for (const auto& [path, a] : leaves) {
    if (!a.valid()) fail(api, "leaf `", tree::display_path(path), "` is an empty Array");
    if (a.ndim() < 1 || a.shape()[0] != num_layers) {
      fail(api, "leaf `", tree::display_path(path), "` has shape ", to_string(a.shape()),
           "; every array of a stacked module needs a leading layer axis of size ", layers,
           " (build the stack with init(...)(args...), which gives every array that axis)");
    }
  }
}

int64_t layer_index(const std::string& api, int64_t index, int64_t num_layers) {
  if (index < -num_layers || index >= num_layers) {
    fail(api, "layer index ", index, " is out of range for ", num_layers, " layers; use 0 to ",
         num_layers - 1, " (or -", num_layers, " to -1, counting from the end)");
  }
  return index < 0 ? index + num_layers : index;
}

std::string describe_layers(int64_t num_layers, const std::string& axis_name) {
  std::string out = "num_layers = " + std::to_string(num_layers);
  if (!axis_name.empty()) out += " (axis '" + axis_name + "')";
  return out;
}

std::vector<Array> stack_leaves(const std::string& api, const std::vector<tree::TreeDef>& defs,
                                const std::vector<std::vector<Array>>& items, int axis) {
  for (size_t i = 1; i < defs.size(); ++i) {
    if (!(defs[i] == defs[0])) {
      fail(api, "layer ", i, " returned ", defs[i].to_string(), " but layer 0 returned ",
           defs[0].to_string(), "; every layer must return outputs of the same structure");
    }
  }
  std::vector<Array> out;
  for (size_t k = 0; k < defs[0].num_leaves(); ++k) {
    std::vector<Array> column;
    for (const auto& leaves : items) column.push_back(leaves[k]);
    const int ndim = column[0].ndim();
    if (axis < -ndim - 1 || axis > ndim) {
      fail(api, "out_axes ", axis, " is out of range for an output of shape ",
           to_string(column[0].shape()), " (valid: ", -ndim - 1, " to ", ndim, ")");
    }
    out.push_back(strata::stack(column, axis));
  }
  return out;
}

}  // namespace strata::nn::detail
