// nn::linen_fold_in: SHA-1 against FIPS 180 test vectors, Flax Linen's path encoding (elements'
// bytes concatenated, integers as minimal big-endian bytes), and errors.  Linen's own keys are
// compared in tests/parity/seeds_parity_test.cpp.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "nn/sha1.h"
#include "strata/nn/nn.h"
#include "test_util.h"

namespace strata::testing {
namespace {

std::string hex(const std::array<uint8_t, 20>& d) {
  std::string out;
  char buf[3];
  for (uint8_t b : d) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

TEST(Sha1, FipsVectorsAcrossBlockBoundaries) {
  EXPECT_EQ(hex(nn::detail::sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(nn::detail::sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(nn::detail::sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(hex(nn::detail::sha1(std::string(1000000, 'a'))),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(LinenFoldIn, HashesThePathLikeFlax) {
  const Array k = random::key(0);
  // hashlib.sha1(b"\x01") = bf8b4530...; (b"Dense_0\x03") = 302e0ebd... (Python).
  EXPECT_EQ(nn::linen_fold_in(k, {1}).to_vector<uint32_t>(),
            random::fold_in(k, 0xbf8b4530u).to_vector<uint32_t>());
  EXPECT_EQ(nn::linen_fold_in(k, {"Dense_0", 3}).to_vector<uint32_t>(),
            random::fold_in(k, 0x302e0ebdu).to_vector<uint32_t>());
  // Integers are big-endian without leading zero bytes (0 is no bytes at all), so 256 is the
  // two bytes 01 00, not the string "256"; an empty path leaves the key alone.
  const uint32_t h256 = [] {
    const auto d = nn::detail::sha1(std::string("\x01\x00", 2));
    return (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
  }();
  EXPECT_EQ(nn::linen_fold_in(k, {256}).to_vector<uint32_t>(),
            random::fold_in(k, h256).to_vector<uint32_t>());
  EXPECT_EQ(nn::linen_fold_in(k, {0}).to_vector<uint32_t>(),
            nn::linen_fold_in(k, {""}).to_vector<uint32_t>());
  EXPECT_EQ(nn::linen_fold_in(k, {}).to_vector<uint32_t>(), k.to_vector<uint32_t>());
  // Without separators ("ab", "c") and ("a", "bc") hash alike, as in Linen.
  EXPECT_EQ(nn::linen_fold_in(k, {"ab", "c"}).to_vector<uint32_t>(),
            nn::linen_fold_in(k, {"a", "bc"}).to_vector<uint32_t>());
}

TEST(LinenFoldIn, Errors) {
  EXPECT_STRATA_ERROR(nn::linen_fold_in(random::key(0), {-1}), "[nn.linen_fold_in]", ">= 0", "-1");
  EXPECT_STRATA_ERROR(nn::linen_fold_in(zeros({3}, uint32), {1}), "[nn.linen_fold_in]", "uint32",
                      "(3,)");
  EXPECT_STRATA_ERROR(nn::linen_fold_in(Array(), {1}), "[nn.linen_fold_in]", "empty Array");
}

}  // namespace
}  // namespace strata::testing
