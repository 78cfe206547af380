// strata::nn variables: telling parameters apart from other module state (NNX's Param and
// Variable kinds), and splitting a module into parameters and the rest (nnx.split / nnx.merge).
//
// Design.  A module's arrays are wrapped in a leaf type that carries its kind in the type:
// `nn::Param` (trainable), `nn::BatchStat` (running statistics), `nn::Cache` (decode caches and
// other mutable buffers), `nn::RngState` (an nn::Rngs stream's key and counter).  Each wrapper is
// a one-field pytree node (its field is `value`), so a module is an ordinary pytree: tree::map,
// jit, vmap and scan see every array, and tree key paths read `fc1.kernel.value`.  The kind is
// only needed when filtering, and nn::walk reports it.  Plain `Array` fields of a module have
// Kind::Plain.
//
// Filtering produces an `nn::State`: a map from the module-relative key path (without the
// trailing `.value`, e.g. `fc1.kernel`, `blocks[3].ln.scale`) to the array.  A State is itself a
// pytree, so `grad` differentiates it and the optimisers update it:
//
//   nn::Linear model(3, 4, rngs);
//   auto [params, rest] = nn::split(model);               // params: every nn::Param
//   auto loss = [&](const nn::State& p) {
//     return st::sum(st::square(nn::merge(model, p, rest)(x)));
//   };
//   nn::State g = st::grad(loss)(params);                 // gradients of parameters only
//   auto [updates, opt_state2] = opt.update(g, opt_state, params);   // see optim.h
//   params = optim::apply_updates(params, updates);
//   model = nn::merge(model, params, rest);               // or nn::update(model, params)
//
// Wrappers convert implicitly to `const Array&`, so `st::matmul(x, kernel)` works.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/core/array.h"
#include "strata/core/error.h"
#include "strata/tree/tree.h"

namespace strata::nn {

enum class Kind { Param, BatchStat, Cache, RngState, Plain };
const char* kind_name(Kind kind);

// A module array of kind K.
template <Kind K>
struct Variable {
  static constexpr Kind kind = K;
  Array value;

  Variable() = default;
  Variable(Array v) : value(std::move(v)) {}  // NOLINT: implicit, like nnx.Param(array)
  operator const Array&() const { return value; }
  const Shape& shape() const { return value.shape(); }
  DType dtype() const { return value.dtype(); }

  STRATA_TREE_MEMBERS(value)
};
using Param = Variable<Kind::Param>;
using BatchStat = Variable<Kind::BatchStat>;
using Cache = Variable<Kind::Cache>;
using RngState = Variable<Kind::RngState>;

// Arrays by module-relative key path (a pytree: a std::map<std::string, Array>).
using State = std::map<std::string, Array>;

// Which arrays a split keeps: a predicate on (path, kind).
struct Filter {
  std::function<bool(const std::string& path, Kind kind)> pred;
  bool operator()(const std::string& path, Kind kind) const { return pred(path, kind); }
  static Filter of_kind(Kind k) {
    return {[k](const std::string&, Kind kind) { return kind == k; }};
  }
  static Filter everything() {
    return {[](const std::string&, Kind) { return true; }};
  }
};
inline const Filter params_filter = Filter::of_kind(Kind::Param);

namespace detail {
template <class T>
struct is_variable : std::false_type {};
template <Kind K>
struct is_variable<Variable<K>> : std::true_type {};

template <class X, class F>
void walk(X& x, std::string& path, F& f) {
  using T = std::remove_const_t<X>;
  if constexpr (is_variable<T>::value) {
    f(static_cast<const std::string&>(path), T::kind, x.value);
  } else if constexpr (std::is_same_v<T, Array>) {
    f(static_cast<const std::string&>(path), Kind::Plain, x);
  } else if constexpr (std::is_same_v<T, None>) {
    // no arrays
  } else if constexpr (tree::detail::is_optional<T>::value) {
    if (x.has_value()) walk(*x, path, f);
  } else {
    tree::detail::for_children(x, [&](const tree::detail::Key& key, auto& child) {
      const size_t size = path.size();
      tree::detail::append_key(path, key);
      walk(child, path, f);
      path.resize(size);
    });
  }
}
[[noreturn]] void merge_missing(const std::string& path, Kind kind);
[[noreturn]] void merge_twice(const std::string& path);
// "[api] ..." unless the state's entry `got` can replace the module's array `want` (same shape and
// dtype, not empty).
void check_replacement(const char* api, const std::string& path, const Array& want,
                       const Array& got);
void merge_unused(const State& a, const State& b, const std::map<std::string, int>& used);
void update_unknown(const State& s, const std::map<std::string, int>& used);
void warn_if_identical_params(const std::vector<std::string>& paths,
                              const std::vector<Array>& params, int64_t num_layers,
                              const char* api);
void reset_identical_layers_warning();  // for tests: the next identical stack warns again
}  // namespace detail

// Calls f(path, kind, array) for every array of module m (array is `Array&` if m is mutable).
template <class M, class F>
void walk(M& m, F&& f) {
  std::string path;
  detail::walk(m, path, f);
}

// The arrays of m that pass `filter`, by key path.
template <class M>
State state(const M& m, const Filter& filter = Filter::everything()) {
  State out;
  walk(m, [&](const std::string& path, Kind kind, const Array& a) {
    if (filter(path, kind)) out.emplace(path, a);
  });
  return out;
}

// (arrays passing `filter`, all the others); by default (parameters, everything else).
template <class M>
std::pair<State, State> split(const M& m, const Filter& filter = params_filter) {
  std::pair<State, State> out;
  walk(m, [&](const std::string& path, Kind kind, const Array& a) {
    (filter(path, kind) ? out.first : out.second).emplace(path, a);
  });
  return out;
}

// m with every array taken from `a` or `b` (the two halves of a split, or one full state).  Each
// of m's paths must be in exactly one of them, with m's shape and dtype, and every entry of a and
// b must be used.
template <class M>
M merge(const M& m, const State& a, const State& b = {}) {
  M out = m;
  std::map<std::string, int> used;
  walk(out, [&](const std::string& path, Kind kind, Array& leaf) {
    auto it = a.find(path);
    const auto in_b = b.find(path);
    if (it == a.end()) {
      if (in_b == b.end()) detail::merge_missing(path, kind);
      it = in_b;
    } else if (in_b != b.end()) {
      detail::merge_twice(path);
    }
    detail::check_replacement("nn.merge", path, leaf, it->second);
    leaf = it->second;
    ++used[path];
  });
  detail::merge_unused(a, b, used);
  return out;
}

// m with the arrays named in s replaced (any subset of m's paths; an unknown path is an error).
template <class M>
M update(const M& m, const State& s) {
  M out = m;
  std::map<std::string, int> used;
  walk(out, [&](const std::string& path, Kind, Array& leaf) {
    auto it = s.find(path);
    if (it == s.end()) return;
    detail::check_replacement("nn.update", path, leaf, it->second);
    leaf = it->second;
    ++used[path];
  });
  detail::update_unknown(s, used);
  return out;
}

// Prints one warning per process to stderr, starting "[api] warning:", when num_layers > 1 and
// every nn::Param of `stacked` (a module whose arrays have a leading num_layers axis) is the
// same in every layer while at least one of them is not constant within a layer (equal zero or
// one biases are normal): the layers were built from one random key instead of split keys (seed
// 001's pitfall).  Traced (non-concrete) stacks are not checked.  Stacked / ArrayStacked init,
// nn::scan and the lifts call it; a user building a stack another way can too.
template <class M>
void warn_if_layers_identical(const M& stacked, int64_t num_layers, const char* api) {
  std::vector<std::string> paths;
  std::vector<Array> params;
  walk(stacked, [&](const std::string& path, Kind kind, const Array& a) {
    if (kind == Kind::Param) {
      paths.push_back(path);
      params.push_back(a);
    }
  });
  detail::warn_if_identical_params(paths, params, num_layers, api);
}

// Number of scalar parameters (elements of every nn::Param) in m.
template <class M>
int64_t count_params(const M& m) {
  int64_t n = 0;
  walk(m, [&](const std::string&, Kind kind, const Array& a) {
    if (kind == Kind::Param) n += a.size();
  });
  return n;
}

}  // namespace strata::nn
