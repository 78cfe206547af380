#include "strata/nn/layers.h"

#include <algorithm>

#include "strata/core/error.h"
#include "strata/random.h"

namespace strata::nn {
namespace {

void check_positive(const char* api, const char* what, int64_t v) {
  if (v <= 0) fail(api, "expected ", what, " > 0, found ", v);
}

std::string at(const std::string& path) {
  return path.empty() ? std::string() : " (module at key path `" + path + "`)";
}

void check_last_axis(const char* api, const std::string& path, const Array& x, int64_t features,
                     const char* what) {
  if (x.ndim() == 0 || x.shape(-1) != features) {
    fail(api, "expected the input's last axis to have ", features, " ", what, at(path),
         ", found shape ", to_string(x.shape()), x.ndim() == 0 ? " (a scalar)" : "",
         "; reshape the input or build the module with ", x.ndim() == 0 ? features : x.shape(-1),
         " ", what);
  }
}

// Statistics dtype: at least float32 (as Flax computes norms for half-precision inputs).
DType stats_dtype(DType d) {
  return d == DType::Float64 ? DType::Float64 : DType::Float32;
}

Array cast(const Array& x, DType d) {
  return x.dtype() == d ? x : astype(x, d);
}

}  // namespace

// ---------------------------------------------------------------- Linear
Linear::Linear(int64_t in, int64_t out, Rngs& rngs, LinearOptions options)
    : in_features(in), out_features(out) {
  check_positive("nn.Linear", "in_features", in);
  check_positive("nn.Linear", "out_features", out);
  kernel = options.kernel_init(rngs.params(), {in, out}, options.dtype);
  if (options.use_bias) bias = Param(options.bias_init(rngs.params(), {out}, options.dtype));
}

Array Linear::operator()(const Array& x) const {
  check_last_axis("nn.Linear", path, x, kernel.shape()[0], "input features (in_features)");
  Array y = matmul(x, kernel.value);
  if (bias) y = y + bias->value;
  return y;
}

// ---------------------------------------------------------------- Embedding
Embedding::Embedding(int64_t n, int64_t f, Rngs& rngs, EmbeddingOptions options)
    : num_embeddings(n), features(f) {
  check_positive("nn.Embedding", "num_embeddings", n);
  check_positive("nn.Embedding", "features", f);
  embedding = options.embedding_init(rngs.params(), {n, f}, options.dtype);
}

Array Embedding::operator()(const Array& indices) const {
  if (is_floating(indices.dtype()) || indices.dtype() == DType::Bool) {
    fail("nn.Embedding", "expected integer indices, found dtype ", indices.dtype(), " of shape ",
         to_string(indices.shape()), "; convert them with astype(x, DType::Int32)");
  }
  return take(embedding.value, indices);
}

Array Embedding::attend(const Array& query) const {
  check_last_axis("nn.Embedding.attend", "", query, embedding.shape()[1], "features");
  return matmul(query, transpose(embedding.value));
}

// ---------------------------------------------------------------- norms
LayerNorm::LayerNorm(int64_t n, Rngs& rngs, NormOptions options)
    : num_features(n), epsilon(options.epsilon) {
  check_positive("nn.LayerNorm", "num_features", n);
  if (options.use_scale) scale = Param(init::ones()(rngs.params(), {n}, options.dtype));
  if (options.use_bias) bias = Param(init::zeros()(rngs.params(), {n}, options.dtype));
}

Array LayerNorm::operator()(const Array& x) const {
  check_last_axis("nn.LayerNorm", "", x, num_features, "features");
  const DType sd = stats_dtype(x.dtype());
  const Array xs = cast(x, sd);
  const MeanVar mv = mean_var(xs, {-1});
  Array y = (xs - mv.mean) * rsqrt(mv.var + epsilon);
  if (scale) y = y * cast(scale->value, sd);
  if (bias) y = y + cast(bias->value, sd);
  return cast(y, x.dtype());
}

RMSNorm::RMSNorm(int64_t n, Rngs& rngs, NormOptions options)
    : num_features(n), epsilon(options.epsilon) {
  check_positive("nn.RMSNorm", "num_features", n);
  if (options.use_scale) scale = Param(init::ones()(rngs.params(), {n}, options.dtype));
}

Array RMSNorm::operator()(const Array& x) const {
  check_last_axis("nn.RMSNorm", "", x, num_features, "features");
  const DType sd = stats_dtype(x.dtype());
  const Array xs = cast(x, sd);
  Array y = xs * rsqrt(mean(square(xs), {-1}, true) + epsilon);
  if (scale) y = y * cast(scale->value, sd);
  return cast(y, x.dtype());
}

// ---------------------------------------------------------------- Dropout
Dropout::Dropout(double r, bool det, std::string s)
    : rate(r), deterministic(det), stream(std::move(s)) {
  if (!(rate >= 0 && rate <= 1)) {
    fail("nn.Dropout", "expected a rate in [0, 1], found ", rate);
  }
}

Array Dropout::operator()(const Array& x, Rngs& rngs, std::optional<bool> det) const {
  if (det.value_or(deterministic) || rate == 0) return x;
  if (rate == 1) return zeros_like(x);
  const double keep = 1.0 - rate;
  const Array mask = random::uniform(rngs(stream), x.shape()) < keep;
  return where(mask, x / keep, zeros_like(x));
}

Array Dropout::operator()(const Array& x) const {
  if (!deterministic && rate != 0) {
    fail("nn.Dropout", "a non-deterministic dropout (rate ", rate,
         ") needs random keys; call it as dropout(x, rngs) or pass deterministic=true");
  }
  return x;
}

}  // namespace strata::nn
