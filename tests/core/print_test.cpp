// operator<< prints like NumPy's repr.
#include "test_util.h"

namespace strata {
namespace {

TEST(ArrayPrint, MatchesNumPyRepr) {
  EXPECT_EQ(to_string(array<float>({1.f, 2.5f})), "array([1. , 2.5], dtype=float32)");
  EXPECT_EQ(to_string(array<double>({1, 2, 3})), "array([1., 2., 3.])");
  EXPECT_EQ(to_string(array<int32_t>({1, 22, 333})), "array([  1,  22, 333], dtype=int32)");
  EXPECT_EQ(to_string(array<int64_t>({1, 2})), "array([1, 2])");
  EXPECT_EQ(to_string(array<bool>({true, false})), "array([ True, False])");
  EXPECT_EQ(to_string(array<float>({1, 2, 3, 4}, {2, 2})),
            "array([[1., 2.],\n       [3., 4.]], dtype=float32)");
  EXPECT_EQ(to_string(array<int64_t>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2})),
            "array([[[1, 2],\n        [3, 4]],\n\n       [[5, 6],\n        [7, 8]]])");
  EXPECT_EQ(to_string(scalar(3.5f)), "array(3.5, dtype=float32)");
  EXPECT_EQ(to_string(zeros({0, 3})), "array([], shape=(0, 3), dtype=float32)");
  EXPECT_EQ(to_string(array<double>({-1, 2})), "array([-1.,  2.])");
}

TEST(ArrayPrint, FloatsUseShortestRoundTripDigits) {
  EXPECT_EQ(to_string(scalar(1.0f / 3.0f)), "array(0.33333334, dtype=float32)");
  EXPECT_EQ(to_string(scalar(1.0 / 3.0)), "array(0.33333333)");
  EXPECT_EQ(to_string(astype(scalar(0.1f), DType::Float16)), "array(0.1, dtype=float16)");
  EXPECT_EQ(to_string(array<double>({1e-5, 1.0})), "array([1.e-05, 1.e+00])");
  EXPECT_EQ(to_string(array<double>({std::nan(""), 1.0, -INFINITY})), "array([ nan,   1., -inf])");
}

TEST(ArrayPrint, SummarisesLargeArraysAndWrapsLongRows) {
  const std::string big = to_string(arange(2000, DType::Int64));
  EXPECT_EQ(big, "array([   0,    1,    2, ..., 1997, 1998, 1999])");
  const std::string wide = to_string(arange(30, DType::Int64));
  EXPECT_NE(wide.find(",\n       "), std::string::npos) << wide;  // wrapped at 75 columns
  for (size_t start = 0, end; (end = wide.find('\n', start)) != std::string::npos;
       start = end + 1) {
    EXPECT_LE(end - start, 75u);
  }
}

TEST(ArrayPrint, ViewsPrintTheirOwnElements) {
  const Array a = array<int64_t>({0, 1, 2, 3, 4, 5}, {2, 3});
  EXPECT_EQ(to_string(transpose(a)), "array([[0, 3],\n       [1, 4],\n       [2, 5]])");
  EXPECT_EQ(to_string(a[1]), "array([3, 4, 5])");
}

}  // namespace
}  // namespace strata
