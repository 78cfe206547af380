// strata::nn layers: Linear, LinearGeneral, Embedding, Dropout, activations (and, through
// normalization.h, LayerNorm, RMSNorm and BatchNorm).
//
// A module is a plain struct of nn::Param (and other nn::Variable) fields registered as a pytree,
// built from its hyper-parameters and an nn::Rngs, and applied with operator().  Parameters are
// drawn in the order flax.nnx draws them (one rngs.params() key per parameter, constant
// initialisers included), so with the same seed a Linear gets the same kernel as nnx.Linear.
//
//   nn::Rngs rngs(0);
//   nn::Linear fc(784, 128, rngs);                       // kernel (784, 128) lecun_normal, bias 0
//   nn::LayerNorm ln(128, rngs);
//   nn::Dropout drop(0.1);
//   Array h = drop(nn::relu(ln(fc(x))), rngs);           // uses the "dropout" stream
//   Array y = drop(h, rngs, /*deterministic=*/true);     // identity (evaluation)
//   nn::LinearGeneral heads(128, {4, 32}, rngs);         // kernel (128, 4, 32): (..., 128) ->
//   Array q = heads(h);                                  // (..., 4, 32)
//
// dtype: parameters are created in `options.dtype` (float32 by default; use float64 for
// gradient checks).  A layer's errors name its key path inside the model when a composite
// calls it (see module_path.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "strata/core/array.h"
#include "strata/nn/initializers.h"
#include "strata/nn/module_path.h"
#include "strata/nn/normalization.h"
#include "strata/nn/rngs.h"
#include "strata/nn/variable.h"
#include "strata/ops.h"

namespace strata::nn {

// ---------------------------------------------------------------- activations
inline Array relu(const Array& x) {
  return strata::relu(x);
}
// tanh approximation by default, as jax.nn.gelu.
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

// nnx.Linear: y = x @ kernel + bias over the last axis of x; kernel (in_features, out_features).
struct Linear {
  Param kernel;
  std::optional<Param> bias;
  int64_t in_features = 0, out_features = 0;

  Linear() = default;
  Linear(int64_t in_features, int64_t out_features, Rngs& rngs, LinearOptions options = {});
  Array operator()(const Array& x) const;

  STRATA_TREE_MEMBERS(kernel, bias)
};

// ---------------------------------------------------------------- LinearGeneral
struct LinearGeneralOptions {
  // The input axes contracted with in_features, one per entry of in_features.  As in Flax they
  // are taken in increasing order: in_features[i] is the size of the i-th of them from the left.
  Axes axis = {-1};
  bool use_bias = true;
  DType dtype = DType::Float32;
  init::Initializer kernel_init = init::lecun_normal();
  init::Initializer bias_init = init::zeros();
};

// nnx.LinearGeneral: contracts the input axes `axis` (sizes in_features) with a kernel of shape
// in_features + out_features; the result is x's other axes, in order, then out_features, plus a
// bias of shape out_features.  As NNX, the kernel initialiser draws on the flat 2-d shape
// (prod(in_features), prod(out_features)) and the result is reshaped, so fans are those of the
// flattened matrix; the bias initialiser draws on (prod(out_features),).
//
//   nn::LinearGeneral q(256, {8, 32}, rngs);                          // (..., 256) -> (..., 8, 32)
//   nn::LinearGeneral o({8, 32}, 256, rngs, {.axis = {-2, -1}});     // (..., 8, 32) -> (..., 256)
struct LinearGeneral {
  Param kernel;
  std::optional<Param> bias;
  Shape in_features, out_features;
  Axes axis;

  LinearGeneral() = default;
  LinearGeneral(Shape in_features, Shape out_features, Rngs& rngs,
                LinearGeneralOptions options = {});
  // One-axis conveniences: LinearGeneral(256, {8, 32}, ...) and LinearGeneral({8, 32}, 256, ...).
  LinearGeneral(int64_t in_features, Shape out_features, Rngs& rngs,
                LinearGeneralOptions options = {})
      : LinearGeneral(Shape{in_features}, std::move(out_features), rngs, std::move(options)) {}
  LinearGeneral(Shape in_features, int64_t out_features, Rngs& rngs,
                LinearGeneralOptions options = {})
      : LinearGeneral(std::move(in_features), Shape{out_features}, rngs, std::move(options)) {}
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
// nnx.Embed: rows of embedding (num_embeddings, features) picked by integer indices, result
// indices.shape + (features,); an index outside [-num_embeddings, num_embeddings) is an error
// (negative ones count from the end), eagerly and equally under jit, scan and vmap, where it is
// raised when the compiled graph runs (nnx.Embed's jnp.take would return NaN rows instead; pass
// ids through take(embedding.value, ids, IndexMode::Fill) for that).  attend(q) = q @ embedding.T
// (tied output projection).
struct Embedding {
  Param embedding;
  int64_t num_embeddings = 0, features = 0;

  Embedding() = default;
  Embedding(int64_t num_embeddings, int64_t features, Rngs& rngs, EmbeddingOptions options = {});
  Array operator()(const Array& indices) const;
  Array attend(const Array& query) const;

  STRATA_TREE_MEMBERS(embedding)
};

// ---------------------------------------------------------------- Dropout
// nnx.Dropout: zeroes each element with probability `rate` and scales the kept ones by
// 1 / (1 - rate); the mask is uniform(key) < 1 - rate with key = rngs(stream), as
// jax.random.bernoulli.  Identity when deterministic (the call's flag, else the module's) or
// rate == 0; zeros when rate == 1 (no key drawn in either case).
struct Dropout {
  double rate = 0.5;
  bool deterministic = false;
  std::string stream = "dropout";

  Dropout() = default;
  explicit Dropout(double rate, bool deterministic = false, std::string stream = "dropout");
  Array operator()(const Array& x, Rngs& rngs,
                   std::optional<bool> deterministic = std::nullopt) const;
  // Without keys: only for a deterministic dropout or rate 0 (otherwise an error).
  Array operator()(const Array& x) const;

  STRATA_TREE_MEMBERS()
};

}  // namespace strata::nn
