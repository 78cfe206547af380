#include "strata/nn/rngs.h"

#include "strata/core/error.h"
#include "strata/random.h"

namespace strata::nn {
namespace {
constexpr const char* kApi = "nn.Rngs";

Array checked_key(const Array& k) {
  if (!k.valid()) fail(kApi, "expected a seed or a uint32 key of shape (2,), found an empty Array");
  if (k.dtype() != DType::UInt32 || k.shape() != Shape{2}) {
    fail(kApi, "expected a key of dtype uint32 and shape (2,) (as from random::key), found ",
         k.dtype(), " of shape ", to_string(k.shape()),
         "; pass an integer seed or a single key (index a split batch of keys)");
  }
  return k;
}
}  // namespace

RngSeed::RngSeed(int64_t s) : key(random::key(s)) {}
RngSeed::RngSeed(int s) : key(random::key(s)) {}
RngSeed::RngSeed(const Array& k) : key(checked_key(k)) {}

Rngs::Rngs(RngSeed default_seed) {
  add("default", default_seed);
}
Rngs::Rngs(std::initializer_list<std::pair<std::string, RngSeed>> streams) {
  for (const auto& [name, seed] : streams) add(name, seed);
}
Rngs::Rngs(RngSeed default_seed, std::initializer_list<std::pair<std::string, RngSeed>> streams) {
  add("default", default_seed);
  for (const auto& [name, seed] : streams) add(name, seed);
}

void Rngs::add(const std::string& name, const RngSeed& seed) {
  if (name.empty()) fail(kApi, "a stream name must not be empty");
  if (!streams_.emplace(name, Stream{seed.key, 0}).second) {
    fail(kApi, "stream '", name, "' is given twice; give each stream one seed");
  }
}

bool Rngs::has(std::string_view name) const {
  return streams_.find(name) != streams_.end();
}

std::vector<std::string> Rngs::names() const {
  std::vector<std::string> out;
  for (const auto& [name, s] : streams_) out.push_back(name);
  return out;
}

std::string Rngs::resolve(std::string_view name) const {
  if (has(name)) return std::string(name);
  if (has("default")) return "default";
  std::string available;
  for (const auto& [n, s] : streams_) available += (available.empty() ? "'" : ", '") + n + "'";
  fail(kApi, "no stream named '", name,
       "' and no 'default' stream to fall back to; streams: ", available,
       ". Add the stream, e.g. Rngs({{\"", name, "\", seed}, ...}), or a default seed");
}

Array Rngs::operator()(std::string_view name) {
  Stream& s = streams_.find(resolve(name))->second;
  Array k = random::fold_in(s.key, s.count);
  ++s.count;
  return k;
}

Array Rngs::key(std::string_view name) const {
  return streams_.find(resolve(name))->second.key;
}
uint32_t Rngs::count(std::string_view name) const {
  return streams_.find(resolve(name))->second.count;
}

}  // namespace strata::nn
