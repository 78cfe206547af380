#include "strata/nn/variable.h"

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

}  // namespace detail
}  // namespace strata::nn
