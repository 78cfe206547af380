#include "strata/nn/normalization.h"

#include <cmath>

#include "nn/layer_util.h"
#include "strata/core/error.h"
#include "strata/grad.h"
#include "strata/nn/module_path.h"
#include "strata/ops.h"
#include "trace/frame.h"

namespace strata::nn {
namespace {

using detail::at_least_float32;
using detail::cast;
using detail::check_feature_axis;
using detail::check_positive;
using detail::make_param;

// Mean and biased variance of x over `axes` (kept as size-1 axes), in at least float32, as
// Flax's _compute_stats.  Without use_mean the mean is not computed (left empty) and the
// "variance" is mean(x^2) (RMSNorm).
struct Stats {
  Array mean, var;
};
Stats compute_stats(const Array& x, const Axes& axes, bool use_mean, bool fast_variance) {
  const Array xs = cast(x, at_least_float32(x.dtype()));
  if (!use_mean) return {Array(), strata::mean(square(xs), axes, true)};
  if (!fast_variance) {
    const MeanVar mv = mean_var(xs, axes);
    return {mv.mean, mv.var};
  }
  const Array mu = strata::mean(xs, axes, true);
  const Array mu2 = strata::mean(square(xs), axes, true);
  // E[x^2] - E[x]^2 can round below zero.
  const Array v = mu2 - square(mu);
  return {mu, maximum(v, zeros_like(v))};
}

// Flax's _normalize: (x - mean) * (rsqrt(var + eps) * scale) + bias, with scale and bias (shape
// (features,)) placed on `feature_axis`; the result has the promoted dtype of x, scale and bias.
Array normalize(const Array& x, const Stats& s, const std::optional<Param>& scale,
                const std::optional<Param>& bias, int feature_axis, double epsilon) {
  const int nd = static_cast<int>(x.ndim());
  Shape feature_shape(static_cast<size_t>(nd), 1);
  const int fa = feature_axis < 0 ? feature_axis + nd : feature_axis;
  feature_shape[static_cast<size_t>(fa)] = x.shape(fa);
  auto on_feature_axis = [&](const Param& p) { return reshape(p.value, feature_shape); };

  DType out = x.dtype();
  const Array xs = cast(x, at_least_float32(x.dtype()));
  Array y = s.mean.valid() ? xs - s.mean : xs;
  Array mul = rsqrt(s.var + epsilon);
  if (scale) {
    mul = mul * on_feature_axis(*scale);
    out = promote_types(out, scale->dtype());
  }
  y = y * mul;
  if (bias) {
    y = y + on_feature_axis(*bias);
    out = promote_types(out, bias->dtype());
  }
  return cast(y, is_floating(out) ? out : promote_types(out, DType::Float32));
}

// epsilon is added to the variance before rsqrt: a negative one can make it negative (NaN).
void check_epsilon(const char* api, double epsilon) {
  if (!(epsilon >= 0 && std::isfinite(epsilon))) {
    fail(api, "expected a finite epsilon >= 0, found ", epsilon, module_path_note());
  }
}

}  // namespace

// ---------------------------------------------------------------- LayerNorm / RMSNorm
LayerNorm::LayerNorm(int64_t n, Rngs& rngs, NormOptions options)
    : num_features(n), epsilon(options.epsilon), use_fast_variance(options.use_fast_variance) {
  check_positive("nn.LayerNorm", "num_features", n);
  check_epsilon("nn.LayerNorm", epsilon);
  if (options.use_scale) {
    scale = make_param("nn.LayerNorm", "scale", rngs, options.scale_init, {n}, options.dtype);
  }
  if (options.use_bias) {
    bias = make_param("nn.LayerNorm", "bias", rngs, options.bias_init, {n}, options.dtype);
  }
}

Array LayerNorm::operator()(const Array& x) const {
  check_feature_axis("nn.LayerNorm", x, -1, num_features, "features");
  return normalize(x, compute_stats(x, {-1}, true, use_fast_variance), scale, bias, -1, epsilon);
}

RMSNorm::RMSNorm(int64_t n, Rngs& rngs, NormOptions options)
    : num_features(n), epsilon(options.epsilon) {
  check_positive("nn.RMSNorm", "num_features", n);
  check_epsilon("nn.RMSNorm", epsilon);
  if (options.use_scale) {
    scale = make_param("nn.RMSNorm", "scale", rngs, options.scale_init, {n}, options.dtype);
  }
}

Array RMSNorm::operator()(const Array& x) const {
  check_feature_axis("nn.RMSNorm", x, -1, num_features, "features");
  return normalize(x, compute_stats(x, {-1}, false, false), scale, std::nullopt, -1, epsilon);
}

// ---------------------------------------------------------------- BatchNorm
namespace {
constexpr const char* kBatchNorm = "nn.BatchNorm";

// Errors for running statistics that cannot be used or updated here (see the header comment).
void check_statistics_level(const BatchNorm& m, bool updating) {
  const tracing::StateLevel level = tracing::state_level({&m.mean.value, &m.var.value});
  if (level.ended) {
    fail(kBatchNorm,
         "this BatchNorm holds running statistics traced inside a jit / scan / grad / vmap "
         "that has returned",
         module_path_note(),
         ": it was updated in the traced function and kept outside it. Return the module (or "
         "nn::batch_stats of it) from the traced function and use the returned one");
  }
  if (!updating) return;
  if (const tracing::TraceFrame* f = tracing::rerunning_frame_inside(level.frame, kBatchNorm)) {
    const bool scan = std::string_view(f->reruns) == "scan";
    fail(kBatchNorm, "updating the running statistics inside ", scan ? "a scan body" : "jit",
         " of a BatchNorm that lives outside it", module_path_note(),
         ": they would be constants of the recorded graph, so every ", scan ? "iteration" : "call",
         " would start from the same statistics. Pass the module "
         "(or the state holding its statistics) into the function and return it updated, or "
         "call it with use_running_average=true");
  }
}

Array batch_norm(const BatchNorm& m, BatchNorm* to_update, const Array& x, bool running) {
  check_statistics_level(m, !running);
  const int nd = static_cast<int>(x.ndim());
  check_feature_axis(kBatchNorm, x, m.axis, m.num_features, "features");
  const int fa = m.axis < 0 ? m.axis + nd : m.axis;
  Axes reduction;
  for (int a = 0; a < nd; ++a) {
    if (a != fa) reduction.push_back(a);
  }
  Shape stats_shape(static_cast<size_t>(nd), 1);
  stats_shape[static_cast<size_t>(fa)] = m.num_features;

  Stats s;
  if (running) {
    s = {reshape(m.mean.value, stats_shape), reshape(m.var.value, stats_shape)};
  } else {
    s = compute_stats(x, reduction, true, m.use_fast_variance);
    auto average = [&](const Array& ra, const Array& batch) {
      const Array b = stop_gradient(reshape(batch, {m.num_features}));
      return cast(m.momentum * ra + (1 - m.momentum) * b, ra.dtype());
    };
    // Both computed before either is stored (to_update may be &m).
    Array new_mean = average(m.mean.value, s.mean);
    Array new_var = average(m.var.value, s.var);
    to_update->mean.value = std::move(new_mean);
    to_update->var.value = std::move(new_var);
  }
  return normalize(x, s, m.scale, m.bias, fa, m.epsilon);
}

}  // namespace

BatchNorm::BatchNorm(int64_t n, Rngs& rngs, BatchNormOptions o)
    : num_features(n),
      use_running_average(o.use_running_average),
      axis(o.axis),
      momentum(o.momentum),
      epsilon(o.epsilon),
      use_fast_variance(o.use_fast_variance) {
  check_positive(kBatchNorm, "num_features", n);
  check_epsilon(kBatchNorm, epsilon);
  if (!(momentum >= 0 && momentum <= 1)) {
    fail(kBatchNorm, "expected a momentum in [0, 1], found ", momentum, module_path_note());
  }
  const DType stats = o.dtype == DType::Float64 ? DType::Float64 : DType::Float32;
  // Made inside a trace, the statistics live there (so that trace may update them).
  mean = tracing::at_current_level(zeros({n}, stats), kBatchNorm);
  var = tracing::at_current_level(ones({n}, stats), kBatchNorm);
  if (o.use_scale) scale = make_param(kBatchNorm, "scale", rngs, o.scale_init, {n}, o.dtype);
  if (o.use_bias) bias = make_param(kBatchNorm, "bias", rngs, o.bias_init, {n}, o.dtype);
}

Array BatchNorm::operator()(const Array& x, std::optional<bool> running) {
  return batch_norm(*this, this, x, running.value_or(use_running_average));
}

Array BatchNorm::operator()(const Array& x, std::optional<bool> running) const {
  if (!running.value_or(use_running_average)) {
    fail(kBatchNorm, "training mode updates the running statistics, but this BatchNorm is const",
         module_path_note(),
         "; call a non-const module, or pass use_running_average=true to use the statistics "
         "without updating them");
  }
  return batch_norm(*this, nullptr, x, true);
}

}  // namespace strata::nn
