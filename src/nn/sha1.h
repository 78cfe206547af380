// SHA-1 (FIPS 180-4), for nn::linen_fold_in: Flax Linen hashes scope paths into PRNG keys with
// it.  Not for security; only to reproduce Linen's keys.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace strata::nn::detail {

std::array<uint8_t, 20> sha1(std::string_view message);

}  // namespace strata::nn::detail
