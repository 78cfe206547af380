// strata::nn::lift — Flax Linen's lifted transforms (nn.scan, nn.vmap) for module types: a lift
// turns a module type into a "stack of N" or a "batch of B" module type, and says for each
// variable collection whether the lift adds an axis to it (variable_axes) and whether each init
// rng stream is split across that axis (split_rngs).  Lifts compose like decorators (seed 003):
//
//   struct Block {                                      // one layer, one example
//     nn::Linear dense;
//     Block(int64_t features, nn::Rngs& rngs) : dense(features, features, rngs) {}
//     std::pair<Array, st::None> operator()(const Array& x, st::None) const {
//       return {nn::relu(dense(x)), {}};
//     }
//     STRATA_TREE_MEMBERS(dense)
//   };
//   auto scan_layer = nn::lift::scan<Block>({.variable_axes = {{"params", 0}},
//                                            .split_rngs = {{"params", true}}, .length = N});
//   auto batched = nn::lift::vmap(scan_layer, {.variable_axes = {{"params", none}},
//                                              .split_rngs = {{"params", false}}});
//   nn::Rngs rngs(seed);
//   auto model = batched.init(rngs, F);                 // dense.kernel: (N, F, F), no batch axis
//   auto [final, ys] = model(x_batch, st::None{});      // final: (B, F)
//
// Collections: "params" (nn::Param), "batch_stats" (nn::BatchStat), "cache" (nn::Cache).  A
// collection not named in variable_axes is broadcast (no axis added); axes other than 0 / none are
// not supported.  split_rngs names rng streams (as in nn::Rngs: "params" falls back to "default");
// a stream not named (or false) gives every layer / member the same keys.
//
// lift::scan<M>(options) (or lift::scan(inner_lift, options)): init(rngs, args...) builds
// M(args..., rngs) once under st::vmap over `length` layers, so collections with axis 0 get a
// leading layer axis; calling the module (carry, xs) runs M(carry, x) -> (carry, y) over the layers
// with st::scan (one traced body; options.checkpoint chooses what grad saves), xs sliced on axis 0
// (or st::None), and returns (final carry, stacked ys). lift::vmap<M>(options) (or
// lift::vmap(inner_lift, options)): calling the module maps M(args...) over the batch with st::vmap
// (in_axes / out_axes as st::vmap's); collections with axis 0 hold one copy per member (an
// ensemble: init needs options.axis_size), others are shared.
//
// Order matters (seed 003): vmap(scan(Block)) with params none on the vmap shares one (N, ...)
// stack across the batch.  Mapping params on the vmap gives each member its own stack
// (B, N, ...), and scan(vmap(Block)) with params mapped on the vmap stacks per-layer ensembles
// (N, B, ...): parameter shapes make the layout visible (`nn::state(model)`).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/checkpoint.h"
#include "strata/nn/rngs.h"
#include "strata/nn/variable.h"
#include "strata/scan.h"
#include "strata/vmap.h"

namespace strata::nn::lift {

// collection -> 0 (the lift adds a leading axis) or std::nullopt / st::none (broadcast).
class VariableAxis {
 public:
  VariableAxis(int axis) : axis_(axis) {}  // NOLINT: read as a plain int
  VariableAxis(None) {}                    // NOLINT: and as st::none
  const std::optional<int>& axis() const { return axis_; }

 private:
  std::optional<int> axis_;
};
using VariableAxes = std::map<std::string, VariableAxis>;
using SplitRngs = std::map<std::string, bool>;

struct ScanOptions {
  VariableAxes variable_axes = {};
  SplitRngs split_rngs = {};
  int64_t length = 0;  // the number of layers (>= 1)
  bool reverse = false;
  CheckpointPolicy checkpoint = {};
};

struct VmapOptions {
  VariableAxes variable_axes = {};
  SplitRngs split_rngs = {};
  AxisSpec in_axes = 0;
  AxisSpec out_axes = 0;
  std::optional<int64_t> axis_size =
      std::nullopt;  // needed at init when a collection is mapped (an ensemble)
};

namespace detail {

// Which leaves of a module a lift adds its axis to (in leaf order), from the leaves' kinds.
std::vector<bool> mapped_leaves(const char* api, const std::vector<Kind>& kinds,
                                const VariableAxes& axes);
// Whether any collection gets an axis ("[api] ..." for an unknown collection or axis).
bool maps_any(const char* api, const VariableAxes& axes);
// The per-layer / per-member Rngs: streams named true in split_rngs split n ways, the others
// broadcast (n copies of one new key); the parent advances by one either way.
Rngs split_for_lift(const char* api, Rngs& rngs, int64_t n, const SplitRngs& split);
[[noreturn]] void bad_length(const char* api, int64_t length);
[[noreturn]] void needs_axis_size(const char* api);
[[noreturn]] void in_axes_count(const AxisSpec& in_axes, size_t num_args);

template <class Build>
auto vmap_build(const char* api, Rngs& rngs, int64_t n, const SplitRngs& split,
                const Build& build) {
  return strata::vmap([&](Rngs r) { return build(r); })(split_for_lift(api, rngs, n, split));
}

template <class M>
std::vector<Kind> leaf_kinds(const M& m) {
  std::vector<Kind> kinds;
  walk(m, [&](const std::string&, Kind kind, const Array&) { kinds.push_back(kind); });
  return kinds;
}

// m's leaves where `mapped` is set, and the rest.
inline std::pair<std::vector<Array>, std::vector<Array>> partition(
    const std::vector<Array>& all, const std::vector<bool>& mapped) {
  std::pair<std::vector<Array>, std::vector<Array>> out;
  for (size_t i = 0; i < all.size(); ++i) (mapped[i] ? out.first : out.second).push_back(all[i]);
  return out;
}
inline std::vector<Array> interleave(const std::vector<bool>& mapped, const std::vector<Array>& a,
                                     const std::vector<Array>& b) {
  std::vector<Array> out;
  size_t ia = 0, ib = 0;
  for (bool m : mapped) out.push_back(m ? a[ia++] : b[ib++]);
  return out;
}

// Builds an instance of the lifted module n times under vmap: the collections of `axes` keep the
// leading axis, the others are taken from member 0 (they are equal unless an rng was split).
template <class Build>
auto build_mapped(const char* api, Rngs& rngs, int64_t n, const VariableAxes& axes,
                  const SplitRngs& split, const Build& build) {
  auto stacked = vmap_build(api, rngs, n, split, build);
  const std::vector<Kind> kinds = leaf_kinds(stacked);
  const std::vector<bool> mapped = mapped_leaves(api, kinds, axes);
  std::vector<std::string> param_paths;
  std::vector<Array> params, leaves;
  size_t i = 0;
  for (auto& [path, leaf] : tree::leaves_with_path(stacked)) {
    if (mapped[i] && kinds[i] == Kind::Param) {
      param_paths.push_back(path);
      params.push_back(leaf);
    }
    leaves.push_back(mapped[i] ? leaf : leaf[0]);
    ++i;
  }
  nn::detail::warn_if_identical_params(param_paths, params, n, api);
  return tree::unflatten<decltype(stacked)>(tree::structure(stacked), std::move(leaves));
}

// The inner stage's instance built by a lift, and which of its leaves carry the lift's axis: built
// once (shared) when no collection is mapped, else n times under vmap (build_mapped).
template <class Inner, class... A>
auto init_lifted(const char* api, Rngs& rngs, int64_t n, const VariableAxes& axes,
                 const SplitRngs& split, const Inner& inner, const A&... args) {
  auto instance =
      maps_any(api, axes)
          ? build_mapped(api, rngs, n, axes, split, [&](Rngs& r) { return inner.init(r, args...); })
          : inner.init(rngs, args...);
  std::vector<bool> mapped = mapped_leaves(api, leaf_kinds(instance), axes);
  return std::pair{std::move(instance), std::move(mapped)};
}

}  // namespace detail

// The plain module type M as a lift's innermost stage: init(rngs, args...) = M(args..., rngs).
template <class M>
struct Module {
  using Instance = M;
  template <class... A>
  M init(Rngs& rngs, const A&... args) const {
    return M(args..., rngs);
  }
};

// ---------------------------------------------------------------- scan
template <class M>
struct Scanned {
  M layers;                  // collections with axis 0 have a leading layer axis
  std::vector<bool> sliced;  // per leaf of `layers`: has the layer axis
  int64_t length = 0;
  bool reverse = false;
  CheckpointPolicy checkpoint;
  STRATA_TREE_MEMBERS(layers)

  // (carry, xs) -> (final carry, stacked ys), each layer M(carry, x) -> (carry, y).
  template <class Carry, class Xs>
  auto operator()(const Carry& carry, const Xs& xs) const {
    const auto parts = detail::partition(tree::leaves(layers), sliced);  // (per layer, shared)
    const tree::TreeDef def = tree::structure(layers);
    const std::vector<bool>& mask = sliced;
    const auto body = [&](const Carry& c, const std::pair<std::vector<Array>, Xs>& x) {
      const M layer = tree::unflatten<M>(def, detail::interleave(mask, x.first, parts.second));
      return layer(c, x.second);
    };
    const strata::ScanOptions options{
        .length = length, .reverse = reverse, .checkpoint = checkpoint};
    return as_api("nn.lift.scan",
                  [&] {
                    return strata::scan(body, carry, std::pair{parts.first, xs}, options);
                  },
                  {"scan"});
  }
};

template <class Inner>
struct ScanLift {
  Inner inner;
  ScanOptions options;
  using Instance = Scanned<typename Inner::Instance>;

  template <class... A>
  Instance init(Rngs& rngs, const A&... args) const {
    constexpr const char* api = "nn.lift.scan";
    if (options.length < 1) detail::bad_length(api, options.length);
    auto [layers, sliced] = detail::init_lifted(api, rngs, options.length, options.variable_axes,
                                                options.split_rngs, inner, args...);
    return Instance{std::move(layers), std::move(sliced), options.length, options.reverse,
                    options.checkpoint};
  }
};

template <class M>
ScanLift<Module<M>> scan(ScanOptions options) {
  return {Module<M>{}, std::move(options)};
}
template <class Inner>
ScanLift<Inner> scan(Inner inner, ScanOptions options) {
  return {std::move(inner), std::move(options)};
}

// ---------------------------------------------------------------- vmap
template <class M>
struct Vmapped {
  M module;                  // collections with axis 0 have a leading member axis
  std::vector<bool> mapped;  // per leaf of `module`: has the member axis
  AxisSpec in_axes = 0, out_axes = 0;
  STRATA_TREE_MEMBERS(module)

  template <class... Args>
  auto operator()(const Args&... args) const {
    const auto parts = detail::partition(tree::leaves(module), mapped);  // (per member, shared)
    const tree::TreeDef def = tree::structure(module);
    const std::vector<bool>& mask = mapped;
    std::vector<AxisSpec> specs{0, none};
    const bool per_argument = in_axes.kind() == AxisSpec::Kind::Children;
    if (per_argument && in_axes.children().size() != sizeof...(Args)) {
      detail::in_axes_count(in_axes, sizeof...(Args));
    }
    for (size_t i = 0; i < sizeof...(Args); ++i) {
      specs.push_back(per_argument ? in_axes.children()[i] : in_axes);
    }
    const auto body = [&](const std::vector<Array>& mine, const std::vector<Array>& common,
                          const Args&... a) {
      const M m = tree::unflatten<M>(def, detail::interleave(mask, mine, common));
      return m(a...);
    };
    return as_api("nn.lift.vmap",
                  [&] {
                    return strata::vmap(body, AxisSpec::list(std::move(specs)), out_axes)(
                        parts.first, parts.second, args...);
                  },
                  {"vmap"});
  }
};

template <class Inner>
struct VmapLift {
  Inner inner;
  VmapOptions options;
  using Instance = Vmapped<typename Inner::Instance>;

  template <class... A>
  Instance init(Rngs& rngs, const A&... args) const {
    constexpr const char* api = "nn.lift.vmap";
    if (detail::maps_any(api, options.variable_axes)) {
      if (!options.axis_size) detail::needs_axis_size(api);
      if (*options.axis_size < 1) detail::bad_length(api, *options.axis_size);
    }
    auto [module, mapped] =
        detail::init_lifted(api, rngs, options.axis_size.value_or(1), options.variable_axes,
                            options.split_rngs, inner, args...);
    return Instance{std::move(module), std::move(mapped), options.in_axes, options.out_axes};
  }
};

template <class M>
VmapLift<Module<M>> vmap(VmapOptions options) {
  return {Module<M>{}, std::move(options)};
}
template <class Inner>
VmapLift<Inner> vmap(Inner inner, VmapOptions options) {
  return {std::move(inner), std::move(options)};
}

}  // namespace strata::nn::lift
