// The Threefry-2x32 block cipher (20 rounds), the counter-based hash under strata's random numbers.
#pragma once

#include <cstdint>

#include "strata/core/array.h"

namespace strata::cpu {

struct Threefry2x32Block {
  uint32_t y0, y1;
};
// One block: key (k0, k1), counter (x0, x1).  Exposed for tests against the Random123 vectors.
Threefry2x32Block threefry2x32_block(uint32_t k0, uint32_t k1, uint32_t x0, uint32_t x1);

// Elementwise over four uint32 operands of one shape (any strided views, broadcast included)
// into two dense uint32 outputs of that shape.
void threefry2x32(const Array& k0, const Array& k1, const Array& x0, const Array& x1,
                  const Array& y0, const Array& y1);

}  // namespace strata::cpu
