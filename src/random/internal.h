// Shared by the random/ implementation: key validation and the counter-mode block evaluation.
#pragma once

#include <cstdint>

#include "strata/core/array.h"

namespace strata::random::detail {

// Throws "[random.<fn>] ..." unless `key` is a uint32 array of shape (2,).
void check_key(const char* api, const Array& key);
// Throws "[random.<fn>] ..." for a negative dimension or a size that does not fit.
void check_shape(const char* api, const Shape& shape);

struct BlockWords {
  Array y0, y1;  // uint32, of the requested shape
};
// Threefry-2x32 of the key with counter (hi32(i), lo32(i)) for every element, i being the
// element's row-major position: the counters of partitionable split and random_bits.
BlockWords counter_blocks(const Array& key, const Shape& shape);

// random_bits(key, bit_width, shape) of partitionable mode, as uint<bit_width>.
Array random_bits(const Array& key, int bit_width, const Shape& shape);

}  // namespace strata::random::detail
