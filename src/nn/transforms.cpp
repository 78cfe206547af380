#include "strata/nn/transforms.h"

#include "primitives/primitive.h"

namespace strata::nn {
namespace {
constexpr const char* kApi = "nn.scan";

std::string specs_to_string(const std::vector<ScanAxis>& specs) {
  std::string out = "{";
  for (size_t i = 0; i < specs.size(); ++i) out += (i ? ", " : "") + specs[i].to_string();
  return out + "}";
}

std::string type_string(const Array& a) {
  return prim::to_string(prim::type_of(a));
}
}  // namespace

std::string ScanAxis::to_string() const {
  switch (kind_) {
    case Kind::Carry:
      return "nn::Carry";
    case Kind::Axis:
      return std::to_string(axis_);
    case Kind::Shared:
      return "none";
  }
  return "?";
}

ScanOutAxes::ScanOutAxes(None) {
  fail(kApi,
       "out_axes = none would share one output across iterations; outputs are the carry "
       "(nn::Carry) or stacked along an axis (an int, or {nn::Carry, 0})");
}

ScanOutAxes::ScanOutAxes(std::initializer_list<ScanAxis> specs) {
  const std::vector<ScanAxis> v(specs);
  if (v.size() != 2 || v[0].kind() != ScanAxis::Kind::Carry ||
      v[1].kind() != ScanAxis::Kind::Axis) {
    fail(kApi, "out_axes ", specs_to_string(v),
         " is not supported: use nn::Carry (f returns the carry), {nn::Carry, k} (f returns "
         "std::pair{carry, y}, ys stacked on axis k) or k (no carry, ys stacked)");
  }
  carry_ = true;
  ys_axis_ = v[1].axis();
}

std::string ScanOutAxes::to_string() const {
  if (carry_ && ys_axis_) return "{nn::Carry, " + std::to_string(*ys_axis_) + "}";
  return carry_ ? "nn::Carry" : std::to_string(ys_axis_.value_or(0));
}

namespace detail {

namespace {

int find_carry(const std::vector<ScanAxis>& in_axes) {
  int carry = -1;
  for (size_t i = 0; i < in_axes.size(); ++i) {
    if (in_axes[i].kind() != ScanAxis::Kind::Carry) continue;
    if (carry >= 0) {
      fail(kApi, "found multiple nn::Carry in in_axes ", specs_to_string(in_axes), " (arguments ",
           carry, " and ", i, "); at most one argument is the loop carry");
    }
    carry = static_cast<int>(i);
  }
  return carry;
}

// The new carry must come back as the type of the carry argument.  A mismatch is almost always
// in_axes in the wrong order, e.g. {0, nn::Carry} for f(x, block): say so before tracing.
void check_carry_type(const std::vector<ScanAxis>& in_axes, const ScanOutAxes& out_axes, int carry,
                      const std::vector<const std::type_info*>& types,
                      const std::vector<std::string>& type_names, const ReturnType& returns) {
  const bool pair_out = out_axes.has_ys();
  if (pair_out && !returns.first) {
    fail(kApi, "out_axes ", out_axes.to_string(),
         " expects the function to return std::pair{new_carry, y}, but it returns ",
         returns.whole_name, "; return a pair, or use out_axes = nn::Carry");
  }
  const std::type_info& out = pair_out ? *returns.first : *returns.whole;
  const std::string& out_name = pair_out ? returns.first_name : returns.whole_name;
  const auto c = static_cast<size_t>(carry);
  if (out == *types[c]) return;
  std::string hint;
  for (size_t j = 0; j < types.size(); ++j) {
    if (j == c || !(*types[j] == out)) continue;
    std::vector<ScanAxis> fixed = in_axes;
    std::swap(fixed[c], fixed[j]);
    hint = strata::detail::cat(" Argument ", j,
                               " has that type: in_axes lists one spec per argument in "
                               "order, so you probably meant in_axes = ",
                               specs_to_string(fixed), ".");
    break;
  }
  fail(kApi, "in_axes ", specs_to_string(in_axes), " marks argument ", carry, " (", type_names[c],
       ") as the carry, but the function returns its new carry as ", out_name,
       "; the carry must come back with the type it went in with.", hint);
}

}  // namespace

ScanPlan plan_scan(const std::vector<ScanAxis>& in_axes, const ScanOutAxes& out_axes,
                   const std::vector<Array>& leaves, const std::vector<std::string>& paths,
                   const std::vector<size_t>& begin,
                   const std::vector<const std::type_info*>& types,
                   const std::vector<std::string>& type_names, const ReturnType& returns,
                   std::optional<int64_t> length) {
  const size_t num_args = types.size();
  if (in_axes.size() != num_args) {
    fail(kApi, "in_axes ", specs_to_string(in_axes), " has ", in_axes.size(), " entries for ",
         num_args,
         " arguments; give one spec (nn::Carry, an axis or st::none) per argument, in "
         "order");
  }
  ScanPlan plan;
  plan.carry_arg = find_carry(in_axes);
  if ((plan.carry_arg >= 0) != out_axes.has_carry()) {
    fail(kApi, "if one of in_axes or out_axes has nn::Carry, the other must too; got in_axes ",
         specs_to_string(in_axes), " and out_axes ", out_axes.to_string());
  }
  if (plan.carry_arg >= 0) {
    check_carry_type(in_axes, out_axes, plan.carry_arg, types, type_names, returns);
  }

  std::string first;  // what fixed the length, for messages
  if (length) {
    if (*length < 0) fail(kApi, "options.length must be non-negative, found ", *length);
    first = strata::detail::cat("options.length = ", *length);
  }
  for (size_t k = 0; k < num_args; ++k) {
    const ScanAxis& spec = in_axes[k];
    for (size_t i = begin[k]; i < begin[k + 1]; ++i) {
      if (spec.kind() == ScanAxis::Kind::Carry) plan.carry.push_back(i);
      if (spec.kind() != ScanAxis::Kind::Axis) continue;
      const Array& a = leaves[i];
      const int rank = static_cast<int>(a.ndim());
      if (spec.axis() < -rank || spec.axis() >= rank) {
        fail(kApi, "in_axes[", k, "] = ", spec.axis(), " slices `", paths[i], "` of type ",
             type_string(a), ", which has no axis ", spec.axis(),
             "; slice an axis it has, or share it with st::none");
      }
      const int axis = spec.axis() < 0 ? spec.axis() + rank : spec.axis();
      const int64_t n = a.shape(axis);
      const std::string here = strata::detail::cat("in_axes[", k, "] = ", spec.axis(), " slices `",
                                                   paths[i], "` (", type_string(a), ") into ", n);
      if (first.empty()) {
        length = n;
        first = here;
      } else if (n != *length) {
        fail(kApi, "every sliced argument must have the scan length along its axis: ", first,
             ", but ", here,
             "; check that each in_axes entry lines up with its argument (one spec per "
             "argument, in order)");
      }
      plan.sliced.push_back(i);
      plan.xs.push_back(axis == 0 ? a : moveaxis(a, axis, 0));
      plan.xs_paths.push_back(paths[i]);
    }
  }
  if (!length) {
    fail(kApi, "no argument is sliced (in_axes ", specs_to_string(in_axes),
         "), so the scan length is unknown; slice an argument or give options.length");
  }
  plan.length = *length;
  return plan;
}

void carry_changed(int carry_arg, const tree::TreeDef& in, const tree::TreeDef& out) {
  fail(kApi, "the new carry must have the structure of the carry argument (argument ", carry_arg,
       "), but ", tree::first_difference(in, out).value_or("they differ"), " (argument ",
       in.to_string(), ", returned ", out.to_string(), ")");
}

std::vector<Array> place_ys(std::vector<Array> ys, int axis) {
  for (Array& y : ys) {
    const int rank = static_cast<int>(y.ndim());
    if (axis < -rank || axis >= rank) {
      fail(kApi, "out_axes puts the iteration axis at ", axis, ", but a stacked output has type ",
           type_string(y), "; use an axis in ", -rank, " to ", rank - 1);
    }
    if (axis != 0) y = moveaxis(y, 0, axis);
  }
  return ys;
}

}  // namespace detail
}  // namespace strata::nn
