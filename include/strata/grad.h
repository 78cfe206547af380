// Reverse-mode autodiff over pytrees: vjp, grad, value_and_grad, jvp, stop_gradient and
// checkpoint names (jax.vjp / jax.grad / jax.value_and_grad / jax.jvp / lax.stop_gradient /
// jax.ad_checkpoint.checkpoint_name).
//
//   auto loss = [](const Params& p, const Array& x) { return st::sum(st::square(model(p, x))); };
//   Params g = st::grad(loss)(params, x);                       // d loss / d params
//   auto [value, g01] = st::value_and_grad(loss, st::argnums<0, 1>)(params, x);
//   auto [y, pullback] = st::vjp(f, x, W);                     // pullback(ct_y) -> tuple
//   auto [loss_and_aux, g] = st::value_and_grad(f, st::has_aux)(p, x);   // f returns {loss, aux}
//
// f is traced once per call into a graph; its forward ops then run (eagerly, or recorded into
// an enclosing jit / scan trace) and the backward pass applies each primitive's vjp rule in
// reverse.  Everything composes: jit(grad(f)), grad(grad(f)), grad of a function containing a
// scan (whose backward is one reverse scan).  Gradients have the argument's tree structure.
// Only floating-point leaves can be differentiated: grad reports an integer or boolean leaf of a
// differentiated argument as an error naming its key path; vjp gives such leaves an empty Array
// ("no cotangent").
#pragma once

#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/checkpoint.h"
#include "strata/ops.h"
#include "strata/tree/flat_args.h"
#include "strata/tree/tree.h"

namespace strata {

// The argument positions grad differentiates with respect to (jax's argnums).
template <int... I>
struct Argnums {};
template <int... I>
inline constexpr Argnums<I...> argnums{};
// f returns std::pair{loss, aux}; grad returns {gradients, aux} (jax's has_aux=True).
struct HasAux {};
inline constexpr HasAux has_aux{};

// x, with no gradient flowing back through it.
Array stop_gradient(const Array& x);
// x, named for remat policies that save named values (save_only_these_names).
Array checkpoint_name(const Array& x, const std::string& name);

namespace detail {

struct VjpLeaves {
  std::vector<Array> outputs;
  // Output cotangents (invalid = zero) -> input cotangents (invalid = zero / not wanted).
  std::function<std::vector<Array>(const std::vector<Array>&)> pullback;
};
using GradLeafFn = std::function<std::vector<Array>(const std::vector<Array>&)>;
// Traces fn on `inputs`, runs its forward pass and returns the outputs and the pullback; `api`
// names the caller in errors.
VjpLeaves vjp_leaves(const std::vector<Array>& inputs, const std::vector<bool>& wanted,
                     const GradLeafFn& fn, const char* api = "grad");
// "[api] ..." unless every wanted leaf is floating point.
void check_differentiable(const char* api, const std::vector<Array>& leaves,
                          const std::vector<std::string>& paths, const std::vector<bool>& wanted);
// "[api] ..." unless `out` is a floating-point scalar.
void check_scalar_loss(const char* api, const Array& out);
// Forward mode on leaves: f's outputs and their tangents for input tangents (one per input;
// invalid where the input is held fixed).
std::pair<std::vector<Array>, std::vector<Array>> jvp_leaves(const std::vector<Array>& inputs,
                                                             const std::vector<Array>& tangents,
                                                             const GradLeafFn& fn);
// fn applied as one checkpoint op (see strata::checkpoint).
std::vector<Array> checkpoint_leaves(const std::vector<Array>& inputs,
                                     const CheckpointPolicy& policy, const GradLeafFn& fn);
// Zeros where a cotangent is a symbolic zero (grad returns arrays for every leaf).
std::vector<Array> instantiate_zeros(std::vector<Array> cts, const std::vector<Array>& like);

template <bool Aux, class F, int... I, class... Args>
auto value_and_grad_impl(const char* api, const F& f, const Args&... args) {
  using R = std::remove_cvref_t<std::invoke_result_t<const F&, const Args&...>>;
  using ArgTuple = std::tuple<Args...>;
  static_assert(sizeof...(I) > 0, "strata::grad: argnums needs at least one position");
  static_assert(((I >= 0 && I < static_cast<int>(sizeof...(Args))) && ...),
                "strata::grad: an argnums position is out of range for these arguments");
  if constexpr (Aux) {
    static_assert(std::is_same_v<std::remove_cvref_t<typename R::first_type>, Array>,
                  "strata::grad with has_aux: f must return std::pair{loss Array, aux}");
  } else {
    static_assert(std::is_same_v<R, Array>,
                  "strata::grad: f must return the loss as an Array (use has_aux to return "
                  "std::pair{loss, aux})");
  }
  const FlatArgs<Args...> flat(args...);
  std::vector<bool> wanted(flat.leaves.size(), false);
  for (int k : {I...}) {
    for (size_t j = flat.begin[static_cast<size_t>(k)]; j < flat.begin[static_cast<size_t>(k) + 1];
         ++j) {
      wanted[j] = true;
    }
  }
  check_differentiable(api, flat.leaves, flat.paths, wanted);
  tree::TreeDef aux_def;
  const auto record = [&](const std::vector<Array>& traced) {
    R r = std::apply(f, flat.unflatten(traced));
    if constexpr (Aux) {
      aux_def = tree::structure(r.second);
      std::vector<Array> out{r.first};
      for (Array& a : tree::leaves(r.second)) out.push_back(std::move(a));
      return out;
    } else {
      return std::vector<Array>{r};
    }
  };
  VjpLeaves v = vjp_leaves(flat.leaves, wanted, record, api);
  check_scalar_loss(api, v.outputs[0]);
  std::vector<Array> out_cts(v.outputs.size());
  out_cts[0] = ones_like(v.outputs[0]);
  const std::vector<Array> cts = instantiate_zeros(v.pullback(out_cts), flat.leaves);
  auto grads =
      std::make_tuple(flat.template argument<I, std::tuple_element_t<I, ArgTuple>>(cts)...);
  auto grad_value = [&] {
    if constexpr (sizeof...(I) == 1) {
      return std::get<0>(std::move(grads));
    } else {
      return grads;
    }
  }();
  if constexpr (Aux) {
    using AuxT = std::remove_cvref_t<typename R::second_type>;
    AuxT aux =
        tree::unflatten<AuxT>(aux_def, std::vector<Array>(v.outputs.begin() + 1, v.outputs.end()));
    return std::pair{std::pair{v.outputs[0], std::move(aux)}, std::move(grad_value)};
  } else {
    return std::pair{v.outputs[0], std::move(grad_value)};
  }
}

template <bool Value, bool Aux, class F, int... I>
struct GradFn {
  F f;
  template <class... Args>
  auto operator()(const Args&... args) const {
    const char* api = Value ? "value_and_grad" : "grad";
    auto result = value_and_grad_impl<Aux, F, I...>(api, f, args...);
    if constexpr (Value) {
      return result;
    } else if constexpr (Aux) {
      return std::pair{std::move(result.second), std::move(result.first.second)};
    } else {
      return std::move(result.second);
    }
  }
};

}  // namespace detail

// grad(f)(args...) -> d f / d args[0]; with argnums<i, j, ...> a tuple of gradients; with has_aux
// {gradients, aux}.  f returns a floating-point scalar Array.
template <class F>
auto grad(F f) {
  return detail::GradFn<false, false, F, 0>{std::move(f)};
}
template <class F, int... I>
auto grad(F f, Argnums<I...>) {
  return detail::GradFn<false, false, F, I...>{std::move(f)};
}
template <class F>
auto grad(F f, HasAux) {
  return detail::GradFn<false, true, F, 0>{std::move(f)};
}
template <class F, int... I>
auto grad(F f, Argnums<I...>, HasAux) {
  return detail::GradFn<false, true, F, I...>{std::move(f)};
}
// value_and_grad(f)(args...) -> {value, gradients}; with has_aux {{value, aux}, gradients}.
template <class F>
auto value_and_grad(F f) {
  return detail::GradFn<true, false, F, 0>{std::move(f)};
}
template <class F, int... I>
auto value_and_grad(F f, Argnums<I...>) {
  return detail::GradFn<true, false, F, I...>{std::move(f)};
}
template <class F>
auto value_and_grad(F f, HasAux) {
  return detail::GradFn<true, true, F, 0>{std::move(f)};
}
template <class F, int... I>
auto value_and_grad(F f, Argnums<I...>, HasAux) {
  return detail::GradFn<true, true, F, I...>{std::move(f)};
}

// checkpoint(f, policy) -> a function computing f whose internals are recomputed in the
// backward pass instead of stored (jax.checkpoint / jax.remat), except what `policy` saves:
// carries_only() (the default: only f's inputs are kept, as jax.checkpoint's default) or
// save_names({...}) for values marked with checkpoint_name; save_all() keeps everything.  The
// loop schedules (nested, budget) belong to scan (ScanOptions::checkpoint).
template <class F>
auto checkpoint(F f, CheckpointPolicy policy = CheckpointPolicy::carries_only()) {
  return [f = std::move(f), policy](const auto&... args) {
    using R = std::remove_cvref_t<std::invoke_result_t<const F&, decltype(args)...>>;
    const detail::FlatArgs<std::remove_cvref_t<decltype(args)>...> flat(args...);
    tree::TreeDef out_def;
    std::vector<Array> out =
        detail::checkpoint_leaves(flat.leaves, policy, [&](const std::vector<Array>& t) {
          R r = std::apply(f, flat.unflatten(t));
          out_def = tree::structure(r);
          return tree::leaves(r);
        });
    return tree::unflatten<R>(out_def, std::move(out));
  };
}

// vjp(f, primals...) -> {f(primals...), pullback}; pullback(cotangent of the result, a tree
// like it) -> std::tuple of cotangents, one per primal, each with the primal's tree structure
// (integer and boolean leaves get an empty Array, floating-point leaves that do not influence
// the result get zeros).
template <class F, class... Args>
auto vjp(const F& f, const Args&... primals) {
  using R = std::remove_cvref_t<std::invoke_result_t<const F&, const Args&...>>;
  auto flat = std::make_shared<detail::FlatArgs<Args...>>(primals...);
  std::vector<bool> wanted(flat->leaves.size());
  for (size_t i = 0; i < wanted.size(); ++i) {
    wanted[i] = flat->leaves[i].valid() && is_floating(flat->leaves[i].dtype());
  }
  tree::TreeDef out_def;
  const auto record = [&](const std::vector<Array>& t) {
    R r = std::apply(f, flat->unflatten(t));
    out_def = tree::structure(r);
    return tree::leaves(r);
  };
  detail::VjpLeaves v = detail::vjp_leaves(flat->leaves, wanted, record, "vjp");
  R out = tree::unflatten<R>(out_def, v.outputs);
  auto pullback = [flat, out_def, wanted, pb = std::move(v.pullback)](const R& ct) {
    const tree::TreeDef ct_def = tree::structure(ct);
    if (!(ct_def == out_def)) {
      fail("vjp", "the cotangent must have the structure of f's result ", out_def.to_string(),
           ", found ", ct_def.to_string());
    }
    std::vector<Array> cts = pb(tree::leaves(ct));
    for (size_t i = 0; i < cts.size(); ++i) {
      if (wanted[i] && !cts[i].valid()) cts[i] = zeros_like(flat->leaves[i]);
    }
    return flat->unflatten(cts);
  };
  return std::pair{std::move(out), std::move(pullback)};
}

// jvp(f, primals, tangents) -> {f(primals...), J·tangents} (jax.jvp): `primals` and `tangents`
// are std::tuples of f's arguments, tangents with the primals' tree structure and types
// (integer and boolean leaves are ignored).  The tangent is computed as the transpose of f's
// pullback (the pullback is linear in the cotangent, and its vjp is J·v), so every primitive
// with a vjp rule, scan included, has a jvp; it costs about one forward and two backward
// passes.
template <class F, class... Args>
auto jvp(const F& f, const std::tuple<Args...>& primals, const std::tuple<Args...>& tangents) {
  using R = std::remove_cvref_t<std::invoke_result_t<const F&, const Args&...>>;
  const auto flat = std::apply(
      [](const auto&... a) { return detail::FlatArgs<std::remove_cvref_t<decltype(a)>...>(a...); },
      primals);
  const auto flat_t = std::apply(
      [](const auto&... a) { return detail::FlatArgs<std::remove_cvref_t<decltype(a)>...>(a...); },
      tangents);
  if (!(flat.defs == flat_t.defs)) {
    fail("jvp", "the tangents must have the structure of the primals");
  }
  tree::TreeDef out_def;
  auto [out, out_tangents] =
      detail::jvp_leaves(flat.leaves, flat_t.leaves, [&](const std::vector<Array>& t) {
        R r = std::apply(f, flat.unflatten(t));
        out_def = tree::structure(r);
        return tree::leaves(r);
      });
  return std::pair{tree::unflatten<R>(out_def, std::move(out)),
                   tree::unflatten<R>(out_def, std::move(out_tangents))};
}

}  // namespace strata
