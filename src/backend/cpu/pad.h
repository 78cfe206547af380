// The pad kernel (lax.pad with non-negative padding): the operand's elements spread into a dense
// output filled with a padding value.
#pragma once

#include <cstdint>
#include <vector>

#include "strata/core/array.h"

namespace strata::cpu {

// Fills the dense array `out` with the 0-d `value`, then writes operand element i (per axis) at
// out position low + i * (interior + 1).  `operand` may be any strided view; operand, value and
// out share one dtype, and out's shape is the padded one (the primitive checked both).
void pad(const Array& operand, const Array& value, const std::vector<int64_t>& low,
         const std::vector<int64_t>& interior, const Array& out);

}  // namespace strata::cpu
