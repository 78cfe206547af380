// strata::nn::Rngs — named random streams, as flax.nnx.Rngs.
//
// Each stream holds a key and a counter starting at 0; drawing from it returns
// random::fold_in(key, counter) and then increments the counter.  A stream's key is
// random::key(seed) for an integer seed, or the given uint32 (2,) key as is; the stream name is
// not hashed in (NNX does not either).  A draw from a stream that does not exist falls back to
// the `default` stream; with no default it is an error naming the stream and those available.
//
//   nn::Rngs rngs(0);                                  // one stream, "default" = key(0)
//   nn::Rngs rngs2({{"params", 0}, {"dropout", 1}});   // two streams
//   Array k = rngs.params();                           // fold_in(key(0), 0); next: count 1
//   nn::Linear layer(3, 4, rngs);                      // same kernel as nnx.Linear(3, 4,
//   rngs=nnx.Rngs(0))
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/core/array.h"

namespace strata::nn {

// An integer seed (random::key(seed)) or a uint32 key of shape (2,).
struct RngSeed {
  RngSeed(int64_t s);       // NOLINT: implicit
  RngSeed(int s);           // NOLINT: implicit
  RngSeed(const Array& k);  // NOLINT: implicit
  Array key;
};

class Rngs {
 public:
  // One stream named "default".
  explicit Rngs(RngSeed default_seed);
  // Named streams, e.g. {{"params", 0}, {"dropout", 1}}; a "default" entry is allowed.
  Rngs(std::initializer_list<std::pair<std::string, RngSeed>> streams);
  Rngs(RngSeed default_seed, std::initializer_list<std::pair<std::string, RngSeed>> streams);

  // The next key of stream `name` (or of "default" when `name` is absent).
  Array operator()(std::string_view name = "default");
  Array params() { return (*this)("params"); }
  Array dropout() { return (*this)("dropout"); }

  bool has(std::string_view name) const;
  std::vector<std::string> names() const;
  // The stream a draw from `name` uses: `name` itself or "default".
  std::string resolve(std::string_view name) const;
  // Key and count of a stream (after fallback).
  Array key(std::string_view name) const;
  uint32_t count(std::string_view name) const;

 private:
  struct Stream {
    Array key;
    uint32_t count = 0;
  };
  void add(const std::string& name, const RngSeed& seed);
  std::map<std::string, Stream, std::less<>> streams_;
};

}  // namespace strata::nn
