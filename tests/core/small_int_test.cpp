// int8 and int16 (quantised weights in real checkpoints) as full dtypes: creation, casts
// (saturating from floats, wrapping between integers, as XLA), printing, wrap-around arithmetic,
// comparisons, reductions, matmul, and JAX's promotion lattice.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "test_util.h"

namespace strata::testing {
namespace {

using enum DType;

TEST(SmallInts, CreationNamesSizesAndPrinting) {
  EXPECT_EQ(itemsize(Int8), 1);
  EXPECT_EQ(itemsize(Int16), 2);
  EXPECT_EQ(name(Int8), "int8");
  EXPECT_EQ(name(Int16), "int16");
  EXPECT_TRUE(is_signed_integer(Int8) && is_integer(Int16) && !is_floating(Int16));
  const Array a = array(std::vector<int8_t>{-3, 4, 127});
  EXPECT_EQ(a.dtype(), Int8);
  EXPECT_EQ(a.to_vector<int8_t>(), (std::vector<int8_t>{-3, 4, 127}));
  EXPECT_EQ(to_string(a), "array([ -3,   4, 127], dtype=int8)");
  EXPECT_EQ(to_string(full({2}, -7, Int16)), "array([-7, -7], dtype=int16)");
  EXPECT_EQ(to_doubles(ones({2}, Int8)), (std::vector<double>{1, 1}));
  EXPECT_EQ(to_doubles(iota(Int16, {3})), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(scalar(int16_t{-2}).dtype(), Int16);
}

TEST(SmallInts, CastsSaturateFromFloatsAndWrapBetweenIntegers) {
  const Array f = array({300.0f, -300.0f, NAN, 2.9f, -2.9f});
  EXPECT_EQ(astype(f, Int8).to_vector<int8_t>(), (std::vector<int8_t>{127, -128, 0, 2, -2}));
  EXPECT_EQ(astype(array({1e6f, -1e6f}), Int16).to_vector<int16_t>(),
            (std::vector<int16_t>{32767, -32768}));
  EXPECT_EQ(astype(array({200, -129, 65537}), Int8).to_vector<int8_t>(),
            (std::vector<int8_t>{-56, 127, 1}));
  EXPECT_EQ(astype(array({40000}), Int16).to_vector<int16_t>(), std::vector<int16_t>{-25536});
  EXPECT_EQ(to_doubles(astype(array(std::vector<int8_t>{-1}), Float32)), std::vector<double>{-1});
  EXPECT_EQ(to_doubles(astype(array(std::vector<int16_t>{-1}), UInt16)),
            std::vector<double>{65535});
}

TEST(SmallInts, ArithmeticWrapsAsXla) {
  const Array a = array(std::vector<int8_t>{127, -128, 100, -7});
  const Array b = array(std::vector<int8_t>{1, -1, 100, 2});
  EXPECT_EQ((a + b).to_vector<int8_t>(), (std::vector<int8_t>{-128, 127, -56, -5}));
  EXPECT_EQ((a * b).to_vector<int8_t>(), (std::vector<int8_t>{127, -128, 16, -14}));
  EXPECT_EQ((-a).to_vector<int8_t>(), (std::vector<int8_t>{-127, -128, -100, 7}));
  EXPECT_EQ(abs(a).to_vector<int8_t>(), (std::vector<int8_t>{127, -128, 100, 7}));
  EXPECT_EQ((a / b).dtype(), Float32);  // true division, as jnp
  EXPECT_EQ(to_doubles(a / b), (std::vector<double>{127, 128, 1, -3.5}));
  const Array h = array(std::vector<int16_t>{300, -32768, 181});
  EXPECT_EQ((h * h).to_vector<int16_t>(), (std::vector<int16_t>{24464, 0, 32761}));
  EXPECT_EQ((h + 1).dtype(), Int16);  // a weak C++ scalar takes the array's type
  EXPECT_EQ((h * 0.5).dtype(), Float32);
  // Unsigned 16-bit products wrap too (they are computed wider than int).
  const Array u = array(std::vector<uint16_t>{65535});
  EXPECT_EQ((u * u).to_vector<uint16_t>(), std::vector<uint16_t>{1});
}

TEST(SmallInts, ComparisonsReductionsAndMatmul) {
  const Array a = array(std::vector<int8_t>{-5, 3, 3, 100});
  const Array b = array(std::vector<int8_t>{3, 3, -1, 100});
  EXPECT_EQ((a < b).to_vector<bool>(), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(equal(a, b).to_vector<bool>(), (std::vector<bool>{false, true, false, true}));
  EXPECT_EQ(maximum(a, b).to_vector<int8_t>(), (std::vector<int8_t>{3, 3, 3, 100}));
  EXPECT_EQ(max(a).item<int8_t>(), 100);
  EXPECT_EQ(sum(a).dtype(), Int8);
  EXPECT_EQ(sum(a).item<int8_t>(), static_cast<int8_t>(101));
  EXPECT_EQ(sum(a + a).item<int8_t>(), static_cast<int8_t>(202 - 256));  // wraps like XLA
  const Array m = array(std::vector<int16_t>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Array n = array(std::vector<int16_t>{1, -1, 2, 0, 300, 1}, {3, 2});
  EXPECT_EQ(matmul(m, n).to_vector<int16_t>(), (std::vector<int16_t>{905, 2, 1814, 2}));
  EXPECT_EQ(jit([](const Array& x) { return sum(x * x, {1}); })(m).to_vector<int16_t>(),
            (std::vector<int16_t>{14, 77}));
}

TEST(DTypeConstants, NumPyNamesStandForTheDTypes) {
  EXPECT_EQ(zeros({2}, strata::bfloat16).dtype(), BFloat16);
  EXPECT_EQ(astype(array({1.5}), strata::int8).dtype(), Int8);
  const DType all[] = {strata::bool_,   strata::int32,    strata::uint32,  strata::int64,
                       strata::float16, strata::bfloat16, strata::float32, strata::float64,
                       strata::uint8,   strata::uint16,   strata::uint64,  strata::int8,
                       strata::int16};
  for (size_t i = 0; i < std::size(all); ++i) {
    EXPECT_EQ(all[i], kAllDTypes[i]);
    EXPECT_EQ(name(all[i]), name(kAllDTypes[i]));
  }
}

TEST(SmallInts, PromotionFollowsJaxLattice) {
  struct Row {
    DType a, b, want;
  };
  for (const Row& r : std::vector<Row>{{Int8, Bool, Int8},
                                       {Int8, UInt8, Int16},
                                       {Int8, UInt16, Int32},
                                       {Int8, UInt32, Int64},
                                       {Int8, Int16, Int16},
                                       {Int8, Int32, Int32},
                                       {Int8, Int64, Int64},
                                       {Int8, Float16, Float16},
                                       {Int8, BFloat16, BFloat16},
                                       {Int16, UInt8, Int16},
                                       {Int16, UInt16, Int32},
                                       {Int16, UInt32, Int64},
                                       {Int16, Int32, Int32},
                                       {Int16, Float32, Float32},
                                       {Int8, UInt64, Float64},
                                       {Int16, Int16, Int16}}) {
    EXPECT_EQ(promote_types(r.a, r.b), r.want) << r.a << " + " << r.b;
    EXPECT_EQ(promote_types(r.b, r.a), r.want) << r.b << " + " << r.a;
  }
  const Array i8 = array(std::vector<int8_t>{1});
  EXPECT_EQ((i8 + array(std::vector<uint8_t>{200})).to_vector<int16_t>(),
            std::vector<int16_t>{201});
}

}  // namespace
}  // namespace strata::testing
