// nn::MultiHeadAttention (nnx's parameter layout and initialisation), dot_product_attention,
// MLP and TransformerBlock against plain loops, their gradients in float64, and their errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "nn/nn_test_util.h"

namespace strata::testing {
namespace {

constexpr DType F64 = DType::Float64;

TEST(NnAttention, ParameterLayoutAndKeyPathsAreNnx) {
  nn::Rngs rngs(0);
  const nn::MultiHeadAttention m(2, 4, rngs, {.qkv_features = 6, .out_features = 5});
  EXPECT_EQ(m.head_dim, 3);
  std::map<std::string, Shape> shapes;
  for (const auto& [path, a] : nn::split(m).first) shapes[path] = a.shape();
  const std::map<std::string, Shape> want = {{"query.kernel", {4, 2, 3}}, {"query.bias", {2, 3}},
                                             {"key.kernel", {4, 2, 3}},   {"key.bias", {2, 3}},
                                             {"value.kernel", {4, 2, 3}}, {"value.bias", {2, 3}},
                                             {"out.kernel", {2, 3, 5}},   {"out.bias", {5}}};
  EXPECT_EQ(shapes, want);
  EXPECT_TRUE(nn::split(m).second.empty());
  EXPECT_EQ(rngs.count("default"), 8u);  // kernel and bias keys of query, key, value, out
  EXPECT_EQ(m(zeros({3, 7, 4})).shape(), (Shape{3, 7, 5}));
}

TEST(NnAttention, InitialisationEqualsNnx) {
  // nnx.MultiHeadAttention(2, 4, qkv_features=6, out_features=5, rngs=nnx.Rngs(0)): query,
  // key, value then out, each drawing fold_in(key(0), count) for its kernel and then its bias;
  // kernels are lecun_normal on the flat (4, 6) and (6, 5) shapes, reshaped.
  nn::Rngs rngs(0);
  const nn::MultiHeadAttention m(2, 4, rngs, {.qkv_features = 6, .out_features = 5});
  const Array root = random::key(0);
  const std::pair<const nn::LinearGeneral*, const char*> projections[] = {
      {&m.query, "query"}, {&m.key, "key"}, {&m.value, "value"}};
  uint32_t count = 0;
  for (const auto& [p, name] : projections) {
    expect_all_close(to_doubles(p->kernel), lecun_normal_ref(random::fold_in(root, count), 4, 6),
                     1e-6, 1e-7, name);
    expect_all_close(to_doubles(p->bias->value), std::vector<double>(6, 0.0), 0, 0, name);
    count += 2;
  }
  expect_all_close(to_doubles(m.out.kernel), lecun_normal_ref(random::fold_in(root, 6), 6, 5), 1e-6,
                   1e-7, "out");
  // Without biases only the kernels draw keys: 0, 1, 2, 3.
  nn::Rngs no_bias_rngs(0);
  const nn::MultiHeadAttention nb(2, 4, no_bias_rngs, {.qkv_features = 6, .use_bias = false});
  EXPECT_FALSE(nb.query.bias.has_value());
  expect_all_close(to_doubles(nb.value.kernel), lecun_normal_ref(random::fold_in(root, 2), 4, 6),
                   1e-6, 1e-7, "value without bias");
  expect_all_close(to_doubles(nb.out.kernel), lecun_normal_ref(random::fold_in(root, 3), 6, 4),
                   1e-6, 1e-7, "out without bias");
  // out_kernel_init applies to the output projection only.
  nn::Rngs r2(0);
  const nn::MultiHeadAttention oz(2, 4, r2,
                                  {.qkv_features = 6, .out_kernel_init = nn::init::zeros()});
  expect_arrays_close(oz.query.kernel, m.query.kernel, 0);
  expect_all_close(to_doubles(oz.out.kernel), std::vector<double>(24, 0.0), 0);
}

// Multi-head attention by loops from the module's own parameters.  x_q (B, Tq, F) and x_kv
// (B, Tk, F), B the flattened leading axes; allowed(b, h, i, j) is the mask (a query with no
// allowed key attends uniformly, as the module's lowest-value masking does).
using Allowed = std::function<bool(int64_t, int64_t, int64_t, int64_t)>;
std::vector<double> mha_ref(const nn::MultiHeadAttention& m, const Array& x_q, const Array& x_kv,
                            const Allowed& allowed) {
  const int64_t F = x_q.shape(-1), Tq = x_q.shape(-2), Tk = x_kv.shape(-2);
  const int64_t B = x_q.size() / (Tq * F), H = m.num_heads, D = m.head_dim;
  auto proj = [&](const nn::LinearGeneral& l, const Array& x, int64_t T) {
    const std::vector<double> b = to_doubles(l.bias->value);
    return linear_ref(to_doubles(x), B * T, F, to_doubles(l.kernel), H * D, &b);
  };
  const std::vector<double> q = proj(m.query, x_q, Tq), k = proj(m.key, x_kv, Tk),
                            v = proj(m.value, x_kv, Tk);
  std::vector<double> ctx(static_cast<size_t>(B * Tq * H * D));
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t i = 0; i < Tq; ++i) {
        std::vector<double> w(static_cast<size_t>(Tk), 0.0);
        double mx = -1e300, z = 0;
        bool any = false;
        for (int64_t j = 0; j < Tk; ++j) {
          if (!allowed(b, h, i, j)) continue;
          any = true;
          double s = 0;
          for (int64_t d = 0; d < D; ++d) {
            s += q[((b * Tq + i) * H + h) * D + d] * k[((b * Tk + j) * H + h) * D + d];
          }
          w[j] = s / std::sqrt(static_cast<double>(D));
          mx = std::max(mx, w[j]);
        }
        for (int64_t j = 0; j < Tk; ++j) {
          w[j] = !any ? 1.0 : allowed(b, h, i, j) ? std::exp(w[j] - mx) : 0.0;
          z += w[j];
        }
        for (int64_t d = 0; d < D; ++d) {
          double acc = 0;
          for (int64_t j = 0; j < Tk; ++j) acc += w[j] / z * v[((b * Tk + j) * H + h) * D + d];
          ctx[((b * Tq + i) * H + h) * D + d] = acc;
        }
      }
    }
  }
  const std::vector<double> ob = to_doubles(m.out.bias->value);
  return linear_ref(ctx, B * Tq, H * D, to_doubles(m.out.kernel), m.out.out_features[0], &ob);
}

TEST(NnAttention, SelfAttentionMatchesLoopCausalAndNot) {
  nn::Rngs rngs(0);
  for (bool causal : {false, true}) {
    const nn::MultiHeadAttention m = randomised(
        nn::MultiHeadAttention(2, 6, rngs, {.qkv_features = 4, .causal = causal, .dtype = F64}),
        causal ? 20 : 10);
    // Two leading axes: (2, 3) sequences of length 5.
    const Array x = random_array({2, 3, 5, 6}, F64, 3);
    const Allowed allowed = [causal](int64_t, int64_t, int64_t i, int64_t j) {
      return !causal || j <= i;
    };
    const Array y = m(x);
    EXPECT_EQ(y.shape(), (Shape{2, 3, 5, 6}));
    expect_all_close(to_doubles(y), mha_ref(m, x, x, allowed), 1e-10, 1e-12,
                     causal ? "causal" : "full");
  }
  // causal: changing a later position leaves earlier outputs alone.
  const nn::MultiHeadAttention c(2, 6, rngs, {.causal = true, .dtype = F64});
  const Array x = random_array({1, 4, 6}, F64, 4);
  const Array x2 = concatenate({slice(x, {{}, {0, 3}}), random_array({1, 1, 6}, F64, 5)}, 1);
  const std::vector<double> a = to_doubles(c(x)), b = to_doubles(c(x2));
  for (int i = 0; i < 18; ++i) EXPECT_NEAR(a[i], b[i], 1e-12);
  EXPECT_GT(std::fabs(a[20] - b[20]), 1e-9);
  // float32 in, float32 out (the softmax runs in float32).
  nn::MultiHeadAttention f(2, 6, rngs);
  EXPECT_EQ(f(zeros({1, 3, 6})).dtype(), DType::Float32);
}

TEST(NnAttention, CrossAttentionWithMaskMatchesLoop) {
  nn::Rngs rngs(1);
  const nn::MultiHeadAttention m =
      randomised(nn::MultiHeadAttention(3, 4, rngs, {.qkv_features = 6, .dtype = F64}), 30);
  const Array xq = random_array({2, 3, 4}, F64, 6);
  const Array xkv = random_array({2, 5, 4}, F64, 7);
  // (B, 1, Tq, Tk): shared by the heads; query 1 of batch 1 sees no key at all.
  std::vector<bool> bits(2 * 3 * 5);
  for (size_t i = 0; i < bits.size(); ++i) bits[i] = (i * 7 + 3) % 4 != 0;
  for (int j = 0; j < 5; ++j) bits[(1 * 3 + 1) * 5 + j] = false;
  std::vector<int32_t> as_int(bits.begin(), bits.end());
  const Array mask = astype(array<int32_t>(as_int, {2, 1, 3, 5}), DType::Bool);
  const Allowed allowed = [&](int64_t b, int64_t, int64_t i, int64_t j) {
    return bits[static_cast<size_t>((b * 3 + i) * 5 + j)];
  };
  expect_all_close(to_doubles(m(xq, xkv, mask)), mha_ref(m, xq, xkv, allowed), 1e-10, 1e-12);
  // A (Tq, Tk) mask broadcasts over batch and heads too.
  const Array mask2 = reshape(slice(mask, {{0, 1}, {0, 1}}), {3, 5});
  const Allowed allowed2 = [&](int64_t, int64_t, int64_t i, int64_t j) {
    return bits[static_cast<size_t>(i * 5 + j)];
  };
  expect_all_close(to_doubles(m(xq, xkv, mask2)), mha_ref(m, xq, xkv, allowed2), 1e-10, 1e-12);
}

TEST(NnAttention, DotProductAttentionLayout) {
  // (..., T, H, D) in and out; a permutation of the heads permutes the output's heads.
  const Array q = random_array({2, 3, 2, 4}, F64, 1), k = random_array({2, 5, 2, 4}, F64, 2),
              v = random_array({2, 5, 2, 3}, F64, 3);
  const Array y = nn::dot_product_attention(q, k, v);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 2, 3}));
  auto head = [](const Array& a, int64_t h) { return slice(a, {{}, {}, {h, h + 1}}); };
  for (int64_t h = 0; h < 2; ++h) {
    // One head alone gives the same result as within the pair.
    expect_arrays_close(head(y, h), nn::dot_product_attention(head(q, h), head(k, h), head(v, h)),
                        1e-14);
  }
  EXPECT_STRATA_ERROR(nn::dot_product_attention(q, k, slice(v, {{}, {0, 4}})),
                      "[nn.dot_product_attention]", "(2, 4, 2, 3)");
  EXPECT_STRATA_ERROR(nn::dot_product_attention(q, k, v, ones({2, 2, 3, 4}, DType::Bool)),
                      "[nn.dot_product_attention]", "(2, 2, 3, 4)", "(2, 2, 3, 5)");
  EXPECT_STRATA_ERROR(nn::dot_product_attention(q, k, v, ones({3, 5})),
                      "[nn.dot_product_attention]", "boolean", "float32");
  EXPECT_STRATA_ERROR(nn::dot_product_attention(astype(q, DType::Int32), astype(k, DType::Int32),
                                                astype(v, DType::Int32)),
                      "[nn.dot_product_attention]", "floating-point");
}

TEST(NnAttention, GradientsOfAttentionAndBlock) {
  nn::Rngs rngs(0);
  const Array x = random_array({2, 3, 6}, F64, 1);
  auto check = [&](const std::string& name, const auto& m) {
    expect_grads(
        name, [&m](const nn::State& p, const Array& in) { return nn::merge(m, p)(in); },
        nn::state(m), x);
  };
  check("MHA", randomised(nn::MultiHeadAttention(2, 6, rngs, {.dtype = F64}), 5));
  check("MHA causal",
        randomised(nn::MultiHeadAttention(3, 6, rngs, {.causal = true, .dtype = F64}), 6));
  check("MLP", randomised(nn::MLP(6, 8, 3, rngs, {.dtype = F64}), 4));
  check("TransformerBlock",
        randomised(nn::TransformerBlock(6, 2, 12, rngs, {.causal = true, .dtype = F64}), 7));
  const nn::MultiHeadAttention cross =
      randomised(nn::MultiHeadAttention(2, 6, rngs, {.out_features = 3, .dtype = F64}), 8);
  const Array kv = random_array({2, 4, 6}, F64, 2);
  const Array mask = random_array({2, 1, 3, 4}, F64, 3, 0, 1) < 0.7;
  expect_grads(
      "MHA cross with mask",
      [&](const nn::State& p, const Array& q, const Array& m) {
        return nn::merge(cross, p)(q, m, mask);
      },
      nn::state(cross), x, kv);
}

TEST(NnAttention, Errors) {
  nn::Rngs rngs(0);
  const nn::MultiHeadAttention m(2, 6, rngs);
  EXPECT_STRATA_ERROR(m(zeros({2, 3, 5})), "[nn.MultiHeadAttention]", "(..., length, 6)",
                      "(2, 3, 5)");
  EXPECT_STRATA_ERROR(m(zeros({6})), "[nn.MultiHeadAttention]", "(6,)");
  EXPECT_STRATA_ERROR(m(zeros({2, 3, 6}), zeros({3, 4, 6}), std::nullopt),
                      "[nn.MultiHeadAttention]", "same leading axes", "(2, 3, 6)", "(3, 4, 6)");
  // attn(x, mask) is self-attention with a mask, whose shape must broadcast to the logits'.
  EXPECT_STRATA_ERROR(m(zeros({2, 3, 6}), ones({2, 3}, DType::Bool)), "[nn.dot_product_attention]",
                      "(2, 3)", "(2, 2, 3, 3)");
  EXPECT_EQ(m(zeros({2, 3, 6}), ones({3, 3}, DType::Bool)).shape(), (Shape{2, 3, 6}));
  EXPECT_STRATA_ERROR(nn::MultiHeadAttention(4, 6, rngs), "[nn.MultiHeadAttention]",
                      "qkv_features (6)", "num_heads (4)");
  EXPECT_STRATA_ERROR(nn::MultiHeadAttention(0, 6, rngs), "[nn.MultiHeadAttention]",
                      "num_heads (0)");
}

TEST(NnBlock, PreLnResidualStructure) {
  nn::Rngs rngs(0);
  const nn::TransformerBlock blk =
      randomised(nn::TransformerBlock(6, 2, 12, rngs, {.dtype = F64}), 3);
  const Array x = random_array({2, 4, 6}, F64, 8);
  const Array h = x + blk.attn(blk.ln1(x));
  const Array want = h + blk.mlp(blk.ln2(h));
  expect_arrays_close(blk(x), want, 1e-14);
  EXPECT_EQ(blk(x).shape(), x.shape());
}

}  // namespace
}  // namespace strata::testing
