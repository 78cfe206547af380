// strata::nn::scan — nnx.scan's spelling of scan over layers: one entry of `in_axes` per argument
// says whether it is the loop carry (nn::Carry), sliced along an axis (an int), or shared by every
// iteration (st::none); `out_axes` says what the function returns.
//
//   // seed 001: N stacked Linear layers, built by vmapping the constructor over split keys
//   nn::Rngs rngs(seed);
//   auto make_block = st::vmap([](nn::Rngs r) { return nn::Linear(F, F, r); });
//   nn::Linear blocks = make_block(rngs.split(N));           // kernel (N, F, F), bias (N, F)
//
//   auto forward = nn::scan([](const Array& x, const nn::Linear& block) {
//     return nn::relu(block(x));
//   }, {nn::Carry, 0}, nn::Carry);
//   Array out = forward(x, blocks);                           // blocks[0], then blocks[1], ...
//
// in_axes: one spec per argument, in order (default {nn::Carry, 0}).  At most one nn::Carry.  An
// int slices every leaf of that argument along that axis (negative counts from the end); all
// sliced leaves must have the same size there, the scan length (options.length when nothing is
// sliced).  st::none passes the argument unchanged to every iteration.
// out_axes (default {nn::Carry, 0}):
//   - nn::Carry: f returns the new carry only; the call returns the final carry;
//   - {nn::Carry, k}: f returns std::pair{carry, y}; the call returns {final carry, ys} with the
//     iterations stacked on axis k of every y leaf;
//   - k: no carry (in_axes has none either); f returns y and the call returns the stacked ys.
// Carry appears in both in_axes and out_axes or in neither, and the carry must come back with the
// structure and type it went in with.  Anything else is an "[nn.scan]" error; in particular the
// reversed order {0, nn::Carry} for f(x, block) is reported as such, before any tracing.
//
// The function is traced once, whatever the length (it is st::scan underneath; options.checkpoint
// chooses what grad saves).  Modules, Rngs and any pytree can be carried or sliced: an Rngs split
// per layer (rngs.split(N)) passed with axis 0 gives every layer its own keys.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "strata/nn/variable.h"
#include "strata/ops.h"
#include "strata/scan.h"
#include "strata/tree/flat_args.h"
#include "strata/vmap.h"

namespace strata::nn {

// The loop-carry marker of nn::scan's axes (nnx.Carry).
struct CarryMarker {};
inline constexpr CarryMarker Carry{};

// One argument's role in nn::scan: the carry, sliced along an axis, or shared (not scanned).
class ScanAxis {
 public:
  enum class Kind { Carry, Axis, Shared };
  ScanAxis(CarryMarker) : kind_(Kind::Carry) {}           // NOLINT: specs read as nn::Carry
  ScanAxis(int axis) : kind_(Kind::Axis), axis_(axis) {}  // NOLINT: as plain ints
  ScanAxis(None) : kind_(Kind::Shared) {}                 // NOLINT: and as st::none
  Kind kind() const { return kind_; }
  int axis() const { return axis_; }
  std::string to_string() const;  // "nn::Carry", "0", "none"

 private:
  Kind kind_;
  int axis_ = 0;
};

// What the scanned function returns: nn::Carry, {nn::Carry, k} or k.
class ScanOutAxes {
 public:
  ScanOutAxes(CarryMarker) : carry_(true) {}  // NOLINT: implicit, as nnx's out_axes=Carry
  ScanOutAxes(int axis) : ys_axis_(axis) {}   // NOLINT
  ScanOutAxes(None);                          // NOLINT: an error (outputs cannot be shared)
  ScanOutAxes(std::initializer_list<ScanAxis> specs);
  bool has_carry() const { return carry_; }
  bool has_ys() const { return ys_axis_.has_value(); }
  int ys_axis() const { return *ys_axis_; }
  std::string to_string() const;

 private:
  bool carry_ = false;
  std::optional<int> ys_axis_;
};

namespace detail {

// The leaves of a call sorted by role, checked against in_axes / out_axes.
struct ScanPlan {
  int carry_arg = -1;          // index of the Carry argument, or -1
  int64_t length = 0;          // the scan length
  std::vector<size_t> carry;   // leaf indices of the carry argument
  std::vector<size_t> sliced;  // leaf indices sliced per iteration, in order
  std::vector<Array> xs;       // those leaves with their sliced axis moved to 0
  std::vector<std::string> xs_paths;
};
// The type f returns, for the checks: the whole result and, when it is a pair, its first element.
struct ReturnType {
  const std::type_info* whole = nullptr;
  std::string whole_name;
  const std::type_info* first = nullptr;  // null unless f returns a std::pair / 2-tuple
  std::string first_name;
};
// Validates the specs against the flattened arguments (`types[i]` / `type_names[i]` are argument
// i's type) and sorts the leaves; "[nn.scan] ..." on any mismatch.
ScanPlan plan_scan(const std::vector<ScanAxis>& in_axes, const ScanOutAxes& out_axes,
                   const std::vector<Array>& leaves, const std::vector<std::string>& paths,
                   const std::vector<size_t>& begin,
                   const std::vector<const std::type_info*>& types,
                   const std::vector<std::string>& type_names, const ReturnType& returns,
                   std::optional<int64_t> length);
// "[nn.scan] ..." for a new carry whose structure differs from the carry argument's.
[[noreturn]] void carry_changed(int carry_arg, const tree::TreeDef& in, const tree::TreeDef& out);
// The stacked ys with their iteration axis moved from 0 to `axis`.
std::vector<Array> place_ys(std::vector<Array> ys, int axis);

template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};
template <class A, class B>
struct is_pair<std::tuple<A, B>> : std::true_type {};

template <class R>
ReturnType return_type() {
  ReturnType t;
  t.whole = &typeid(R);
  t.whole_name = std::string(tree::detail::type_name<R>());
  if constexpr (is_pair<R>::value) {
    using First = std::remove_cvref_t<std::tuple_element_t<0, R>>;
    t.first = &typeid(First);
    t.first_name = std::string(tree::detail::type_name<First>());
  }
  return t;
}

// Seed 001's pitfall: layers sliced from a stack built without splitting its rngs are all equal.
template <class... Args>
void warn_if_unsplit(const ScanPlan& plan, const std::vector<Array>& leaves,
                     const std::vector<std::string>& paths, const Args&... args) {
  std::vector<Kind> kinds;
  (nn::walk(args, [&](const std::string&, Kind kind, const Array&) { kinds.push_back(kind); }),
   ...);
  std::vector<std::string> param_paths;
  std::vector<Array> params;
  for (size_t j = 0; j < plan.sliced.size(); ++j) {
    // Stacked parameters are sliced on their leading axis; a leaf moved from another axis is a
    // new strided view, which the check would copy on every call, so it is left out.
    const bool moved = &plan.xs[j].impl() != &leaves[plan.sliced[j]].impl();
    if (kinds.at(plan.sliced[j]) != Kind::Param || moved) continue;
    std::string path = paths[plan.sliced[j]];
    if (path.ends_with(".value")) path.resize(path.size() - 6);  // a Variable's field
    param_paths.push_back(std::move(path));
    params.push_back(plan.xs[j]);
  }
  warn_if_identical_params(param_paths, params, plan.length, "nn.scan");
}

template <class F>
struct LiftedScan {
  F f;
  std::vector<ScanAxis> in_axes;
  ScanOutAxes out_axes;
  ScanOptions options;

  template <class... Args>
  auto operator()(const Args&... args) const {
    using R = std::remove_cvref_t<std::invoke_result_t<const F&, const Args&...>>;
    const strata::detail::FlatArgs<Args...> flat(args...);
    const ScanPlan plan = plan_scan(
        in_axes, out_axes, flat.leaves, flat.paths, flat.begin, {&typeid(Args)...},
        {std::string(tree::detail::type_name<Args>())...}, return_type<R>(), options.length);
    warn_if_unsplit(plan, flat.leaves, flat.paths, args...);
    const bool pair_out = out_axes.has_carry() && out_axes.has_ys();  // f returns (carry, y)
    const tree::TreeDef* carry_def =
        plan.carry_arg >= 0 ? &flat.defs[static_cast<size_t>(plan.carry_arg)] : nullptr;

    strata::detail::ScanLeaves leaves;
    for (size_t i : plan.carry) {
      leaves.init.push_back(flat.leaves[i]);
      leaves.init_paths.push_back(flat.paths[i]);
    }
    leaves.xs = plan.xs;
    leaves.xs_paths = plan.xs_paths;
    ScanOptions opts = options;
    opts.length = plan.length;
    strata::detail::ScanOut out = strata::detail::scan_leaves(
        "nn.scan", leaves,
        [&](std::vector<Array> carry, std::vector<Array> x) {
          std::vector<Array> all = flat.leaves;  // shared arguments as they are
          for (size_t j = 0; j < plan.carry.size(); ++j) all[plan.carry[j]] = carry[j];
          for (size_t j = 0; j < plan.sliced.size(); ++j) all[plan.sliced[j]] = x[j];
          R r = std::apply(f, flat.unflatten(all));
          strata::detail::ScanBodyOut body;
          auto take_carry = [&](const auto& c) {
            const tree::TreeDef def = tree::structure(c);
            if (!(def == *carry_def)) carry_changed(plan.carry_arg, *carry_def, def);
            body.carry = tree::leaves(c);
          };
          auto take_ys = [&](const auto& y) {
            body.ys = tree::leaves(y);
            body.y_def = tree::structure(y);
          };
          if (pair_out) {
            if constexpr (is_pair<R>::value) {
              take_carry(std::get<0>(r));
              take_ys(std::get<1>(r));
            }
          } else if (out_axes.has_carry()) {
            take_carry(r);
          } else {
            take_ys(r);
          }
          return body;
        },
        opts);
    if (pair_out) {
      if constexpr (is_pair<R>::value) {
        using C = std::remove_cvref_t<std::tuple_element_t<0, R>>;
        using Y = std::remove_cvref_t<std::tuple_element_t<1, R>>;
        return R{tree::unflatten<C>(*carry_def, std::move(out.carry)),
                 tree::unflatten<Y>(out.y_def, place_ys(std::move(out.ys), out_axes.ys_axis()))};
      }
    }
    if (out_axes.has_carry()) return tree::unflatten<R>(*carry_def, std::move(out.carry));
    return tree::unflatten<R>(out.y_def, place_ys(std::move(out.ys), out_axes.ys_axis()));
  }
};

}  // namespace detail

// nnx.scan: see the header comment.  options: length (when nothing is sliced), reverse, unroll,
// checkpoint (st::ScanOptions).
template <class F>
auto scan(F f, std::vector<ScanAxis> in_axes = {Carry, 0}, ScanOutAxes out_axes = {Carry, 0},
          ScanOptions options = {}) {
  return detail::LiftedScan<F>{std::move(f), std::move(in_axes), std::move(out_axes),
                               std::move(options)};
}

}  // namespace strata::nn
