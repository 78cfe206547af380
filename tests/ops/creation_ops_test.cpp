// Creation ops of ops.h: full / zeros / ones (+ _like), arange (both forms), eye, iota, against
// reference loops; dtypes and weak types; 0-d and empty shapes; every error path.
#include <cmath>

#include "test_util.h"

namespace strata {
namespace {

using testing::random_array;
using testing::to_doubles;

TEST(CreationOps, FullZerosOnesEveryDtype) {
  for (DType dt : kAllDTypes) {
    const Array z = zeros({2, 3}, dt);
    const Array o = ones({2, 3}, dt);
    const Array f = full({4}, 3.0, dt);
    EXPECT_EQ(z.dtype(), dt);
    EXPECT_EQ(z.shape(), (Shape{2, 3}));
    EXPECT_FALSE(z.weak_type());
    EXPECT_EQ(to_doubles(z), std::vector<double>(6, 0.0)) << dt;
    EXPECT_EQ(to_doubles(o), std::vector<double>(6, 1.0)) << dt;
    EXPECT_EQ(to_doubles(f), std::vector<double>(4, dt == DType::Bool ? 1.0 : 3.0)) << dt;
  }
  EXPECT_EQ(zeros({3}).dtype(), DType::Float32);  // default dtype
  // Conversion of the fill value follows the dtype: truncation, rounding, saturation.
  EXPECT_EQ(full({2}, 2.7, DType::Int32).to_vector<int32_t>(), (std::vector<int32_t>{2, 2}));
  EXPECT_EQ(full({1}, -2.7, DType::Int64).to_vector<int64_t>(), (std::vector<int64_t>{-2}));
  EXPECT_EQ(full({1}, 1e20, DType::Int32).item<int32_t>(), 2147483647);
  EXPECT_EQ(static_cast<float>(full({1}, 0.1, DType::Float16).item<float16_t>()),
            static_cast<float>(float16_t(0.1f)));
  EXPECT_EQ(full({1}, 0.1, DType::Float64).item<double>(), 0.1);
  EXPECT_TRUE(std::isnan(full({1}, NAN, DType::Float32).item<float>()));
  EXPECT_EQ(full({1}, -INFINITY, DType::BFloat16).item<bfloat16_t>().bits, 0xff80);
}

TEST(CreationOps, FullIsABroadcastOfOneElement) {
  // A zero-stride view: one element of storage however large the shape.
  const Array big = zeros({1024, 1024});
  EXPECT_EQ(big.strides(), (Strides{0, 0}));
  EXPECT_EQ(big.size(), 1024 * 1024);
  EXPECT_EQ(sum(big).item<float>(), 0.0f);
  // It behaves as a normal array in later ops.
  const Array x = random_array({2, 3}, DType::Float32, 1);
  EXPECT_EQ(to_doubles(add(x, ones({2, 3}))), to_doubles(add(x, scalar(1.0f))));
  EXPECT_EQ(to_doubles(concatenate({full({1, 2}, 5.0), zeros({1, 2})})),
            (std::vector<double>{5, 5, 0, 0}));
}

TEST(CreationOps, ZeroDimAndEmptyShapes) {
  EXPECT_EQ(full({}, 4.0).shape(), Shape{});
  EXPECT_EQ(full({}, 4.0).item<float>(), 4.0f);
  EXPECT_EQ(zeros({0}).size(), 0);
  EXPECT_EQ(ones({3, 0, 2}, DType::Int32).shape(), (Shape{3, 0, 2}));
  EXPECT_EQ(to_doubles(zeros({0, 5})), std::vector<double>{});
}

TEST(CreationOps, LikeFormsKeepShapeDtypeAndWeakType) {
  for (const Array& a :
       {random_array({2, 3}, DType::Float16, 1), random_array({4}, DType::Int32, 2),
        transpose(random_array({3, 2}, DType::Float64, 3)), scalar(true)}) {
    EXPECT_EQ(zeros_like(a).shape(), a.shape());
    EXPECT_EQ(zeros_like(a).dtype(), a.dtype());
    EXPECT_EQ(ones_like(a).dtype(), a.dtype());
    EXPECT_EQ(full_like(a, 2.0).dtype(), a.dtype());
    EXPECT_EQ(to_doubles(ones_like(a)), std::vector<double>(static_cast<size_t>(a.size()), 1.0));
    EXPECT_EQ(to_doubles(zeros_like(a)), std::vector<double>(static_cast<size_t>(a.size()), 0.0));
    EXPECT_FALSE(zeros_like(a).weak_type());
  }
  EXPECT_EQ(to_doubles(full_like(random_array({3}, DType::Int32, 4), 7.9)),
            (std::vector<double>{7, 7, 7}));
  // Like lax.full_like: a weakly typed array gives a weakly typed result.
  const Array w = weak_scalar(2.5);
  EXPECT_TRUE(zeros_like(w).weak_type());
  EXPECT_TRUE(full_like(w, 1.0).weak_type());
  EXPECT_EQ(add(astype(random_array({2}, DType::Float32, 5), DType::Float16), ones_like(w)).dtype(),
            DType::Float16);
}

TEST(CreationOps, Errors) {
  EXPECT_STRATA_ERROR(zeros({2, -1}), "[zeros]", "(2, -1)", "negative");
  EXPECT_STRATA_ERROR(ones({-3}), "[ones]", "negative");
  EXPECT_STRATA_ERROR(full({-3}, 1.0), "[full]", "negative");
  EXPECT_STRATA_ERROR(zeros_like(Array()), "[zeros_like]", "empty Array");
  EXPECT_STRATA_ERROR(ones_like(Array()), "[ones_like]", "empty Array");
  EXPECT_STRATA_ERROR(full_like(Array(), 1.0), "[full_like]", "empty Array");
}

TEST(CreationOps, ArangeIntegerForm) {
  const Array a = arange(5);
  EXPECT_EQ(a.dtype(), DType::Int32);
  EXPECT_EQ(a.to_vector<int32_t>(), (std::vector<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(0).shape(), (Shape{0}));
  EXPECT_EQ(arange(-3).shape(), (Shape{0}));
  EXPECT_EQ(to_doubles(arange(4, DType::Float16)), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(arange(3, DType::Int64).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_STRATA_ERROR(arange(3, DType::Bool), "[arange]", "bool");
}

TEST(CreationOps, ArangeFloatFormMatchesNumpy) {
  struct Case {
    double start, stop, step;
    size_t n;  // len(np.arange(start, stop, step))
  };
  const std::vector<Case> cases{{0, 1, 0.1, 10},    {0.5, 3, 0.5, 5}, {1, 0, -0.25, 4},
                                {-2, 2, 1, 4},      {0, 0, 1, 0},     {3, 1, 1, 0},
                                {0, 10, 3, 4},      {10, 0, -3, 4},   {0, 1e-3, 1e-4, 10},
                                {-1, -1.5, -0.1, 5}};
  for (const Case& c : cases) {
    for (DType dt : {DType::Float32, DType::Float64}) {
      const Array a = arange(c.start, c.stop, c.step, dt);
      ASSERT_EQ(a.shape(), (Shape{static_cast<int64_t>(c.n)})) << c.start << " " << c.stop;
      ASSERT_EQ(a.dtype(), dt);
      const std::vector<double> v = to_doubles(a);
      for (size_t i = 0; i < c.n; ++i) {
        const double want = c.start + static_cast<double>(i) * c.step;
        const double rounded = dt == DType::Float32 ? static_cast<float>(want) : want;
        ASSERT_EQ(v[i], rounded) << c.start << ":" << c.stop << ":" << c.step << " element " << i;
      }
    }
  }
  EXPECT_EQ(arange(0.0, 5.0).to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(0.5, 5.0, 1.0, DType::Int32).to_vector<int32_t>(),
            (std::vector<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(to_doubles(arange(2.0, -1.0, -1.0, DType::Int64)), (std::vector<double>{2, 1, 0}));
}

TEST(CreationOps, ArangeErrors) {
  EXPECT_STRATA_ERROR(arange(0.0, 1.0, 0.0), "[arange]", "step cannot be zero");
  EXPECT_STRATA_ERROR(arange(0.0, INFINITY, 1.0), "[arange]", "finite");
  EXPECT_STRATA_ERROR(arange(NAN, 1.0, 1.0), "[arange]", "finite");
  EXPECT_STRATA_ERROR(arange(0.0, 1e30, 1.0), "[arange]", "too many");
  EXPECT_STRATA_ERROR(arange(0.0, 1.0, 1.0, DType::Bool), "[arange]", "bool");
}

TEST(CreationOps, EyeMatchesReference) {
  for (int64_t n : {0, 1, 3, 5}) {
    for (std::optional<int64_t> m :
         {std::optional<int64_t>{}, std::optional<int64_t>{2}, std::optional<int64_t>{6}}) {
      for (int64_t k : {-7, -2, -1, 0, 1, 3}) {
        for (DType dt : {DType::Float32, DType::Int32, DType::Bool, DType::BFloat16}) {
          const Array e = eye(n, m, k, dt);
          const int64_t cols = m.value_or(n);
          ASSERT_EQ(e.shape(), (Shape{n, cols}));
          ASSERT_EQ(e.dtype(), dt);
          std::vector<double> want;
          for (int64_t i = 0; i < n; ++i) {
            for (int64_t j = 0; j < cols; ++j) want.push_back(j - i == k ? 1.0 : 0.0);
          }
          EXPECT_EQ(to_doubles(e), want) << n << " " << cols << " " << k;
        }
      }
    }
  }
  EXPECT_EQ(eye(3).dtype(), DType::Float32);
  EXPECT_STRATA_ERROR(eye(-1), "[eye]", "N=-1");
  EXPECT_STRATA_ERROR(eye(2, -3), "[eye]", "M=-3");
}

TEST(CreationOps, IotaAlongAnyDimension) {
  const Shape shape{2, 3, 4};
  for (int dim = -3; dim < 3; ++dim) {
    const Array a = iota(DType::Int32, shape, dim);
    ASSERT_EQ(a.shape(), shape);
    const std::vector<int32_t> v = a.to_vector<int32_t>();
    const int d = dim < 0 ? dim + 3 : dim;
    for (int64_t i = 0; i < 24; ++i) {
      const int64_t coords[3] = {i / 12, (i / 4) % 3, i % 4};
      ASSERT_EQ(v[static_cast<size_t>(i)], coords[d]) << dim;
    }
  }
  EXPECT_EQ(to_doubles(iota(DType::Float32, {3}, 0)), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(iota(DType::Int64, {0, 2}, 1).shape(), (Shape{0, 2}));
  EXPECT_STRATA_ERROR(iota(DType::Int32, {2, 3}, 2), "[iota]", "axis 2", "out of range");
  EXPECT_STRATA_ERROR(iota(DType::Int32, {}, 0), "[iota]", "()");
  EXPECT_STRATA_ERROR(iota(DType::Bool, {3}, 0), "[iota]", "bool");
  EXPECT_STRATA_ERROR(iota(DType::Int32, {-3}, 0), "[iota]", "negative");
}

}  // namespace
}  // namespace strata
