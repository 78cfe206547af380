// strata::Error — the one exception type every user mistake turns into.
//
// Messages start with the API in brackets ("[matmul] ..."), state what was expected and what was
// found, and say what to change.  Helpers below build such messages without iostream noise at the
// call sites.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
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

// Throws strata::Error("[api] " + parts...).
template <typename... Parts>
[[noreturn]] void fail(std::string_view api, Parts&&... parts) {
  throw Error(detail::cat("[", api, "] ", std::forward<Parts>(parts)...));
}

}  // namespace strata
