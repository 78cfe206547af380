// Keys and bits: key, split, fold_in, bits (rng.md sections 4-7).
#include <limits>

#include "primitives/threefry.h"
#include "random/internal.h"
#include "strata/ops.h"
#include "strata/random.h"
#include "trace/frame.h"

namespace strata::random {

namespace detail {

void check_key(const char* api, const Array& key) {
  if (!key.valid()) {
    fail(api,
         "expected a key of type uint32[2] (from random::key, split or fold_in), found an "
         "empty Array");
  }
  tracing::check_not_leaked(api, key, "the key");
  if (key.dtype() != DType::UInt32 || key.shape() != Shape{2}) {
    fail(api, "expected a key of type uint32[2] (from random::key, split or fold_in), found ",
         key.dtype(), to_string(key.shape()),
         key.ndim() == 2 && key.shape()[1] == 2
             ? "; this looks like split's output: pass one row, e.g. keys[0]"
             : "; make keys with random::key(seed)");
  }
}

void check_shape(const char* api, const Shape& shape) {
  // uint64 counters: the widest array a sampler builds over the shape.
  strata::detail::checked_nbytes(shape, DType::UInt64, api);
}

namespace {
// Key word w (0 or 1) as a 0-d array, broadcast to `shape`: slicing keeps this traceable.
Array key_word(const Array& key, int64_t w, const Shape& shape) {
  const Array word = reshape(slice(key, {Slice{w, w + 1}}), {});
  return broadcast_to(word, shape);
}
}  // namespace

BlockWords counter_blocks(const Array& key, const Shape& shape) {
  const int64_t n = strata::detail::shape_size(shape);
  Array hi, lo;
  if (n <= (int64_t{1} << 32)) {
    // Every position fits in the low word: the high word is 0 throughout.
    lo = reshape(iota(DType::UInt32, {n}, 0), shape);
    hi = zeros(shape, DType::UInt32);
  } else {
    const Array position = reshape(iota(DType::UInt64, {n}, 0), shape);
    hi = astype(shift_right_logical(position, weak_scalar(int64_t{32})), DType::UInt32);
    lo = astype(position, DType::UInt32);  // keeps the low 32 bits
  }
  const auto out = prim::bind(prim::make<prim::Threefry2x32>(),
                              {key_word(key, 0, shape), key_word(key, 1, shape), hi, lo});
  return {out[0], out[1]};
}

Array random_bits(const Array& key, int bit_width, const Shape& shape) {
  const BlockWords b = counter_blocks(key, shape);
  switch (bit_width) {
    case 64:  // both words, the first one high
      return bitwise_or(shift_left(astype(b.y0, DType::UInt64), weak_scalar(int64_t{32})),
                        astype(b.y1, DType::UInt64));
    case 32:
      return bitwise_xor(b.y0, b.y1);
    case 16:  // the conversion keeps the low bits
      return astype(bitwise_xor(b.y0, b.y1), DType::UInt16);
    case 8:
      return astype(bitwise_xor(b.y0, b.y1), DType::UInt8);
    default:
      fail("random.bits", "internal: unsupported bit width ", bit_width);
  }
}

}  // namespace detail

Array key(int64_t seed) {
  // The split is done on the two's-complement bit pattern, so a negative seed has high word
  // 0xFFFFFFFF (an arithmetic or logical shift gives the same low 32 bits of seed >> 32).
  const auto bits = static_cast<uint64_t>(seed);
  return array<uint32_t>({static_cast<uint32_t>(bits >> 32), static_cast<uint32_t>(bits)}, {2});
}

Array split(const Array& key, int64_t n) {
  detail::check_key("random.split", key);
  if (n < 0) fail("random.split", "the number of keys must be >= 0, found ", n);
  detail::check_shape("random.split", {n, 2});
  const detail::BlockWords b = detail::counter_blocks(key, {n});
  return stack({b.y0, b.y1}, 1);
}

Array fold_in(const Array& key, uint32_t data) {
  return fold_in(key, scalar<uint32_t>(data));
}

Array fold_in(const Array& key, const Array& data) {
  detail::check_key("random.fold_in", key);
  if (!data.valid())
    fail("random.fold_in", "expected a uint32 scalar as data, found an empty Array");
  if (data.dtype() != DType::UInt32 || data.ndim() != 0) {
    fail("random.fold_in", "expected a uint32 scalar (shape ()) as data, found ", data.dtype(),
         " of shape ", to_string(data.shape()),
         "; convert with astype(x, DType::UInt32) and pass one element");
  }
  // One block with counter (0, data): the same as split's counter for position `data`.
  const auto out = prim::bind(
      prim::make<prim::Threefry2x32>(),
      {detail::key_word(key, 0, {}), detail::key_word(key, 1, {}), zeros({}, DType::UInt32), data});
  return stack({out[0], out[1]}, 0);
}

Array bits(const Array& key, Shape shape, DType dtype) {
  detail::check_key("random.bits", key);
  detail::check_shape("random.bits", shape);
  if (!is_unsigned_integer(dtype)) {
    fail("random.bits",
         "dtype must be an unsigned integer type (uint8, uint16, uint32 or "
         "uint64), found ",
         dtype);
  }
  return detail::random_bits(key, static_cast<int>(itemsize(dtype) * 8), shape);
}

}  // namespace strata::random
