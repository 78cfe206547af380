#include "strata/nn/variable.h"

#include <iostream>
#include <mutex>
#include <set>
#include <string>

#include "strata/ops.h"
#include "trace/frame.h"

namespace strata::nn {

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Param:
      return "Param";
    case Kind::BatchStat:
      return "BatchStat";
    case Kind::Cache:
      return "Cache";
    case Kind::RngState:
      return "RngState";
    case Kind::Plain:
      return "Array";
  }
  return "?";
}

namespace detail {

void merge_missing(const std::string& path, Kind kind) {
  fail("nn.merge", "the module has a ", kind_name(kind), " at key path `", path,
       "` but neither state holds that path; pass the states from nn::split of this module "
       "(both halves)");
}

void merge_twice(const std::string& path) {
  fail("nn.merge", "both states hold key path `", path,
       "`; pass the two halves of one nn::split (each path in one of them), or one full state");
}

void merge_mismatch(const std::string& path, const Array& want, const Array& got) {
  fail("nn.merge", "at key path `", path, "` the module holds ", want.dtype(), " ",
       to_string(want.shape()), " but the state holds ", got.dtype(), " ", to_string(got.shape()),
       "; a state can only be merged into a module of the same shapes");
}

void merge_unused(const State& a, const State& b, const std::map<std::string, int>& used) {
  for (const State* s : {&a, &b}) {
    for (const auto& [path, arr] : *s) {
      if (!used.count(path)) {
        fail("nn.merge", "the state holds key path `", path,
             "` that the module does not have; check that the state came from this module type");
      }
    }
  }
}

void update_unknown(const State& s, const std::map<std::string, int>& used) {
  for (const auto& [path, arr] : s) {
    if (!used.count(path)) {
      fail("nn.update", "the state holds key path `", path,
           "` that the module does not have; check that the state came from this module type");
    }
  }
}

void warn_if_identical(const char* api, const std::vector<Array>& stacked, int64_t n) {
  if (n < 2 || stacked.empty()) return;
  for (const Array& a : stacked) {
    if (tracing::frame_of(a)) return;  // only the values of a finished init can be compared
  }
  // Cheap enough to run on every call: evaluated eagerly (also under grad / vmap, whose traces
  // would otherwise record these ops), stopping at the first leaf whose layers differ.  Layers 0,
  // 1 and n-1 stand for all of them.
  const tracing::RecordAt eager(nullptr);
  auto differ = [](const Array& x, const Array& y) {
    return sum(astype(not_equal(x, y), DType::Int32)).item<int32_t>() != 0;
  };
  bool any_varies = false;
  for (const Array& a : stacked) {
    const Array first = a[0];
    if (differ(first, a[1]) || differ(first, a[n - 1])) return;
    any_varies = any_varies || (first.size() > 1 && differ(max(first), min(first)));
  }
  if (!any_varies) return;  // constant initialisers (zeros, ones) are legitimately equal
  // Once per API (per process): the same mistake is usually made once, in one place.
  static std::mutex mutex;
  static std::set<std::string> warned;
  const std::lock_guard<std::mutex> lock(mutex);
  if (warned.insert(api).second) {
    std::cerr << "[" << api << "] warning: all " << n
              << " layers hold identical parameters: the rng stream that initialised them was "
                 "not split across the layers, so the stack computes like one layer repeated. "
                 "Split it per layer (rngs.split(n) for a vmapped constructor, split_rngs = "
                 "{{\"params\", true}} on a lift).\n";
  }
}

}  // namespace detail
}  // namespace strata::nn
