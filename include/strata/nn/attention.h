// strata::nn composite modules: MLP, MultiHeadAttention (nnx.MultiHeadAttention's parameter
// layout), and a pre-LN TransformerBlock.
//
//   nn::Rngs rngs(0);
//   nn::MultiHeadAttention attn(/*num_heads=*/4, /*in_features=*/256, rngs, {.causal = true});
//   Array y = attn(x);                              // x: (..., T, 256) -> (..., T, 256)
//   nn::TransformerBlock block(256, 4, 1024, rngs, {.causal = true});
//   Array h = block(x);                             // x + attn(ln1(x)), then h + mlp(ln2(h))
//
// MultiHeadAttention holds nnx's four LinearGeneral projections: query, key and value map
// in_features to (num_heads, head_dim) (kernel (in_features, num_heads, head_dim), bias
// (num_heads, head_dim)), and out maps (num_heads, head_dim) back to out_features (kernel
// (num_heads, head_dim, out_features), bias (out_features)).  They are built in that order, each
// drawing its kernel key then its bias key, with the kernels initialised on their flat 2-d shape,
// so with the same seed the parameters equal nnx.MultiHeadAttention's (key paths
// `query.kernel`, ..., `out.bias`).  The attention itself is nn::dot_product_attention.
//
// Composites name their children with nn::ModuleScope, so a child's error reads e.g.
// "[nn.Linear] ... (module at key path `mlp.fc1`)" (see module_path.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "strata/nn/layers.h"

namespace strata::nn {

using Activation = std::function<Array(const Array&)>;

struct MLPOptions {
  Activation activation = [](const Array& x) { return strata::gelu(x); };  // empty: identity
  bool use_bias = true;
  DType dtype = DType::Float32;
  init::Initializer kernel_init = init::lecun_normal();
  init::Initializer bias_init = init::zeros();
};
// fc2(activation(fc1(x))): in_features -> hidden -> out_features.
struct MLP {
  Linear fc1, fc2;
  Activation activation;

  MLP() = default;
  MLP(int64_t in_features, int64_t hidden_features, int64_t out_features, Rngs& rngs,
      MLPOptions options = {});
  Array operator()(const Array& x) const;

  STRATA_TREE_MEMBERS(fc1, fc2)
};

struct AttentionOptions {
  int64_t qkv_features = 0;  // 0: in_features; must be a multiple of num_heads
  int64_t out_features = 0;  // 0: in_features
  bool causal = false;
  bool use_bias = true;
  DType dtype = DType::Float32;
  init::Initializer kernel_init = init::lecun_normal();
  init::Initializer bias_init = init::zeros();
  init::Initializer out_kernel_init = {};  // empty: kernel_init
  init::Initializer out_bias_init = {};    // empty: bias_init
};
struct MultiHeadAttention {
  LinearGeneral query, key, value, out;
  int64_t num_heads = 0, in_features = 0, head_dim = 0;
  bool causal = false;

  MultiHeadAttention() = default;
  MultiHeadAttention(int64_t num_heads, int64_t in_features, Rngs& rngs,
                     AttentionOptions options = {});
  // Self-attention on x (..., T, in_features); `mask` as in dot_product_attention.
  Array operator()(const Array& x, const std::optional<Array>& mask = std::nullopt) const;
  // Queries x_q (..., Tq, in_features) attend to x_kv (..., Tk, in_features) (keys and values);
  // the leading axes of x_q and x_kv must be equal.  The mask argument is not optional (pass
  // std::nullopt for none), so that attn(x, mask) is always self-attention with a mask.
  Array operator()(const Array& x_q, const Array& x_kv, const std::optional<Array>& mask) const;

  STRATA_TREE_MEMBERS(query, key, value, out)
};

struct TransformerOptions {
  bool causal = false;
  double epsilon = 1e-6;
  DType dtype = DType::Float32;
  Activation activation = [](const Array& x) { return strata::gelu(x); };
};
// Pre-LN block: h = x + attn(ln1(x)); y = h + mlp(ln2(h)).  Built in the order ln1, attn, ln2,
// mlp (the order of the parameter draws).
struct TransformerBlock {
  LayerNorm ln1;
  MultiHeadAttention attn;
  LayerNorm ln2;
  MLP mlp;

  TransformerBlock() = default;
  TransformerBlock(int64_t features, int64_t num_heads, int64_t mlp_hidden, Rngs& rngs,
                   TransformerOptions options = {});
  Array operator()(const Array& x, const std::optional<Array>& mask = std::nullopt) const;

  STRATA_TREE_MEMBERS(ln1, attn, ln2, mlp)
};

// Multi-head dot-product attention in Flax's layout (jax.nn.dot_product_attention):
// q (..., Tq, H, D), k (..., Tk, H, D) and v (..., Tk, H, Dv) with equal leading axes give
// (..., Tq, H, Dv) = softmax(q k^T / sqrt(D)) v per head.  The logits and the softmax are
// computed in float32 (float64 stays float64) and the weights cast back to the promoted dtype of
// q, k and v.  `mask` is boolean (true = attend), broadcastable to the logits' shape
// (..., H, Tq, Tk); `causal` also masks key positions after the query's (j > i).  Masked logits
// become the dtype's lowest value, so a fully masked row attends uniformly.
Array dot_product_attention(const Array& q, const Array& k, const Array& v,
                            const std::optional<Array>& mask = std::nullopt, bool causal = false);

}  // namespace strata::nn
