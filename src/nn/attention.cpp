#include "strata/nn/attention.h"

#include <cmath>
#include <limits>
#include <numeric>

#include "nn/layer_util.h"
#include "strata/core/error.h"

namespace strata::nn {
namespace {

using detail::at_least_float32;
using detail::cast;

double lowest(DType d) {
  return d == DType::Float64 ? std::numeric_limits<double>::lowest()
                             : static_cast<double>(std::numeric_limits<float>::lowest());
}

// Whether `from` broadcasts to `to` (NumPy rules, without growing `to`).
bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  for (size_t i = 0; i < from.size(); ++i) {
    const int64_t f = from[from.size() - 1 - i], t = to[to.size() - 1 - i];
    if (f != 1 && f != t) return false;
  }
  return true;
}

// 0, 1, ..., n - 1
Axes iota_axes(int n) {
  Axes a(static_cast<size_t>(n));
  std::iota(a.begin(), a.end(), 0);
  return a;
}

// Builds a child module or calls one under its key path.
template <class F>
auto in_child(const char* name, F&& f) {
  const ModuleScope scope(name);
  return f();
}

}  // namespace

Array dot_product_attention(const Array& q, const Array& k, const Array& v,
                            const std::optional<Array>& mask, bool causal) {
  const char* api = "nn.dot_product_attention";
  const int nd = static_cast<int>(q.ndim());
  const auto lead = [](const Array& a) { return Shape(a.shape().begin(), a.shape().end() - 3); };
  if (nd < 3 || k.ndim() != nd || v.ndim() != nd || lead(k) != lead(q) || lead(v) != lead(q) ||
      k.shape(-2) != q.shape(-2) || v.shape(-2) != q.shape(-2) || k.shape(-1) != q.shape(-1) ||
      v.shape(-3) != k.shape(-3)) {
    fail(api,
         "expected q (..., Tq, H, D), k (..., Tk, H, D) and v (..., Tk, H, Dv) with the same "
         "leading axes, found q ",
         to_string(q.shape()), ", k ", to_string(k.shape()), ", v ", to_string(v.shape()),
         module_path_note());
  }
  const DType dtype = promote_types(promote_types(q.dtype(), k.dtype()), v.dtype());
  if (!is_floating(dtype)) {
    fail(api, "expected floating-point q, k and v, found ", q.dtype(), ", ", k.dtype(), ", ",
         v.dtype(), module_path_note());
  }
  const DType sd = at_least_float32(dtype);
  const int nb = nd - 3;  // leading (batch) axes
  // q's, k's and v's batch axes for dot_general: the leading ones and the head axis (nb + 1).
  Axes batch = iota_axes(nb);
  batch.push_back(nb + 1);
  // (..., H, Tq, Tk): batch axes, then q's free axis (Tq), then k's (Tk).
  Array logits = dot_general(cast(q, sd), cast(k, sd), {{nd - 1}, {nd - 1}, batch, batch}) *
                 (1.0 / std::sqrt(static_cast<double>(q.shape(-1))));
  const int64_t tq = q.shape(-3), tk = k.shape(-3);
  if (causal) {
    const Array allowed = iota(DType::Int32, {tq, tk}, 0) >= iota(DType::Int32, {tq, tk}, 1);
    logits = where(allowed, logits, lowest(sd));
  }
  if (mask) {
    if (mask->dtype() != DType::Bool) {
      fail(api, "expected a boolean mask (true = attend), found dtype ", mask->dtype(),
           module_path_note(), "; compare to build one, e.g. ids != pad_id");
    }
    if (!broadcasts_to(mask->shape(), logits.shape())) {
      fail(api, "the mask of shape ", to_string(mask->shape()),
           " does not broadcast to the attention logits' shape ", to_string(logits.shape()),
           " (..., heads, Tq, Tk)", module_path_note(),
           "; give it size-1 axes for the axes it does not vary along");
    }
    logits = where(*mask, logits, lowest(sd));
  }
  const Array weights = cast(strata::softmax(logits, -1), dtype);
  // (..., H, Tq, Tk) x (..., Tk, H, Dv) -> (..., H, Tq, Dv) -> (..., Tq, H, Dv)
  const Array ctx =
      dot_general(weights, cast(v, dtype), {{nd - 1}, {nb}, iota_axes(nb + 1), batch});
  return swapaxes(ctx, -2, -3);
}

MLP::MLP(int64_t in, int64_t hidden, int64_t out, Rngs& rngs, MLPOptions o)
    : activation(std::move(o.activation)) {
  const LinearOptions lo{.use_bias = o.use_bias,
                         .dtype = o.dtype,
                         .kernel_init = o.kernel_init,
                         .bias_init = o.bias_init};
  fc1 = in_child("fc1", [&] { return Linear(in, hidden, rngs, lo); });
  fc2 = in_child("fc2", [&] { return Linear(hidden, out, rngs, lo); });
}

Array MLP::operator()(const Array& x) const {
  const Array h = in_child("fc1", [&] { return fc1(x); });
  return in_child("fc2", [&] { return fc2(activation ? activation(h) : h); });
}

MultiHeadAttention::MultiHeadAttention(int64_t heads, int64_t in, Rngs& rngs, AttentionOptions o)
    : num_heads(heads), in_features(in), causal(o.causal) {
  const char* api = "nn.MultiHeadAttention";
  detail::check_positive(api, "in_features", in);
  const int64_t qkv = o.qkv_features ? o.qkv_features : in;
  const int64_t out_features = o.out_features ? o.out_features : in;
  if (heads <= 0 || qkv <= 0 || qkv % heads != 0) {
    fail(api, "qkv_features (", qkv, ") must be a positive multiple of num_heads (", heads, ")",
         module_path_note(), "; change num_heads or qkv_features");
  }
  head_dim = qkv / heads;
  const LinearGeneralOptions projection{.use_bias = o.use_bias,
                                        .dtype = o.dtype,
                                        .kernel_init = o.kernel_init,
                                        .bias_init = o.bias_init};
  const Shape heads_shape{heads, head_dim};
  query = in_child("query", [&] { return LinearGeneral(in, heads_shape, rngs, projection); });
  key = in_child("key", [&] { return LinearGeneral(in, heads_shape, rngs, projection); });
  value = in_child("value", [&] { return LinearGeneral(in, heads_shape, rngs, projection); });
  const LinearGeneralOptions output{
      .axis = {-2, -1},
      .use_bias = o.use_bias,
      .dtype = o.dtype,
      .kernel_init = o.out_kernel_init ? o.out_kernel_init : o.kernel_init,
      .bias_init = o.out_bias_init ? o.out_bias_init : o.bias_init};
  out = in_child("out", [&] { return LinearGeneral(heads_shape, out_features, rngs, output); });
}

Array MultiHeadAttention::operator()(const Array& x, const std::optional<Array>& mask) const {
  return (*this)(x, x, mask);
}

Array MultiHeadAttention::operator()(const Array& x_q, const Array& x_kv,
                                     const std::optional<Array>& mask) const {
  const char* api = "nn.MultiHeadAttention";
  for (const Array* x : {&x_q, &x_kv}) {
    if (x->ndim() < 2 || x->shape(-1) != in_features) {
      fail(api, "expected inputs of shape (..., length, ", in_features, ")", module_path_note(),
           ", found ", x == &x_q ? "queries " : "keys/values ", to_string(x->shape()),
           "; reshape the input or build the module with that in_features");
    }
  }
  if (Shape(x_q.shape().begin(), x_q.shape().end() - 2) !=
      Shape(x_kv.shape().begin(), x_kv.shape().end() - 2)) {
    fail(api, "expected queries and keys/values with the same leading axes, found ",
         to_string(x_q.shape()), " and ", to_string(x_kv.shape()), module_path_note());
  }
  const Array q = in_child("query", [&] { return query(x_q); });
  const Array k = in_child("key", [&] { return key(x_kv); });
  const Array v = in_child("value", [&] { return value(x_kv); });
  const Array ctx = dot_product_attention(q, k, v, mask, causal);
  return in_child("out", [&] { return out(ctx); });
}

TransformerBlock::TransformerBlock(int64_t features, int64_t heads, int64_t hidden, Rngs& rngs,
                                   TransformerOptions o) {
  const NormOptions norm{.epsilon = o.epsilon, .dtype = o.dtype};
  ln1 = in_child("ln1", [&] { return LayerNorm(features, rngs, norm); });
  attn = in_child("attn", [&] {
    return MultiHeadAttention(heads, features, rngs, {.causal = o.causal, .dtype = o.dtype});
  });
  ln2 = in_child("ln2", [&] { return LayerNorm(features, rngs, norm); });
  mlp = in_child("mlp", [&] {
    return MLP(features, hidden, features, rngs, {.activation = o.activation, .dtype = o.dtype});
  });
}

Array TransformerBlock::operator()(const Array& x, const std::optional<Array>& mask) const {
  const Array a = in_child("ln1", [&] { return ln1(x); });
  const Array h = x + in_child("attn", [&] { return attn(a, mask); });
  const Array m = in_child("ln2", [&] { return ln2(h); });
  return h + in_child("mlp", [&] { return mlp(m); });
}

}  // namespace strata::nn
