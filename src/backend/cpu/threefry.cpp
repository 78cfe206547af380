#include "backend/cpu/threefry.h"

#include <algorithm>
#include <array>

#include "backend/cpu/parallel.h"
#include "backend/cpu/strided.h"

namespace strata::cpu {

namespace {

constexpr int64_t kTile = 1024;

// Written as plain uint32 arithmetic with no branches so that the loop over a tile vectorises.
inline uint32_t rotl(uint32_t v, int r) {
  return (v << r) | (v >> (32 - r));
}

// Four rounds of one block: the rotation amounts alternate between two groups of four.
template <int R0, int R1, int R2, int R3>
inline void four_rounds(uint32_t& x0, uint32_t& x1) {
  x0 += x1;
  x1 = rotl(x1, R0) ^ x0;
  x0 += x1;
  x1 = rotl(x1, R1) ^ x0;
  x0 += x1;
  x1 = rotl(x1, R2) ^ x0;
  x0 += x1;
  x1 = rotl(x1, R3) ^ x0;
}

inline void block(uint32_t k0, uint32_t k1, uint32_t& x0, uint32_t& x1) {
  // The third key word makes the schedule's XOR of all key words equal the Threefish constant.
  const uint32_t k2 = k0 ^ k1 ^ 0x1BD11BDAu;
  x0 += k0;
  x1 += k1;
  four_rounds<13, 15, 26, 6>(x0, x1);
  x0 += k1;
  x1 += k2 + 1u;
  four_rounds<17, 29, 16, 24>(x0, x1);
  x0 += k2;
  x1 += k0 + 2u;
  four_rounds<13, 15, 26, 6>(x0, x1);
  x0 += k0;
  x1 += k1 + 3u;
  four_rounds<17, 29, 16, 24>(x0, x1);
  x0 += k1;
  x1 += k2 + 4u;
  four_rounds<13, 15, 26, 6>(x0, x1);
  x0 += k2;
  x1 += k0 + 5u;
}

}  // namespace

Threefry2x32Block threefry2x32_block(uint32_t k0, uint32_t k1, uint32_t x0, uint32_t x1) {
  block(k0, k1, x0, x1);
  return {x0, x1};
}

void threefry2x32(const Array& k0, const Array& k1, const Array& x0, const Array& x1,
                  const Array& y0, const Array& y1) {
  const std::array<StridedReader, 4> readers{StridedReader(k0), StridedReader(k1),
                                             StridedReader(x0), StridedReader(x1)};
  std::array<bool, 4> direct{};
  for (size_t k = 0; k < 4; ++k) direct[k] = readers[k].dense();
  auto* out0 = static_cast<uint32_t*>(detail::mutable_data(y0));
  auto* out1 = static_cast<uint32_t*>(detail::mutable_data(y1));
  // ~80 integer operations per element: worth threads early.
  parallel_for(
      y0.size(),
      [&](int64_t begin, int64_t end) {
        alignas(64) uint32_t staged[4][kTile];
        const uint32_t* in[4];
        for (int64_t t = begin; t < end; t += kTile) {
          const int64_t n = std::min(kTile, end - t);
          for (size_t k = 0; k < 4; ++k) {
            if (direct[k]) {
              in[k] = static_cast<const uint32_t*>(readers[k].base()) + t;
            } else {
              readers[k].read<uint32_t>(t, n, staged[k]);
              in[k] = staged[k];
            }
          }
          for (int64_t i = 0; i < n; ++i) {
            uint32_t a = in[2][i], b = in[3][i];
            block(in[0][i], in[1][i], a, b);
            out0[t + i] = a;
            out1[t + i] = b;
          }
        }
      },
      16);
}

}  // namespace strata::cpu
