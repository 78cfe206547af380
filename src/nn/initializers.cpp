#include "strata/nn/initializers.h"

#include <cmath>
#include <string>

#include "strata/core/error.h"
#include "strata/nn/module_path.h"
#include "strata/ops.h"
#include "strata/random.h"

namespace strata::nn::init {
namespace {

// Initialisers run inside the parameter's ModuleScope when a module draws them.
std::string parameter_note() {
  return module_path_note("parameter");
}

void check_float(const char* api, DType dtype) {
  if (!is_floating(dtype)) {
    fail(api, "expected a floating-point dtype, found ", dtype, parameter_note(),
         "; initialisers draw real numbers (ask for float32, float64, float16 or bfloat16)");
  }
}

// A scalar of `dtype` holding v rounded to dtype (jnp.array(v, dtype)).
Array typed(double v, DType dtype) {
  return astype(scalar(v), dtype);
}

int normalise_axis(const char* api, int axis, const Shape& shape, const char* what) {
  const int n = static_cast<int>(shape.size());
  if (axis < -n || axis >= n) {
    fail(api, what, " ", axis, " is out of range for shape ", to_string(shape), " (", n, " axes)",
         parameter_note(), "; pass an axis in [", -n, ", ", n - 1, "]");
  }
  return axis < 0 ? axis + n : axis;
}

}  // namespace

Initializer zeros() {
  return [](const Array&, const Shape& shape, DType dtype) { return strata::zeros(shape, dtype); };
}
Initializer ones() {
  return [](const Array&, const Shape& shape, DType dtype) { return strata::ones(shape, dtype); };
}
Initializer constant(double value) {
  return [value](const Array&, const Shape& shape, DType dtype) {
    return strata::full(shape, value, dtype);
  };
}
Initializer normal(double stddev) {
  return [stddev](const Array& key, const Shape& shape, DType dtype) {
    check_float("nn.init.normal", dtype);
    return as_api("nn.init.normal",
                  [&] { return random::normal(key, shape, dtype) * typed(stddev, dtype); });
  };
}
Initializer uniform(double scale) {
  return [scale](const Array& key, const Shape& shape, DType dtype) {
    check_float("nn.init.uniform", dtype);
    return as_api("nn.init.uniform",
                  [&] { return random::uniform(key, shape, dtype) * typed(scale, dtype); });
  };
}
Initializer truncated_normal(double stddev, double lower, double upper) {
  if (!(lower < upper)) {
    fail("nn.init.truncated_normal", "expected lower < upper, found lower=", lower,
         ", upper=", upper);
  }
  return [=](const Array& key, const Shape& shape, DType dtype) {
    check_float("nn.init.truncated_normal", dtype);
    return as_api("nn.init.truncated_normal", [&] {
      return random::truncated_normal(key, lower, upper, shape, dtype) * typed(stddev, dtype);
    });
  };
}

Fans compute_fans(const Shape& shape, int in_axis, int out_axis, const std::vector<int>& batch_axis,
                  const char* api) {
  if (shape.size() < 2) {
    fail(api, "cannot compute fan-in and fan-out of a ", shape.size(), "-d shape ",
         to_string(shape), parameter_note(),
         "; variance-scaling initialisers need at least 2 axes (in and out), e.g. a kernel of "
         "shape (in_features, out_features)");
  }
  const int in = normalise_axis(api, in_axis, shape, "in_axis");
  const int out = normalise_axis(api, out_axis, shape, "out_axis");
  // in == out is allowed, as in JAX (nnx.Embed uses in_axis=-2, out_axis=0 on 2-d shapes).
  double total = 1;
  for (int64_t d : shape) total *= static_cast<double>(d);
  if (total == 0) {
    fail(api, "shape ", to_string(shape), " has a zero-sized axis, so its fans are 0",
         parameter_note(), "; the variance would divide by zero");
  }
  double receptive = total / static_cast<double>(shape[static_cast<size_t>(in)]) /
                     static_cast<double>(shape[static_cast<size_t>(out)]);
  for (int b : batch_axis) {
    const int a = normalise_axis(api, b, shape, "batch_axis");
    if (a == in || a == out) {
      fail(api, "batch_axis ", b, " is also the in_axis or out_axis of shape ", to_string(shape),
           parameter_note());
    }
    receptive /= static_cast<double>(shape[static_cast<size_t>(a)]);
  }
  const double fan_in = static_cast<double>(shape[static_cast<size_t>(in)]) * receptive;
  const double fan_out = static_cast<double>(shape[static_cast<size_t>(out)]) * receptive;
  if (!(fan_in > 0) || !(fan_out > 0)) {
    fail(api, "shape ", to_string(shape), " has a zero-sized axis, so fan_in=", fan_in,
         " and fan_out=", fan_out, parameter_note(), "; the variance would divide by zero");
  }
  return {fan_in, fan_out};
}

Initializer variance_scaling(double scale, FanMode mode, Distribution distribution, int in_axis,
                             int out_axis, std::vector<int> batch_axis) {
  if (!(scale > 0)) {
    fail("nn.init.variance_scaling", "expected a positive scale, found ", scale);
  }
  return [=](const Array& key, const Shape& shape, DType dtype) {
    const char* api = "nn.init.variance_scaling";
    check_float(api, dtype);
    const Fans f = compute_fans(shape, in_axis, out_axis, batch_axis, api);
    const double denominator = mode == FanMode::FanIn    ? f.fan_in
                               : mode == FanMode::FanOut ? f.fan_out
                                                         : (f.fan_in + f.fan_out) / 2;
    const Array variance = typed(scale / denominator, dtype);
    return as_api(api, [&]() -> Array {
      switch (distribution) {
        case Distribution::TruncatedNormal: {
          const Array stddev = sqrt(variance) / typed(0.87962566103423978, dtype);
          return random::truncated_normal(key, -2, 2, shape, dtype) * stddev;
        }
        case Distribution::Normal:
          return random::normal(key, shape, dtype) * sqrt(variance);
        case Distribution::Uniform:
          return random::uniform(key, shape, dtype, -1, 1) * sqrt(3 * variance);
      }
      fail(api, "unknown distribution ", static_cast<int>(distribution));
    });
  };
}

Initializer lecun_normal(int in_axis, int out_axis, std::vector<int> batch_axis) {
  return variance_scaling(1, FanMode::FanIn, Distribution::TruncatedNormal, in_axis, out_axis,
                          std::move(batch_axis));
}
Initializer lecun_uniform(int in_axis, int out_axis, std::vector<int> batch_axis) {
  return variance_scaling(1, FanMode::FanIn, Distribution::Uniform, in_axis, out_axis,
                          std::move(batch_axis));
}
Initializer glorot_normal(int in_axis, int out_axis, std::vector<int> batch_axis) {
  return variance_scaling(1, FanMode::FanAvg, Distribution::TruncatedNormal, in_axis, out_axis,
                          std::move(batch_axis));
}
Initializer glorot_uniform(int in_axis, int out_axis, std::vector<int> batch_axis) {
  return variance_scaling(1, FanMode::FanAvg, Distribution::Uniform, in_axis, out_axis,
                          std::move(batch_axis));
}
Initializer he_normal(int in_axis, int out_axis, std::vector<int> batch_axis) {
  return variance_scaling(2, FanMode::FanIn, Distribution::TruncatedNormal, in_axis, out_axis,
                          std::move(batch_axis));
}
Initializer he_uniform(int in_axis, int out_axis, std::vector<int> batch_axis) {
  return variance_scaling(2, FanMode::FanIn, Distribution::Uniform, in_axis, out_axis,
                          std::move(batch_axis));
}

}  // namespace strata::nn::init
