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
//   nn::Linear layer(3, 4, rngs);   // same kernel as nnx.Linear(3, 4, rngs=nnx.Rngs(0))
//
// Rngs and transforms.  Key and counter are arrays (nn::RngState variables) and an Rngs is a
// pytree, as NNX's RngStream state is.  A draw advances the counter where the Rngs lives: eagerly
// for one made outside any trace, in the jitted graph for one passed into jit, in the scan body
// for one scanned over.  So:
//   - grad, vmap and checkpoint of a function that closes over an Rngs just work (they trace anew
//     on every call; vmap gives every example the same key, as closing over a key does in JAX);
//   - inside jit (or a scan body), drawing from an Rngs that lives outside is an error: its key
//     would be fixed in the compiled graph and repeat on every call (one dropout mask for every
//     step, or for every layer).  Pass the Rngs in and return it, as nnx.jit does for you:
//
//       auto step = st::jit([&](nn::State params, nn::Rngs rngs, const Array& x) {
//         ... model(x, rngs) ...                        // draws advance rngs' traced counters
//         return std::tuple{new_params, rngs, loss};    // the advanced Rngs comes back out
//       });
//       std::tie(params, rngs, loss) = step(params, rngs, x);
//
//   - for a stack of layers, split(n) gives every stream n keys (nnx.split_rngs): vmap a
//     constructor over it to build n different layers, or scan over it so each layer draws its
//     own dropout keys.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/core/array.h"
#include "strata/nn/variable.h"

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

  // nnx.split_rngs(splits=n): an Rngs whose every stream has the n keys split(stream(), n)
  // (shape (n, 2)) and counters zeros(n).  This Rngs's streams advance by one.  Draw from the
  // result inside vmap or scan over its axis 0 (instance i's j-th key is
  // fold_in(split(fold_in(key, c), n)[i], j), as in NNX).
  Rngs split(int64_t n);
  // Only the streams that draws from `streams` use (after the "default" fallback) are split; the
  // others are broadcast: n copies of one new key, so every instance draws the same keys from
  // them (Linen's split_rngs={name: False}).  Every stream advances by one.
  Rngs split(int64_t n, const std::vector<std::string>& streams);

  bool has(std::string_view name) const;
  std::vector<std::string> names() const;
  // The stream a draw from `name` uses: `name` itself or "default".
  std::string resolve(std::string_view name) const;
  // Key of a stream (after fallback): uint32 (2,), or (n, 2) after split.
  Array key(std::string_view name) const;
  // Counter of a stream (after fallback); the stream must be concrete and not split.
  uint32_t count(std::string_view name) const;

  // Tree paths read `streams.<name>.key` / `.count`.
  struct Stream {
    RngState key;    // uint32 (..., 2)
    RngState count;  // uint32 (...): the key's shape without its last axis
    STRATA_TREE_MEMBERS(key, count)
  };
  STRATA_TREE_MEMBERS(streams)

 private:
  Rngs() = default;
  void add(const std::string& name, const RngSeed& seed);
  const Stream& stream(std::string_view name) const;
  std::map<std::string, Stream, std::less<>> streams;
};

// One element of a Flax Linen scope path: a name (a module's, e.g. "Dense_0") or a non-negative
// integer (a draw counter).
struct LinenPathItem {
  LinenPathItem(const char* name);  // NOLINT: implicit, so paths read {"Dense_0", 3}
  LinenPathItem(std::string name);  // NOLINT
  LinenPathItem(int64_t n);         // NOLINT
  LinenPathItem(int n);             // NOLINT
  std::string bytes;                // what Linen hashes: UTF-8, or the integer's big-endian bytes
};

// Flax Linen's key derivation (flax.core.scope's LazyRng): fold_in(key, h) with h the first four
// bytes (big-endian) of the SHA-1 of the path's elements' bytes, concatenated (Flax's default;
// its opt-in flax_fix_rng_separator flag, which puts a zero byte before each, is not followed).  Linen draws
// a parameter's init key as linen_fold_in(scope key, {module names..., counter}), the counter
// counting the scope's draws from 1; porting a Linen model with its exact initial values means
// deriving its keys this way (examples/seeds/lax_scan_in_module.h, composed_lifts_forward.h).
// nn::Rngs follows NNX instead, which hashes nothing.  key: uint32 (2,).
Array linen_fold_in(const Array& key, const std::vector<LinenPathItem>& path);

}  // namespace strata::nn
