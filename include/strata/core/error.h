// strata::Error — the one exception type every user mistake turns into.
//
// Messages start with the API in brackets ("[matmul] ..."), state what was expected and what was
// found, and say what to change.  Helpers below build such messages without iostream noise at the
// call sites.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace strata {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
// Concatenates anything with operator<< into one string.
template <typename... Parts>
std::string cat(Parts&&... parts) {
  std::ostringstream os;
  (os << ... << std::forward<Parts>(parts));
  return os.str();
}
}  // namespace detail

// Runs fn and returns what it returns; a strata::Error raised inside under another API's name is
// raised again under `api`, the inner name kept in the text ("[nn.Linear] (in matmul) ...").
// Public composites (layers, optimisers, samplers, stacks) use it so that an error names the API
// the user called, not the op it was built from.  With `only`, just errors of those inner APIs
// are renamed: a composite that runs user code (a stack's layers) renames its own machinery's
// errors ("scan", "vmap") and leaves the user's own calls named as they are.
[[noreturn]] inline void rethrow_as(std::string_view api, const Error& e,
                                    std::initializer_list<std::string_view> only = {}) {
  const std::string_view m = e.what();
  const std::string own = detail::cat("[", api, "]");
  const size_t close = !m.empty() && m.front() == '[' ? m.find("] ") : std::string_view::npos;
  const std::string_view inner = close == std::string_view::npos ? "" : m.substr(1, close - 1);
  const bool listed = only.size() == 0 || std::find(only.begin(), only.end(), inner) != only.end();
  if (m.substr(0, own.size()) == own || !listed) throw e;
  if (close == std::string_view::npos) throw Error(detail::cat(own, " ", m));
  throw Error(detail::cat(own, " (in ", inner, ") ", m.substr(close + 2)));
}
template <class F>
decltype(auto) as_api(std::string_view api, F&& fn,
                      std::initializer_list<std::string_view> only = {}) {
  try {
    return fn();
  } catch (const Error& e) {
    rethrow_as(api, e, only);
  }
}

// Throws strata::Error("[api] " + parts...).
template <typename... Parts>
[[noreturn]] void fail(std::string_view api, Parts&&... parts) {
  throw Error(detail::cat("[", api, "] ", std::forward<Parts>(parts)...));
}

}  // namespace strata
