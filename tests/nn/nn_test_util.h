// Helpers shared by the nn tests.
#pragma once

#include <cmath>
#include <vector>

#include "strata/nn/nn.h"
#include "test_util.h"

namespace strata::testing {

// m with every array (parameters and statistics) replaced by random float64 values in [-1, 1)
// (so biases and scales are not trivially 0 / 1 and a wrong formula shows).
template <class M>
M randomised(const M& m, uint32_t seed) {
  nn::State s = nn::state(m);
  for (auto& [path, a] : s) a = random_array(a.shape(), DType::Float64, seed++, -1, 1);
  return nn::merge(m, s);
}

// y = x w + b for x (rows, in), w (in, out) row-major, b (out) or null.
inline std::vector<double> linear_ref(const std::vector<double>& x, int64_t rows, int64_t in,
                                      const std::vector<double>& w, int64_t out,
                                      const std::vector<double>* b) {
  std::vector<double> y(static_cast<size_t>(rows * out));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double acc = b ? (*b)[static_cast<size_t>(o)] : 0.0;
      for (int64_t i = 0; i < in; ++i) {
        acc += x[static_cast<size_t>(r * in + i)] * w[static_cast<size_t>(i * out + o)];
      }
      y[static_cast<size_t>(r * out + o)] = acc;
    }
  }
  return y;
}

// lecun_normal as JAX draws it for a 2-d (fan_in, fan_out) shape from `key`, in float32:
// truncated_normal(key, -2, 2) * sqrt(1 / fan_in) / 0.87962566103423978.
inline std::vector<double> lecun_normal_ref(const Array& key, int64_t fan_in, int64_t fan_out) {
  const Array t = random::truncated_normal(key, -2, 2, {fan_in, fan_out});
  const float stddev =
      std::sqrt(1.0f / static_cast<float>(fan_in)) / static_cast<float>(0.87962566103423978);
  std::vector<double> out;
  for (float v : t.to_vector<float>()) out.push_back(static_cast<double>(v * stddev));
  return out;
}

}  // namespace strata::testing
