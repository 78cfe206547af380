// strata::Array basics (creation, queries, read-back, leading-axis views, errors, alignment), the
// 16-bit float formats (rounding ties to even, subnormals, inf, NaN) and JAX's promotion table.
#include <cmath>
#include <cstring>
#include <limits>

#include "test_util.h"

namespace strata {
namespace {

using testing::random_array;
using testing::to_doubles;

// ---------------------------------------------------------------- creation and queries
TEST(ArrayBasics, FromVectorsAndInitializerLists) {
  const Array a = array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3});
  EXPECT_TRUE(a.valid());
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(a.ndim(), 2);
  EXPECT_EQ(a.size(), 6);
  EXPECT_EQ(a.dtype(), DType::Float32);
  EXPECT_EQ(a.itemsize(), 4);
  EXPECT_EQ(a.nbytes(), 24);
  EXPECT_EQ(a.shape(-1), 3);
  EXPECT_EQ(a.shape(0), 2);
  EXPECT_TRUE(a.is_contiguous());
  EXPECT_FALSE(a.weak_type());
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));

  const Array v = array(std::vector<int64_t>{7, -8, 9});
  EXPECT_EQ(v.shape(), (Shape{3}));
  EXPECT_EQ(v.dtype(), DType::Int64);
  EXPECT_EQ(v.to_vector<int64_t>(), (std::vector<int64_t>{7, -8, 9}));
  EXPECT_EQ(array({1, 2}).dtype(), DType::Int32);
  EXPECT_EQ(array({1u, 2u}).dtype(), DType::UInt32);
  EXPECT_EQ(array({1.0, 2.0}).dtype(), DType::Float64);
  EXPECT_EQ(array(std::vector<double>{}).shape(), (Shape{0}));

  // bool: std::vector<bool> is bit-packed, strata stores one byte per element.
  const Array b = array({true, false, true, true}, {2, 2});
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_EQ(b.itemsize(), 1);
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(array(std::vector<bool>{false, true}).to_vector<bool>(),
            (std::vector<bool>{false, true}));

  const Array h = array({float16_t(1.5f), float16_t(-2.0f)});
  EXPECT_EQ(h.dtype(), DType::Float16);
  EXPECT_EQ(static_cast<float>(h.to_vector<float16_t>()[1]), -2.0f);
  EXPECT_EQ(array({bfloat16_t(3.0f)}).dtype(), DType::BFloat16);
}

TEST(ArrayBasics, ScalarsAndItem) {
  const Array s = scalar(2.5f);
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_EQ(s.size(), 1);
  EXPECT_EQ(s.item<float>(), 2.5f);
  EXPECT_EQ(scalar(2.0).dtype(), DType::Float64);
  EXPECT_EQ(scalar(int32_t{3}).item<int32_t>(), 3);
  EXPECT_EQ(scalar(true).item<bool>(), true);
  EXPECT_EQ(scalar(uint32_t{7}).dtype(), DType::UInt32);
  EXPECT_EQ(array({4.0f}, {1, 1}).item<float>(), 4.0f);  // any one-element array
  EXPECT_FALSE(scalar(1.0).weak_type());
  EXPECT_TRUE(weak_scalar(1.0).weak_type());
  EXPECT_EQ(weak_scalar(1.0).dtype(), DType::Float64);
  EXPECT_TRUE(weak_scalar(int64_t{1}).weak_type());
  EXPECT_EQ(weak_scalar(int64_t{1}).dtype(), DType::Int64);
}

TEST(ArrayBasics, ReadBackErrors) {
  const Array a = array({1.0f, 2.0f});
  EXPECT_STRATA_ERROR(a.item<float>(), "[Array::item]", "exactly one element", "(2,)");
  EXPECT_STRATA_ERROR(zeros({0}).item<float>(), "[Array::item]", "0 elements");
  EXPECT_STRATA_ERROR(a.to_vector<int32_t>(), "[Array::to_vector]", "int32", "float32");
  EXPECT_STRATA_ERROR(scalar(1.0).item<float>(), "[Array::item]", "float32", "float64");
  EXPECT_STRATA_ERROR(a.data<double>(), "[Array::data]", "float64");
  EXPECT_STRATA_ERROR(a.shape(2), "[Array::shape]", "axis 2");
  EXPECT_STRATA_ERROR(a.shape(-2), "[Array::shape]", "axis -2");
  EXPECT_STRATA_ERROR(array({1.0f}, {-1}), "[array]", "negative");
}

TEST(ArrayBasics, ValueCountMustMatchShape) {
  EXPECT_STRATA_ERROR(array(std::vector<int32_t>{1, 2, 3, 4, 5}, {2, 2}), "[array]", "5", "(2, 2)");
  EXPECT_STRATA_ERROR(array({1.0f, 2.0f, 3.0f}, {2, 2}), "[array]", "3", "(2, 2)");
  EXPECT_STRATA_ERROR(array({true}, {2}), "[array]", "(2,)");
}

TEST(ArrayBasics, DefaultConstructedArrayThrowsEverywhere) {
  const Array e;
  EXPECT_FALSE(e.valid());
  EXPECT_STRATA_ERROR(e.shape(), "[Array]", "empty");
  EXPECT_STRATA_ERROR(e.ndim(), "[Array]", "empty");
  EXPECT_STRATA_ERROR(e.size(), "[Array]");
  EXPECT_STRATA_ERROR(e.dtype(), "[Array]");
  EXPECT_STRATA_ERROR(e.data(), "[Array]");
  EXPECT_STRATA_ERROR(e.item<float>(), "[Array");
  EXPECT_STRATA_ERROR(e.to_vector<float>(), "[Array");
  EXPECT_STRATA_ERROR(e[0], "[Array");
  EXPECT_STRATA_ERROR(e.slice(0, 1), "[Array");
  EXPECT_STRATA_ERROR(add(e, scalar(1.0f)), "empty Array");
}

// ---------------------------------------------------------------- leading-axis views
TEST(ArrayViews, IndexIsAViewWithNegativeIndices) {
  const Array a = random_array({4, 3, 2}, DType::Float32, 1);
  const std::vector<double> v = to_doubles(a);
  for (int64_t i = -4; i < 4; ++i) {
    const Array row = a[i];
    const int64_t r = i < 0 ? i + 4 : i;
    EXPECT_EQ(row.shape(), (Shape{3, 2}));
    EXPECT_TRUE(row.shares_buffer_with(a));
    // No copy: the view's first element is inside a's storage at the row offset.
    EXPECT_EQ(static_cast<const char*>(row.data()), static_cast<const char*>(a.data()) + r * 6 * 4);
    EXPECT_EQ(to_doubles(row), std::vector<double>(v.begin() + r * 6, v.begin() + r * 6 + 6));
  }
  EXPECT_EQ(a[1][2].shape(), (Shape{2}));
  EXPECT_EQ(a[1][2][-1].item<float>(), static_cast<float>(v[1 * 6 + 2 * 2 + 1]));
  // Indexing a transposed view indexes its logical leading axis.
  const Array t = transpose(random_array({3, 4}, DType::Int32, 2));
  EXPECT_EQ(to_doubles(t[2]), to_doubles(take(t, scalar(2))));
  EXPECT_TRUE(t[2].shares_buffer_with(t));
}

TEST(ArrayViews, SliceIsAView) {
  const Array a = random_array({6, 2}, DType::Float64, 3);
  const std::vector<double> v = to_doubles(a);
  const Array s = a.slice(1, 5, 2);
  EXPECT_EQ(s.shape(), (Shape{2, 2}));
  EXPECT_TRUE(s.shares_buffer_with(a));
  EXPECT_EQ(static_cast<const char*>(s.data()), static_cast<const char*>(a.data()) + 2 * 8);
  EXPECT_EQ(to_doubles(s), (std::vector<double>{v[2], v[3], v[6], v[7]}));
  const Array r = a.slice(-1, -7, -1);  // reversed
  EXPECT_EQ(r.shape(), (Shape{6, 2}));
  EXPECT_TRUE(r.shares_buffer_with(a));
  EXPECT_EQ(to_doubles(r[0]), to_doubles(a[5]));
  EXPECT_EQ(a.slice(4, 100).shape(), (Shape{2, 2}));  // clamped like Python
  EXPECT_EQ(a.slice(3, 1).shape(), (Shape{0, 2}));
  EXPECT_STRATA_ERROR(a.slice(0, 2, 0), "[Array::slice]", "(in slice)", "step cannot be zero");
}

TEST(ArrayViews, IndexErrors) {
  const Array a = random_array({3, 2}, DType::Float32, 4);
  EXPECT_STRATA_ERROR(a[3], "[Array::operator[]]", "index 3", "size 3");
  EXPECT_STRATA_ERROR(a[-4], "[Array::operator[]]", "index -4");
  EXPECT_STRATA_ERROR(scalar(1.0f)[0], "[Array::operator[]]", "0-d");
  EXPECT_STRATA_ERROR(zeros({0})[0], "[Array::operator[]]", "size 0");
}

TEST(ArrayStorage, DataIsSixtyFourByteAligned) {
  for (int64_t n : {0, 1, 3, 17, 1000}) {
    for (DType dt : kAllDTypes) {
      const Array a = random_array({n}, dt, 5);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data()) % 64, 0u) << n << " " << dt;
    }
  }
  EXPECT_EQ(reinterpret_cast<uintptr_t>(scalar(1.0f).data()) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(detail::empty({5, 7}, DType::Float16).data()) % 64, 0u);
}

// ---------------------------------------------------------------- 16-bit floats
float from_bits32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(HalfFloats, Float16RoundsToNearestEven) {
  EXPECT_EQ(float16_t(1.0f).bits, 0x3c00);
  EXPECT_EQ(float16_t(-2.0f).bits, 0xc000);
  EXPECT_EQ(float16_t(0.0f).bits, 0x0000);
  EXPECT_EQ(float16_t(-0.0f).bits, 0x8000);
  EXPECT_EQ(float16_t(65504.0f).bits, 0x7bff);  // largest finite
  // Ties: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10 and goes to the even mantissa (1);
  // 1 + 3 * 2^-11 lies between mantissas 1 and 2 and goes to 2.
  EXPECT_EQ(float16_t(1.0f + std::ldexp(1.0f, -11)).bits, 0x3c00);
  EXPECT_EQ(float16_t(1.0f + 3 * std::ldexp(1.0f, -11)).bits, 0x3c02);
  EXPECT_EQ(float16_t(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)).bits, 0x3c01);
  // Overflow: 65520 is the halfway point to 2^16 and rounds (to even) to infinity.
  EXPECT_EQ(float16_t(65519.0f).bits, 0x7bff);
  EXPECT_EQ(float16_t(65520.0f).bits, 0x7c00);
  EXPECT_EQ(float16_t(1e10f).bits, 0x7c00);
  EXPECT_EQ(float16_t(-1e10f).bits, 0xfc00);
}

TEST(HalfFloats, Float16SubnormalsInfNan) {
  const float tiny = std::ldexp(1.0f, -24);  // smallest subnormal half
  EXPECT_EQ(float16_t(tiny).bits, 0x0001);
  EXPECT_EQ(float16_t(std::ldexp(1.0f, -25)).bits, 0x0000);      // tie -> even (0)
  EXPECT_EQ(float16_t(3 * std::ldexp(1.0f, -25)).bits, 0x0002);  // tie -> even (2)
  EXPECT_EQ(float16_t(std::ldexp(1.0f, -26)).bits, 0x0000);
  EXPECT_EQ(float16_t(-tiny).bits, 0x8001);
  EXPECT_EQ(float16_t(1023 * tiny).bits, 0x03ff);               // largest subnormal
  EXPECT_EQ(float16_t(std::ldexp(1.0f, -14)).bits, 0x0400);     // smallest normal
  EXPECT_EQ(float16_t(std::ldexp(1023.5f, -24)).bits, 0x0400);  // rounds up into the normals
  EXPECT_EQ(static_cast<float>(float16_t::from_bits(0x0001)), tiny);
  EXPECT_EQ(static_cast<float>(float16_t::from_bits(0x03ff)), 1023 * tiny);
  EXPECT_EQ(float16_t(std::numeric_limits<float>::infinity()).bits, 0x7c00);
  EXPECT_EQ(static_cast<float>(float16_t::from_bits(0xfc00)),
            -std::numeric_limits<float>::infinity());
  const float16_t nan(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan.bits & 0x7c00, 0x7c00);
  EXPECT_NE(nan.bits & 0x03ff, 0);
  EXPECT_TRUE(std::isnan(static_cast<float>(nan)));
  EXPECT_TRUE(std::isnan(static_cast<float>(float16_t::from_bits(0x7e00))));
  // A signalling NaN whose payload lives only in the low bits must stay a NaN, not become inf.
  EXPECT_TRUE(std::isnan(static_cast<float>(float16_t(from_bits32(0x7f800001u)))));
}

TEST(HalfFloats, Float16EveryBitPatternRoundTrips) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float16_t h = float16_t::from_bits(static_cast<uint16_t>(b));
    const float f = static_cast<float>(h);
    if (std::isnan(f)) {
      ASSERT_TRUE((b & 0x7c00) == 0x7c00 && (b & 0x3ff) != 0) << b;
      ASSERT_TRUE(std::isnan(static_cast<float>(float16_t(f)))) << b;
    } else {
      ASSERT_EQ(float16_t(f).bits, b) << "bits " << b << " value " << f;
    }
  }
}

TEST(HalfFloats, BFloat16RoundsToNearestEven) {
  EXPECT_EQ(bfloat16_t(1.0f).bits, 0x3f80);
  EXPECT_EQ(bfloat16_t(-1.0f).bits, 0xbf80);
  EXPECT_EQ(bfloat16_t(1.0f + std::ldexp(1.0f, -8)).bits, 0x3f80);      // tie -> even
  EXPECT_EQ(bfloat16_t(1.0f + 3 * std::ldexp(1.0f, -8)).bits, 0x3f82);  // tie -> even
  EXPECT_EQ(bfloat16_t(std::nextafter(1.0f + std::ldexp(1.0f, -8), 2.0f)).bits, 0x3f81);
  EXPECT_EQ(bfloat16_t(std::numeric_limits<float>::max()).bits, 0x7f80);  // rounds to inf
  EXPECT_EQ(bfloat16_t(std::numeric_limits<float>::infinity()).bits, 0x7f80);
  EXPECT_EQ(bfloat16_t(-std::numeric_limits<float>::infinity()).bits, 0xff80);
  EXPECT_EQ(bfloat16_t(from_bits32(0x00010000u)).bits, 0x0001);  // subnormal, exact
  EXPECT_EQ(bfloat16_t(from_bits32(0x00008000u)).bits, 0x0000);  // tie -> even
  EXPECT_EQ(bfloat16_t(from_bits32(0x00018000u)).bits, 0x0002);  // tie -> even
  EXPECT_TRUE(std::isnan(static_cast<float>(bfloat16_t(std::numeric_limits<float>::quiet_NaN()))));
  // A NaN whose payload is only in the dropped low bits must not round to infinity.
  EXPECT_TRUE(std::isnan(static_cast<float>(bfloat16_t(from_bits32(0x7f800001u)))));
  EXPECT_TRUE(std::isnan(static_cast<float>(bfloat16_t(from_bits32(0xffffffffu)))));
}

TEST(HalfFloats, BFloat16EveryBitPatternRoundTrips) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = static_cast<float>(bfloat16_t::from_bits(static_cast<uint16_t>(b)));
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(static_cast<float>(bfloat16_t(f)))) << b;
    } else {
      ASSERT_EQ(bfloat16_t(f).bits, b) << b;
    }
  }
}

TEST(HalfFloats, ArraysConvertThroughAstype) {
  const Array x = array({1.0f, 65520.0f, 1.0f + std::ldexp(1.0f, -11), std::ldexp(1.0f, -25)});
  const std::vector<float16_t> h = astype(x, DType::Float16).to_vector<float16_t>();
  EXPECT_EQ(h[0].bits, 0x3c00);
  EXPECT_EQ(h[1].bits, 0x7c00);
  EXPECT_EQ(h[2].bits, 0x3c00);
  EXPECT_EQ(h[3].bits, 0x0000);
  const std::vector<bfloat16_t> b = astype(x, DType::BFloat16).to_vector<bfloat16_t>();
  EXPECT_EQ(b[0].bits, 0x3f80);
  EXPECT_EQ(static_cast<float>(b[1]), 65536.0f);
  EXPECT_EQ(to_doubles(astype(astype(x, DType::Float16), DType::Float32))[0], 1.0);
}

// ---------------------------------------------------------------- promotion
TEST(Promotion, StrongTableMatchesJax) {
  using enum DType;
  // Rows and columns in kAllDTypes order: bool, i32, u32, i64, f16, bf16, f32, f64
  // (jnp.promote_types; JAX's table at docs.jax.dev/en/latest/type_promotion.html).
  const DType table[8][8] = {
      {Bool, Int32, UInt32, Int64, Float16, BFloat16, Float32, Float64},
      {Int32, Int32, Int64, Int64, Float16, BFloat16, Float32, Float64},
      {UInt32, Int64, UInt32, Int64, Float16, BFloat16, Float32, Float64},
      {Int64, Int64, Int64, Int64, Float16, BFloat16, Float32, Float64},
      {Float16, Float16, Float16, Float16, Float16, Float32, Float32, Float64},
      {BFloat16, BFloat16, BFloat16, BFloat16, Float32, BFloat16, Float32, Float64},
      {Float32, Float32, Float32, Float32, Float32, Float32, Float32, Float64},
      {Float64, Float64, Float64, Float64, Float64, Float64, Float64, Float64},
  };
  for (size_t i = 0; i < 8; ++i) {
    for (size_t j = 0; j < 8; ++j) {
      EXPECT_EQ(promote_types(kAllDTypes[i], kAllDTypes[j]), table[i][j])
          << kAllDTypes[i] << " + " << kAllDTypes[j];
      const PromotedType p = promote_types(kAllDTypes[i], false, kAllDTypes[j], false);
      EXPECT_EQ(p.dtype, table[i][j]);
      EXPECT_FALSE(p.weak);
    }
  }
}

TEST(Promotion, WeakScalarsAdoptTheArrayType) {
  using enum DType;
  // A weak value of the same or a lower kind takes the strong type, whatever its width.
  for (DType strong : {Int32, UInt32, Int64, Float16, BFloat16, Float32, Float64}) {
    const PromotedType p = promote_types(strong, false, Int64, true);
    EXPECT_EQ(p.dtype, strong) << strong;
    EXPECT_FALSE(p.weak);
    EXPECT_EQ(promote_types(Int64, true, strong, false).dtype, strong);
  }
  for (DType strong : {Float16, BFloat16, Float32, Float64}) {
    EXPECT_EQ(promote_types(strong, false, Float64, true).dtype, strong) << strong;
    EXPECT_FALSE(promote_types(Float64, true, strong, false).weak);
  }
  // A weak float with an integer or bool array gives the default float: i32 * 0.5 -> f32.
  EXPECT_EQ(promote_types(Int32, false, Float64, true).dtype, Float32);
  EXPECT_EQ(promote_types(UInt32, false, Float64, true).dtype, Float32);
  EXPECT_EQ(promote_types(Bool, false, Float64, true).dtype, Float32);
  EXPECT_EQ(promote_types(Bool, false, Int64, true).dtype, Int32);
  // Two weak values stay weak; the higher kind wins.
  const PromotedType ww = promote_types(Int64, true, Float64, true);
  EXPECT_TRUE(ww.weak);
  EXPECT_TRUE(is_floating(ww.dtype));
  EXPECT_TRUE(promote_types(Int64, true, Int64, true).weak);
  // Through the ops: x_f16 * 2.0 stays f16, x_i32 + 1 stays i32, x_bf16 + 0.5 stays bf16.
  const Array h = astype(array({1.0f, 2.0f}), Float16);
  EXPECT_EQ((h * 2.0).dtype(), Float16);
  EXPECT_EQ((array({1, 2}) + 1).dtype(), Int32);
  EXPECT_EQ((array({1, 2}) * 0.5).dtype(), Float32);
  EXPECT_EQ((astype(h, BFloat16) + 0.5).dtype(), BFloat16);
  EXPECT_EQ((h + 1).dtype(), Float16);
}

// JAX's lattice puts the weak types i* and f* between kinds: bool < i* < (strong ints) < f* <
// (strong floats).  So joining a weak value with a strong value of a lower kind yields the weak
// type itself (i32 + 0.5 -> f*, printed "float32, weak_type=True"), and a later f16 operand then
// wins: (x_i32 * 0.5) * x_f16 is float16 in JAX.
TEST(Promotion, WeakResultOfHigherKindStaysWeakLikeJax) {
  using enum DType;
  EXPECT_TRUE(promote_types(Int32, false, Float64, true).weak);
  EXPECT_TRUE(promote_types(Bool, false, Int64, true).weak);
  const Array x = array({1, 2});
  const Array h = astype(array({1.0f, 2.0f}), Float16);
  EXPECT_EQ(((x * 0.5) * h).dtype(), Float16);
}

// ---------------------------------------------------------------- sizes that do not fit (issue 14)
TEST(ArrayErrors, ShapeSizesThatOverflowAreErrors) {
  const int64_t big = int64_t{1} << 32;
  EXPECT_STRATA_ERROR(ones({big, big}), "[ones]", "(4294967296, 4294967296)", "2^63 - 1");
  EXPECT_STRATA_ERROR(zeros({3037000500, 3037000500}), "[zeros]", "2^63 - 1");
  EXPECT_STRATA_ERROR(full({big, big, 2}, 1.0), "[full]");
  EXPECT_STRATA_ERROR(reshape(zeros({0}), {big, big}), "[reshape]", "2^63 - 1");
  EXPECT_STRATA_ERROR(broadcast_to(ones({1}), {big, big}), "[broadcast_to]");
  EXPECT_STRATA_ERROR(zeros({big, 1}) + zeros({1, big}), "[add]", "2^63 - 1");
  EXPECT_STRATA_ERROR(zeros({int64_t{1} << 61}, DType::Float64), "[zeros]", "bytes");
  const Array half = zeros({int64_t{1} << 62}, DType::Bool);  // a view: 1 byte per element
  EXPECT_STRATA_ERROR(concatenate({half, half}), "[concatenate]", "2^63 - 1");
  EXPECT_STRATA_ERROR(iota(DType::Int32, {big, big}), "[iota]");
  // A zero anywhere makes the product 0, whatever the other sizes are.
  EXPECT_EQ(zeros({big, 0, big}).size(), 0);
  EXPECT_EQ(detail::checked_size({big, big, 0}, "test"), 0);
  EXPECT_STRATA_ERROR(detail::checked_size({2, -1}, "test"), "[test]", "negative");
  // Under jit and in a scan's stacked outputs the same check names the op.
  EXPECT_STRATA_ERROR(jit([&](const Array& x) {
                        return broadcast_to(x, {big, big});
                      })(ones({1})),
                      "[broadcast_to]");
  auto body = [](const Array& c, None) { return std::pair{c, broadcast_to(c, {big})}; };
  EXPECT_STRATA_ERROR(scan(body, ones({1}), None{}, {.length = big}), "2^63 - 1");
}

TEST(ArrayErrors, AllocationFailureIsAnErrorNotBadAlloc) {
  // 4 TiB: a zero-stride view until an op needs real storage, which then reports what it asked.
  const Array huge = zeros({int64_t{1} << 40});
  try {
    (void)(huge + 1.0);
    ADD_FAILURE() << "expected strata::Error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cannot allocate 4.0 TiB for float32 (1099511627776,)"), std::string::npos)
        << m;
    EXPECT_EQ(m.rfind("[", 0), 0u) << m;
  } catch (const std::bad_alloc&) {
    ADD_FAILURE() << "std::bad_alloc leaked";
  }
  EXPECT_STRATA_ERROR(array(std::vector<float>{}, {int64_t{1} << 40}), "[array]", "got 0 values");
  EXPECT_EQ(detail::format_bytes(64), "64 B");
  EXPECT_EQ(detail::format_bytes(int64_t{3} << 19), "1.5 MiB");
}

}  // namespace
}  // namespace strata
