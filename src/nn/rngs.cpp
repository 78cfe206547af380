#include "strata/nn/rngs.h"

#include <algorithm>

#include "nn/sha1.h"
#include "strata/core/error.h"
#include "strata/nn/module_path.h"
#include "strata/ops.h"
#include "strata/random.h"
#include "trace/frame.h"

namespace strata::nn {
namespace {
constexpr const char* kApi = "nn.Rngs";

Array checked_key(const Array& k) {
  if (!k.valid()) fail(kApi, "expected a seed or a uint32 key of shape (2,), found an empty Array");
  tracing::check_not_leaked(kApi, k, "the key");
  if (k.dtype() != DType::UInt32 || k.shape() != Shape{2}) {
    fail(kApi, "expected a key of dtype uint32 and shape (2,) (as from random::key), found ",
         k.dtype(), " of shape ", to_string(k.shape()),
         "; pass an integer seed or a single key (index a split batch of keys)");
  }
  return k;
}

// The level (trace frame, null = eager) where a stream's state lives; either array may be a
// constant of that level (a key given as a seed, a fresh count).
tracing::TraceFrame* level_of(const Rngs::Stream& s) {
  const tracing::StateLevel level = tracing::state_level({&s.key.value, &s.count.value});
  if (level.ended) {
    fail(kApi,
         "this Rngs holds a counter or key traced inside a jit / scan / grad that has "
         "ended (it was stored outside the traced function); return the Rngs from the "
         "traced function and use the returned one");
  }
  return level.frame;
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
  // An Rngs made inside a trace lives there: its state becomes values of the current frame, so
  // its draws are recorded in the function that made it (as each trace makes it anew).
  Stream s{tracing::at_current_level(seed.key, kApi),
           tracing::at_current_level(zeros({}, DType::UInt32), kApi)};
  if (!streams.emplace(name, std::move(s)).second) {
    fail(kApi, "stream '", name, "' is given twice; give each stream one seed");
  }
}

bool Rngs::has(std::string_view name) const {
  return streams.find(name) != streams.end();
}

std::vector<std::string> Rngs::names() const {
  std::vector<std::string> out;
  for (const auto& [name, s] : streams) out.push_back(name);
  return out;
}

std::string Rngs::resolve(std::string_view name) const {
  if (has(name)) return std::string(name);
  if (has("default")) return "default";
  std::string available;
  for (const auto& [n, s] : streams) available += (available.empty() ? "'" : ", '") + n + "'";
  fail(kApi, "no stream named '", name, "' and no 'default' stream to fall back to",
       module_path_note("drawn by the module"), "; streams: ", available,
       ". Add the stream, e.g. Rngs({{\"", name, "\", seed}, ...}), or a default seed");
}

const Rngs::Stream& Rngs::stream(std::string_view name) const {
  return streams.find(resolve(name))->second;
}

Array Rngs::operator()(std::string_view name) {
  const std::string resolved = resolve(name);
  Stream& s = streams.find(resolved)->second;
  if (s.key.value.ndim() != 1) {
    fail(kApi, "stream '", resolved, "' holds split keys of shape ", to_string(s.key.value.shape()),
         ": draw from it inside vmap or scan over axis 0 of this Rngs (each instance then has "
         "one key), or draw from the Rngs it was split from");
  }
  tracing::TraceFrame* level = level_of(s);
  if (const tracing::TraceFrame* f = tracing::rerunning_frame_inside(level, kApi)) {
    fail(kApi, "drawing from stream '", resolved, "' inside ",
         std::string_view(f->reruns) == "scan" ? "a scan body" : "jit",
         " from an Rngs that lives outside it: its key would be fixed in the recorded graph and "
         "repeat on every ",
         std::string_view(f->reruns) == "scan" ? "iteration (every layer the same key)"
                                               : "call (one dropout mask for every step)",
         ". Pass the Rngs into the function and return it (nn::Rngs is a pytree: jit arguments "
         "and scan carries can hold it), or for layers scan over rngs.split(num_layers) as xs");
  }
  // Advance the counter where the Rngs lives; an inner frame captures the key like any value it
  // closes over.
  const tracing::RecordAt at(level);
  Array k = random::fold_in(s.key.value, s.count.value);
  s.count.value = strata::add(s.count.value, ones({}, DType::UInt32));
  return k;
}

Rngs Rngs::split(int64_t n) {
  return split(n, names());
}

Rngs Rngs::split(int64_t n, const std::vector<std::string>& which) {
  if (n < 1) fail(kApi, "split(", n, "): the number of splits must be at least 1");
  strata::detail::checked_nbytes({n, 2}, DType::UInt64, kApi);  // the keys and their counters
  std::vector<std::string> split_streams;
  for (const std::string& name : which) split_streams.push_back(resolve(name));
  Rngs out;
  for (const std::string& name : names()) {
    const Array k = (*this)(name);
    const tracing::RecordAt at(level_of(streams.find(name)->second));
    const bool split_it =
        std::find(split_streams.begin(), split_streams.end(), name) != split_streams.end();
    out.streams.emplace(name, Stream{split_it ? random::split(k, n) : broadcast_to(k, {n, 2}),
                                     zeros({n}, DType::UInt32)});
  }
  return out;
}

Array Rngs::key(std::string_view name) const {
  return stream(name).key.value;
}

uint32_t Rngs::count(std::string_view name) const {
  const Array& c = stream(name).count.value;
  if (c.ndim() != 0 || tracing::frame_of(c)) {
    fail(kApi, "count('", name, "') reads a concrete counter, but this stream's is ",
         tracing::frame_of(c) ? "traced" : "split (one counter per instance)",
         "; read it outside the traced function");
  }
  return c.item<uint32_t>();
}

}  // namespace strata::nn

namespace strata::nn {

LinenPathItem::LinenPathItem(const char* name) : bytes(name) {}
LinenPathItem::LinenPathItem(std::string name) : bytes(std::move(name)) {}
LinenPathItem::LinenPathItem(int n) : LinenPathItem(static_cast<int64_t>(n)) {}
LinenPathItem::LinenPathItem(int64_t n) {
  if (n < 0) {
    fail("nn.linen_fold_in", "path integers must be >= 0 (Linen hashes their unsigned bytes), ",
         "found ", n);
  }
  // Python's n.to_bytes((n.bit_length() + 7) // 8, 'big'): no bytes at all for 0.
  char be[8];
  int count = 0;
  for (auto u = static_cast<uint64_t>(n); u != 0; u >>= 8)
    be[7 - count++] = static_cast<char>(u & 0xFF);
  bytes.assign(be + 8 - count, be + 8);
}
Array linen_fold_in(const Array& key, const std::vector<LinenPathItem>& path) {
  if (!key.valid())
    fail("nn.linen_fold_in", "expected a uint32 key of shape (2,), found an empty Array");
  if (key.dtype() != DType::UInt32 || key.shape() != Shape{2}) {
    fail("nn.linen_fold_in",
         "expected a key of dtype uint32 and shape (2,) (as from random::key), found ", key.dtype(),
         " of shape ", to_string(key.shape()));
  }
  if (path.empty()) return key;  // Linen folds nothing in for an empty path
  std::string message;
  for (const LinenPathItem& item : path) message += item.bytes;
  const std::array<uint8_t, 20> digest = detail::sha1(message);
  const uint32_t h = (uint32_t{digest[0]} << 24) | (uint32_t{digest[1]} << 16) |
                     (uint32_t{digest[2]} << 8) | uint32_t{digest[3]};
  return random::fold_in(key, h);
}

}  // namespace strata::nn
