// strata::scan and strata::fold: jax.lax.scan over pytrees, traced once whatever the length.
//
//   // seed 002: N dense layers held in one (N, d, d) array
//   Array y = st::fold([](Array y, Array w) { return st::matmul(w, y); }, x, weights);
//
//   // seed 004: a recurrence closing over W, no xs
//   auto [h, none] = st::scan([&](Array h, st::None) {
//     return std::pair{st::tanh(st::matmul(h, W)), st::None{}};
//   }, h0, st::None{}, {.length = T});
//
// scan(f, init, xs, options) -> (final carry, ys), with f(carry, x) -> std::pair{carry, y}:
//   - init / carry, xs / x, y / ys are pytrees (strata/tree/tree.h); every xs leaf has a leading
//     axis of the same size, the length, and x is one row of each; ys stack the y of every
//     iteration along a new leading axis.  xs = None{} needs options.length.  y = None{} gives no
//     ys.
//   - The body runs once, on traced arrays, to record a graph (in eager code too); the graph is
//     compiled once and applied `length` times.  Arrays the body closes over are captured as
//     the scan's constants.  A body without captures (a stateless lambda or function object) is
//     traced and compiled once per signature for the whole program, like a jitted function:
//     later calls reuse the graph, so such a body must not read arrays that change between calls
//     through globals (pass them as xs or capture them).  Capturing bodies are traced per call,
//     as JAX retraces a fresh closure.
//   - options.reverse walks the xs from the end (ys[i] still belongs to xs[i]); options.unroll = k
//     runs k bodies per loop trip (a remainder is handled; k >= length unrolls fully).
//   - The carry must keep its structure, shapes and dtypes: a mismatch is a strata::Error naming
//     the leaf's key path and both types.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "strata/checkpoint.h"
#include "strata/tree/tree.h"

namespace strata {

struct ScanOptions {
  std::optional<int64_t> length = std::nullopt;  // required when xs has no leaves
  bool reverse = false;
  int64_t unroll = 1;
  CheckpointPolicy checkpoint = {};  // what grad saves of each iteration (strata/checkpoint.h)
};

namespace detail {

struct ScanLeaves {
  std::vector<Array> init, xs;
  std::vector<std::string> init_paths, xs_paths;
  // A body without state (a captureless lambda or an empty function object) computes the same
  // graph for the same signature, so its traced scan is cached under its type (`body_type`) and
  // the init / xs structures; other bodies are traced on every call.
  const std::type_info* body_type = nullptr;
  tree::TreeDef init_def, xs_def;
};
// One traced application of the body: carry leaves and x leaves in; carry leaves, y leaves and
// the y structure out.
struct ScanBodyOut {
  std::vector<Array> carry, ys;
  tree::TreeDef y_def;
};
using ScanBodyFn = std::function<ScanBodyOut(std::vector<Array> carry, std::vector<Array> x)>;
struct ScanOut {
  std::vector<Array> carry, ys;
  tree::TreeDef y_def;
};
// Traces `body` once (or takes the cached trace) and binds the scan primitive.
ScanOut scan_leaves(const char* api, const ScanLeaves& leaves, const ScanBodyFn& body,
                    const ScanOptions& options);
// "[api] ..." for a body whose carry output structure differs from the carry input.
[[noreturn]] void carry_structure_error(const char* api, const tree::TreeDef& in,
                                        const tree::TreeDef& out);

template <class T>
struct is_std_pair : std::false_type {};
template <class A, class B>
struct is_std_pair<std::pair<A, B>> : std::true_type {};

template <class F>
const std::type_info* stateless_type() {
  using D = std::remove_cvref_t<F>;
  return std::is_empty_v<D> ? &typeid(D) : nullptr;
}

// scan with the cache key given: `body_type` names the body when it is stateless, else null;
// `api` names the caller in errors (scan or fold).
template <class F, class Carry, class Xs>
auto scan_keyed(const std::type_info* body_type, F&& f, const Carry& init, const Xs& xs,
                const ScanOptions& options, const char* api = "scan") {
  using Result = std::invoke_result_t<F&, const Carry&, const Xs&>;
  static_assert(detail::is_std_pair<std::remove_cvref_t<Result>>::value,
                "strata::scan: the body must return std::pair{new_carry, y} (use strata::None{} "
                "for no y, or strata::fold for a body that returns only the carry)");
  using CarryOut = std::remove_cvref_t<typename Result::first_type>;
  using Y = std::remove_cvref_t<typename Result::second_type>;
  static_assert(std::is_same_v<CarryOut, Carry>,
                "strata::scan: the body's new carry must have the type of init");
  ScanLeaves leaves;
  leaves.body_type = body_type;
  leaves.init_def = tree::structure(init);
  leaves.xs_def = tree::structure(xs);
  for (auto& [path, a] : tree::leaves_with_path(init)) {
    leaves.init_paths.push_back(path);
    leaves.init.push_back(a);
  }
  for (auto& [path, a] : tree::leaves_with_path(xs)) {
    leaves.xs_paths.push_back(path);
    leaves.xs.push_back(a);
  }
  ScanOut out = scan_leaves(
      api, leaves,
      [&](std::vector<Array> carry, std::vector<Array> x) {
        Result r = f(tree::unflatten<Carry>(leaves.init_def, std::move(carry)),
                     tree::unflatten<Xs>(leaves.xs_def, std::move(x)));
        const tree::TreeDef carry_def = tree::structure(r.first);
        if (!(carry_def == leaves.init_def)) {
          carry_structure_error(api, leaves.init_def, carry_def);
        }
        return ScanBodyOut{tree::leaves(r.first), tree::leaves(r.second),
                           tree::structure(r.second)};
      },
      options);
  return std::pair<Carry, Y>{tree::unflatten<Carry>(leaves.init_def, std::move(out.carry)),
                             tree::unflatten<Y>(out.y_def, std::move(out.ys))};
}

template <class F>
struct FoldBody {};  // the cache key of fold's wrapper around a stateless F

}  // namespace detail

template <class F, class Carry, class Xs>
auto scan(F&& f, const Carry& init, const Xs& xs, const ScanOptions& options = {}) {
  return detail::scan_keyed(detail::stateless_type<F>(), f, init, xs, options);
}

// fold(f, init, xs, options) -> final carry, with f(carry, x) -> carry: a scan without ys
// (seed 002's pattern).
template <class F, class Carry, class Xs>
Carry fold(F&& f, const Carry& init, const Xs& xs, const ScanOptions& options = {}) {
  using Result = std::remove_cvref_t<std::invoke_result_t<F&, const Carry&, const Xs&>>;
  static_assert(std::is_same_v<Result, Carry>,
                "strata::fold: the body must return the new carry, of the type of init");
  const std::type_info* body_type =
      detail::stateless_type<F>() ? &typeid(detail::FoldBody<std::remove_cvref_t<F>>) : nullptr;
  return detail::scan_keyed(
             body_type,
             [&](const Carry& c, const Xs& x) {
               return std::pair{f(c, x), None{}};
             },
             init, xs, options, "fold")
      .first;
}

}  // namespace strata
