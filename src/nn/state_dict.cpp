#include "strata/nn/state_dict.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <sstream>

namespace strata::nn {

namespace detail {

std::string fill_layer_slots(const std::string& path_template, const std::vector<int64_t>& stacks,
                             int64_t index) {
  // Digits of `index` in the mixed radix of the stack sizes, outermost first.
  std::vector<int64_t> digits(stacks.size());
  for (size_t k = stacks.size(); k-- > 0;) {
    digits[k] = index % stacks[k];
    index /= stacks[k];
  }
  std::string out;
  size_t slot = 0;
  for (char c : path_template) {
    if (c == kLayerSlot) {
      out += std::to_string(digits[slot++]);
    } else {
      out += c;
    }
  }
  return out;
}

const Array* StrictLoad::take(const std::string& key, const Shape& shape, DType dtype) {
  const auto it = s_.find(key);
  if (it == s_.end()) {
    missing_.push_back(key);
    return nullptr;
  }
  used_.insert(key);
  const Array& a = it->second;
  if (!a.valid() || a.shape() != shape || a.dtype() != dtype) {
    mismatched_.push_back(strata::detail::cat(
        "`", key, "` (expected ", dtype, to_string(shape), ", found ",
        a.valid() ? strata::detail::cat(a.dtype(), to_string(a.shape())) : "an empty handle", ")"));
    return nullptr;
  }
  return &a;
}

void StrictLoad::finish() const {
  std::vector<std::string> unexpected;
  for (const auto& [key, a] : s_) {
    if (!used_.count(key)) unexpected.push_back(key);
  }
  if (missing_.empty() && unexpected.empty() && mismatched_.empty()) return;
  std::ostringstream os;
  auto list = [&](const char* what, const std::vector<std::string>& keys, bool quote) {
    if (keys.empty()) return;
    os << "\n  " << keys.size() << " " << what << ":";
    for (const std::string& k : keys) os << (quote ? " `" : " ") << k << (quote ? "`" : "");
  };
  list("missing (in the model, not in the state)", missing_, true);
  list("unexpected (in the state, not in the model)", unexpected, true);
  list("with another shape or dtype", mismatched_, false);
  fail(api_, "the state does not match the model:", os.str(),
       "\nload a state saved from the same model configuration (state_dict layout: per-layer "
       "keys `P.{i}.rest`), or convert its keys first (nn::stack_state, io::map_keys)");
}

std::string dotted_path(const std::string& tree_path) {
  std::string out;
  for (const char c : tree_path) {
    if (c == '[') {
      if (!out.empty()) out += '.';
    } else if (c != ']') {
      out += c;
    }
  }
  return out;
}

void duplicate_tree_key(const std::string& tree_path, const std::string& key) {
  fail("nn.tree_state", "two leaves get the key `", key, "` (the second is `", tree_path,
       "`): map keys that look like list indices (`a[0]` next to `a.0`) cannot be told apart; "
       "rename one");
}

Array stack_layers(const std::vector<Array>& parts, const Shape& shape) {
  return reshape(stack(parts, 0), shape);
}

}  // namespace detail

namespace {

// The part of `key` after `prefix.`, or nullopt when key is not under the prefix.  `prefix`
// itself counts, with an empty rest.
std::optional<std::string> under(const std::string& key, const std::string& prefix) {
  if (key == prefix) return std::string();
  if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
      key[prefix.size()] == '.') {
    return key.substr(prefix.size() + 1);
  }
  return std::nullopt;
}

std::string join(const std::string& a, const std::string& b) {
  return b.empty() ? a : a + "." + b;
}

void check_prefix(const char* api, const std::string& prefix) {
  if (prefix.empty()) fail(api, "expected a key prefix such as `blocks`, found an empty string");
}

}  // namespace

State unstack_state(const State& s, const std::string& prefix) {
  constexpr const char* kApi = "nn.unstack_state";
  check_prefix(kApi, prefix);
  State out;
  int64_t layers = -1;
  std::string first;
  for (const auto& [key, a] : s) {
    const auto rest = under(key, prefix);
    if (!rest) {
      out.emplace(key, a);
      continue;
    }
    if (!a.valid() || a.ndim() == 0) {
      fail(kApi, "`", key, "` has no leading layer axis (", a.valid() ? "a 0-d array" : "empty",
           "); every key under `", prefix, "` must be stacked along axis 0");
    }
    if (layers < 0) {
      layers = a.shape(0);
      first = key;
    } else if (a.shape(0) != layers) {
      fail(kApi, "keys under `", prefix, "` disagree on the number of layers: `", first, "` has ",
           layers, " (shape ", to_string(s.at(first).shape()), "), `", key, "` has ", a.shape(0),
           " (shape ", to_string(a.shape()), ")");
    }
    for (int64_t i = 0; i < a.shape(0); ++i) {
      const std::string layer_key = join(prefix + "." + std::to_string(i), *rest);
      if (!out.emplace(layer_key, a[i]).second) {
        fail(kApi, "unstacking `", key, "` gives the key `", layer_key,
             "`, which another key under `", prefix, "` also gives or is; is `", prefix,
             "` already unstacked?");
      }
    }
  }
  if (layers < 0) {
    fail(kApi, "no key is under the prefix `", prefix, "` (expected keys `", prefix,
         ".rest`); the state has ", s.size(), " keys",
         s.empty() ? "" : strata::detail::cat(", e.g. `", s.begin()->first, "`"));
  }
  return out;
}

State stack_state(const State& s, const std::string& prefix) {
  constexpr const char* kApi = "nn.stack_state";
  check_prefix(kApi, prefix);
  State out;
  // rest -> layer index -> key
  std::map<std::string, std::map<int64_t, std::string>> layers;
  std::vector<std::string> problems;
  for (const auto& [key, a] : s) {
    const auto rest = under(key, prefix);
    if (!rest) {
      out.emplace(key, a);
      continue;
    }
    const std::string& r = *rest;
    const size_t dot = r.find('.');
    const std::string digits = r.substr(0, dot);
    int64_t index = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    const bool canonical = !digits.empty() && ec == std::errc() &&
                           end == digits.data() + digits.size() &&
                           (digits == "0" || digits[0] != '0');
    if (!canonical || index < 0) {
      problems.push_back(strata::detail::cat("`", key, "` is not a per-layer key `", prefix,
                                             ".{i}...` (i a layer index without leading zeros)"));
      continue;
    }
    const std::string tail = dot == std::string::npos ? "" : r.substr(dot + 1);
    layers[tail][index] = key;
  }
  if (layers.empty() && problems.empty()) {
    fail(kApi, "no key is under the prefix `", prefix, "` (expected keys `", prefix, ".{i}.rest`)");
  }
  int64_t count = 0;
  for (const auto& [tail, by_index] : layers) count = std::max(count, by_index.rbegin()->first + 1);
  for (const auto& [tail, by_index] : layers) {
    const std::string stacked_key = join(prefix, tail);
    std::vector<Array> parts;
    for (int64_t i = 0; i < count; ++i) {
      const auto it = by_index.find(i);
      if (it == by_index.end()) {
        problems.push_back(strata::detail::cat("`", join(prefix + "." + std::to_string(i), tail),
                                               "` is missing (layers 0..", count - 1, ")"));
        continue;
      }
      const Array& a = s.at(it->second);
      if (!parts.empty() && (a.shape() != parts[0].shape() || a.dtype() != parts[0].dtype())) {
        problems.push_back(strata::detail::cat(
            "`", it->second, "` is ", a.dtype(), to_string(a.shape()), " but `",
            by_index.begin()->second, "` is ", parts[0].dtype(), to_string(parts[0].shape())));
        continue;
      }
      parts.push_back(a);
    }
    if (static_cast<int64_t>(parts.size()) == count) out[stacked_key] = stack(parts, 0);
  }
  if (!problems.empty()) {
    std::ostringstream os;
    for (const std::string& p : problems) os << "\n  " << p;
    fail(kApi, "cannot stack the keys under `", prefix, "`:", os.str());
  }
  return out;
}

}  // namespace strata::nn
