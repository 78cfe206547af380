// Shared by the matmul and dot_general tests: expected products in double with per-element
// magnitudes (sum |a_ik * b_kj|, so tolerances scale with the terms and cancellation does not make
// a correct result look wrong), per-dtype tolerances, and operands every dtype holds well.
#pragma once

#include <string>
#include <vector>

#include "test_util.h"

namespace strata::testing {

struct Expected {
  Shape shape;
  std::vector<double> value, magnitude;
};

inline void expect_matches(const Array& got, const Expected& want, double tol,
                           const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape) << what;
  const std::vector<double> g = to_doubles(got);
  ASSERT_EQ(g.size(), want.value.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_LE(std::fabs(g[i] - want.value[i]), tol * want.magnitude[i] + 1e-30)
        << what << " element " << i << ": got " << g[i] << ", want " << want.value[i];
  }
}

inline double product_tolerance(DType t) {
  switch (t) {
    case DType::Float32:
      return 1e-5;
    case DType::Float64:
      return 1e-12;
    case DType::BFloat16:
      return 1e-2;  // 8-bit mantissa result
    case DType::Float16:
      return 2e-3;  // 11-bit mantissa result
    default:
      return 0;  // integers: exact
  }
}

// Small integers for integer dtypes (exact products), 0/1 for bool, uniform floats otherwise.
inline Array product_operand(const Shape& shape, DType t, uint32_t seed) {
  if (t == DType::Bool) return random_array(shape, DType::Int32, seed, -2, 2).astype(DType::Bool);
  return is_integer(t) ? random_array(shape, t, seed, -6, 6) : random_array(shape, t, seed);
}

}  // namespace strata::testing
