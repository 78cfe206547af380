// strata::nn::init — parameter initialisers, as jax.nn.initializers.
//
// Each factory returns an Initializer: init(key, shape, dtype) -> Array, which draws from
// strata::random with the same formulas as JAX, so with the same key the arrays match JAX's.
//
//   nn::init::Initializer w = nn::init::he_normal();
//   Array W = w(rngs.params(), {512, 256}, DType::Float32);   // fan_in = 512
//
// variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis):
//   receptive = prod(shape) / shape[in_axis] / shape[out_axis] / prod(shape[batch_axis])
//   fan_in = shape[in_axis] * receptive, fan_out = shape[out_axis] * receptive
//   variance = scale / (fan_in | fan_out | (fan_in + fan_out) / 2), rounded to dtype
//   truncated_normal: truncated_normal(key, -2, 2) * sqrt(variance) / 0.87962566103423978
//   normal:           normal(key) * sqrt(variance)
//   uniform:          uniform(key, -1, 1) * sqrt(3 * variance)
// Shapes with fewer than 2 axes, an axis out of range or a zero fan cannot be handled and throw
// "[nn.init.variance_scaling]" (for every initialiser of that family); the message names the
// parameter's key path when a module draws it (e.g. `fc1.kernel`, see module_path.h).
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "strata/core/array.h"

namespace strata::nn::init {

using Initializer = std::function<Array(const Array& key, const Shape& shape, DType dtype)>;

enum class FanMode { FanIn, FanOut, FanAvg };
enum class Distribution { TruncatedNormal, Normal, Uniform };

Initializer zeros();
Initializer ones();
Initializer constant(double value);
// normal(key) * stddev
Initializer normal(double stddev = 1e-2);
// uniform on [0, scale)
Initializer uniform(double scale = 1e-2);
// truncated_normal(key, lower, upper) * stddev
Initializer truncated_normal(double stddev = 1e-2, double lower = -2.0, double upper = 2.0);

Initializer variance_scaling(double scale, FanMode mode, Distribution distribution,
                             int in_axis = -2, int out_axis = -1, std::vector<int> batch_axis = {});
Initializer lecun_normal(int in_axis = -2, int out_axis = -1, std::vector<int> batch_axis = {});
Initializer lecun_uniform(int in_axis = -2, int out_axis = -1, std::vector<int> batch_axis = {});
Initializer glorot_normal(int in_axis = -2, int out_axis = -1, std::vector<int> batch_axis = {});
Initializer glorot_uniform(int in_axis = -2, int out_axis = -1, std::vector<int> batch_axis = {});
Initializer he_normal(int in_axis = -2, int out_axis = -1, std::vector<int> batch_axis = {});
Initializer he_uniform(int in_axis = -2, int out_axis = -1, std::vector<int> batch_axis = {});
inline Initializer xavier_normal(int in_axis = -2, int out_axis = -1,
                                 std::vector<int> batch_axis = {}) {
  return glorot_normal(in_axis, out_axis, std::move(batch_axis));
}
inline Initializer xavier_uniform(int in_axis = -2, int out_axis = -1,
                                  std::vector<int> batch_axis = {}) {
  return glorot_uniform(in_axis, out_axis, std::move(batch_axis));
}
inline Initializer kaiming_normal(int in_axis = -2, int out_axis = -1,
                                  std::vector<int> batch_axis = {}) {
  return he_normal(in_axis, out_axis, std::move(batch_axis));
}
inline Initializer kaiming_uniform(int in_axis = -2, int out_axis = -1,
                                   std::vector<int> batch_axis = {}) {
  return he_uniform(in_axis, out_axis, std::move(batch_axis));
}

// (fan_in, fan_out) of `shape` as variance_scaling computes them; `api` names the caller in errors.
struct Fans {
  double fan_in, fan_out;
};
Fans compute_fans(const Shape& shape, int in_axis = -2, int out_axis = -1,
                  const std::vector<int>& batch_axis = {},
                  const char* api = "nn.init.compute_fans");

}  // namespace strata::nn::init
