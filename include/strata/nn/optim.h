// strata::optim — gradient transformations on pytrees (optax-like).
//
// An optimiser is a value with
//   State<P> init(const P& params)                                  -> state (arrays only)
//   std::pair<P, State<P>> update(const P& grads, const State<P>& state, const P& params)
// and optim::apply_updates(params, updates) adds the updates.  P is any pytree of arrays: an
// nn::State from nn::split (the usual case), a std::vector<Array>, a user struct.  The state
// holds trees with P's structure (Adam's mu and nu are P's; stacked [L, ...] params give stacked
// state) plus scalar arrays (the step count), so states are pytrees too and `update` runs
// eagerly or under jit (everything is computed with strata ops).  A grads / state / params
// structure mismatch throws "[optim.<name>]" naming the first differing key path.
//
//   auto opt = optim::chain(optim::clip_by_global_norm(1.0),
//                           optim::adamw(1e-3, {.weight_decay = 1e-2}));
//   auto [params, rest] = nn::split(model);
//   auto state = opt.init(params);
//   auto [loss, grads] = st::value_and_grad(loss_fn)(params);
//   auto [updates, new_state] = opt.update(grads, state, params);
//   params = optim::apply_updates(params, updates);
//   state = new_state;
//
// Formulas (t = step count after increment, lr the learning rate), as optax:
//   sgd:    m = g + momentum * m (only with momentum);
//           u = -lr * (nesterov ? g + momentum * m : m)          (u = -lr * g without momentum)
//   adam:   mu = b1 mu + (1-b1) g; nu = b2 nu + (1-b2) g^2;
//           u = -lr * (mu / (1 - b1^t)) / (sqrt(nu / (1 - b2^t) + eps_root) + eps)
//   adamw:  as adam, then u -= lr * weight_decay * params (decoupled decay)
//   clip_by_global_norm(c): n = sqrt(sum of all g^2); g = n < c ? g : g / n * c
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "strata/core/array.h"
#include "strata/core/error.h"
#include "strata/ops.h"
#include "strata/tree/tree.h"

namespace strata::optim {

namespace detail {
// "[api] ..." unless `b`'s leaves have the shapes (and, with `same_dtypes`, the dtypes) of `a`'s;
// lists every differing key path.  A gradient of the wrong shape would otherwise broadcast into
// the optimiser state and the parameters.
void check_leaves(std::string_view api, const std::vector<std::pair<std::string, Array>>& a,
                  const char* what_a, const std::vector<Array>& b, const char* what_b,
                  bool same_dtypes);
// "[api] ..." unless a and b have the same tree structure (names the first differing path) and
// leaves of the same shapes and dtypes (`same_dtypes` false: shapes only).
template <class A, class B>
void check_same(std::string_view api, const A& a, const char* what_a, const B& b,
                const char* what_b, bool same_dtypes = true) {
  tree::check_same_structure(tree::structure(a), tree::structure(b), api, what_a, what_b,
                             "pass trees with the structure of the params given to init");
  check_leaves(api, tree::leaves_with_path(a), what_a, tree::leaves(b), what_b, same_dtypes);
}
// sqrt(sum over all leaves of sum(x^2)) as a float32-or-wider scalar.
Array global_norm(const std::vector<Array>& leaves);
Array step_count_zero();
}  // namespace detail

// sum of squares of every leaf, square-rooted.
template <class P>
Array global_norm(const P& tree) {
  return detail::global_norm(tree::leaves(tree));
}

// params + updates, leaf by leaf (the result keeps the params' dtypes).
template <class P>
P apply_updates(const P& params, const P& updates) {
  detail::check_same("optim.apply_updates", params, "params", updates, "updates", false);
  return tree::map(
      [](const Array& p, const Array& u) {
        Array r = p + u;
        return r.dtype() == p.dtype() ? r : astype(r, p.dtype());
      },
      params, updates);
}

// ---------------------------------------------------------------- SGD
struct SgdOptions {
  double momentum = 0;  // 0: plain SGD (no state)
  bool nesterov = false;
};
template <class P>
struct SgdState {
  std::optional<P> trace;  // momentum buffer, absent without momentum
  STRATA_TREE_MEMBERS(trace)
};
struct Sgd {
  double learning_rate;
  SgdOptions options;
  template <class P>
  using State = SgdState<P>;

  template <class P>
  State<P> init(const P& params) const {
    State<P> s;
    if (options.momentum != 0)
      s.trace = tree::map([](const Array& p) { return zeros_like(p); }, params);
    return s;
  }
  template <class P>
  std::pair<P, State<P>> update(const P& grads, const State<P>& state, const P& params) const {
    detail::check_same("optim.sgd", params, "params", grads, "grads");
    const double lr = learning_rate, mu = options.momentum;
    if (mu == 0) {
      return {tree::map([lr](const Array& g) { return g * -lr; }, grads), state};
    }
    if (!state.trace)
      fail("optim.sgd", "the state has no momentum buffer; make it with this optimiser's init");
    detail::check_same("optim.sgd", params, "params", *state.trace, "state.trace");
    State<P> out;
    out.trace =
        tree::map([mu](const Array& g, const Array& t) { return g + mu * t; }, grads, *state.trace);
    P u = options.nesterov
              ? tree::map([mu, lr](const Array& g, const Array& t) { return (g + mu * t) * -lr; },
                          grads, *out.trace)
              : tree::map([lr](const Array& t) { return t * -lr; }, *out.trace);
    return {std::move(u), std::move(out)};
  }
};
inline Sgd sgd(double learning_rate, SgdOptions options = {}) {
  return {learning_rate, options};
}

// ---------------------------------------------------------------- Adam / AdamW
struct AdamOptions {
  double b1 = 0.9, b2 = 0.999, eps = 1e-8, eps_root = 0.0;
  double weight_decay = 0.0;  // decoupled (AdamW); adamw() defaults it to 1e-4 as optax
};
template <class P>
struct AdamState {
  Array count;  // int32 scalar: steps taken
  P mu, nu;
  STRATA_TREE_MEMBERS(count, mu, nu)
};
struct Adam {
  double learning_rate;
  AdamOptions options;
  const char* api = "optim.adam";
  template <class P>
  using State = AdamState<P>;

  template <class P>
  State<P> init(const P& params) const {
    auto z = tree::map([](const Array& p) { return zeros_like(p); }, params);
    return {detail::step_count_zero(), z, z};
  }
  template <class P>
  std::pair<P, State<P>> update(const P& grads, const State<P>& state, const P& params) const {
    detail::check_same(api, params, "params", grads, "grads");
    detail::check_same(api, params, "params", state.mu, "state.mu");
    detail::check_same(api, params, "params", state.nu, "state.nu");
    const AdamOptions o = options;
    const double lr = learning_rate;
    State<P> s;
    s.count = state.count + 1;
    s.mu = tree::map([&](const Array& g, const Array& m) { return o.b1 * m + (1 - o.b1) * g; },
                     grads, state.mu);
    s.nu =
        tree::map([&](const Array& g, const Array& v) { return o.b2 * v + (1 - o.b2) * square(g); },
                  grads, state.nu);
    P u = tree::map(
        [&](const Array& m, const Array& v, const Array& p) {
          // Bias corrections 1 - b^t in at least float32 (as optax: in bfloat16 b2 = 0.999
          // would round to 0.996 and t to a multiple of 2 past 256), then in the leaf's dtype.
          const DType d = m.dtype();
          const DType cd = promote_types(d, DType::Float32);
          const Array t = astype(s.count, cd);
          auto correction = [&](double b) {
            const Array c = 1.0 - pow(full({}, b, cd), t);
            return c.dtype() == d ? c : astype(c, d);
          };
          Array mhat = m / correction(o.b1), vhat = v / correction(o.b2);
          Array step = mhat / (sqrt(vhat + o.eps_root) + o.eps);
          if (o.weight_decay != 0) step = step + o.weight_decay * p;
          return step * -lr;
        },
        s.mu, s.nu, params);
    return {std::move(u), std::move(s)};
  }
};
inline Adam adam(double learning_rate, AdamOptions options = {}) {
  return {learning_rate, options, "optim.adam"};
}
inline Adam adamw(double learning_rate, AdamOptions options = {.weight_decay = 1e-4}) {
  return {learning_rate, options, "optim.adamw"};
}

// ---------------------------------------------------------------- clipping
struct ClipByGlobalNorm {
  double max_norm;
  template <class P>
  using State = None;

  template <class P>
  State<P> init(const P&) const {
    return {};
  }
  template <class P>
  std::pair<P, State<P>> update(const P& grads, const State<P>&, const P& params) const {
    detail::check_same("optim.clip_by_global_norm", params, "params", grads, "grads");
    const Array n = global_norm(grads);
    const Array keep = n < max_norm;
    P u = tree::map(
        [&](const Array& g) {
          const Array nd = astype(n, g.dtype());
          return where(keep, g, g / nd * max_norm);
        },
        grads);
    return {std::move(u), None{}};
  }
};
inline ClipByGlobalNorm clip_by_global_norm(double max_norm) {
  if (!(max_norm > 0)) fail("optim.clip_by_global_norm", "expected max_norm > 0, found ", max_norm);
  return {max_norm};
}

// ---------------------------------------------------------------- chain
// Applies each transformation to the previous one's output; the state is a tuple of states.
template <class... Ts>
struct Chain {
  std::tuple<Ts...> parts;
  template <class P>
  using State = std::tuple<typename Ts::template State<P>...>;

  template <class P>
  State<P> init(const P& params) const {
    return std::apply([&](const auto&... t) { return State<P>{t.init(params)...}; }, parts);
  }
  template <class P>
  std::pair<P, State<P>> update(const P& grads, const State<P>& state, const P& params) const {
    P u = grads;
    State<P> out;
    [&]<size_t... I>(std::index_sequence<I...>) {
      ((std::tie(u, std::get<I>(out)) = std::get<I>(parts).update(u, std::get<I>(state), params)),
       ...);
    }
    (std::index_sequence_for<Ts...>{});
    return {std::move(u), std::move(out)};
  }
};
template <class... Ts>
Chain<Ts...> chain(Ts... parts) {
  return {std::tuple<Ts...>(std::move(parts)...)};
}

}  // namespace strata::optim
