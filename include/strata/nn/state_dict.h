// strata::nn state dicts: a model's arrays under per-layer key paths, the layout checkpoints use.
//
// nn::state(model) names a stack's arrays once, with their leading layer axis
// (`blocks.layers.mlp.fc1.kernel`, shape (L, 64, 256)).  A state dict names each layer
// (`blocks.0.mlp.fc1.kernel` ... `blocks.{L-1}.mlp.fc1.kernel`, shape (64, 256)) — Haliax's
// `to_state_dict` convention, and PyTorch's: the stack's own field name (`layers`) is dropped and
// list elements are `.i`, so a checkpoint does not depend on whether the blocks were stacked
// (nn::Stacked, nn::ArrayStacked: one scan) or unrolled (nn::Sequential, a std::vector of blocks):
//
//   io::save_safetensors("model.safetensors", nn::state_dict(model));
//   Model fresh(config, rngs);                      // the structure, with any values
//   fresh = nn::load_state_dict(fresh, io::load_safetensors("model.safetensors"));
//
// The per-layer arrays of a state dict are views of the stacked arrays (no copies);
// load_state_dict stacks them back.  unstack_state / stack_state convert one prefix of an
// nn::State between the two layouts, and tree_state / load_tree_state save any pytree (an
// optimiser state, an nn::Rngs) by its tree key paths.
#pragma once

#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "strata/nn/sequential.h"
#include "strata/nn/stacked.h"
#include "strata/nn/variable.h"
#include "strata/ops.h"
#include "strata/tree/tree.h"

namespace strata::nn {

// Every key `prefix.rest` (and `prefix` itself) of s whose leading axis has size L becomes L keys
// `prefix.{i}.rest` holding slice i (views); other keys pass through.  All keys under the prefix
// must share the leading size L; none under it, or an array without axes, is an error.
State unstack_state(const State& s, const std::string& prefix);

// The inverse: keys `prefix.{i}.rest` (i = 0..L-1, decimal without leading zeros) become one key
// `prefix.rest` stacking the L slices.  Every rest must have every index from 0 to L-1 once, with
// equal shapes and dtypes; an error names the offending keys (gaps, duplicates, shapes, keys under
// the prefix that are not per-layer).
State stack_state(const State& s, const std::string& prefix);

namespace detail {

template <class T>
struct is_sequential : std::false_type {};
template <class M>
struct is_sequential<Sequential<M>> : std::true_type {};

template <class T>
concept StackNode = requires(const T& x) {
  x.layers;
  x.num_layers();
}
&&std::is_base_of_v<StackedLayers<std::remove_cvref_t<decltype(std::declval<T&>().layers)>>, T>;

// A key path with a placeholder (kLayerSlot) for each enclosing stack's layer index.
inline constexpr char kLayerSlot = '\x01';

inline void append_piece(std::string& path, std::string_view piece) {
  if (!path.empty()) path += '.';
  path += piece;
}

// Calls f(path_template, stack_sizes, kind, array) for every array of x: the template holds one
// kLayerSlot per enclosing stack, outermost first, and the array's leading axes are those
// stacks' layer axes.
template <class X, class F>
void walk_dict(X& x, std::string& path, std::vector<int64_t>& stacks, F& f) {
  using T = std::remove_const_t<X>;
  const size_t size = path.size();
  if constexpr (is_variable<T>::value) {
    f(static_cast<const std::string&>(path), static_cast<const std::vector<int64_t>&>(stacks),
      T::kind, x.value);
  } else if constexpr (std::is_same_v<T, Array>) {
    f(static_cast<const std::string&>(path), static_cast<const std::vector<int64_t>&>(stacks),
      Kind::Plain, x);
  } else if constexpr (std::is_same_v<T, None>) {
    // no arrays
  } else if constexpr (tree::detail::is_optional<T>::value) {
    if (x.has_value()) walk_dict(*x, path, stacks, f);
  } else if constexpr (StackNode<T>) {
    // The stack's field name is dropped; its layer index takes its place.
    append_piece(path, std::string_view(&kLayerSlot, 1));
    stacks.push_back(x.num_layers());
    walk_dict(x.layers, path, stacks, f);
    stacks.pop_back();
    path.resize(size);
  } else if constexpr (is_sequential<T>::value) {
    walk_dict(x.layers, path, stacks, f);  // unrolled: `P.{i}` straight from the vector
  } else {
    tree::detail::for_children(x, [&](const tree::detail::Key& key, auto& child) {
      append_piece(path, key.is_index ? std::to_string(key.index) : std::string(key.name));
      walk_dict(child, path, stacks, f);
      path.resize(size);
    });
  }
}

// The key of layer indices `index` (row-major over `stacks`) of a template.
std::string fill_layer_slots(const std::string& path_template, const std::vector<int64_t>& stacks,
                             int64_t index);

// Collects what a strict load found wrong, then reports it all in one error.
class StrictLoad {
 public:
  StrictLoad(const char* api, const State& s) : api_(api), s_(s) {}
  // The array under `key` if it has `shape` and `dtype`; else records why and returns nullptr.
  const Array* take(const std::string& key, const Shape& shape, DType dtype);
  // "[api] ..." listing every missing, unexpected and mismatched key, if there are any.
  void finish() const;

 private:
  const char* api_;
  const State& s_;
  std::set<std::string> used_;
  std::vector<std::string> missing_, mismatched_;
};

// The array of `shape` = stacks + per_layer made by stacking `parts` (row-major over stacks).
Array stack_layers(const std::vector<Array>& parts, const Shape& shape);

// A tree key path with list indices written as state dicts write them: `[1].mu` -> `1.mu`.
std::string dotted_path(const std::string& tree_path);
[[noreturn]] void duplicate_tree_key(const std::string& tree_path, const std::string& key);

}  // namespace detail

// The arrays of m by per-layer key path (see the top of this file).
template <class M>
State state_dict(const M& module) {
  State out;
  std::string path;
  std::vector<int64_t> stacks;
  auto add = [&](const std::string& tmpl, const std::vector<int64_t>& sizes, Kind, const Array& a) {
    int64_t count = 1;
    for (int64_t n : sizes) count *= n;
    for (int64_t i = 0; i < count; ++i) {
      Array part = a;
      for (size_t axis = 0, rest = static_cast<size_t>(i); axis < sizes.size(); ++axis) {
        int64_t stride = 1;
        for (size_t k = axis + 1; k < sizes.size(); ++k) stride *= sizes[k];
        part = part[static_cast<int64_t>(rest) / stride];
        rest %= static_cast<size_t>(stride);
      }
      out.emplace(detail::fill_layer_slots(tmpl, sizes, i), std::move(part));
    }
  };
  detail::walk_dict(module, path, stacks, add);
  return out;
}

// `like` with every array taken from s, a state dict of the same model (any values).  Strict:
// every key of `like`'s state dict must be in s with the same shape and dtype, and s must have no
// other key; otherwise one error lists every missing, unexpected and mismatched key.
template <class M>
M load_state_dict(const M& like, const State& s) {
  M out = like;
  detail::StrictLoad load("nn.load_state_dict", s);
  std::string path;
  std::vector<int64_t> stacks;
  auto set = [&](const std::string& tmpl, const std::vector<int64_t>& sizes, Kind, Array& leaf) {
    int64_t count = 1;
    for (int64_t n : sizes) count *= n;
    const Shape per_layer(leaf.shape().begin() + static_cast<std::ptrdiff_t>(sizes.size()),
                          leaf.shape().end());
    std::vector<Array> parts;
    for (int64_t i = 0; i < count; ++i) {
      if (const Array* a =
              load.take(detail::fill_layer_slots(tmpl, sizes, i), per_layer, leaf.dtype())) {
        parts.push_back(*a);
      }
    }
    if (static_cast<int64_t>(parts.size()) != count || count == 0) return;
    leaf = sizes.empty() ? parts[0] : detail::stack_layers(parts, leaf.shape());
  };
  detail::walk_dict(out, path, stacks, set);
  load.finish();
  return out;
}

// Every leaf of any pytree (an optimiser state, an nn::Rngs, a std::tuple of them) by its tree
// key path, indices as in state dicts (`mu.fc1.kernel`, `1.count`), for saving next to one.
template <class T>
State tree_state(const T& tree) {
  State out;
  for (auto& [path, leaf] : tree::leaves_with_path(tree)) {
    if (!leaf.valid()) continue;  // an empty handle has nothing to save
    if (!out.emplace(detail::dotted_path(path), leaf).second) {
      detail::duplicate_tree_key(path, detail::dotted_path(path));
    }
  }
  return out;
}

// `like` with every leaf taken from s, strictly as load_state_dict.
template <class T>
T load_tree_state(const T& like, const State& s) {
  auto [leaves, def] = tree::flatten(like);
  const std::vector<std::string> paths = tree::paths(like);
  detail::StrictLoad load("nn.load_tree_state", s);
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (!leaves[i].valid()) continue;
    if (const Array* a =
            load.take(detail::dotted_path(paths[i]), leaves[i].shape(), leaves[i].dtype())) {
      leaves[i] = *a;
    }
  }
  load.finish();
  return tree::unflatten<T>(def, std::move(leaves));
}

}  // namespace strata::nn
