// Helpers shared by the test suite: random arrays and reading any array back as doubles.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/dispatch.h"
#include "strata/strata.h"

namespace strata::testing {

// Uniform values in [lo, hi) of `dtype` (integers: rounded toward zero), deterministic per seed.
inline Array random_array(const Shape& shape, DType dtype, uint32_t seed, double lo = -2.0,
                          double hi = 2.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> values(static_cast<size_t>(detail::shape_size(shape)));
  for (double& v : values) v = dist(gen);
  return astype(array(values, shape), dtype);
}

// Every element as a double, in row-major order, whatever the dtype and layout.
inline std::vector<double> to_doubles(const Array& a) {
  std::vector<double> out;
  cpu::visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (auto v : a.to_vector<T>()) out.push_back(cpu::convert<double>(static_cast<T>(v)));
  });
  return out;
}

// Row-major index into an array of `shape` for the multi-index of flat position `i` in the
// broadcast result shape `out` (NumPy broadcasting, right-aligned).
inline int64_t broadcast_source_index(const Shape& shape, const Shape& out, int64_t i) {
  int64_t src = 0, stride = 1;
  for (size_t k = 0; k < out.size(); ++k) {
    const size_t axis = out.size() - 1 - k;
    const int64_t coord = i % out[axis];
    i /= out[axis];
    if (k < shape.size()) {
      const size_t sa = shape.size() - 1 - k;
      if (shape[sa] != 1) src += coord * stride;
      stride *= shape[sa];
    }
  }
  return src;
}

// Multi-index of row-major position `flat` in `shape`, and back.
inline std::vector<int64_t> unravel(int64_t flat, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t k = shape.size(); k-- > 0;) {
    idx[k] = flat % shape[k];
    flat /= shape[k];
  }
  return idx;
}
inline int64_t ravel(const std::vector<int64_t>& idx, const Shape& shape) {
  int64_t flat = 0;
  for (size_t k = 0; k < shape.size(); ++k) flat = flat * shape[k] + idx[k];
  return flat;
}

// Both values NaN, or equal within a relative+absolute tolerance.
inline bool close(double a, double b, double rtol, double atol = 0) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

inline void expect_all_close(const std::vector<double>& got, const std::vector<double>& want,
                             double rtol, double atol = 0, const std::string& what = "") {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(close(got[i], want[i], rtol, atol))
        << what << " element " << i << ": got " << got[i] << ", want " << want[i];
  }
}

// Arrays of one shape whose elements agree within rel x the largest |want| element: the
// scale-aware comparison for gradients, where small elements carry the large ones' rounding.
inline void expect_arrays_close(const Array& got, const Array& want, double rel) {
  ASSERT_EQ(got.shape(), want.shape());
  const std::vector<double> x = to_doubles(got), y = to_doubles(want);
  double scale = 0;
  for (double v : y) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(x[i], y[i], rel * scale) << "element " << i;
  }
}

// st::check_grads, reported as a test failure naming `what` instead of an exception.
template <class F, class... Args>
void expect_grads(const std::string& what, const F& f, const Args&... args) {
  try {
    check_grads(f, args...);
  } catch (const Error& e) {
    ADD_FAILURE() << what << ": " << e.what();
  }
}

// Asserts that `expr` throws strata::Error whose message contains every fragment.
#define EXPECT_STRATA_ERROR(expr, ...)                                     \
  do {                                                                     \
    try {                                                                  \
      (void)(expr);                                                        \
      ADD_FAILURE() << "expected strata::Error from " #expr;               \
    } catch (const ::strata::Error& e) {                                   \
      for (const char* fragment : {__VA_ARGS__}) {                         \
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) \
            << "message: " << e.what() << "\nmissing: " << fragment;       \
      }                                                                    \
    }                                                                      \
  } while (0)

}  // namespace strata::testing
