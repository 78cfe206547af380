// Unsigned dtypes, bitwise ops, shifts, bitcast_convert_type and erf_inv: against plain C++
// references, eagerly and under jit.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "primitives/primitive.h"
#include "test_util.h"

namespace st = strata;
using st::Array;
using st::DType;
using st::Shape;

namespace {

TEST(UnsignedDTypes, NamesSizesAndPromotion) {
  using enum DType;
  EXPECT_EQ(st::name(UInt8), "uint8");
  EXPECT_EQ(st::name(UInt16), "uint16");
  EXPECT_EQ(st::name(UInt64), "uint64");
  EXPECT_EQ(st::itemsize(UInt8), 1);
  EXPECT_EQ(st::itemsize(UInt16), 2);
  EXPECT_EQ(st::itemsize(UInt64), 8);
  for (DType u : {UInt8, UInt16, UInt32, UInt64}) {
    EXPECT_TRUE(st::is_integer(u)) << u;
    EXPECT_TRUE(st::is_unsigned_integer(u)) << u;
    EXPECT_FALSE(st::is_signed_integer(u)) << u;
    EXPECT_FALSE(st::is_floating(u)) << u;
  }
  EXPECT_FALSE(st::is_unsigned_integer(Int32));
  EXPECT_FALSE(st::is_unsigned_integer(Bool));
  // jnp.promote_types: unsigned types promote among themselves to the wider; with a signed type
  // the result holds both (u8/u16 + i32 -> i32, u32 + i32 -> i64); u64 with a signed type has no
  // integer home and becomes float64 (JAX's x64 default float); floats and bool as before.
  struct Case {
    DType a, b, want;
  };
  const Case cases[] = {
      {UInt8, UInt8, UInt8},      {UInt8, UInt16, UInt16},      {UInt8, UInt32, UInt32},
      {UInt8, UInt64, UInt64},    {UInt16, UInt32, UInt32},     {UInt32, UInt64, UInt64},
      {UInt8, Int32, Int32},      {UInt16, Int32, Int32},       {UInt32, Int32, Int64},
      {UInt8, Int64, Int64},      {UInt32, Int64, Int64},       {UInt64, Int32, Float64},
      {UInt64, Int64, Float64},   {Bool, UInt8, UInt8},         {Bool, UInt64, UInt64},
      {UInt8, Float16, Float16},  {UInt64, BFloat16, BFloat16}, {UInt16, Float32, Float32},
      {UInt64, Float64, Float64},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(st::promote_types(c.a, c.b), c.want) << c.a << " + " << c.b;
    EXPECT_EQ(st::promote_types(c.b, c.a), c.want) << c.b << " + " << c.a;
  }
  // A weak C++ integer adopts the unsigned array's type; a weak float makes it float32.
  EXPECT_EQ((st::zeros({2}, UInt8) + 1).dtype(), UInt8);
  EXPECT_EQ((st::zeros({2}, UInt16) * 0.5).dtype(), Float32);
}

TEST(UnsignedDTypes, ArithmeticWrapsAndCastsTruncate) {
  const Array a = st::array<uint8_t>({250, 3, 128}, {3});
  EXPECT_EQ((a + st::array<uint8_t>({10, 255, 128}, {3})).to_vector<uint8_t>(),
            (std::vector<uint8_t>{4, 2, 0}));
  EXPECT_EQ((st::array<uint16_t>({1}, {1}) - st::array<uint16_t>({2}, {1})).item<uint16_t>(),
            65535);
  EXPECT_EQ(st::max(a).item<uint8_t>(), 250);
  // Integer casts keep the low bits; float -> unsigned saturates (negative -> 0).
  const Array big = st::array<uint32_t>({0x12345678u, 0xffffffffu}, {2});
  EXPECT_EQ(st::astype(big, DType::UInt8).to_vector<uint8_t>(), (std::vector<uint8_t>{0x78, 0xff}));
  EXPECT_EQ(st::astype(big, DType::UInt16).to_vector<uint16_t>(),
            (std::vector<uint16_t>{0x5678, 0xffff}));
  EXPECT_EQ(st::astype(big, DType::UInt64).to_vector<uint64_t>(),
            (std::vector<uint64_t>{0x12345678u, 0xffffffffu}));
  const Array u64 = st::array<uint64_t>({0xfedcba9876543210ull}, {1});
  EXPECT_EQ(st::astype(u64, DType::UInt32).item<uint32_t>(), 0x76543210u);
  EXPECT_EQ(st::astype(u64, DType::Float64).item<double>(), 18364758544493064720.0);
  EXPECT_EQ(
      st::astype(st::array<float>({-3.5f, 300.7f, 7.9f}, {3}), DType::UInt8).to_vector<uint8_t>(),
      (std::vector<uint8_t>{0, 255, 7}));
  EXPECT_EQ(st::astype(st::array<uint8_t>({200}, {1}), DType::Int32).item<int32_t>(), 200);
  // Printing shows numbers, not characters.
  const std::string printed = st::to_string(st::array<uint8_t>({65, 7}, {2}));
  EXPECT_NE(printed.find("65"), std::string::npos) << printed;
  EXPECT_EQ(printed.find('A'), std::string::npos) << printed;
  EXPECT_NE(printed.find("dtype=uint8"), std::string::npos) << printed;
  EXPECT_EQ(st::to_string(st::array<uint64_t>({18446744073709551615ull}, {1})),
            "array([18446744073709551615], dtype=uint64)");
}

TEST(BitwiseOps, AgainstCxxOperators) {
  const std::vector<uint32_t> x{0xf0f0f0f0u, 0x12345678u, 0u, 0xffffffffu};
  const std::vector<uint32_t> y{0x0ff00ff0u, 0x87654321u, 0xffffffffu, 1u};
  const Array a = st::array<uint32_t>(x, {4}), b = st::array<uint32_t>(y, {4});
  const auto and_ = st::bitwise_and(a, b).to_vector<uint32_t>();
  const auto or_ = st::bitwise_or(a, b).to_vector<uint32_t>();
  const auto xor_ = st::bitwise_xor(a, b).to_vector<uint32_t>();
  const auto not_ = st::bitwise_not(a).to_vector<uint32_t>();
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(and_[i], x[i] & y[i]);
    EXPECT_EQ(or_[i], x[i] | y[i]);
    EXPECT_EQ(xor_[i], x[i] ^ y[i]);
    EXPECT_EQ(not_[i], ~x[i]);
  }
  // uint8 not is bitwise (~1 = 254), bool not is logical; int32 not is two's complement.
  EXPECT_EQ(st::bitwise_not(st::array<uint8_t>({1, 0, 0x5a}, {3})).to_vector<uint8_t>(),
            (std::vector<uint8_t>{254, 255, 0xa5}));
  EXPECT_EQ(st::bitwise_not(st::array<bool>({true, false}, {2})).to_vector<bool>(),
            (std::vector<bool>{false, true}));
  EXPECT_EQ(st::bitwise_not(st::array<int32_t>({0, 5}, {2})).to_vector<int32_t>(),
            (std::vector<int32_t>{-1, -6}));
  EXPECT_EQ(st::bitwise_and(st::array<bool>({true, true}, {2}), st::array<bool>({true, false}, {2}))
                .to_vector<bool>(),
            (std::vector<bool>{true, false}));
  // Broadcasting and a weak scalar operand keep the array's dtype.
  const Array m = st::bitwise_or(st::array<uint64_t>({1, 2}, {2, 1}), st::weak_scalar(int64_t{8}));
  EXPECT_EQ(m.dtype(), DType::UInt64);
  EXPECT_EQ(m.to_vector<uint64_t>(), (std::vector<uint64_t>{9, 10}));
  EXPECT_EQ(st::bitwise_xor(st::array<uint16_t>({0xffff}, {1}), st::array<uint8_t>({0x0f}, {1}))
                .to_vector<uint16_t>(),
            (std::vector<uint16_t>{0xfff0}));
}

TEST(BitwiseOps, Shifts) {
  const Array x = st::array<uint32_t>({0x80000001u, 0x80000001u, 0x80000001u, 0x80000001u}, {4});
  const Array s = st::array<uint32_t>({0, 1, 31, 32}, {4});
  EXPECT_EQ(st::shift_left(x, s).to_vector<uint32_t>(),
            (std::vector<uint32_t>{0x80000001u, 2u, 0x80000000u, 0u}));
  EXPECT_EQ(st::shift_right_logical(x, s).to_vector<uint32_t>(),
            (std::vector<uint32_t>{0x80000001u, 0x40000000u, 1u, 0u}));
  // Signed: logical shifts fill with zeros, arithmetic with the sign; past the width (or a
  // negative amount, read as unsigned) the result is 0 or the sign fill.
  const Array n = st::array<int32_t>({-8, -8, -8, -8, 8}, {5});
  const Array k = st::array<int32_t>({1, 28, 40, -1, 40}, {5});
  EXPECT_EQ(st::shift_right_logical(n, k).to_vector<int32_t>(),
            (std::vector<int32_t>{0x7ffffffc, 0xf, 0, 0, 0}));
  EXPECT_EQ(st::shift_right_arithmetic(n, k).to_vector<int32_t>(),
            (std::vector<int32_t>{-4, -1, -1, -1, 0}));
  EXPECT_EQ(st::shift_left(n, k).to_vector<int32_t>(),
            (std::vector<int32_t>{-16, std::numeric_limits<int32_t>::min(), 0, 0, 0}));
  // 64-bit and 8-bit widths, and a weak scalar amount.
  const Array w =
      st::shift_left(st::array<uint64_t>({0xabcdull}, {1}), st::weak_scalar(int64_t{40}));
  EXPECT_EQ(w.dtype(), DType::UInt64);
  EXPECT_EQ(w.item<uint64_t>(), 0xabcdull << 40);
  EXPECT_EQ(st::shift_right_logical(st::array<uint8_t>({0xf0}, {1}), st::weak_scalar(int64_t{3}))
                .item<uint8_t>(),
            0x1e);
  EXPECT_EQ(
      st::shift_left(st::array<uint8_t>({0xf1}, {1}), st::weak_scalar(int64_t{8})).item<uint8_t>(),
      0);
}

TEST(BitwiseOps, BitcastConvertType) {
  const Array u = st::array<uint32_t>({0x3f800000u, 0xbf7fffffu, 0x7f800000u}, {3});
  const Array f = st::bitcast_convert_type(u, DType::Float32);
  EXPECT_EQ(f.dtype(), DType::Float32);
  EXPECT_EQ(f.to_vector<float>(),
            (std::vector<float>{1.0f, std::nextafter(-1.0f, 0.0f), INFINITY}));
  // And back, from a strided (transposed) view.
  const Array m = st::reshape(st::array<float>({1.5f, -2.0f, 0.25f, 8.0f}, {4}), {2, 2});
  const auto back = st::bitcast_convert_type(st::transpose(m), DType::UInt32).to_vector<uint32_t>();
  EXPECT_EQ(back,
            (std::vector<uint32_t>{std::bit_cast<uint32_t>(1.5f), std::bit_cast<uint32_t>(0.25f),
                                   std::bit_cast<uint32_t>(-2.0f), std::bit_cast<uint32_t>(8.0f)}));
  EXPECT_EQ(
      st::bitcast_convert_type(st::array<uint64_t>({0x3ff8000000000000ull}, {1}), DType::Float64)
          .item<double>(),
      1.5);
  EXPECT_EQ(st::bitcast_convert_type(st::array<uint16_t>({0x3c00}, {1}), DType::Float16)
                .item<st::float16_t>()
                .bits,
            0x3c00);
  EXPECT_EQ(static_cast<float>(
                st::bitcast_convert_type(st::array<uint16_t>({0x4040}, {1}), DType::BFloat16)
                    .item<st::bfloat16_t>()),
            3.0f);
  EXPECT_EQ(st::bitcast_convert_type(st::array<int32_t>({-1}, {1}), DType::UInt32).item<uint32_t>(),
            0xffffffffu);
  EXPECT_STRATA_ERROR(st::bitcast_convert_type(u, DType::Float64), "[bitcast_convert_type]",
                      "same bit width", "32 bits", "64 bits");
  EXPECT_STRATA_ERROR(st::bitcast_convert_type(st::array<bool>({true}, {1}), DType::UInt8),
                      "[bitcast_convert_type]", "bool");
}

TEST(BitwiseOps, RejectFloatOperands) {
  const Array f = st::zeros({2});
  const Array u = st::zeros({2}, DType::UInt32);
  EXPECT_STRATA_ERROR(st::bitwise_and(f, u), "[bitwise_and]", "integer or bool", "float32",
                      "bitcast_convert_type");
  EXPECT_STRATA_ERROR(st::bitwise_not(f), "[bitwise_not]", "float32");
  EXPECT_STRATA_ERROR(st::shift_left(u, f), "[shift_left]", "integer", "float32");
  EXPECT_STRATA_ERROR(st::shift_right_logical(st::zeros({2}, DType::Bool), u),
                      "[shift_right_logical]", "bool");
}

TEST(BitwiseOps, UnderJit) {
  auto f = st::jit([](const Array& x, const Array& y) {
    const Array mant =
        st::bitwise_or(st::shift_right_logical(st::bitwise_xor(x, y), st::weak_scalar(int64_t{9})),
                       st::weak_scalar(int64_t{0x3F800000}));
    return st::bitcast_convert_type(mant, DType::Float32) - 1.0;
  });
  const std::vector<uint32_t> xs{0x6b200159u, 0xdeadbeefu, 0u};
  const std::vector<uint32_t> ys{0x99ba4efeu, 0x12345678u, 0xffffffffu};
  const auto got = f(st::array<uint32_t>(xs, {3}), st::array<uint32_t>(ys, {3})).to_vector<float>();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i], std::bit_cast<float>(((xs[i] ^ ys[i]) >> 9) | 0x3F800000u) - 1.0f) << i;
  }
  EXPECT_EQ(std::bit_cast<uint32_t>(got[0]), 0x3F729A4Eu);  // uniform(key(0)), rng.md 13.3
}

TEST(ErfInv, InvertsErfAndHasTheRightGradient) {
  const std::vector<float> xs{-0.999f, -0.5f, -1e-3f, 0.0f, 0.3f, 0.9f, 0.99999f};
  const auto y = st::erf_inv(st::array<float>(xs, {7})).to_vector<float>();
  for (size_t i = 0; i < xs.size(); ++i) {
    EXPECT_NEAR(std::erf(y[i]), xs[i], 2e-6f * std::max(1.0f, std::fabs(y[i]))) << xs[i];
  }
  const auto edges = st::erf_inv(st::array<float>({-1.0f, 1.0f, 1.5f}, {3})).to_vector<float>();
  EXPECT_EQ(edges[0], -INFINITY);
  EXPECT_EQ(edges[1], INFINITY);
  EXPECT_TRUE(std::isnan(edges[2]));
  const auto d = st::erf_inv(st::array<double>({-0.75, 0.2, 0.999999}, {3})).to_vector<double>();
  EXPECT_NEAR(std::erf(d[0]), -0.75, 1e-16);
  EXPECT_NEAR(std::erf(d[1]), 0.2, 1e-16);
  EXPECT_NEAR(std::erfc(d[2]) / (1.0 - 0.999999), 1.0, 1e-12);  // 1 - x is exact in double
  // d/dx erf_inv(x) = sqrt(pi)/2 exp(erf_inv(x)^2).
  auto g = st::grad([](const Array& x) { return st::sum(st::erf_inv(x)); });
  const Array x = st::array<double>({0.0, 0.6}, {2});
  const auto gx = g(x).to_vector<double>();
  const auto yx = st::erf_inv(x).to_vector<double>();
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(gx[i], std::sqrt(M_PI) / 2 * std::exp(yx[i] * yx[i]), 1e-12);
  }
  EXPECT_EQ(st::erf_inv(st::array<int32_t>({0}, {1})).dtype(), DType::Float32);
}

}  // namespace

// Types print in messages and jaxprs with their short names, the appended dtypes included.
TEST(BitsOps, EveryDtypeHasAShortTypeName) {
  EXPECT_EQ(st::prim::to_string({Shape{2}, DType::UInt8}), "u8[2]");
  EXPECT_EQ(st::prim::to_string({Shape{}, DType::UInt16}), "u16[]");
  EXPECT_EQ(st::prim::to_string({Shape{3, 1}, DType::UInt64}), "u64[3,1]");
  EXPECT_EQ(st::prim::to_string({Shape{1}, DType::Float64}), "f64[1]");
}
