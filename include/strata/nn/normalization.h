// strata::nn normalisation layers: LayerNorm, RMSNorm and BatchNorm, as flax.nnx computes them.
//
// Statistics are computed in at least float32 (float64 stays float64).  With use_fast_variance
// (the default, as Flax) the variance is max(0, mean(x^2) - mean(x)^2); otherwise it is
// mean((x - mean(x))^2), slower but without cancellation for inputs far from zero.  The output is
// (x - mean) * (rsqrt(var + epsilon) * scale) + bias in the promoted dtype of x, scale and bias
// (a bfloat16 input with float32 parameters gives float32, as Flax).
//
//   nn::LayerNorm ln(256, rngs);                    // scale 1, bias 0; normalises the last axis
//   nn::RMSNorm rms(256, rngs, {.epsilon = 1e-5});  // x / sqrt(mean(x^2) + eps) * scale
//
// ---- BatchNorm and its running statistics
// nn::BatchNorm(num_features, rngs) holds Params scale and bias and BatchStat running statistics
// `mean` (zeros) and `var` (ones); it normalises over every axis but the feature axis (-1).  In
// training mode (use_running_average false, the default, overridden by the call's flag) it
// normalises with the batch's mean and biased variance and updates the running statistics
// in the module it is called on: ra = momentum * ra + (1 - momentum) * batch_stat (momentum 0.99).
// In evaluation mode it normalises with the running statistics and changes nothing.
//
// A C++ module is a value, so the call updates *this* BatchNorm (it is a non-const call, as an
// nnx module call mutates the module); the updated statistics leave a traced function the way
// every result does, by returning them:
//
//   nn::BatchNorm bn(64, rngs);
//   Array y = bn(x);                      // eager: bn.mean / bn.var now hold the new averages
//   Array z = bn(x, /*use_running_average=*/true);   // evaluation: uses them, updates nothing
//
//   // jit: pass the module in and return it (it is a pytree).
//   auto step = st::jit([](nn::BatchNorm m, const Array& x) {
//     Array y = m(x);
//     return std::pair{y, m};
//   });
//   std::tie(y, bn) = step(bn, x);
//
//   // grad: differentiate the parameters of a local copy and return its statistics as aux.
//   auto [params, rest] = nn::split(model);            // rest holds the BatchStats
//   auto loss = [&](const nn::State& p) {
//     auto m = nn::merge(model, p, rest);
//     Array l = st::mean(st::square(m(x) - target));
//     return std::pair{l, nn::batch_stats(m)};        // the updated running statistics
//   };
//   auto [g, stats] = st::grad(loss, st::has_aux)(params);
//   model = nn::update(model, stats);                  // ... and the optimiser updates params
//
// Inside jit or a scan body, updating a BatchNorm that lives outside the traced function (closed
// over, or merged from a state closed over) is an error: its statistics would be constants of
// the recorded graph, so every call would start again from the same ones.  A BatchNorm holding
// statistics traced by a function that has returned (updated inside grad or vmap and never
// returned) is an error at its next call.  The mode is static: under jit, a function traced in
// training mode stays in training mode, so jit the training and the evaluation step separately.
// A const BatchNorm can only be called in evaluation mode.
#pragma once

#include <cstdint>
#include <optional>

#include "strata/core/array.h"
#include "strata/nn/initializers.h"
#include "strata/nn/rngs.h"
#include "strata/nn/variable.h"

namespace strata::nn {

struct NormOptions {
  double epsilon = 1e-6;  // nnx default
  bool use_scale = true;
  bool use_bias = true;  // LayerNorm only
  bool use_fast_variance = true;
  DType dtype = DType::Float32;
  init::Initializer scale_init = init::ones();
  init::Initializer bias_init = init::zeros();  // LayerNorm only
};

// nnx.LayerNorm: (x - mean) / sqrt(var + epsilon) * scale + bias over the last axis.
struct LayerNorm {
  std::optional<Param> scale, bias;
  int64_t num_features = 0;
  double epsilon = 1e-6;
  bool use_fast_variance = true;

  LayerNorm() = default;
  LayerNorm(int64_t num_features, Rngs& rngs, NormOptions options = {});
  Array operator()(const Array& x) const;

  STRATA_TREE_MEMBERS(scale, bias)
};

// nnx.RMSNorm: x / sqrt(mean(x^2) + epsilon) * scale over the last axis.
struct RMSNorm {
  std::optional<Param> scale;
  int64_t num_features = 0;
  double epsilon = 1e-6;

  RMSNorm() = default;
  RMSNorm(int64_t num_features, Rngs& rngs, NormOptions options = {});
  Array operator()(const Array& x) const;

  STRATA_TREE_MEMBERS(scale)
};

struct BatchNormOptions {
  bool use_running_average = false;
  int axis = -1;  // the feature axis
  double momentum = 0.99;
  double epsilon = 1e-5;
  bool use_scale = true;
  bool use_bias = true;
  bool use_fast_variance = true;
  // Parameters' dtype.  The running statistics are float32 (as NNX), float64 when this is.
  DType dtype = DType::Float32;
  init::Initializer scale_init = init::ones();
  init::Initializer bias_init = init::zeros();
};

// nnx.BatchNorm (see the header comment for how its statistics are updated and returned).
struct BatchNorm {
  BatchStat mean, var;  // running statistics, (num_features,)
  std::optional<Param> scale, bias;
  int64_t num_features = 0;
  bool use_running_average = false;
  int axis = -1;
  double momentum = 0.99, epsilon = 1e-5;
  bool use_fast_variance = true;

  BatchNorm() = default;
  BatchNorm(int64_t num_features, Rngs& rngs, BatchNormOptions options = {});
  // Training mode updates mean and var; the flag overrides the module's use_running_average.
  Array operator()(const Array& x, std::optional<bool> use_running_average = std::nullopt);
  // Evaluation mode only (a const module cannot update its statistics).
  Array operator()(const Array& x, std::optional<bool> use_running_average = std::nullopt) const;

  STRATA_TREE_MEMBERS(mean, var, scale, bias)
};

// The running statistics (every nn::BatchStat) of module m, by key path: what a traced training
// step returns so the caller can nn::update its module.
template <class M>
State batch_stats(const M& m) {
  return state(m, Filter::of_kind(Kind::BatchStat));
}

}  // namespace strata::nn
