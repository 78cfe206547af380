// strata::random — JAX's default PRNG (threefry2x32, partitionable mode), bit for bit.
//
// A key is a uint32 array of shape (2,), exactly jax.random.PRNGKey's key data.  Functions are
// pure: the same key gives the same numbers, and new streams come from split / fold_in, as in
// JAX.  Everything is built from primitives (threefry2x32 plus ordinary ops), so it runs eagerly,
// under jit and inside scan bodies alike.
//
//   Array k = random::key(0);
//   auto keys = random::split(k);                    // (2, 2)
//   Array w = random::normal(keys[0], {128, 64});    // float32
//
// Keys, split, fold_in, bits, uniform, bernoulli and permutation reproduce JAX exactly
// (jax_threefry_partitionable=True, the default since JAX 0.5), checked against live JAX in
// tests/parity/random_parity_test.cpp.  normal and truncated_normal use the same erf_inv polynomial
// as XLA for float32 and agree to float32 rounding (about 1e-6 relative).  Float64 samples follow
// JAX with jax_enable_x64.
#pragma once

#include <cstdint>
#include <optional>

#include "strata/core/array.h"

namespace strata::random {

// jax.random.PRNGKey(seed) for a 64-bit seed: (seed >> 32, seed & 0xFFFFFFFF) as uint32, so a
// negative seed has high word 0xFFFFFFFF (JAX's result with jax_enable_x64 or an int64 seed).
// JAX's default 32-bit mode gives high word 0 for negative seeds: key(uint32_t(seed)) matches that.
Array key(int64_t seed);

// n new keys, uint32 (n, 2); split(key, n)[i] equals fold_in(key, i).
Array split(const Array& key, int64_t n = 2);

// A new key from a key and a 32-bit integer (jax.random.fold_in); uint32 (2,).
Array fold_in(const Array& key, uint32_t data);
// The same with the integer given as a uint32 scalar array, which may be traced (a counter
// carried through jit or scan, as nn::Rngs does).
Array fold_in(const Array& key, const Array& data);

// Uniform random bits (jax.random.bits): dtype uint8, uint16, uint32 or uint64.
Array bits(const Array& key, Shape shape, DType dtype = DType::UInt32);

// Uniform floats in [minval, maxval) (jax.random.uniform): float16, bfloat16, float32, float64.
Array uniform(const Array& key, Shape shape, DType dtype = DType::Float32, double minval = 0,
              double maxval = 1);

// Standard normal samples (jax.random.normal).
Array normal(const Array& key, Shape shape, DType dtype = DType::Float32);

// Standard normal samples truncated to the open interval (lower, upper)
// (jax.random.truncated_normal); infinite bounds are allowed.
Array truncated_normal(const Array& key, double lower, double upper, Shape shape,
                       DType dtype = DType::Float32);

// Standard Gumbel samples (jax.random.gumbel, mode "low"): -log(-log(u)) for u uniform in
// [tiny, 1), tiny being the dtype's smallest normal number.
Array gumbel(const Array& key, Shape shape, DType dtype = DType::Float32);

// Booleans that are true with probability p (jax.random.bernoulli, mode "low":
// uniform(key, shape, dtype of p) < p).  With a double, p is a float32 scalar (JAX's default
// for a Python float); an array p must be floating-point and broadcast to `shape`, which
// defaults to p's shape.
Array bernoulli(const Array& key, double p = 0.5, Shape shape = {});
Array bernoulli(const Array& key, const Array& p, std::optional<Shape> shape = std::nullopt);

// Indices drawn from the categorical distributions softmax(logits, axis)
// (jax.random.categorical with replace=True, by the Gumbel-max trick); int32.  The result has
// `shape`, which defaults to logits' shape without `axis`; a given shape must end with a shape
// that logits' batch shape broadcasts to, and its leading axes draw independent samples.
Array categorical(const Array& key, const Array& logits, int axis = -1,
                  std::optional<Shape> shape = std::nullopt);

// A random permutation of 0 .. n-1 (jax.random.permutation(key, n)); int32 (n,).
Array permutation(const Array& key, int64_t n);
// x with its slices along `axis` in a random order (jax.random.permutation(key, x, axis), with
// independent=False): the same order as permutation(key, x.shape[axis]).  Differentiable in x.
Array permutation(const Array& key, const Array& x, int axis = 0);

}  // namespace strata::random
