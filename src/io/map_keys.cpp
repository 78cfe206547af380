// io::map_keys: renaming (and transposing) checkpoint entries between layouts, e.g. PyTorch's
// `fc1.weight` (out, in) into strata::nn's `fc1.kernel` (in, out).

// GCC 12 warns inside <regex>'s own automaton (a std::function moved from a temporary state)
// under -fsanitize=address at -O2: a known false positive in the standard library, silenced for
// this file only, before any include brings in <functional>.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <regex>

#include "strata/core/error.h"
#include "strata/io.h"
#include "strata/ops.h"

namespace strata::io {

std::map<std::string, Array> map_keys(const std::map<std::string, Array>& tensors,
                                      const std::vector<KeyRule>& rules) {
  constexpr const char* kApi = "io.map_keys";
  std::vector<std::regex> patterns;
  for (size_t r = 0; r < rules.size(); ++r) {
    try {
      patterns.emplace_back(rules[r].pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      fail(kApi, "rule ", r, "'s pattern `", rules[r].pattern,
           "` is not a valid regular expression (", e.what(), ")");
    }
  }
  std::map<std::string, Array> out;
  std::map<std::string, std::string> source_of;  // new key -> old key, for collisions
  for (const auto& [key, a] : tensors) {
    std::string renamed = key;
    Array value = a;
    for (size_t r = 0; r < rules.size(); ++r) {
      if (!std::regex_match(key, patterns[r])) continue;
      renamed = std::regex_replace(key, patterns[r], rules[r].replacement,
                                   std::regex_constants::format_first_only);
      if (rules[r].transpose) {
        if (!a.valid() || a.ndim() < 2) {
          fail(kApi, "rule ", r, " (`", rules[r].pattern, "` -> `", rules[r].replacement,
               "`, transpose) matches `", key, "`, whose shape ",
               a.valid() ? to_string(a.shape()) : std::string("(empty handle)"),
               " has fewer than two axes to swap; narrow the pattern or drop transpose");
        }
        value = swapaxes(a, -1, -2);
      }
      break;
    }
    const auto [it, fresh] = source_of.emplace(renamed, key);
    if (!fresh) {
      fail(kApi, "`", it->second, "` and `", key, "` both become `", renamed,
           "`; make the rules map them to different keys");
    }
    out.emplace(renamed, std::move(value));
  }
  return out;
}

}  // namespace strata::io
