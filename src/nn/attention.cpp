#include "strata/nn/attention.h"

#include <cmath>
#include <limits>

#include "strata/core/error.h"

namespace strata::nn {
namespace {

std::string child(const char* name) {
  return name;
}

// (..., T, H*D) -> (..., H, T, D)
Array split_heads(const Array& x, int64_t heads, int64_t head_dim) {
  Shape s = x.shape();
  s.back() = heads;
  s.push_back(head_dim);
  return swapaxes(reshape(x, s), -2, -3);
}

// (..., H, T, D) -> (..., T, H*D)
Array merge_heads(const Array& x) {
  const Array t = swapaxes(x, -2, -3);
  Shape s = t.shape();
  const int64_t d = s.back();
  s.pop_back();
  s.back() *= d;
  return reshape(t, s);
}

double lowest(DType d) {
  return d == DType::Float64 ? std::numeric_limits<double>::lowest()
                             : static_cast<double>(std::numeric_limits<float>::lowest());
}

}  // namespace

Array dot_product_attention(const Array& q, const Array& k, const Array& v, bool causal,
                            const std::optional<Array>& mask) {
  const char* api = "nn.dot_product_attention";
  if (q.ndim() < 2 || k.ndim() != q.ndim() || v.ndim() != q.ndim() || q.shape(-1) != k.shape(-1) ||
      k.shape(-2) != v.shape(-2)) {
    fail(api, "expected q (..., Tq, d), k (..., Tk, d) and v (..., Tk, dv) of one rank, found q ",
         to_string(q.shape()), ", k ", to_string(k.shape()), ", v ", to_string(v.shape()));
  }
  const DType sd = q.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  const Array qs = q.dtype() == sd ? q : astype(q, sd);
  const Array ks = k.dtype() == sd ? k : astype(k, sd);
  Array logits =
      matmul(qs, swapaxes(ks, -1, -2)) * (1.0 / std::sqrt(static_cast<double>(q.shape(-1))));
  const int64_t tq = q.shape(-2), tk = k.shape(-2);
  if (causal) {
    const Array allowed = iota(DType::Int32, {tq, tk}, 0) >= iota(DType::Int32, {tq, tk}, 1);
    logits = where(allowed, logits, lowest(sd));
  }
  if (mask) {
    if (mask->dtype() != DType::Bool) {
      fail(api, "expected a boolean mask (true = attend), found dtype ", mask->dtype());
    }
    logits = where(*mask, logits, lowest(sd));
  }
  Array w = strata::softmax(logits, -1);
  if (w.dtype() != v.dtype()) w = astype(w, v.dtype());
  return matmul(w, v);
}

MLP::MLP(int64_t in, int64_t hidden, int64_t out, Rngs& rngs, MLPOptions options)
    : fc1(in, hidden, rngs, {.use_bias = options.use_bias, .dtype = options.dtype}),
      fc2(hidden, out, rngs, {.use_bias = options.use_bias, .dtype = options.dtype}),
      activation(std::move(options.activation)) {
  fc1.path = child("fc1");
  fc2.path = child("fc2");
}

Array MLP::operator()(const Array& x) const {
  const Array h = fc1(x);
  return fc2(activation ? activation(h) : h);
}

MultiHeadAttention::MultiHeadAttention(int64_t heads, int64_t features, Rngs& rngs,
                                       AttentionOptions o)
    : num_heads(heads), causal(o.causal) {
  const char* api = "nn.MultiHeadAttention";
  const int64_t qkv = o.qkv_features ? o.qkv_features : features;
  const int64_t out_f = o.out_features ? o.out_features : features;
  if (heads <= 0 || qkv % heads != 0) {
    fail(api, "qkv_features (", qkv, ") must be a positive multiple of num_heads (", heads,
         "); change num_heads or qkv_features");
  }
  head_dim = qkv / heads;
  const LinearOptions lo{.use_bias = o.use_bias, .dtype = o.dtype};
  query = Linear(features, qkv, rngs, lo);
  key = Linear(features, qkv, rngs, lo);
  value = Linear(features, qkv, rngs, lo);
  out = Linear(qkv, out_f, rngs, lo);
  query.path = "query";
  key.path = "key";
  value.path = "value";
  out.path = "out";
}

Array MultiHeadAttention::operator()(const Array& x, const std::optional<Array>& mask) const {
  return (*this)(x, x, mask);
}

Array MultiHeadAttention::operator()(const Array& x_q, const Array& x_kv,
                                     const std::optional<Array>& mask) const {
  if (x_q.ndim() < 2 || x_kv.ndim() < 2) {
    fail("nn.MultiHeadAttention", "expected inputs of shape (..., T, features), found ",
         to_string(x_q.shape()), " and ", to_string(x_kv.shape()));
  }
  const Array q = split_heads(query(x_q), num_heads, head_dim);
  const Array k = split_heads(key(x_kv), num_heads, head_dim);
  const Array v = split_heads(value(x_kv), num_heads, head_dim);
  return out(merge_heads(dot_product_attention(q, k, v, causal, mask)));
}

TransformerBlock::TransformerBlock(int64_t features, int64_t heads, int64_t hidden, Rngs& rngs,
                                   TransformerOptions o)
    : ln1(features, rngs, {.epsilon = o.epsilon, .dtype = o.dtype}),
      attn(heads, features, rngs, {.causal = o.causal, .dtype = o.dtype}),
      ln2(features, rngs, {.epsilon = o.epsilon, .dtype = o.dtype}),
      mlp(features, hidden, features, rngs, {.activation = o.activation, .dtype = o.dtype}) {
  for (Linear* l : {&attn.query, &attn.key, &attn.value, &attn.out}) l->path = "attn." + l->path;
  for (Linear* l : {&mlp.fc1, &mlp.fc2}) l->path = "mlp." + l->path;
}

Array TransformerBlock::operator()(const Array& x, const std::optional<Array>& mask) const {
  const Array h = x + attn(ln1(x), mask);
  return h + mlp(ln2(h));
}

}  // namespace strata::nn
