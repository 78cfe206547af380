// strata::nn layers: Linear, Embedding, LayerNorm, RMSNorm, Dropout, and activations.
//
// A module is a plain struct of nn::Param (and other nn::Variable) fields registered as a pytree,
// built from its hyper-parameters and an nn::Rngs, and applied with operator().  Parameters are
// drawn in the order flax.nnx draws them (one rngs.params() key per parameter, even for zeros),
// so with the same seed a Linear gets the same kernel as nnx.Linear.
//
//   nn::Rngs rngs(0);
//   nn::Linear fc(784, 128, rngs);                       // kernel (784, 128) lecun_normal, bias 0
//   nn::LayerNorm ln(128, rngs);
//   nn::Dropout drop(0.1);
//   Array h = drop(nn::relu(ln(fc(x))), rngs);           // uses the "dropout" stream
//   Array y = drop(h, rngs, /*deterministic=*/true);     // identity (evaluation)
//
// dtype: parameters are created in `options.dtype` (float32 by default; use float64 for
// gradient checks).  Normalisation statistics are computed in at least float32.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "strata/core/array.h"
#include "strata/nn/initializers.h"
#include "strata/nn/rngs.h"
#include "strata/nn/variable.h"
#include "strata/ops.h"

namespace strata::nn {

// ---------------------------------------------------------------- activations
inline Array relu(const Array& x) {
  return strata::relu(x);
}
inline Array gelu(const Array& x, bool approximate = true) {
  return strata::gelu(x, approximate);
}
inline Array silu(const Array& x) {
  return strata::silu(x);
}
inline Array tanh(const Array& x) {
  return strata::tanh(x);
}
inline Array sigmoid(const Array& x) {
  return strata::sigmoid(x);
}
inline Array softmax(const Array& x, int axis = -1) {
  return strata::softmax(x, axis);
}

// ---------------------------------------------------------------- Linear
struct LinearOptions {
  bool use_bias = true;
  DType dtype = DType::Float32;
  init::Initializer kernel_init = init::lecun_normal();
  init::Initializer bias_init = init::zeros();
};

// y = x @ kernel + bias over the last axis of x; kernel (in_features, out_features).
struct Linear {
  Param kernel;
  std::optional<Param> bias;
  int64_t in_features = 0, out_features = 0;
  std::string path;  // key path inside the enclosing model, for error messages (set by parents)

  Linear() = default;
  Linear(int64_t in_features, int64_t out_features, Rngs& rngs, LinearOptions options = {});
  Array operator()(const Array& x) const;

  STRATA_TREE_MEMBERS(kernel, bias)
};

// ---------------------------------------------------------------- Embedding
struct EmbeddingOptions {
  DType dtype = DType::Float32;
  // nnx.Embed's default: variance_scaling(1, fan_in, normal, out_axis=0).
  init::Initializer embedding_init =
      init::variance_scaling(1.0, init::FanMode::FanIn, init::Distribution::Normal, -2, 0);
};
// Rows of embedding (num_embeddings, features) picked by integer indices: result
// indices.shape + (features,).  attend(q) = q @ embedding.T (tied output projection).
struct Embedding {
  Param embedding;
  int64_t num_embeddings = 0, features = 0;

  Embedding() = default;
  Embedding(int64_t num_embeddings, int64_t features, Rngs& rngs, EmbeddingOptions options = {});
  Array operator()(const Array& indices) const;
  Array attend(const Array& query) const;

  STRATA_TREE_MEMBERS(embedding)
};

// ---------------------------------------------------------------- LayerNorm / RMSNorm
struct NormOptions {
  double epsilon = 1e-6;  // nnx default
  bool use_scale = true;
  bool use_bias = true;  // LayerNorm only
  DType dtype = DType::Float32;
};

// (x - mean) / sqrt(var + eps) * scale + bias over the last axis.
struct LayerNorm {
  std::optional<Param> scale, bias;
  int64_t num_features = 0;
  double epsilon = 1e-6;

  LayerNorm() = default;
  LayerNorm(int64_t num_features, Rngs& rngs, NormOptions options = {});
  Array operator()(const Array& x) const;

  STRATA_TREE_MEMBERS(scale, bias)
};

// x / sqrt(mean(x^2) + eps) * scale over the last axis.
struct RMSNorm {
  std::optional<Param> scale;
  int64_t num_features = 0;
  double epsilon = 1e-6;

  RMSNorm() = default;
  RMSNorm(int64_t num_features, Rngs& rngs, NormOptions options = {});
  Array operator()(const Array& x) const;

  STRATA_TREE_MEMBERS(scale)
};

// ---------------------------------------------------------------- Dropout
// Zeroes each element with probability `rate` and scales the kept ones by 1 / (1 - rate); the
// mask is uniform(key) < 1 - rate with key = rngs(stream) (as nnx.Dropout / jax.random.bernoulli).
// Identity when deterministic (the call's flag, else the module's) or rate == 0.
struct Dropout {
  double rate = 0.5;
  bool deterministic = false;
  std::string stream = "dropout";

  Dropout() = default;
  explicit Dropout(double rate, bool deterministic = false, std::string stream = "dropout");
  Array operator()(const Array& x, Rngs& rngs,
                   std::optional<bool> deterministic = std::nullopt) const;
  // Only valid when deterministic (no randomness needed).
  Array operator()(const Array& x) const;

  STRATA_TREE_MEMBERS()
};

}  // namespace strata::nn
