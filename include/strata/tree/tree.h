// strata::tree — pytrees: nested containers and structs whose leaves are strata::Array.
//
// Nodes: Array (a leaf; an empty Array is still a leaf), strata::None (no leaves), std::pair,
// std::tuple, std::array<T, N>, std::vector<T>, std::map<std::string, T> (key order),
// std::optional<T> (nullopt is None, an engaged optional is its value), and user structs that
// name their tree fields once:
//
//   struct Block { Array weight, bias; int heads = 4; };
//   STRATA_TREE(Block, weight, bias)        // at namespace scope, in Block's namespace
//
//   template <class M> struct Stacked {
//     M layers; int length = 0;
//     STRATA_TREE_MEMBERS(layers)             // inside a class (template) body, public section
//   };
//
// Members not named (`heads`, `length`) are static data: they are not leaves, and
// tree::unflatten / tree::map keep them (from the flattened value / from tree 0).
//
// Key paths name each leaf: field or map key -> `name` (joined with '.'), index -> `[i]`:
// `layers[3].weight`, `params.a`; the root leaf's path is empty (shown as `<root>`).
//
//   auto [leaves, def] = tree::flatten(x);         // leaves in order, TreeDef
//   X y = tree::unflatten<X>(def, new_leaves);       // same structure and static data as x
//   X z = tree::map([](const Array& a, const Array& b) { ... }, x, y);
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/core/array.h"
#include "strata/core/error.h"
#include "strata/tree/treedef.h"

namespace strata::tree {
namespace detail {

// ---------------------------------------------------------------- struct field lists
template <class... Ps>
struct Fields {
  std::string_view type_name;
  std::tuple<Ps...> members;  // (name, member pointer) pairs
};
template <class... Ps>
Fields<Ps...> make_fields(std::string_view type_name, Ps... members) {
  return {type_name, std::tuple<Ps...>(members...)};
}
template <class C, class M>
std::pair<std::string_view, M C::*> field(std::string_view name, M C::*member) {
  return {name, member};
}

// ---------------------------------------------------------------- node classification
template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};
template <class T>
struct is_tuple : std::false_type {};
template <class... Ts>
struct is_tuple<std::tuple<Ts...>> : std::true_type {};
template <class T>
struct is_std_array : std::false_type {};
template <class T, size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class V, class C, class A>
struct is_string_map<std::map<std::string, V, C, A>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
concept MemberStruct = requires(const T& x) {
  x.strata_tree_members();
};
template <class T>
concept AdlStruct = requires(const T* p) {
  strata_tree_fields(p);
};
template <class T>
concept TreeStruct = std::is_class_v<T> &&(MemberStruct<T> || AdlStruct<T>);

template <class T>
constexpr Kind kind_of() {
  if constexpr (std::is_same_v<T, Array>)
    return Kind::Leaf;
  else if constexpr (std::is_same_v<T, None>)
    return Kind::None;
  else if constexpr (is_pair<T>::value)
    return Kind::Pair;
  else if constexpr (is_tuple<T>::value)
    return Kind::Tuple;
  else if constexpr (is_std_array<T>::value)
    return Kind::FixedArray;
  else if constexpr (is_vector<T>::value)
    return Kind::Vector;
  else if constexpr (is_string_map<T>::value)
    return Kind::Map;
  else
    return Kind::Struct;
}

template <class T>
constexpr bool is_node_v =
    std::is_same_v<T, Array> || std::is_same_v<T, None> || is_pair<T>::value ||
    is_tuple<T>::value || is_std_array<T>::value || is_vector<T>::value ||
    is_string_map<T>::value || is_optional<T>::value || TreeStruct<T>;

template <class T>
constexpr void check_node() {
  static_assert(is_node_v<T>,
                "strata::tree: this type is not a pytree node. Nodes are strata::Array, "
                "strata::None, std::pair, std::tuple, std::array, std::vector, "
                "std::map<std::string, T>, std::optional, and structs whose fields are named with "
                "STRATA_TREE(Type, fields...) at namespace scope or STRATA_TREE_MEMBERS(fields...) "
                "in the public part of the class body.");
}

template <class T>
auto fields_of(const T& x) {
  if constexpr (MemberStruct<T>) {
    return x.strata_tree_members();
  } else {
    return strata_tree_fields(static_cast<const T*>(nullptr));
  }
}

// ---------------------------------------------------------------- generic traversal
struct Key {
  bool is_index;
  size_t index;
  std::string_view name;
};
inline void append_key(std::string& path, const Key& k) {
  if (k.is_index) {
    append_index(path, k.index);
  } else {
    append_name(path, k.name);
  }
}

// Calls fn(Key, child) for each direct child of a container or struct node, in leaf order.
// X may be const.
template <class X, class Fn>
void for_children(X& x, Fn&& fn) {
  using T = std::remove_const_t<X>;
  if constexpr (is_pair<T>::value) {
    fn(Key{true, 0, {}}, x.first);
    fn(Key{true, 1, {}}, x.second);
  } else if constexpr (is_tuple<T>::value) {
    [&]<size_t... I>(std::index_sequence<I...>) {
      (fn(Key{true, I, {}}, std::get<I>(x)), ...);
    }
    (std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (is_std_array<T>::value || is_vector<T>::value) {
    for (size_t i = 0; i < x.size(); ++i) fn(Key{true, i, {}}, x[i]);
  } else if constexpr (is_string_map<T>::value) {
    for (auto& [key, value] : x) fn(Key{false, 0, key}, value);
  } else if constexpr (TreeStruct<T>) {
    const auto fields = fields_of(static_cast<const T&>(x));
    std::apply(
        [&](const auto&... f) {
          (fn(Key{false, 0, f.first}, x.*(f.second)), ...);
        },
        fields.members);
  } else {
    check_node<T>();
  }
}

// Calls f(path, leaf) for every leaf (Array, const if X is) in order.  The path is built only
// when WithPath; otherwise it stays empty.
template <bool WithPath, class X, class F>
void visit(X& x, std::string& path, F& f) {
  using T = std::remove_const_t<X>;
  check_node<T>();
  if constexpr (std::is_same_v<T, Array>) {
    f(static_cast<const std::string&>(path), x);
  } else if constexpr (std::is_same_v<T, None>) {
    // no leaves
  } else if constexpr (is_optional<T>::value) {
    if (x.has_value()) visit<WithPath>(*x, path, f);
  } else {
    for_children(x, [&](const Key& key, auto& child) {
      if constexpr (WithPath) {
        const size_t size = path.size();
        append_key(path, key);
        visit<WithPath>(child, path, f);
        path.resize(size);
      } else {
        visit<WithPath>(child, path, f);
      }
    });
  }
}

template <bool WithPath, class X, class F>
void visit(X& x, F&& f) {
  std::string path;
  visit<WithPath>(x, path, f);
}

template <class T>
Node build_node(const T& x) {
  check_node<T>();
  if constexpr (is_optional<T>::value) {
    return x.has_value() ? build_node(*x) : Node{};
  } else {
    Node n;
    n.kind = kind_of<T>();
    if constexpr (std::is_same_v<T, Array>) {
      n.num_leaves = 1;
    } else if constexpr (!std::is_same_v<T, None>) {
      if constexpr (is_vector<T>::value) n.children.reserve(x.size());
      for_children(x, [&](const Key& key, const auto& child) {
        n.children.push_back(build_node(child));
        n.num_leaves += n.children.back().num_leaves;
        if (!key.is_index) n.keys.emplace_back(key.name);
      });
      if constexpr (TreeStruct<T>) {
        n.type = typeid(T);
        n.type_name = fields_of(x).type_name;
      }
    }
    return n;
  }
}

struct TreeDefAccess {
  static void set_value(TreeDef& def, std::shared_ptr<const void> prototype,
                        const std::type_info* type) {
    def.prototype_ = std::move(prototype);
    def.type_ = type;
  }
  static const void* prototype(const TreeDef& def) { return def.prototype_.get(); }
};

template <bool WithPath, class F, class T, class... Rest>
T map_impl(std::string_view api, F& f, const T& x, const Rest&... rest) {
  constexpr size_t kRest = sizeof...(Rest);
  std::array<std::vector<Array>, kRest> rest_leaves;
  if constexpr (kRest > 0) {
    const TreeDef def(build_node(x));
    size_t i = 0;
    auto check = [&](const auto& other) {
      const TreeDef other_def(build_node(other));
      ++i;
      check_same_structure(def, other_def, api, "tree 0", "tree " + std::to_string(i));
      visit<false>(other,
                   [&](const std::string&, const Array& a) { rest_leaves[i - 1].push_back(a); });
    };
    (check(rest), ...);
  }
  T out = x;
  size_t k = 0;
  [&]<size_t... J>(std::index_sequence<J...>) {
    visit<WithPath>(out, [&](const std::string& path, Array& leaf) {
      if constexpr (WithPath) {
        leaf = f(path, static_cast<const Array&>(leaf),
                 static_cast<const Array&>(rest_leaves[J][k])...);
      } else {
        leaf = f(static_cast<const Array&>(leaf), static_cast<const Array&>(rest_leaves[J][k])...);
      }
      ++k;
    });
  }
  (std::make_index_sequence<kRest>{});
  return out;
}

}  // namespace detail

// ---------------------------------------------------------------- public API

// The leaves of x, in order: struct fields in declaration order, maps in key order, sequences by
// index.
template <class T>
std::vector<Array> leaves(const T& x) {
  std::vector<Array> out;
  detail::visit<false>(x, [&](const std::string&, const Array& a) { out.push_back(a); });
  return out;
}

template <class T>
size_t num_leaves(const T& x) {
  size_t n = 0;
  detail::visit<false>(x, [&](const std::string&, const Array&) { ++n; });
  return n;
}

// The structure of x; keeps a leafless copy of x so tree::unflatten<T> can rebuild a T.
template <class T>
TreeDef structure(const T& x) {
  TreeDef def(detail::build_node(x));
  std::shared_ptr<const void> prototype;
  if constexpr (std::is_copy_constructible_v<T>) {
    auto copy = std::make_shared<T>(x);
    detail::visit<false>(*copy, [](const std::string&, Array& a) { a = Array(); });
    prototype = std::move(copy);
  }
  detail::TreeDefAccess::set_value(def, std::move(prototype), &typeid(T));
  return def;
}

template <class T>
std::pair<std::vector<Array>, TreeDef> flatten(const T& x) {
  return {leaves(x), structure(x)};
}

// (key path, leaf) for every leaf, in leaf order.
template <class T>
std::vector<std::pair<std::string, Array>> leaves_with_path(const T& x) {
  std::vector<std::pair<std::string, Array>> out;
  detail::visit<true>(x,
                      [&](const std::string& path, const Array& a) { out.emplace_back(path, a); });
  return out;
}

template <class T>
std::vector<std::string> paths(const T& x) {
  std::vector<std::string> out;
  detail::visit<true>(x, [&](const std::string& path, const Array&) { out.push_back(path); });
  return out;
}

// Rebuilds a T from a TreeDef made by flattening a T and one Array per leaf (in leaf order).
// Static members and container sizes come from the flattened value.
template <class T>
T unflatten(const TreeDef& def, std::vector<Array> leaves) {
  static_assert(std::is_copy_constructible_v<T>, "strata::tree::unflatten needs a copyable type");
  detail::check_node<T>();
  constexpr std::string_view api = "tree.unflatten";
  if (def.value_type() == nullptr || !def.has_prototype()) {
    fail(api, "this TreeDef", detail::brief(def),
         " holds no value to rebuild from (it was not made by tree::flatten or tree::structure); "
         "make it with tree::structure(x) where x is a ",
         detail::type_name<T>());
  }
  if (*def.value_type() != typeid(T)) {
    fail(api, "the TreeDef was made by flattening a ", def.value_type_name(),
         ", but unflatten was asked for a ", detail::type_name<T>(),
         "; unflatten to the type that was flattened");
  }
  if (leaves.size() != def.num_leaves()) {
    fail(api, "expected ", def.num_leaves(), " leaves for the structure", detail::brief(def),
         ", found ", leaves.size(), "; pass exactly one Array per leaf, in tree::leaves order");
  }
  T out = *static_cast<const T*>(detail::TreeDefAccess::prototype(def));
  size_t k = 0;
  detail::visit<false>(out, [&](const std::string&, Array& a) { a = std::move(leaves[k++]); });
  return out;
}

// Applies f(const Array& leaf0, const Array& leaf1...) -> Array leaf-wise over trees of the same
// structure; the result has x's type, structure and static members.  A structure mismatch
// throws strata::Error naming the first difference and its key path.
template <class F, class T, class... Rest>
T map(F&& f, const T& x, const Rest&... rest) {
  static_assert(
      std::is_convertible_v<
          std::invoke_result_t<F&, const Array&, std::conditional_t<true, const Array&, Rest>...>,
          Array>,
      "strata::tree::map: f(const Array&...) must return an Array");
  return detail::map_impl<false>("tree.map", f, x, rest...);
}

// As map, with f(const std::string& path, const Array& leaf0, ...) -> Array.
template <class F, class T, class... Rest>
T map_with_path(F&& f, const T& x, const Rest&... rest) {
  static_assert(
      std::is_convertible_v<std::invoke_result_t<F&, const std::string&, const Array&,
                                                 std::conditional_t<true, const Array&, Rest>...>,
                            Array>,
      "strata::tree::map_with_path: f(path, const Array&...) must return an Array");
  return detail::map_impl<true>("tree.map_with_path", f, x, rest...);
}

// Calls f(const Array&) for every leaf, in order.
template <class F, class T>
void for_each(F&& f, const T& x) {
  detail::visit<false>(x, [&](const std::string&, const Array& a) { f(a); });
}

// Calls f(const std::string& path, const Array&) for every leaf, in order.
template <class F, class T>
void for_each_with_path(F&& f, const T& x) {
  detail::visit<true>(x, [&](const std::string& path, const Array& a) { f(path, a); });
}

}  // namespace strata::tree

// ---------------------------------------------------------------- field declaration macros
// STRATA_TREE_DETAIL_FOR_EACH(m, ctx, a, b, ...) expands to m(ctx, a) m(ctx, b) ...  for up to 64
// arguments (each STRATA_TREE_DETAIL_EXPAND rescan peels one).
#define STRATA_TREE_DETAIL_PARENS ()
#define STRATA_TREE_DETAIL_EXPAND(...)                   \
  STRATA_TREE_DETAIL_EXPAND3(STRATA_TREE_DETAIL_EXPAND3( \
      STRATA_TREE_DETAIL_EXPAND3(STRATA_TREE_DETAIL_EXPAND3(__VA_ARGS__))))
#define STRATA_TREE_DETAIL_EXPAND3(...)                  \
  STRATA_TREE_DETAIL_EXPAND2(STRATA_TREE_DETAIL_EXPAND2( \
      STRATA_TREE_DETAIL_EXPAND2(STRATA_TREE_DETAIL_EXPAND2(__VA_ARGS__))))
#define STRATA_TREE_DETAIL_EXPAND2(...)                  \
  STRATA_TREE_DETAIL_EXPAND1(STRATA_TREE_DETAIL_EXPAND1( \
      STRATA_TREE_DETAIL_EXPAND1(STRATA_TREE_DETAIL_EXPAND1(__VA_ARGS__))))
#define STRATA_TREE_DETAIL_EXPAND1(...) __VA_ARGS__
#define STRATA_TREE_DETAIL_FOR_EACH(m, ctx, ...) \
  __VA_OPT__(STRATA_TREE_DETAIL_EXPAND(STRATA_TREE_DETAIL_FOR_EACH_STEP(m, ctx, __VA_ARGS__)))
#define STRATA_TREE_DETAIL_FOR_EACH_STEP(m, ctx, first, ...) \
  m(ctx, first)                                              \
      __VA_OPT__(STRATA_TREE_DETAIL_FOR_EACH_AGAIN STRATA_TREE_DETAIL_PARENS(m, ctx, __VA_ARGS__))
#define STRATA_TREE_DETAIL_FOR_EACH_AGAIN() STRATA_TREE_DETAIL_FOR_EACH_STEP
#define STRATA_TREE_DETAIL_FIELD(Type, name) , ::strata::tree::detail::field(#name, &Type::name)

// Names the tree fields of struct `Type` (at namespace scope, in Type's namespace; found by ADL).
#define STRATA_TREE(Type, ...)                                                           \
  inline auto strata_tree_fields(const Type*) {                                          \
    return ::strata::tree::detail::make_fields(                                          \
        #Type STRATA_TREE_DETAIL_FOR_EACH(STRATA_TREE_DETAIL_FIELD, Type, __VA_ARGS__)); \
  }

// Names the tree fields from inside a class or class template body (put it in a public section).
#define STRATA_TREE_MEMBERS(...)                                                                 \
  auto strata_tree_members() const {                                                             \
    using StrataTreeSelf = std::remove_cvref_t<decltype(*this)>;                                 \
    return ::strata::tree::detail::make_fields(                                                  \
        ::strata::tree::detail::type_name<StrataTreeSelf>()                                      \
            STRATA_TREE_DETAIL_FOR_EACH(STRATA_TREE_DETAIL_FIELD, StrataTreeSelf, __VA_ARGS__)); \
  }
