#include "strata/nn/variable.h"

#include <atomic>
#include <cstdio>
#include <cstring>

#include "backend/cpu/strided.h"

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

void check_replacement(const char* api, const std::string& path, const Array& want,
                       const Array& got) {
  if (!got.valid()) {
    fail(api, "at key path `", path, "` the state holds an empty Array; give every entry a value");
  }
  if (!want.valid() || (got.shape() == want.shape() && got.dtype() == want.dtype())) return;
  fail(api, "at key path `", path, "` the module holds ", want.dtype(), " ",
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

namespace {
std::atomic<bool> identical_layers_warned{false};
}  // namespace

void warn_if_identical_params(const std::vector<std::string>& paths,
                              const std::vector<Array>& params, int64_t num_layers,
                              const char* api) {
  if (num_layers <= 1 || identical_layers_warned.load()) return;
  std::vector<size_t> stacked;
  for (size_t i = 0; i < params.size(); ++i) {
    const Array& a = params[i];
    if (!a.valid()) continue;
    if (a.is_traced()) return;  // only concrete stacks can be compared
    if (a.ndim() >= 1 && a.shape()[0] == num_layers) stacked.push_back(i);
  }
  std::string varying;  // a parameter that is not constant within a layer
  for (size_t i : stacked) {
    const Array dense = cpu::contiguous(params[i]);
    const auto* bytes = static_cast<const uint8_t*>(dense.data());
    const auto row = static_cast<size_t>(dense.nbytes() / num_layers);
    for (int64_t l = 1; l < num_layers; ++l) {
      if (std::memcmp(bytes, bytes + static_cast<size_t>(l) * row, row) != 0) return;
    }
    const auto item = static_cast<size_t>(dense.itemsize());
    for (size_t e = item; varying.empty() && e < row; e += item) {
      if (std::memcmp(bytes, bytes + e, item) != 0) varying = paths[i];
    }
  }
  if (varying.empty() || identical_layers_warned.exchange(true)) return;
  std::fprintf(stderr,
               "[%s] warning: all %lld layers have identical parameters (every nn::Param is the "
               "same in each layer, e.g. `%s`), so the stack computes one layer %lld times, in "
               "effect a 1-layer network. The layers were built from one random key: pass the "
               "nn::Rngs itself to init (it is split per layer), or split it with "
               "rngs.split(num_layers) and vmap the constructor over the split Rngs "
               "(nnx.split_rngs), or on a Linen-style lift set split_rngs = {{\"params\", "
               "true}}. This warning is printed once per process.\n",
               api, static_cast<long long>(num_layers), varying.c_str(),
               static_cast<long long>(num_layers));
}

void reset_identical_layers_warning() {
  identical_layers_warned.store(false);
}

}  // namespace detail
}  // namespace strata::nn
