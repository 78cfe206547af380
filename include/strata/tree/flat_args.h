// The flattened arguments of a call, shared by the function transforms (grad, vjp, jvp,
// checkpoint, vmap): every argument's leaves in order, their key paths ("arg1.W"), each argument's
// TreeDef and the range of its leaves, and the way back from (traced) leaves to arguments.
#pragma once

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "strata/tree/tree.h"

namespace strata::detail {

// The flattened arguments of a call: leaves, each argument's structure and leaf range.
template <class... Args>
struct FlatArgs {
  std::vector<Array> leaves;
  std::vector<std::string> paths;
  std::vector<tree::TreeDef> defs;
  std::vector<size_t> begin;  // first leaf of each argument (plus the end)

  explicit FlatArgs(const Args&... args) {
    (add(args), ...);
    begin.push_back(leaves.size());
  }
  template <class T>
  void add(const T& arg) {
    begin.push_back(leaves.size());
    defs.push_back(tree::structure(arg));
    const std::string prefix = "arg" + std::to_string(defs.size() - 1);
    for (auto& [path, a] : tree::leaves_with_path(arg)) {
      // "arg0", "arg0.W", "arg0[1]": a field or map key follows a dot, an index does not.
      paths.push_back(path.empty() || path[0] == '[' ? prefix + path : prefix + "." + path);
      leaves.push_back(a);
    }
  }
  // The arguments rebuilt from (traced) leaves.
  std::tuple<Args...> unflatten(const std::vector<Array>& all) const {
    return unflatten_impl(all, std::index_sequence_for<Args...>{});
  }
  template <size_t K, class T>
  T argument(const std::vector<Array>& all) const {
    return tree::unflatten<T>(defs[K],
                              std::vector<Array>(all.begin() + static_cast<long>(begin[K]),
                                                 all.begin() + static_cast<long>(begin[K + 1])));
  }

 private:
  template <size_t... K>
  std::tuple<Args...> unflatten_impl(const std::vector<Array>& all,
                                     std::index_sequence<K...>) const {
    return std::tuple<Args...>(argument<K, Args>(all)...);
  }
};

}  // namespace strata::detail
