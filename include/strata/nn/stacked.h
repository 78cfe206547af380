// strata::nn stacks of layers: nn::ArrayStacked<M> and nn::Stacked<M> (N layers of one module
// type, every parameter stacked along a leading layer axis, run by one scan whose body is traced
// once whatever N is) and nn::Sequential<M>, their unrolled twin (N separate modules, a C++ loop).
// They follow Haliax's ArrayStacked / Stacked / BlockSeq.
//
//   struct Block {                                    // any module: a pytree with a constructor
//     nn::Param weight;
//     explicit Block(const Array& w) : weight(w) {}
//     Array operator()(const Array& carry, const Array& scale, const Array& mask) const;
//     STRATA_TREE_MEMBERS(weight)
//   };
//   auto stack = nn::ArrayStacked<Block>::init(4, {.gradient_checkpointing = "recompute"})(
//       random::normal(key, {4, 8}));                 // weight (4, 8): one row per layer
//   Array y = stack.fold_via([](const Block& b, const Array& c, const Array& s, const Array& m) {
//     return b(c, s, m);
//   }, {0, st::none})(carry0, layer_scale, mask);     // layer_scale (4,) sliced, mask shared
//
//   nn::Rngs rngs(0);
//   auto mlp = nn::ArrayStacked<nn::Linear>::init(12)(64, 64, rngs);   // kernel (12, 64, 64)
//   Array h = mlp.fold_via([](const nn::Linear& l, const Array& x) { return nn::relu(l(x)); })(x);
//
// init(num_layers, options) — or init(num_layers, factory, options) — is curried like Haliax's:
// it returns a function of M's constructor arguments (the factory's).  The constructor runs ONCE,
// under st::vmap over the layer axis, so its cost does not grow with N and every array of the
// result gets a leading num_layers axis (arrays that do not depend on a per-layer argument, such
// as zero biases, are broadcast).  Arguments:
//   - an nn::Rngs (non-const) is split per layer: rngs.split(num_layers), advancing the caller's
//     Rngs by one draw per stream, as nnx.split_rngs does; one already split into num_layers is
//     used as it is.  Each layer thus draws from its own keys;
//   - a pytree of arrays (Array, Param, containers, structs): each array whose leading size is
//     num_layers is sliced per layer, every other array is shared (Haliax ArrayStacked's rule:
//     by shape alone, so a shared array whose first axis happens to be num_layers is sliced too —
//     close over such an array in a factory instead);
//   - any other C++ value (sizes, option structs) is passed to every layer as it is.
// num_layers < 1 is an error.
//
// Methods (the same on all three classes):
//   fold(carry, args...)            layer(carry, args...) -> carry, layer after layer
//   scan(carry, args...)            layer(carry, args...) -> std::pair{carry, y}; returns
//                                   {final carry, ys stacked along a new leading axis}
//   fold(in_axes, carry, args...), scan(in_axes, carry, args...): the same with in_axes
//   fold_via(fn, in_axes)(carry, args...)   fn(layer, carry, args...) -> carry
//   scan_via(fn, in_axes)(carry, args...)   fn(layer, carry, args...) -> std::pair{carry, y}
//   vmap_via(fn, in_axes, out_axes)(args...)  fn(layer, args...) for every layer independently
//                                   (st::vmap), outputs stacked along out_axes (default 0)
//   get_layer(i)                    layer i as a plain M (negative i counts from the end, as
//                                   Python indexing in Haliax; out of range is an error)
//   unstacked()                     std::vector<M> of every layer
// in_axes (Haliax ArrayStacked's convention, for the arguments after the carry): st::none (the
// default: shared by every layer), an int (every argument sliced along that axis), or one int /
// st::none per argument, `{0, st::none}`.  An argument given an axis must hold arrays whose size
// along it is num_layers (negative axes count from the end); otherwise the error names the
// argument ("argument 1 after the carry (`arg1.W`)": its position from 0 and the leaf inside it),
// its shape and num_layers.  A pytree argument given an axis is sliced leaf by leaf (an nn::Rngs
// split into num_layers gives each layer its own dropout keys).  C++ has no keyword arguments, so
// there are no named in_axes.
//
// The carry keeps its structure, shapes and dtypes from layer to layer; a layer that changes
// them is an error naming the carry leaf and both types.  fold / scan / fold_via / scan_via run
// st::scan over (layers, sliced arguments) as xs with shared arguments as closed-over constants:
// the layer's parameters are xs slices (views), so the backward pass writes each layer's
// gradient into its row instead of accumulating an [N, ...] carry (Haliax's ArrayStacked scans
// layer indices over closed-over parameters instead; the results are the same).
//
// gradient_checkpointing (StackedOptions) is the scan's CheckpointPolicy (strata/checkpoint.h):
// any policy, or Haliax's shorthands — false / "save_all" (keep everything, the default), true /
// "recompute" / "full" (keep each layer's input carry, recompute its internals), "nested"
// (two-level sqrt(N) schedule) — or CheckpointPolicy::budget(bytes) (cheapest schedule that
// fits).  StackedOptions::unroll is the scan's unroll (layers per loop trip).
//
// Stacked vs ArrayStacked.  strata has no named arrays, so both store `M layers` with the layer
// axis first and share one implementation.  Stacked carries the name of its layer axis (Haliax's
// `Block` axis, init(nn::Axis{"blocks", 12}); "layers" by default) and names it in its messages;
// ArrayStacked has only num_layers.  Unlike Haliax's Stacked, whose scan slices every array
// argument by default, strata's Stacked shares arguments unless in_axes says otherwise (the
// ArrayStacked convention for both), since without axis names a shape cannot say which arrays
// are per layer.
//
// Pytrees.  All three are pytrees with one field, `layers`: jit, grad, vmap and the optimisers
// see the stacked parameters, nn::split gives key paths `layers.kernel` (Stacked, ArrayStacked)
// or `layers[3].kernel` (Sequential).  num_layers, the axis name and the options are static data:
// a jitted function is cached by tree structure, so it keeps the options of the first stack it
// was traced with.
//
// Sequential<M> has the same init (the same split keys and slicing, so a Sequential and a
// Stacked built from the same seed have the same layers) and the same methods, run as a C++ loop
// over N separate modules (each arg sliced per in_axes, which Haliax's BlockSeq *_via methods do
// not do).  Its gradient_checkpointing wraps each layer in st::checkpoint for the carries_only /
// save_names policies; nested and budget are loop schedules of a scan and are not applied.
// vmap_via needs an int out_axes.  Tests use it to prove the stacked versions right.
//
// Forgetting to split the random keys makes every layer the same (a 1-layer network repeated N
// times).  init checks the stack it built with warn_if_layers_identical, which prints one warning
// per process to stderr.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/checkpoint.h"
#include "strata/grad.h"
#include "strata/nn/rngs.h"
#include "strata/nn/variable.h"
#include "strata/scan.h"
#include "strata/tree/tree.h"
#include "strata/vmap.h"

namespace strata::nn {

// gradient_checkpointing: a CheckpointPolicy or one of Haliax's ScanCheckpointSpec shorthands.
class CheckpointSpec {
 public:
  // false: save_all (no rematerialisation); true: carries_only (recompute layer internals).
  CheckpointSpec(bool recompute)  // NOLINT: implicit, {.gradient_checkpointing = true}
      : policy_(recompute ? CheckpointPolicy::carries_only() : CheckpointPolicy::save_all()) {}
  // "save_all", "recompute", "full", "nested", ... (CheckpointPolicy::parse).
  CheckpointSpec(const char* name) : policy_(CheckpointPolicy::parse(name)) {}         // NOLINT
  CheckpointSpec(std::string_view name) : policy_(CheckpointPolicy::parse(name)) {}    // NOLINT
  CheckpointSpec(const std::string& name) : policy_(CheckpointPolicy::parse(name)) {}  // NOLINT
  CheckpointSpec(CheckpointPolicy policy) : policy_(std::move(policy)) {}              // NOLINT
  template <std::integral T>
  requires(!std::same_as<T, bool>) CheckpointSpec(T) {  // NOLINT
    static_assert(sizeof(T) == 0,
                  "gradient_checkpointing: an integer is not a policy; for a memory budget in "
                  "bytes use CheckpointPolicy::budget(bytes), for a flag use true / false");
  }
  const CheckpointPolicy& policy() const { return policy_; }

 private:
  CheckpointPolicy policy_;
};

struct StackedOptions {
  CheckpointSpec gradient_checkpointing = false;
  int64_t unroll = 1;  // layers per loop trip of the scan (>= 1)
};

// A named layer axis (Haliax's Axis) for nn::Stacked.
struct Axis {
  std::string name;
  int64_t size = 0;
};

// in_axes of the arguments after the carry: st::none (shared), an int (all sliced along it), or
// one int / st::none per argument.  `{0}` is a list of one spec, like a one-element tuple.
class InAxes {
 public:
  InAxes(int axis) : spec_(axis) {}      // NOLINT: implicit
  InAxes(None) : spec_(strata::none) {}  // NOLINT: implicit
  InAxes(std::initializer_list<AxisSpec> per_argument)
      : spec_(AxisSpec::list(std::vector<AxisSpec>(per_argument))) {}
  const AxisSpec& spec() const { return spec_; }

 private:
  AxisSpec spec_;
};

namespace detail {

// Is T a pytree of arrays all the way down (so its arrays can be sliced per layer)?
template <class T>
constexpr bool is_tree() {
  namespace td = tree::detail;
  if constexpr (std::is_same_v<T, Array> || std::is_same_v<T, None>) {
    return true;
  } else if constexpr (td::is_pair<T>::value) {
    return is_tree<typename T::first_type>() && is_tree<typename T::second_type>();
  } else if constexpr (td::is_tuple<T>::value) {
    return []<class... E>(std::type_identity<std::tuple<E...>>) {
      return (is_tree<E>() && ...);
    }(std::type_identity<T>{});
  } else if constexpr (td::is_std_array<T>::value || td::is_vector<T>::value ||
                       td::is_optional<T>::value) {
    return is_tree<typename T::value_type>();
  } else if constexpr (td::is_string_map<T>::value) {
    return is_tree<typename T::mapped_type>();
  } else {
    return td::TreeStruct<T>;
  }
}
template <class T>
inline constexpr bool is_tree_v = is_tree<std::remove_cvref_t<T>>();

// A carry for fold / scan: a pytree other than None (so a leading st::none reads as in_axes).
template <class T>
concept LayerCarry = is_tree_v<T> && !std::is_same_v<std::remove_cvref_t<T>, None>;

// One argument after the carry (or of the constructor), flattened.
struct LayerArg {
  bool is_tree = false;  // a pytree of arrays; anything else is passed to every layer as it is
  bool is_rngs = false;  // an nn::Rngs given to init, already split per layer
  std::string type_name;
  tree::TreeDef def;               // is_tree: the structure to rebuild it from
  std::vector<Array> leaves;       // is_tree: its arrays
  std::vector<std::string> paths;  // their key paths: "arg1", "arg1.W"
  std::vector<int64_t> row;        // per leaf: its index in PerLayerPlan::stacked, -1 if shared
  bool per_layer() const;
};
// Which arrays differ per layer: `stacked` holds them with the layer axis first (what scan and
// vmap slice); every other array is shared by the layers.
struct PerLayerPlan {
  std::vector<LayerArg> args;
  std::vector<Array> stacked;
};
// in_axes decides (fold / scan after the carry, vmap_via without one); `layers` describes
// num_layers for messages.
void plan_by_in_axes(const std::string& api, const InAxes& in_axes, int64_t num_layers,
                     const std::string& layers, bool after_carry, PerLayerPlan& plan);
// init's rule: nn::Rngs split per layer, other arrays by their leading size.
void plan_for_init(const std::string& api, int64_t num_layers, PerLayerPlan& plan);
// rngs split into num_layers (or rngs itself when already split so).
Rngs rngs_for_layers(const std::string& api, Rngs& rngs, int64_t num_layers, size_t position);
// "[api] ..." unless `out` (a layer's new carry) has the structure and leaf types of `in`.
void check_carry_leaves(const std::string& api, const tree::TreeDef& in_def,
                        const std::vector<std::pair<std::string, Array>>& in,
                        const tree::TreeDef& out_def, const std::vector<Array>& out);
template <class Carry>
void check_carry(const std::string& api, const Carry& in, const Carry& out) {
  check_carry_leaves(api, tree::structure(in), tree::leaves_with_path(in), tree::structure(out),
                     tree::leaves(out));
}
// Validation shared by the classes.
void check_options(const std::string& api, int64_t num_layers, const StackedOptions& options);
void check_stacked_leaves(const std::string& api,
                          const std::vector<std::pair<std::string, Array>>& leaves,
                          int64_t num_layers, const std::string& layers);
int64_t layer_index(const std::string& api, int64_t index, int64_t num_layers);
std::string describe_layers(int64_t num_layers, const std::string& axis_name);
// Stacks per-layer results leaf by leaf along `axis` (Sequential's ys and vmap_via outputs).
std::vector<Array> stack_leaves(const std::string& api, const std::vector<tree::TreeDef>& defs,
                                const std::vector<std::vector<Array>>& items, int axis);

// The arguments of a per-layer call: flattened once, sliced per layer, rebuilt for each layer.
template <class... Args>
class PerLayerArgs {
 public:
  explicit PerLayerArgs(std::tuple<Args&&...> refs) : refs_(std::move(refs)) {
    each([&]<size_t I>() { describe<I>(); });
  }
  void by_in_axes(const std::string& api, const InAxes& in_axes, int64_t num_layers,
                  const std::string& layers, bool after_carry) {
    plan_by_in_axes(api, in_axes, num_layers, layers, after_carry, plan);
  }
  void for_init(const std::string& api, int64_t num_layers) {
    each([&]<size_t I>() {
      using A = std::remove_reference_t<std::tuple_element_t<I, std::tuple<Args...>>>;
      if constexpr (std::is_same_v<std::remove_cv_t<A>, Rngs>) {
        static_assert(!std::is_const_v<A>,
                      "init: pass the nn::Rngs as a non-const value; init splits it per layer "
                      "(advancing it), as nnx.split_rngs does");
        const Rngs per_layer = rngs_for_layers(api, std::get<I>(refs_), num_layers, I);
        plan.args[I].is_rngs = true;
        plan.args[I].def = tree::structure(per_layer);
        plan.args[I].leaves = tree::leaves(per_layer);
      }
    });
    plan_for_init(api, num_layers, plan);
  }
  // f(front..., arguments of one layer): `rows` holds one row of each array in plan.stacked.
  // Per-layer arguments are rebuilt as locals; shared ones are passed as given.
  template <class F, class... Front>
  decltype(auto) call(const F& f, const std::vector<Array>& rows, Front&&... front) const {
    return call_impl(f, rows, std::index_sequence_for<Args...>{}, std::forward<Front>(front)...);
  }
  // The rows of layer i (eager loops).
  std::vector<Array> rows_of(int64_t i) const {
    std::vector<Array> rows;
    for (const Array& a : plan.stacked) rows.push_back(a[i]);
    return rows;
  }

  PerLayerPlan plan;

 private:
  template <class Fn>
  static void each(Fn&& fn) {
    [&]<size_t... I>(std::index_sequence<I...>) {
      (fn.template operator()<I>(), ...);
    }
    (std::index_sequence_for<Args...>{});
  }
  template <size_t I>
  void describe() {
    using A = std::remove_cvref_t<std::tuple_element_t<I, std::tuple<Args...>>>;
    LayerArg arg;
    arg.type_name = std::string(tree::detail::type_name<A>());
    if constexpr (is_tree_v<A>) {
      const A& value = std::get<I>(refs_);
      arg.is_tree = true;
      arg.def = tree::structure(value);
      const std::string prefix = "arg" + std::to_string(I);
      for (auto& [path, a] : tree::leaves_with_path(value)) {
        arg.paths.push_back(path.empty()     ? prefix
                            : path[0] == '[' ? prefix + path
                                             : prefix + "." + path);
        arg.leaves.push_back(a);
      }
    }
    plan.args.push_back(std::move(arg));
  }
  template <class A>
  using Local = std::conditional_t<is_tree_v<A>, std::optional<std::remove_cvref_t<A>>, None>;

  template <size_t I, class L>
  std::remove_reference_t<std::tuple_element_t<I, std::tuple<Args...>>>& pick(
      L& local, const std::vector<Array>& rows) const {
    using A = std::remove_cvref_t<std::tuple_element_t<I, std::tuple<Args...>>>;
    std::remove_reference_t<std::tuple_element_t<I, std::tuple<Args...>>>* p = &std::get<I>(refs_);
    if constexpr (is_tree_v<A>) {
      const LayerArg& arg = plan.args[I];
      if (arg.per_layer()) {
        std::vector<Array> leaves = arg.leaves;
        for (size_t k = 0; k < leaves.size(); ++k) {
          if (arg.row[k] >= 0) leaves[k] = rows[static_cast<size_t>(arg.row[k])];
        }
        local.emplace(tree::unflatten<A>(arg.def, std::move(leaves)));
        p = &*local;
      }
    }
    return *p;
  }
  template <class F, size_t... I, class... Front>
  decltype(auto) call_impl(const F& f, const std::vector<Array>& rows, std::index_sequence<I...>,
                           Front&&... front) const {
    std::tuple<Local<Args>...> locals;
    return f(std::forward<Front>(front)..., pick<I>(std::get<I>(locals), rows)...);
  }

  std::tuple<Args&&...> refs_;
};
template <class... Args>
PerLayerArgs<Args...> per_layer_args(Args&&... args) {
  return PerLayerArgs<Args...>(std::forward_as_tuple(std::forward<Args>(args)...));
}

// layer(carry, args...): what fold and scan call.
struct CallLayer {
  template <class L, class C, class... A>
  decltype(auto) operator()(const L& layer, const C& carry, A&&... args) const {
    return layer(carry, std::forward<A>(args)...);
  }
};
template <class M>
struct Construct {
  template <class... A>
  M operator()(A&&... args) const {
    return M(std::forward<A>(args)...);
  }
};

// The new carry and y of one layer call, checked against the carry it was given.
template <bool WithYs, class Carry, class R>
auto layer_step(const std::string& api, const Carry& carry, R&& r) {
  if constexpr (WithYs) {
    using Result = std::remove_cvref_t<R>;
    static_assert(strata::detail::is_std_pair<Result>::value,
                  "scan / scan_via: the layer must return std::pair{new_carry, y} (use fold / "
                  "fold_via for a layer that returns only the carry)");
    static_assert(std::is_convertible_v<typename Result::first_type, Carry>,
                  "scan / scan_via: the layer's new carry must have the carry's type");
    Carry next = std::forward<R>(r).first;
    check_carry(api, carry, next);
    return std::pair<Carry, typename Result::second_type>{std::move(next),
                                                          std::forward<R>(r).second};
  } else {
    static_assert(std::is_convertible_v<R, Carry>,
                  "fold / fold_via: the layer must return the new carry, of the carry's type "
                  "(use scan / scan_via for a layer that returns std::pair{carry, y})");
    Carry next = std::forward<R>(r);
    check_carry(api, carry, next);
    return std::pair<Carry, None>{std::move(next), None{}};
  }
}

// The stacked module: factory run once under vmap over num_layers (keys split, leading-size
// arrays sliced), checked for identical layers.
template <class M>
M build_layers(const std::string& api, int64_t num_layers, const auto& factory, auto&&... args) {
  auto per_layer = per_layer_args(std::forward<decltype(args)>(args)...);
  per_layer.for_init(api, num_layers);
  auto one_layer = [&](const std::vector<Array>& rows) -> M {
    return per_layer.call(factory, rows);
  };
  M layers =
      as_api(api, [&] { return strata::vmap(one_layer, 0, 0, num_layers)(per_layer.plan.stacked); },
             {"vmap"});
  warn_if_layers_identical(layers, num_layers, api.c_str());
  return layers;
}

// The shared implementation of Stacked and ArrayStacked.
template <class M>
class StackedLayers {
 public:
  M layers;  // one module whose every array has a leading num_layers axis

  int64_t num_layers() const { return num_layers_; }
  const CheckpointPolicy& gradient_checkpointing() const { return checkpoint_; }
  int64_t unroll() const { return unroll_; }

  template <LayerCarry Carry, class... Args>
  Carry fold(const Carry& init, Args&&... args) const {
    return run<false>("fold", CallLayer{}, strata::none, init, std::forward<Args>(args)...).first;
  }
  template <LayerCarry Carry, class... Args>
  Carry fold(const InAxes& in_axes, const Carry& init, Args&&... args) const {
    return run<false>("fold", CallLayer{}, in_axes, init, std::forward<Args>(args)...).first;
  }
  template <LayerCarry Carry, class... Args>
  auto scan(const Carry& init, Args&&... args) const {
    return run<true>("scan", CallLayer{}, strata::none, init, std::forward<Args>(args)...);
  }
  template <LayerCarry Carry, class... Args>
  auto scan(const InAxes& in_axes, const Carry& init, Args&&... args) const {
    return run<true>("scan", CallLayer{}, in_axes, init, std::forward<Args>(args)...);
  }
  template <class F>
  auto fold_via(F fn, InAxes in_axes = strata::none) const {
    return [
      self = *this, fn = std::move(fn), in_axes = std::move(in_axes)
    ]<LayerCarry Carry, class... Args>(const Carry& init, Args&&... args)
        ->Carry {
      return self.template run<false>("fold_via", fn, in_axes, init, std::forward<Args>(args)...)
          .first;
    };
  }
  template <class F>
  auto scan_via(F fn, InAxes in_axes = strata::none) const {
    return [
      self = *this, fn = std::move(fn), in_axes = std::move(in_axes)
    ]<LayerCarry Carry, class... Args>(const Carry& init, Args&&... args) {
      return self.template run<true>("scan_via", fn, in_axes, init, std::forward<Args>(args)...);
    };
  }
  template <class F>
  auto vmap_via(F fn, InAxes in_axes = strata::none, AxisSpec out_axes = 0) const {
    return [self = *this, fn = std::move(fn), in_axes = std::move(in_axes),
            out_axes = std::move(out_axes)]<class... Args>(Args&&... args) {
      auto per_layer = per_layer_args(std::forward<Args>(args)...);
      per_layer.by_in_axes(self.api("vmap_via"), in_axes, self.num_layers_, self.describe(), false);
      auto one_layer = [&](const M& layer, const std::vector<Array>& rows) {
        return per_layer.call(fn, rows, layer);
      };
      return as_api(self.api("vmap_via"),
                    [&] {
                      return strata::vmap(one_layer, AxisSpec{0, 0}, out_axes, self.num_layers_)(
                          self.layers, per_layer.plan.stacked);
                    },
                    {"vmap"});
    };
  }
  M get_layer(int64_t index) const {
    const int64_t i = layer_index(api("get_layer"), index, num_layers_);
    return tree::map([i](const Array& a) { return a[i]; }, layers);
  }
  std::vector<M> unstacked() const {
    std::vector<M> out;
    for (int64_t i = 0; i < num_layers_; ++i) out.push_back(get_layer(i));
    return out;
  }

 protected:
  StackedLayers(M stacked, int64_t num_layers, const StackedOptions& options, std::string kind,
                std::string axis_name)
      : layers(std::move(stacked)),
        num_layers_(num_layers),
        checkpoint_(options.gradient_checkpointing.policy()),
        unroll_(options.unroll),
        kind_(std::move(kind)),
        axis_name_(std::move(axis_name)) {
    check_options(kind_, num_layers_, options);
    check_stacked_leaves(kind_, tree::leaves_with_path(layers), num_layers_, describe());
  }
  std::string api(const char* method) const { return kind_ + "." + method; }
  std::string describe() const { return describe_layers(num_layers_, axis_name_); }
  const std::string& axis_name() const { return axis_name_; }

 private:
  // One st::scan over (layers, per-layer arguments); shared arguments are closed over.
  template <bool WithYs, class F, class Carry, class... Args>
  auto run(const char* method, const F& fn, const InAxes& in_axes, const Carry& init,
           Args&&... args) const {
    const std::string where = api(method);
    auto per_layer = per_layer_args(std::forward<Args>(args)...);
    per_layer.by_in_axes(where, in_axes, num_layers_, describe(), true);
    using Xs = std::pair<M, std::vector<Array>>;
    const Xs xs{layers, per_layer.plan.stacked};
    auto body = [&](const Carry& carry, const Xs& x) {
      return layer_step<WithYs>(where, carry, per_layer.call(fn, x.second, x.first, carry));
    };
    const ScanOptions options{.length = num_layers_, .unroll = unroll_, .checkpoint = checkpoint_};
    return as_api(where, [&] { return strata::scan(body, init, xs, options); }, {"scan"});
  }

  int64_t num_layers_;
  CheckpointPolicy checkpoint_;
  int64_t unroll_;
  std::string kind_;
  std::string axis_name_;
};

}  // namespace detail

// Haliax's ArrayStacked: N layers of M, every array with a leading num_layers axis.
template <class M>
class ArrayStacked : public detail::StackedLayers<M> {
 public:
  // Wraps an already stacked module (every array's leading size must be num_layers).
  ArrayStacked(M stacked, int64_t num_layers, const StackedOptions& options = {})
      : detail::StackedLayers<M>(std::move(stacked), num_layers, options, "nn.ArrayStacked", "") {}

  static auto init(int64_t num_layers, StackedOptions options = {}) {
    return init(num_layers, detail::Construct<M>{}, std::move(options));
  }
  // factory(args...) -> M builds one layer (instead of M's constructor).
  template <class Factory>
  requires(!std::same_as<std::remove_cvref_t<Factory>, StackedOptions>) static auto init(
      int64_t num_layers, Factory factory, StackedOptions options = {}) {
    detail::check_options("nn.ArrayStacked.init", num_layers, options);
    return [num_layers, factory = std::move(factory), options](auto&&... args) {
      return ArrayStacked(detail::build_layers<M>("nn.ArrayStacked.init", num_layers, factory,
                                                  std::forward<decltype(args)>(args)...),
                          num_layers, options);
    };
  }

  STRATA_TREE_MEMBERS(layers)
};

// Haliax's Stacked: as ArrayStacked, with a named layer axis (used in messages).
template <class M>
class Stacked : public detail::StackedLayers<M> {
 public:
  Stacked(M stacked, Axis block, const StackedOptions& options = {})
      : detail::StackedLayers<M>(std::move(stacked), block.size, options, "nn.Stacked",
                                 std::move(block.name)) {}

  static auto init(int64_t num_layers, StackedOptions options = {}) {
    return init(Axis{"layers", num_layers}, detail::Construct<M>{}, std::move(options));
  }
  static auto init(Axis block, StackedOptions options = {}) {
    return init(std::move(block), detail::Construct<M>{}, std::move(options));
  }
  template <class Factory>
  requires(!std::same_as<std::remove_cvref_t<Factory>, StackedOptions>) static auto init(
      int64_t num_layers, Factory factory, StackedOptions options = {}) {
    return init(Axis{"layers", num_layers}, std::move(factory), std::move(options));
  }
  template <class Factory>
  requires(!std::same_as<std::remove_cvref_t<Factory>, StackedOptions>) static auto init(
      Axis block, Factory factory, StackedOptions options = {}) {
    detail::check_options("nn.Stacked.init", block.size, options);
    return [block = std::move(block), factory = std::move(factory), options](auto&&... args) {
      return Stacked(detail::build_layers<M>("nn.Stacked.init", block.size, factory,
                                             std::forward<decltype(args)>(args)...),
                     block, options);
    };
  }
  // The layer axis: its name and size (num_layers).
  Axis block() const { return Axis{this->axis_name(), this->num_layers()}; }

  STRATA_TREE_MEMBERS(layers)
};

}  // namespace strata::nn

#include "strata/nn/sequential.h"
