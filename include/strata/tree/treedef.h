// strata::tree::TreeDef — the structure of a pytree, without its leaves.
//
// A TreeDef is a tree of Nodes (kind, children, keys, struct type).  Two TreeDefs are equal when
// their node trees are: same kinds, same child counts, same map keys / field names, same struct
// types.  Leaf values, and non-leaf ("static") struct members, are not compared.  A TreeDef made by
// tree::flatten also keeps a copy of the flattened value with every leaf emptied (so it holds no
// array storage alive): tree::unflatten copies it and puts the new leaves in, which restores
// container sizes and static members.
//
// Included by strata/tree/tree.h; include that one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>

#include <cstdlib>
#define STRATA_TREE_HAS_CXXABI 1
#endif

#include "strata/core/error.h"

namespace strata {

// A pytree node with no leaves (like Python's None in a JAX pytree).
struct None {
  friend bool operator==(None, None) { return true; }
};

namespace tree {

enum class Kind : uint8_t {
  Leaf,        // strata::Array
  None,        // strata::None, or a disengaged std::optional
  Pair,        // std::pair
  Tuple,       // std::tuple
  FixedArray,  // std::array<T, N>
  Vector,      // std::vector<T>
  Map,         // std::map<std::string, T>, children in key order
  Struct,      // a user struct declared with STRATA_TREE / STRATA_TREE_MEMBERS
};

struct Node {
  Kind kind = Kind::None;
  size_t num_leaves = 0;                // in this subtree
  std::vector<std::string> keys;        // Map: the keys; Struct: the field names; else empty
  std::type_index type = typeid(void);  // Struct: the struct's type; else void
  std::string_view type_name;           // Struct: its name (static storage); else empty
  std::vector<Node> children;

  friend bool operator==(const Node& a, const Node& b) {
    return a.kind == b.kind && a.type == b.type && a.keys == b.keys && a.children == b.children;
  }
};

namespace detail {

inline std::string demangle(const char* mangled) {
#ifdef STRATA_TREE_HAS_CXXABI
  int status = 0;
  char* out = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  if (status == 0 && out != nullptr) {
    std::string name(out);
    std::free(out);
    return name;
  }
#endif
  return mangled;
}

// The readable name of T, computed once.
template <class T>
std::string_view type_name() {
  static const std::string name = demangle(typeid(T).name());
  return name;
}

// Appends one key to a key path: field / map key -> ".name" (no dot at the start), index -> "[i]".
inline void append_name(std::string& path, std::string_view name) {
  if (!path.empty()) path += '.';
  path += name;
}
inline void append_index(std::string& path, size_t index) {
  path += '[';
  path += std::to_string(index);
  path += ']';
}
inline void append_child(std::string& path, const Node& parent, size_t i) {
  if (parent.kind == Kind::Map || parent.kind == Kind::Struct) {
    append_name(path, parent.keys[i]);
  } else {
    append_index(path, i);
  }
}

struct TreeDefAccess;

}  // namespace detail

// How a key path is shown in messages: the root leaf's empty path is "<root>".
inline std::string display_path(std::string_view path) {
  return path.empty() ? std::string("<root>") : std::string(path);
}

class TreeDef {
 public:
  TreeDef() : root_(none_node()) {}  // the structure of strata::None: no leaves
  explicit TreeDef(Node root) : root_(std::make_shared<const Node>(std::move(root))) {}

  const Node& root() const { return *root_; }
  size_t num_leaves() const { return root_->num_leaves; }
  std::string to_string() const;           // e.g. "Block{weight: *, bias: *}"
  std::vector<std::string> paths() const;  // the key path of every leaf, in leaf order
  size_t hash() const;                     // consistent with operator==

  // Whether unflatten can rebuild a value (the TreeDef came from tree::flatten/structure of a
  // copyable type), and that value's C++ type.
  bool has_prototype() const { return prototype_ != nullptr; }
  const std::type_info* value_type() const { return type_; }
  std::string value_type_name() const {
    return type_ == nullptr ? std::string("(none)") : detail::demangle(type_->name());
  }

  friend bool operator==(const TreeDef& a, const TreeDef& b) {
    return a.root_ == b.root_ || *a.root_ == *b.root_;
  }

 private:
  friend struct detail::TreeDefAccess;
  static const std::shared_ptr<const Node>& none_node() {
    static const std::shared_ptr<const Node> none = std::make_shared<const Node>();
    return none;
  }
  std::shared_ptr<const Node> root_;
  std::shared_ptr<const void> prototype_;  // a T with every leaf emptied
  const std::type_info* type_ = nullptr;   // typeid(T) of the flattened value
};

inline std::ostream& operator<<(std::ostream& os, const TreeDef& def) {
  return os << def.to_string();
}

namespace detail {

inline void print_node(const Node& n, std::string& out) {
  auto children = [&](const char* open, const char* close, bool keyed) {
    out += open;
    for (size_t i = 0; i < n.children.size(); ++i) {
      if (i > 0) out += ", ";
      if (keyed) {
        out += n.keys[i];
        out += ": ";
      }
      print_node(n.children[i], out);
    }
    out += close;
  };
  switch (n.kind) {
    case Kind::Leaf:
      out += '*';
      break;
    case Kind::None:
      out += "None";
      break;
    case Kind::Pair:
      children("pair(", ")", false);
      break;
    case Kind::Tuple:
      children("(", ")", false);
      break;
    case Kind::FixedArray:
      children("array[", "]", false);
      break;
    case Kind::Vector:
      children("[", "]", false);
      break;
    case Kind::Map:
      children("{", "}", true);
      break;
    case Kind::Struct:
      out += n.type_name;
      children("{", "}", true);
      break;
  }
}

inline void collect_paths(const Node& n, std::string& path, std::vector<std::string>& out) {
  if (n.kind == Kind::Leaf) {
    out.push_back(path);
    return;
  }
  for (size_t i = 0; i < n.children.size(); ++i) {
    const size_t size = path.size();
    append_child(path, n, i);
    collect_paths(n.children[i], path, out);
    path.resize(size);
  }
}

inline void hash_node(const Node& n, size_t& h) {
  auto mix = [&](size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(static_cast<size_t>(n.kind));
  mix(n.children.size());
  if (n.kind == Kind::Struct) mix(n.type.hash_code());
  for (const std::string& k : n.keys) mix(std::hash<std::string>{}(k));
  for (const Node& c : n.children) hash_node(c, h);
}

inline std::string join_keys(const std::vector<std::string>& keys) {
  std::string out = "{";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out += ", ";
    out += keys[i];
  }
  return out + "}";
}

inline std::string describe(const Node& n) {
  const std::string count = std::to_string(n.children.size());
  switch (n.kind) {
    case Kind::Leaf:
      return "a leaf (Array)";
    case Kind::None:
      return "None (no leaves)";
    case Kind::Pair:
      return "a pair";
    case Kind::Tuple:
      return "a tuple of " + count + " children";
    case Kind::FixedArray:
      return "a std::array of " + count + " children";
    case Kind::Vector:
      return "a vector of " + count + " children";
    case Kind::Map:
      return "a map with keys " + join_keys(n.keys);
    case Kind::Struct:
      return "a struct " + std::string(n.type_name);
  }
  return "an unknown node";
}

// Keys in `a` not in `b`, as "x, y".
inline std::string keys_missing(const std::vector<std::string>& a,
                                const std::vector<std::string>& b) {
  std::string out;
  for (const std::string& k : a) {
    bool found = false;
    for (const std::string& j : b) found = found || j == k;
    if (!found) out += (out.empty() ? "" : ", ") + k;
  }
  return out;
}

inline std::optional<std::string> node_difference(const Node& a, const Node& b, std::string& path) {
  auto at = [&](const std::string& what) {
    return strata::detail::cat("at `", display_path(path), "`: ", what);
  };
  if (a.kind != b.kind) return at("expected " + describe(a) + ", found " + describe(b));
  if (a.kind == Kind::Struct && a.type != b.type) {
    std::string msg = "expected " + describe(a) + ", found " + describe(b);
    if (a.type_name == b.type_name) msg += " (a different type with the same name)";
    return at(msg);
  }
  if (a.kind == Kind::Map && a.keys != b.keys) {
    std::string msg = "expected " + describe(a) + ", found keys " + join_keys(b.keys);
    const std::string missing = keys_missing(a.keys, b.keys);
    const std::string extra = keys_missing(b.keys, a.keys);
    if (!missing.empty()) msg += "; missing: " + missing;
    if (!extra.empty()) msg += "; unexpected: " + extra;
    return at(msg);
  }
  if (a.children.size() != b.children.size()) {
    return at("expected " + describe(a) + ", found " + std::to_string(b.children.size()));
  }
  for (size_t i = 0; i < a.children.size(); ++i) {
    const size_t size = path.size();
    append_child(path, a, i);
    if (auto d = node_difference(a.children[i], b.children[i], path)) return d;
    path.resize(size);
  }
  return std::nullopt;
}

// " (<structure>)" when short enough to print in a message, else "".
inline std::string brief(const TreeDef& def) {
  std::string s = def.to_string();
  return s.size() <= 160 ? " (" + s + ")" : std::string();
}

}  // namespace detail

inline std::string TreeDef::to_string() const {
  std::string out;
  detail::print_node(*root_, out);
  return out;
}

inline std::vector<std::string> TreeDef::paths() const {
  std::vector<std::string> out;
  out.reserve(num_leaves());
  std::string path;
  detail::collect_paths(*root_, path, out);
  return out;
}

inline size_t TreeDef::hash() const {
  size_t h = 0;
  detail::hash_node(*root_, h);
  return h;
}

// The first place (in leaf order) where `b` differs from `a`, as
// "at `path`: expected <what a has>, found <what b has>"; nullopt when a == b.
inline std::optional<std::string> first_difference(const TreeDef& a, const TreeDef& b) {
  std::string path;
  return detail::node_difference(a.root(), b.root(), path);
}

// Throws strata::Error "[api] <what_b> differs from <what_a> at `path`: expected ..., found ...;
// <fix>" unless a == b.  `fix` defaults to a generic hint.
inline void check_same_structure(const TreeDef& a, const TreeDef& b, std::string_view api,
                                 std::string_view what_a, std::string_view what_b,
                                 std::string_view fix = {}) {
  if (auto d = first_difference(a, b)) {
    if (fix.empty()) {
      fail(api, what_b, " differs from ", what_a, " ", *d, "; give ", what_b,
           " the same structure as ", what_a, detail::brief(a));
    }
    fail(api, what_b, " differs from ", what_a, " ", *d, "; ", fix);
  }
}

}  // namespace tree
}  // namespace strata

template <>
struct std::hash<strata::tree::TreeDef> {
  size_t operator()(const strata::tree::TreeDef& def) const { return def.hash(); }
};
