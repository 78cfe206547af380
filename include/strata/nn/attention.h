// strata::nn composite modules: MLP, MultiHeadAttention, and a pre-LN TransformerBlock.
//
//   nn::Rngs rngs(0);
//   nn::MultiHeadAttention attn(/*num_heads=*/4, /*features=*/256, rngs, {.causal = true});
//   Array y = attn(x);                              // x: (..., T, 256) -> (..., T, 256)
//   nn::TransformerBlock block(256, 4, 1024, rngs, {.causal = true});
//   Array h = block(x);                             // x + attn(ln1(x)), then h + mlp(ln2(h))
//
// MultiHeadAttention projects q, k and v with Linear(features, qkv_features) each (split into
// num_heads heads of qkv_features / num_heads), scales q by 1/sqrt(head_dim), and computes the
// attention logits and softmax in float32 (float64 stays float64) before casting back.  The
// causal option (or a boolean `mask` broadcastable to (..., heads, T_q, T_k), true = attend)
// replaces masked logits with the dtype's lowest value.  The parameter layout differs from
// nnx.MultiHeadAttention (whose projections are LinearGeneral with kernels (in, heads, head_dim)).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "strata/nn/layers.h"

namespace strata::nn {

struct MLPOptions {
  std::function<Array(const Array&)> activation = [](const Array& x) { return strata::gelu(x); };
  bool use_bias = true;
  DType dtype = DType::Float32;
};
// fc2(activation(fc1(x))): in_features -> hidden -> out_features.
struct MLP {
  Linear fc1, fc2;
  std::function<Array(const Array&)> activation;

  MLP() = default;
  MLP(int64_t in_features, int64_t hidden_features, int64_t out_features, Rngs& rngs,
      MLPOptions options = {});
  Array operator()(const Array& x) const;

  STRATA_TREE_MEMBERS(fc1, fc2)
};

struct AttentionOptions {
  int64_t qkv_features = 0;  // 0: features
  int64_t out_features = 0;  // 0: features
  bool causal = false;
  bool use_bias = true;
  DType dtype = DType::Float32;
};
struct MultiHeadAttention {
  Linear query, key, value, out;
  int64_t num_heads = 0, head_dim = 0;
  bool causal = false;

  MultiHeadAttention() = default;
  MultiHeadAttention(int64_t num_heads, int64_t features, Rngs& rngs,
                     AttentionOptions options = {});
  // Self-attention on x (..., T, features).
  Array operator()(const Array& x, const std::optional<Array>& mask = std::nullopt) const;
  // Attention of queries x_q (..., Tq, F) over x_kv (..., Tk, F).
  Array operator()(const Array& x_q, const Array& x_kv,
                   const std::optional<Array>& mask = std::nullopt) const;

  STRATA_TREE_MEMBERS(query, key, value, out)
};

struct TransformerOptions {
  bool causal = false;
  double epsilon = 1e-6;
  DType dtype = DType::Float32;
  std::function<Array(const Array&)> activation = [](const Array& x) { return strata::gelu(x); };
};
// Pre-LN block: h = x + attn(ln1(x)); y = h + mlp(ln2(h)).
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

// softmax(q k^T / sqrt(d) [masked]) v on (..., heads, T, d) arrays; exposed for tests and reuse.
Array dot_product_attention(const Array& q, const Array& k, const Array& v, bool causal,
                            const std::optional<Array>& mask = std::nullopt);

}  // namespace strata::nn
