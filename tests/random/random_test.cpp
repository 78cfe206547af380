// strata::random against JAX's threefry2x32 PRNG (partitionable mode): the known-answer vectors of
// rng.md §13, element-by-element references built from the block function, the same under jit,
// statistical properties and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cpu/threefry.h"
#include "primitives/threefry.h"
#include "test_util.h"

namespace st = strata;
namespace rnd = strata::random;
using st::Array;
using st::DType;
using st::Shape;

namespace {

std::vector<uint32_t> words(const Array& a) {
  return a.to_vector<uint32_t>();
}

// The block function on one counter, trusted once it reproduces the Random123 rows below.
st::cpu::Threefry2x32Block block(const Array& key, uint64_t i) {
  const auto k = words(key);
  return st::cpu::threefry2x32_block(k[0], k[1], static_cast<uint32_t>(i >> 32),
                                     static_cast<uint32_t>(i));
}

float f32_from_bits(uint32_t u) {
  return std::bit_cast<float>(u);
}

// rng.md §8 for float32, written out per element: the reference the sampler must equal.
float reference_uniform_f32(const Array& key, uint64_t i, float minval = 0, float maxval = 1) {
  const auto b = block(key, i);
  const float floats = f32_from_bits(((b.y0 ^ b.y1) >> 9) | 0x3F800000u) - 1.0f;
  const float range = maxval - minval;
  const float scaled = floats * range;
  return std::max(minval, scaled + minval);
}

// rng.md §9.1, evaluated independently of the library's kernel.
float reference_erf_inv_f32(float x) {
  const float centre[] = {2.81022636e-08f,  3.43273939e-07f, -3.5233877e-06f,
                          -4.39150654e-06f, 0.00021858087f,  -0.00125372503f,
                          -0.00417768164f,  0.246640727f,    1.50140941f};
  const float tail[] = {-0.000200214257f, 0.000100950558f, 0.00134934322f,
                        -0.00367342844f,  0.00573950773f,  -0.0076224613f,
                        0.00943887047f,   1.00167406f,     2.83297682f};
  const float w = -std::log1p(-x * x);
  const bool small = w < 5.0f;
  const float t = small ? w - 2.5f : std::sqrt(w) - 3.0f;
  float p = small ? centre[0] : tail[0];
  for (int k = 1; k < 9; ++k) p = (small ? centre[k] : tail[k]) + p * t;
  return std::fabs(x) == 1.0f ? x * INFINITY : p * x;
}

void expect_close_rel(double got, double want, double rtol, double atol, const std::string& what) {
  EXPECT_LE(std::fabs(got - want), atol + rtol * std::fabs(want))
      << what << ": got " << got << " want " << want;
}

// ---------------------------------------------------------------- §13.1 the block function
TEST(Threefry, Random123Vectors) {
  struct Row {
    uint32_t k0, k1, x0, x1, y0, y1;
  };
  const Row rows[] = {
      {0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6b200159u, 0x99ba4efeu},
      {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x1cb996fcu, 0xbb002be7u},
      {0x13198a2eu, 0x03707344u, 0x243f6a88u, 0x85a308d3u, 0xc4923a9cu, 0x483df7a0u},
  };
  for (const Row& r : rows) {
    const auto b = st::cpu::threefry2x32_block(r.k0, r.k1, r.x0, r.x1);
    EXPECT_EQ(b.y0, r.y0);
    EXPECT_EQ(b.y1, r.y1);
  }
  // The primitive over arrays, with broadcast (zero-stride) key operands and a strided counter.
  std::vector<uint32_t> x0, x1;
  for (const Row& r : rows) x0.push_back(r.x0), x1.push_back(r.x1);
  for (size_t i = 0; i < 3; ++i) {
    const Row& r = rows[i];
    const Array k0 = st::broadcast_to(st::scalar<uint32_t>(r.k0), {3});
    const Array k1 = st::broadcast_to(st::scalar<uint32_t>(r.k1), {3});
    const auto out =
        st::prim::bind(st::prim::make<st::prim::Threefry2x32>(),
                       {k0, k1, st::array<uint32_t>(x0, {3}), st::array<uint32_t>(x1, {3})});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(words(out[0])[i], r.y0);
    EXPECT_EQ(words(out[1])[i], r.y1);
  }
  // Many elements (several tiles, threads): every element equals its own block.
  const int64_t n = 5000;
  const Array cnt = st::iota(DType::UInt32, {n});
  const Array z = st::zeros({n}, DType::UInt32);
  const auto out = st::prim::bind(st::prim::make<st::prim::Threefry2x32>(),
                                  {st::full({n}, 7, DType::UInt32), z, st::transpose(z), cnt});
  const auto y0 = words(out[0]), y1 = words(out[1]);
  for (int64_t i = 0; i < n; i += 97) {
    const auto b = st::cpu::threefry2x32_block(7, 0, 0, static_cast<uint32_t>(i));
    EXPECT_EQ(y0[static_cast<size_t>(i)], b.y0) << i;
    EXPECT_EQ(y1[static_cast<size_t>(i)], b.y1) << i;
  }
}

TEST(Threefry, PrimitiveRejectsWrongOperands) {
  const Array u = st::zeros({3}, DType::UInt32);
  EXPECT_STRATA_ERROR(st::prim::bind(st::prim::make<st::prim::Threefry2x32>(),
                                     {u, u, u, st::zeros({3}, DType::Int32)}),
                      "[threefry2x32]", "count1", "uint32", "int32");
  EXPECT_STRATA_ERROR(st::prim::bind(st::prim::make<st::prim::Threefry2x32>(),
                                     {u, u, u, st::zeros({4}, DType::UInt32)}),
                      "[threefry2x32]", "one shape");
}

// ---------------------------------------------------------------- §4 keys
TEST(RandomKey, SeedSplitsIntoHighAndLowWords) {
  EXPECT_EQ(words(rnd::key(0)), (std::vector<uint32_t>{0, 0}));
  EXPECT_EQ(words(rnd::key(42)), (std::vector<uint32_t>{0, 42}));
  const Array k = rnd::key(0x123456789abcdefLL);
  EXPECT_EQ(k.dtype(), DType::UInt32);
  EXPECT_EQ(k.shape(), (Shape{2}));
  EXPECT_EQ(words(k), (std::vector<uint32_t>{0x01234567u, 0x89abcdefu}));
  // Negative seeds: the 64-bit two's-complement pattern (JAX with an int64 seed / x64).
  EXPECT_EQ(words(rnd::key(-1)), (std::vector<uint32_t>{0xffffffffu, 0xffffffffu}));
  EXPECT_EQ(words(rnd::key(-42)), (std::vector<uint32_t>{0xffffffffu, 0xffffffd6u}));
  EXPECT_EQ(words(rnd::key(std::numeric_limits<int64_t>::min())),
            (std::vector<uint32_t>{0x80000000u, 0u}));
  // The 32-bit default mode's key for a negative seed is the uint32 reading of it.
  EXPECT_EQ(words(rnd::key(static_cast<uint32_t>(-42))), (std::vector<uint32_t>{0, 0xffffffd6u}));
}

// ---------------------------------------------------------------- §5 fold_in, §13.2
TEST(RandomFoldIn, KnownAnswers) {
  EXPECT_EQ(words(rnd::fold_in(rnd::key(0), 0)), (std::vector<uint32_t>{1797259609u, 2579123966u}));
  EXPECT_EQ(words(rnd::fold_in(rnd::key(0), 1)), (std::vector<uint32_t>{928981903u, 3453687069u}));
  const Array k = rnd::fold_in(rnd::key(7), 0xdeadbeefu);
  EXPECT_EQ(k.dtype(), DType::UInt32);
  EXPECT_EQ(k.shape(), (Shape{2}));
  const auto b = st::cpu::threefry2x32_block(0, 7, 0, 0xdeadbeefu);
  EXPECT_EQ(words(k), (std::vector<uint32_t>{b.y0, b.y1}));
}

// ---------------------------------------------------------------- §6 split
TEST(RandomSplit, EqualsFoldInOfThePosition) {
  const Array k = rnd::key(1234);
  const Array keys = rnd::split(k, 5);
  EXPECT_EQ(keys.dtype(), DType::UInt32);
  EXPECT_EQ(keys.shape(), (Shape{5, 2}));
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(words(keys[i]), words(rnd::fold_in(k, static_cast<uint32_t>(i)))) << i;
  }
  // Default n = 2; key(0) split: the Random123 first row is split(key(0))[0].
  const Array two = rnd::split(rnd::key(0));
  EXPECT_EQ(two.shape(), (Shape{2, 2}));
  EXPECT_EQ(words(two[0]), (std::vector<uint32_t>{0x6b200159u, 0x99ba4efeu}));
  EXPECT_EQ(words(two[1]), (std::vector<uint32_t>{928981903u, 3453687069u}));
  // Each key depends only on its position, not on n.
  EXPECT_EQ(words(rnd::split(k, 3)[2]), words(keys[2]));
  EXPECT_EQ(rnd::split(k, 0).shape(), (Shape{0, 2}));
  // Split keys are keys: a row can be used directly.
  EXPECT_EQ(words(rnd::split(keys[3], 2)[1]), words(rnd::fold_in(keys[3], 1)));
}

// ---------------------------------------------------------------- §7 bits
TEST(RandomBits, EveryWidthFromTheBlockWords) {
  const Array k = rnd::key(2024);
  const Shape shape{3, 7};
  const Array b32 = rnd::bits(k, shape);
  const Array b16 = rnd::bits(k, shape, DType::UInt16);
  const Array b8 = rnd::bits(k, shape, DType::UInt8);
  const Array b64 = rnd::bits(k, shape, DType::UInt64);
  EXPECT_EQ(b32.dtype(), DType::UInt32);
  EXPECT_EQ(b16.dtype(), DType::UInt16);
  EXPECT_EQ(b8.dtype(), DType::UInt8);
  EXPECT_EQ(b64.dtype(), DType::UInt64);
  EXPECT_EQ(b64.shape(), shape);
  const auto v32 = b32.to_vector<uint32_t>();
  const auto v16 = b16.to_vector<uint16_t>();
  const auto v8 = b8.to_vector<uint8_t>();
  const auto v64 = b64.to_vector<uint64_t>();
  for (uint64_t i = 0; i < 21; ++i) {
    const auto b = block(k, i);
    EXPECT_EQ(v32[i], b.y0 ^ b.y1) << i;
    EXPECT_EQ(v16[i], static_cast<uint16_t>(b.y0 ^ b.y1)) << i;
    EXPECT_EQ(v8[i], static_cast<uint8_t>(b.y0 ^ b.y1)) << i;
    EXPECT_EQ(v64[i], (uint64_t{b.y0} << 32) | b.y1) << i;
  }
  // Element i of bits is the i-th split key joined high-first, and a prefix is stable.
  const Array keys = rnd::split(k, 21);
  EXPECT_EQ(v64[5], (uint64_t{words(keys[5])[0]} << 32) | words(keys[5])[1]);
  EXPECT_EQ(rnd::bits(k, {4}).to_vector<uint32_t>(),
            std::vector<uint32_t>(v32.begin(), v32.begin() + 4));
  // 0-d and empty shapes.
  EXPECT_EQ(rnd::bits(k, {}).item<uint32_t>(), v32[0]);
  EXPECT_EQ(rnd::bits(k, {0, 3}).shape(), (Shape{0, 3}));
}

// ---------------------------------------------------------------- §8 uniform, §13.3
TEST(RandomUniform, KnownAnswers) {
  const Array u0 = rnd::uniform(rnd::key(0), {});
  EXPECT_EQ(u0.dtype(), DType::Float32);
  EXPECT_EQ(u0.shape(), Shape{});
  EXPECT_EQ(std::bit_cast<uint32_t>(u0.item<float>()), 0x3F729A4Eu);
  EXPECT_EQ(rnd::uniform(rnd::fold_in(rnd::key(42), 0), {}).item<float>(), 0.5302608f);
  EXPECT_EQ(rnd::uniform(rnd::fold_in(rnd::key(42), 1), {}).item<float>(), 0.72766423f);
}

TEST(RandomUniform, Float32MatchesTheMantissaConstruction) {
  const Array k = rnd::key(99);
  const auto v = rnd::uniform(k, {4, 50}).to_vector<float>();
  for (uint64_t i = 0; i < 200; ++i) EXPECT_EQ(v[i], reference_uniform_f32(k, i)) << i;
  // A scaled range: multiply then add, each rounded to float32, then the lower clamp.
  const auto w = rnd::uniform(k, {200}, DType::Float32, -3.7, 11.3).to_vector<float>();
  for (uint64_t i = 0; i < 200; ++i) {
    EXPECT_EQ(w[i], reference_uniform_f32(k, i, -3.7f, 11.3f)) << i;
  }
}

TEST(RandomUniform, Float64UsesSixtyFourBits) {
  const Array k = rnd::key(5);
  const Array u = rnd::uniform(k, {64}, DType::Float64, -2, 3);
  EXPECT_EQ(u.dtype(), DType::Float64);
  const auto v = u.to_vector<double>();
  for (uint64_t i = 0; i < 64; ++i) {
    const auto b = block(k, i);
    const uint64_t bits64 = (uint64_t{b.y0} << 32) | b.y1;
    const double floats = std::bit_cast<double>((bits64 >> 12) | 0x3FF0000000000000ull) - 1.0;
    EXPECT_EQ(v[i], std::max(-2.0, floats * 5.0 + -2.0)) << i;
  }
}

TEST(RandomUniform, HalfFormats) {
  const Array k = rnd::key(11);
  const auto h = rnd::uniform(k, {64}, DType::Float16).to_vector<st::float16_t>();
  const auto bf = rnd::uniform(k, {64}, DType::BFloat16).to_vector<st::bfloat16_t>();
  for (uint64_t i = 0; i < 64; ++i) {
    const auto b = block(k, i);
    const uint32_t x = b.y0 ^ b.y1;
    // float16: 16 bits, top 10 as mantissa; bfloat16: 8 bits, top 7 as mantissa.
    const float fh = static_cast<float>(st::float16_t::from_bits(
                         static_cast<uint16_t>((static_cast<uint16_t>(x) >> 6) | 0x3C00u))) -
                     1.0f;
    const float fb = static_cast<float>(st::bfloat16_t::from_bits(
                         static_cast<uint16_t>((static_cast<uint8_t>(x) >> 1) | 0x3F80u))) -
                     1.0f;
    EXPECT_EQ(h[i].bits, st::float16_t(fh).bits) << i;
    EXPECT_EQ(bf[i].bits, st::bfloat16_t(fb).bits) << i;
  }
}

TEST(RandomUniform, StaysInsideTheRange) {
  const int64_t n = 1 << 20;
  const Array u = rnd::uniform(rnd::key(3), {n}, DType::Float32, -1.5, 2.5);
  EXPECT_GE(st::min(u).item<float>(), -1.5f);
  EXPECT_LT(st::max(u).item<float>(), 2.5f);
  EXPECT_NEAR(st::mean(u).item<float>(), 0.5f, 0.01f);
  // [0, 1) hits both ends closely but never 1.
  const Array v = rnd::uniform(rnd::key(4), {n});
  EXPECT_LT(st::min(v).item<float>(), 1e-5f);
  EXPECT_GT(st::max(v).item<float>(), 1.0f - 1e-5f);
  EXPECT_LT(st::max(v).item<float>(), 1.0f);
}

// ---------------------------------------------------------------- §9 normal
TEST(RandomNormal, MatchesErfInvOfUniform) {
  const Array k = rnd::key(8);
  const Array z = rnd::normal(k, {500});
  EXPECT_EQ(z.dtype(), DType::Float32);
  const auto v = z.to_vector<float>();
  for (uint64_t i = 0; i < 500; ++i) {
    // u = uniform(minval = nextafter(-1, 0), maxval = 1): range 2 exactly in float32.
    const auto b = block(k, i);
    const float floats = f32_from_bits(((b.y0 ^ b.y1) >> 9) | 0x3F800000u) - 1.0f;
    const float lo = std::nextafter(-1.0f, 0.0f);
    const float u = std::max(lo, floats * 2.0f + lo);
    const float want = 1.4142135f * reference_erf_inv_f32(u);
    expect_close_rel(v[i], want, 1e-6, 1e-6, "normal[" + std::to_string(i) + "]");
  }
}

TEST(RandomNormal, MomentsOverAMillionDraws) {
  const int64_t n = 1 << 20;
  const Array z = rnd::normal(rnd::key(2), {n});
  // Standard errors: mean 1/sqrt(n) ~ 0.001, variance sqrt(2/n) ~ 0.0014; allow ~5 sigma.
  EXPECT_NEAR(st::mean(z).item<float>(), 0.0f, 0.005f);
  EXPECT_NEAR(st::var(z).item<float>(), 1.0f, 0.007f);
  // Symmetric tails: about 4.55% beyond 2 sigma.
  const double beyond = st::mean(st::astype(st::abs(z) > 2.0, DType::Float32)).item<float>();
  EXPECT_NEAR(beyond, 0.0455, 0.002);
  EXPECT_TRUE(std::isfinite(st::max(st::abs(z)).item<float>()));
}

TEST(RandomNormal, Float64InvertsErfToDoublePrecision) {
  const Array k = rnd::key(21);
  const auto v = rnd::normal(k, {300}, DType::Float64).to_vector<double>();
  for (uint64_t i = 0; i < 300; ++i) {
    const auto b = block(k, i);
    const uint64_t bits64 = (uint64_t{b.y0} << 32) | b.y1;
    const double floats = std::bit_cast<double>((bits64 >> 12) | 0x3FF0000000000000ull) - 1.0;
    const double lo = std::nextafter(-1.0, 0.0);
    const double u = std::max(lo, floats * (1.0 - lo) + lo);
    // erf(z / sqrt 2) must give u back; the tails are checked through erfc, which keeps digits.
    const double z = v[i] / std::sqrt(2.0);
    if (std::fabs(u) < 0.5) {
      EXPECT_NEAR(std::erf(z), u, 4e-16) << i;
    } else {
      expect_close_rel(std::erfc(std::fabs(z)), 1.0 - std::fabs(u), 1e-13, 0,
                       "erfc at " + std::to_string(i));
      EXPECT_EQ(std::signbit(z), std::signbit(u)) << i;
    }
  }
  // Also the library's erf_inv directly, far in the tail, where erf(y) - x would cancel.
  const double x = 1.0 - 1e-15;
  const double y = st::erf_inv(st::scalar(x)).item<double>();
  expect_close_rel(std::erfc(y), 1.0 - x, 1e-12, 0, "erf_inv tail");  // 1 - x is exact
}

TEST(RandomNormal, HalfFormatsRoundTheFloat32Result) {
  const Array k = rnd::key(6);
  const auto h = rnd::normal(k, {100}, DType::Float16).to_vector<st::float16_t>();
  for (uint64_t i = 0; i < 100; ++i) {
    const auto b = block(k, i);
    const uint16_t x = static_cast<uint16_t>(b.y0 ^ b.y1);
    const float floats =
        static_cast<float>(st::float16_t::from_bits(static_cast<uint16_t>((x >> 6) | 0x3C00u))) -
        1.0f;
    const float lo = -1.0f + 0x1p-11f;  // nextafter(-1, 0) in float16
    // Every step rounds to float16 (2 * floats + lo: the range 1 - lo rounds to 2).
    const float u =
        static_cast<float>(st::float16_t(static_cast<float>(st::float16_t(floats * 2.0f)) + lo));
    const float e = static_cast<float>(st::float16_t(reference_erf_inv_f32(std::max(lo, u))));
    const float want =
        static_cast<float>(st::float16_t(static_cast<float>(st::float16_t(1.4142135f)) * e));
    EXPECT_EQ(static_cast<float>(h[i]), want) << i;
  }
}

// ---------------------------------------------------------------- §10 truncated normal
TEST(RandomTruncatedNormal, InverseCdfBetweenTheBounds) {
  const Array k = rnd::key(17);
  const Array t = rnd::truncated_normal(k, -2, 2, {400});
  EXPECT_EQ(t.dtype(), DType::Float32);
  const auto v = t.to_vector<float>();
  const float s = 1.4142135f;
  const float a = std::erf(-2.0f / s), b = std::erf(2.0f / s);
  for (uint64_t i = 0; i < 400; ++i) {
    const float u = reference_uniform_f32(k, i, a, b);
    const float want = std::clamp(s * reference_erf_inv_f32(u), std::nextafter(-2.0f, 0.0f),
                                  std::nextafter(2.0f, 0.0f));
    expect_close_rel(v[i], want, 1e-6, 1e-6, "truncated_normal[" + std::to_string(i) + "]");
  }
}

TEST(RandomTruncatedNormal, RespectsTheBoundsStrictly) {
  const int64_t n = 1 << 18;
  for (auto [lo, hi] : {std::pair{-2.0, 2.0}, std::pair{0.5, 0.75}, std::pair{3.0, 4.0}}) {
    const Array t = rnd::truncated_normal(rnd::key(1), lo, hi, {n});
    EXPECT_GT(st::min(t).item<float>(), static_cast<float>(lo)) << lo;
    EXPECT_LT(st::max(t).item<float>(), static_cast<float>(hi)) << hi;
  }
  // The (-2, 2) truncated standard normal has standard deviation 0.8796256610342398.
  const Array t = rnd::truncated_normal(rnd::key(9), -2, 2, {n});
  EXPECT_NEAR(std::sqrt(st::var(t).item<float>()), 0.87962566, 0.005);
  EXPECT_NEAR(st::mean(t).item<float>(), 0.0, 0.01);
  // One-sided: an infinite bound.
  const Array half = rnd::truncated_normal(rnd::key(9), 0, INFINITY, {n});
  EXPECT_GT(st::min(half).item<float>(), 0.0f);
  EXPECT_TRUE(std::isfinite(st::max(half).item<float>()));
  EXPECT_NEAR(st::mean(half).item<float>(), 0.7978846, 0.01);  // sqrt(2 / pi)
  // 16-bit formats: the bounds' neighbours are taken in the format itself (a float32 neighbour
  // would round back onto the bound).
  for (DType half : {DType::Float16, DType::BFloat16}) {
    const Array t16 = rnd::truncated_normal(rnd::key(9), -0.5, 0.5, {4096}, half);
    EXPECT_EQ(t16.dtype(), half);
    const auto v = st::testing::to_doubles(t16);
    EXPECT_GT(*std::min_element(v.begin(), v.end()), -0.5) << half;
    EXPECT_LT(*std::max_element(v.begin(), v.end()), 0.5) << half;
  }
  const Array t64 = rnd::truncated_normal(rnd::key(9), -1, 1, {1000}, DType::Float64);
  EXPECT_EQ(t64.dtype(), DType::Float64);
  EXPECT_GT(st::min(t64).item<double>(), -1.0);
  EXPECT_LT(st::max(t64).item<double>(), 1.0);
}

// ---------------------------------------------------------------- determinism and jit
TEST(Random, SameKeySameNumbersDifferentKeysDiffer) {
  const Array k = rnd::key(77);
  EXPECT_EQ(rnd::normal(k, {256}).to_vector<float>(), rnd::normal(k, {256}).to_vector<float>());
  EXPECT_NE(rnd::normal(k, {256}).to_vector<float>(),
            rnd::normal(rnd::fold_in(k, 1), {256}).to_vector<float>());
  const Array keys = rnd::split(k);
  EXPECT_NE(rnd::bits(keys[0], {8}).to_vector<uint32_t>(),
            rnd::bits(keys[1], {8}).to_vector<uint32_t>());
}

TEST(Random, EverySamplerUnderJitMatchesEager) {
  const Array k = rnd::key(31);
  auto sample = [](const Array& key) {
    const Array keys = rnd::split(key, 4);
    return std::tuple{rnd::uniform(keys[0], {3, 5}),
                      rnd::normal(keys[1], {7}),
                      rnd::truncated_normal(keys[2], -2, 2, {6}),
                      rnd::bits(keys[3], {4}, DType::UInt64),
                      rnd::fold_in(key, 5),
                      rnd::uniform(keys[0], {9}, DType::Float64, -1, 1)};
  };
  const auto eager = sample(k);
  auto jitted = st::jit(sample);
  const auto traced = jitted(k);
  EXPECT_EQ(std::get<0>(traced).to_vector<float>(), std::get<0>(eager).to_vector<float>());
  EXPECT_EQ(std::get<1>(traced).to_vector<float>(), std::get<1>(eager).to_vector<float>());
  EXPECT_EQ(std::get<2>(traced).to_vector<float>(), std::get<2>(eager).to_vector<float>());
  EXPECT_EQ(std::get<3>(traced).to_vector<uint64_t>(), std::get<3>(eager).to_vector<uint64_t>());
  EXPECT_EQ(std::get<4>(traced).to_vector<uint32_t>(), std::get<4>(eager).to_vector<uint32_t>());
  EXPECT_EQ(std::get<5>(traced).to_vector<double>(), std::get<5>(eager).to_vector<double>());
  // The known answers hold under jit too (the key is a traced argument).
  auto u = st::jit([](const Array& key) { return rnd::uniform(key, {}); });
  EXPECT_EQ(std::bit_cast<uint32_t>(u(rnd::key(0)).item<float>()), 0x3F729A4Eu);
  auto f = st::jit([](const Array& key) { return rnd::fold_in(key, 1); });
  EXPECT_EQ(words(f(rnd::key(0))), (std::vector<uint32_t>{928981903u, 3453687069u}));
  // A second key reuses the compiled graph and gives its own numbers.
  EXPECT_EQ(words(f(rnd::key(42))), words(rnd::fold_in(rnd::key(42), 1)));
  // The graph holds the threefry primitive (the sampler is traced, not run at trace time).
  const std::string listing = st::trace(sample, k).to_string();
  EXPECT_NE(listing.find("threefry2x32"), std::string::npos) << listing;
  EXPECT_NE(listing.find("erf_inv"), std::string::npos) << listing;
}

// ---------------------------------------------------------------- errors
TEST(Random, InvalidKeysAndArguments) {
  const Array bad = st::zeros({3}, DType::UInt32);
  EXPECT_STRATA_ERROR(rnd::split(bad), "[random.split]", "uint32[2]", "uint32(3,)");
  EXPECT_STRATA_ERROR(rnd::fold_in(st::zeros({2}), 1), "[random.fold_in]", "uint32[2]",
                      "float32(2,)");
  EXPECT_STRATA_ERROR(rnd::uniform(rnd::split(rnd::key(0)), {2}), "[random.uniform]", "uint32[2]",
                      "keys[0]");
  EXPECT_STRATA_ERROR(rnd::normal(Array(), {2}), "[random.normal]", "empty Array");
  EXPECT_STRATA_ERROR(rnd::truncated_normal(bad, -1, 1, {2}), "[random.truncated_normal]",
                      "uint32[2]");
  EXPECT_STRATA_ERROR(rnd::bits(bad, {2}), "[random.bits]", "uint32[2]");
  EXPECT_STRATA_ERROR(rnd::split(rnd::key(0), -1), "[random.split]", ">= 0", "-1");
  EXPECT_STRATA_ERROR(rnd::bits(rnd::key(0), {2}, DType::Int32), "[random.bits]", "unsigned",
                      "int32");
  EXPECT_STRATA_ERROR(rnd::uniform(rnd::key(0), {2}, DType::Int32), "[random.uniform]",
                      "floating-point", "int32");
  EXPECT_STRATA_ERROR(rnd::normal(rnd::key(0), {2}, DType::UInt32), "[random.normal]",
                      "floating-point");
  EXPECT_STRATA_ERROR(rnd::uniform(rnd::key(0), {2, -1}), "[random.uniform]", "negative dimension");
  EXPECT_STRATA_ERROR(rnd::truncated_normal(rnd::key(0), 1, -1, {2}), "[random.truncated_normal]",
                      "lower < upper");
}

}  // namespace
