// strata::nn::Sequential<M>: N separate modules of one type run in an unrolled C++ loop, with the
// interface of nn::Stacked / nn::ArrayStacked (Haliax's BlockSeq).  See strata/nn/stacked.h for
// init, the methods and in_axes; include that header.
//
//   nn::Rngs a(0), b(0);
//   auto stacked = nn::ArrayStacked<nn::Linear>::init(4)(8, 8, a);
//   auto unrolled = nn::Sequential<nn::Linear>::init(4)(8, 8, b);   // the same layers:
//   // unrolled.layers[i] has stacked.get_layer(i)'s parameters, and fold / scan / *_via give the
//   // same outputs and gradients.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "strata/nn/stacked.h"

namespace strata::nn {

namespace detail {
// Stacks per-layer pytrees leaf by leaf along `axis` (ys of scan, outputs of vmap_via).
template <class Y>
Y stack_trees(const std::string& api, const std::vector<Y>& items, int axis) {
  std::vector<tree::TreeDef> defs;
  std::vector<std::vector<Array>> leaves;
  for (const Y& y : items) {
    defs.push_back(tree::structure(y));
    leaves.push_back(tree::leaves(y));
  }
  return tree::unflatten<Y>(defs.front(), stack_leaves(api, defs, leaves, axis));
}
}  // namespace detail

template <class M>
class Sequential {
 public:
  std::vector<M> layers;

  explicit Sequential(std::vector<M> modules, const StackedOptions& options = {})
      : layers(std::move(modules)), checkpoint_(options.gradient_checkpointing.policy()) {
    detail::check_options("nn.Sequential", num_layers(), options);
  }

  static auto init(int64_t num_layers, StackedOptions options = {}) {
    return init(num_layers, detail::Construct<M>{}, std::move(options));
  }
  // The same arguments as ArrayStacked::init: the same per-layer keys and slices, one
  // constructor call per layer.
  template <class Factory>
  requires(!std::same_as<std::remove_cvref_t<Factory>, StackedOptions>) static auto init(
      int64_t num_layers, Factory factory, StackedOptions options = {}) {
    detail::check_options("nn.Sequential.init", num_layers, options);
    return [num_layers, factory = std::move(factory), options](auto&&... args) {
      auto per_layer = detail::per_layer_args(std::forward<decltype(args)>(args)...);
      per_layer.for_init("nn.Sequential.init", num_layers);
      std::vector<M> modules;
      for (int64_t i = 0; i < num_layers; ++i) {
        modules.push_back(per_layer.call(factory, per_layer.rows_of(i)));
      }
      return Sequential(std::move(modules), options);
    };
  }

  int64_t num_layers() const { return static_cast<int64_t>(layers.size()); }
  const CheckpointPolicy& gradient_checkpointing() const { return checkpoint_; }

  template <detail::LayerCarry Carry, class... Args>
  Carry fold(const Carry& init, Args&&... args) const {
    return run<false>("fold", detail::CallLayer{}, strata::none, init, std::forward<Args>(args)...)
        .first;
  }
  template <detail::LayerCarry Carry, class... Args>
  Carry fold(const InAxes& in_axes, const Carry& init, Args&&... args) const {
    return run<false>("fold", detail::CallLayer{}, in_axes, init, std::forward<Args>(args)...)
        .first;
  }
  template <detail::LayerCarry Carry, class... Args>
  auto scan(const Carry& init, Args&&... args) const {
    return run<true>("scan", detail::CallLayer{}, strata::none, init, std::forward<Args>(args)...);
  }
  template <detail::LayerCarry Carry, class... Args>
  auto scan(const InAxes& in_axes, const Carry& init, Args&&... args) const {
    return run<true>("scan", detail::CallLayer{}, in_axes, init, std::forward<Args>(args)...);
  }
  template <class F>
  auto fold_via(F fn, InAxes in_axes = strata::none) const {
    return [
      self = *this, fn = std::move(fn), in_axes = std::move(in_axes)
    ]<detail::LayerCarry Carry, class... Args>(const Carry& init, Args&&... args)
        ->Carry {
      return self.template run<false>("fold_via", fn, in_axes, init, std::forward<Args>(args)...)
          .first;
    };
  }
  template <class F>
  auto scan_via(F fn, InAxes in_axes = strata::none) const {
    return [
      self = *this, fn = std::move(fn), in_axes = std::move(in_axes)
    ]<detail::LayerCarry Carry, class... Args>(const Carry& init, Args&&... args) {
      return self.template run<true>("scan_via", fn, in_axes, init, std::forward<Args>(args)...);
    };
  }
  // fn(layer, args...) for each layer; the outputs stacked along out_axes (an int).
  template <class F>
  auto vmap_via(F fn, InAxes in_axes = strata::none, AxisSpec out_axes = 0) const {
    return [self = *this, fn = std::move(fn), in_axes = std::move(in_axes),
            out_axes = std::move(out_axes)]<class... Args>(Args&&... args) {
      const std::string api = "nn.Sequential.vmap_via";
      if (out_axes.kind() != AxisSpec::Kind::Axis) {
        fail(api, "out_axes must be an int for the unrolled stack (found ", out_axes.to_string(),
             "): its outputs are stacked per layer; use nn::Stacked / ArrayStacked::vmap_via for "
             "outputs shared by the layers");
      }
      auto per_layer = detail::per_layer_args(std::forward<Args>(args)...);
      per_layer.by_in_axes(api, in_axes, self.num_layers(),
                           detail::describe_layers(self.num_layers(), ""), false);
      using R = std::remove_cvref_t<decltype(per_layer.call(fn, {}, self.layers.front()))>;
      std::vector<R> outs;
      for (int64_t i = 0; i < self.num_layers(); ++i) {
        outs.push_back(
            per_layer.call(fn, per_layer.rows_of(i), self.layers[static_cast<size_t>(i)]));
      }
      return detail::stack_trees(api, outs, out_axes.axis());
    };
  }
  M get_layer(int64_t index) const {
    return layers[static_cast<size_t>(
        detail::layer_index("nn.Sequential.get_layer", index, num_layers()))];
  }
  std::vector<M> unstacked() const { return layers; }

  STRATA_TREE_MEMBERS(layers)

 private:
  // Layer after layer; each layer in st::checkpoint when the policy recomputes internals.
  template <bool WithYs, class F, class Carry, class... Args>
  auto run(const char* method, const F& fn, const InAxes& in_axes, const Carry& init,
           Args&&... args) const {
    const std::string where = std::string("nn.Sequential.") + method;
    auto per_layer = detail::per_layer_args(std::forward<Args>(args)...);
    per_layer.by_in_axes(where, in_axes, num_layers(), detail::describe_layers(num_layers(), ""),
                         true);
    auto step = [&](const M& layer, const Carry& carry, const std::vector<Array>& rows) {
      return detail::layer_step<WithYs>(where, carry, per_layer.call(fn, rows, layer, carry));
    };
    using Step = decltype(step(layers.front(), init, {}));
    using Y = typename Step::second_type;
    const bool remat = checkpoint_.save != CheckpointPolicy::Save::Everything &&
                       !checkpoint_.nested_blocks && !checkpoint_.memory_budget;
    Carry carry = init;
    std::vector<Y> ys;
    for (size_t i = 0; i < layers.size(); ++i) {
      const std::vector<Array> rows = per_layer.rows_of(static_cast<int64_t>(i));
      Step out = remat ? strata::checkpoint(step, checkpoint_)(layers[i], carry, rows)
                       : step(layers[i], carry, rows);
      carry = std::move(out.first);
      if constexpr (WithYs) ys.push_back(std::move(out.second));
    }
    if constexpr (WithYs) {
      return std::pair<Carry, Y>{std::move(carry), detail::stack_trees(where, ys, 0)};
    } else {
      return std::pair<Carry, None>{std::move(carry), None{}};
    }
  }

  CheckpointPolicy checkpoint_;
};

}  // namespace strata::nn
