// nn layers against plain-loop references, their gradients in float64, Dropout, split / merge.
#include <gtest/gtest.h>

#include <cmath>

#include "strata/nn/nn.h"
#include "test_util.h"

namespace strata::testing {
namespace {

constexpr DType F64 = DType::Float64;

// A module whose every parameter is replaced by random float64 values (so biases, scales are not
// trivially 0 / 1 and a wrong formula shows).
template <class M>
M randomised(const M& m, uint32_t seed) {
  nn::State s = nn::state(m);
  for (auto& [path, a] : s) a = random_array(a.shape(), F64, seed++, -1, 1);
  return nn::merge(m, s);
}

std::vector<double> linear_ref(const std::vector<double>& x, int64_t rows, int64_t in,
                               const std::vector<double>& w, int64_t out,
                               const std::vector<double>* b) {
  std::vector<double> y(static_cast<size_t>(rows * out));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double acc = b ? (*b)[static_cast<size_t>(o)] : 0.0;
      for (int64_t i = 0; i < in; ++i) {
        acc += x[static_cast<size_t>(r * in + i)] * w[static_cast<size_t>(i * out + o)];
      }
      y[static_cast<size_t>(r * out + o)] = acc;
    }
  }
  return y;
}

TEST(NnLinear, MatchesLoopAndBatches) {
  nn::Rngs rngs(0);
  const nn::Linear lin = randomised(nn::Linear(5, 3, rngs, {.dtype = F64}), 1);
  const Array x = random_array({2, 4, 5}, F64, 9);
  const Array y = lin(x);
  EXPECT_EQ(y.shape(), (Shape{2, 4, 3}));
  const std::vector<double> b = to_doubles(lin.bias->value);
  expect_all_close(to_doubles(y), linear_ref(to_doubles(x), 8, 5, to_doubles(lin.kernel), 3, &b),
                   1e-12, 1e-12);
  nn::Rngs rngs2(0);
  const nn::Linear nob = randomised(nn::Linear(5, 3, rngs2, {.use_bias = false, .dtype = F64}), 1);
  expect_all_close(to_doubles(nob(x)),
                   linear_ref(to_doubles(x), 8, 5, to_doubles(nob.kernel), 3, nullptr), 1e-12,
                   1e-12);
}

TEST(NnLinear, FeatureMismatchNamesSizesAndPath) {
  nn::Rngs rngs(0);
  nn::Linear lin(5, 3, rngs);
  EXPECT_STRATA_ERROR(lin(zeros({4, 6})), "[nn.Linear]", "5", "(4, 6)");
  nn::MLP mlp(5, 8, 2, rngs);
  EXPECT_STRATA_ERROR(mlp(zeros({4, 6})), "[nn.Linear]", "`fc1`", "(4, 6)");
  nn::TransformerBlock block(8, 2, 16, rngs);
  EXPECT_STRATA_ERROR(block.mlp.fc2(zeros({3, 8})), "[nn.Linear]", "`mlp.fc2`", "16");
  EXPECT_STRATA_ERROR(nn::Linear(0, 3, rngs), "[nn.Linear]", "in_features");
}

TEST(NnNorm, LayerNormAndRMSNormMatchLoops) {
  nn::Rngs rngs(0);
  const nn::LayerNorm ln = randomised(nn::LayerNorm(6, rngs, {.epsilon = 1e-5, .dtype = F64}), 3);
  const nn::RMSNorm rms = randomised(nn::RMSNorm(6, rngs, {.epsilon = 1e-5, .dtype = F64}), 5);
  const Array x = random_array({3, 6}, F64, 7, -3, 3);
  const std::vector<double> xv = to_doubles(x), sc = to_doubles(ln.scale->value),
                            bi = to_doubles(ln.bias->value), rs = to_doubles(rms.scale->value);
  std::vector<double> want_ln, want_rms;
  for (int r = 0; r < 3; ++r) {
    double m = 0, ms = 0;
    for (int i = 0; i < 6; ++i) m += xv[r * 6 + i] / 6;
    double var = 0;
    for (int i = 0; i < 6; ++i) {
      var += (xv[r * 6 + i] - m) * (xv[r * 6 + i] - m) / 6;
      ms += xv[r * 6 + i] * xv[r * 6 + i] / 6;
    }
    for (int i = 0; i < 6; ++i) {
      want_ln.push_back((xv[r * 6 + i] - m) / std::sqrt(var + 1e-5) * sc[i] + bi[i]);
      want_rms.push_back(xv[r * 6 + i] / std::sqrt(ms + 1e-5) * rs[i]);
    }
  }
  expect_all_close(to_doubles(ln(x)), want_ln, 1e-10, 1e-12, "LayerNorm");
  expect_all_close(to_doubles(rms(x)), want_rms, 1e-10, 1e-12, "RMSNorm");
  // Defaults: scale 1, bias 0, so the output is standardised.
  nn::LayerNorm plain(6, rngs);
  const Array y = plain(astype(x, DType::Float32));
  EXPECT_EQ(y.dtype(), DType::Float32);
  EXPECT_NEAR(to_doubles(mean(y[0]))[0], 0.0, 1e-5);
  EXPECT_STRATA_ERROR(ln(zeros({3, 5}, F64)), "[nn.LayerNorm]", "6", "(3, 5)");
  EXPECT_STRATA_ERROR(rms(zeros({3, 5}, F64)), "[nn.RMSNorm]", "6", "(3, 5)");
}

TEST(NnEmbedding, LooksUpRowsAndAttends) {
  nn::Rngs rngs(0);
  const nn::Embedding emb(10, 4, rngs);
  const Array ids = array<int32_t>({3, 0, 9, 3}, {2, 2});
  const Array y = emb(ids);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 4}));
  const std::vector<double> table = to_doubles(emb.embedding), got = to_doubles(y);
  const int idx[] = {3, 0, 9, 3};
  for (int r = 0; r < 4; ++r) {
    for (int f = 0; f < 4; ++f) EXPECT_EQ(got[r * 4 + f], table[idx[r] * 4 + f]);
  }
  EXPECT_EQ(emb.attend(zeros({5, 4})).shape(), (Shape{5, 10}));
  EXPECT_STRATA_ERROR(emb(zeros({2})), "[nn.Embedding]", "integer", "float32");
  // nnx.Embed's default init: normal with variance 1 / features (fan_in of out_axis=0 layout).
  nn::Rngs big(1);
  const nn::Embedding wide(2000, 100, big);
  const std::vector<double> v = to_doubles(wide.embedding);
  double ss = 0;
  for (double e : v) ss += e * e;
  EXPECT_NEAR(std::sqrt(ss / static_cast<double>(v.size())), std::sqrt(1.0 / 100), 0.002);
}

TEST(NnDropout, DeterministicAndKeepRate) {
  nn::Rngs rngs({{"params", 0}, {"dropout", 1}});
  const Array x = ones({200, 500});
  nn::Dropout drop(0.25);
  // deterministic: the very same values, and no key drawn.
  const Array same = drop(x, rngs, true);
  EXPECT_EQ(to_doubles(same), to_doubles(x));
  EXPECT_EQ(rngs.count("dropout"), 0u);
  EXPECT_EQ(to_doubles(nn::Dropout(0.25, true)(x)), to_doubles(x));
  const Array y = drop(x, rngs);
  EXPECT_EQ(rngs.count("dropout"), 1u);
  EXPECT_EQ(rngs.count("params"), 0u);
  int64_t zeros_n = 0;
  for (double v : to_doubles(y)) {
    if (v == 0) {
      ++zeros_n;
    } else {
      ASSERT_NEAR(v, 1 / 0.75, 1e-6);
    }
  }
  EXPECT_NEAR(static_cast<double>(zeros_n) / 100000.0, 0.25, 0.01);
  // Same stream state, same mask; the next draw gives another mask.
  nn::Rngs again({{"params", 0}, {"dropout", 1}});
  EXPECT_EQ(to_doubles(drop(x, again)), to_doubles(y));
  EXPECT_NE(to_doubles(drop(x, again)), to_doubles(y));
  EXPECT_EQ(to_doubles(nn::Dropout(1.0)(x, rngs)), to_doubles(zeros_like(x)));
  EXPECT_STRATA_ERROR(drop(x), "[nn.Dropout]", "rngs");
  nn::Rngs params_only({{"params", 0}});
  EXPECT_STRATA_ERROR(drop(x, params_only), "[nn.Rngs]", "'dropout'", "'params'");
  EXPECT_STRATA_ERROR(nn::Dropout(1.5), "[nn.Dropout]", "1.5");
}

// softmax(q k^T / sqrt(d)) v per batch and head, by loops, from the module's own kernels.
std::vector<double> mha_ref(const nn::MultiHeadAttention& m, const Array& x, bool causal) {
  const int64_t B = x.shape(0), T = x.shape(1), F = x.shape(2), H = m.num_heads, D = m.head_dim;
  const std::vector<double> xv = to_doubles(x);
  auto proj = [&](const nn::Linear& l) {
    const std::vector<double> b = to_doubles(l.bias->value);
    return linear_ref(xv, B * T, F, to_doubles(l.kernel), H * D, &b);
  };
  const std::vector<double> q = proj(m.query), k = proj(m.key), v = proj(m.value);
  std::vector<double> ctx(static_cast<size_t>(B * T * H * D));
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t i = 0; i < T; ++i) {
        std::vector<double> w(static_cast<size_t>(T), 0.0);
        double mx = -1e300, z = 0;
        for (int64_t j = 0; j < T; ++j) {
          if (causal && j > i) continue;
          double s = 0;
          for (int64_t d = 0; d < D; ++d) {
            s += q[((b * T + i) * H + h) * D + d] * k[((b * T + j) * H + h) * D + d];
          }
          w[j] = s / std::sqrt(static_cast<double>(D));
          mx = std::max(mx, w[j]);
        }
        for (int64_t j = 0; j < T; ++j) {
          w[j] = (causal && j > i) ? 0 : std::exp(w[j] - mx);
          z += w[j];
        }
        for (int64_t d = 0; d < D; ++d) {
          double acc = 0;
          for (int64_t j = 0; j < T; ++j) acc += w[j] / z * v[((b * T + j) * H + h) * D + d];
          ctx[((b * T + i) * H + h) * D + d] = acc;
        }
      }
    }
  }
  const std::vector<double> ob = to_doubles(m.out.bias->value);
  return linear_ref(ctx, B * T, H * D, to_doubles(m.out.kernel), m.out.out_features, &ob);
}

TEST(NnAttention, MatchesLoopCausalAndNot) {
  nn::Rngs rngs(0);
  for (bool causal : {false, true}) {
    const nn::MultiHeadAttention m = randomised(
        nn::MultiHeadAttention(2, 6, rngs, {.causal = causal, .dtype = F64}), causal ? 20 : 10);
    const Array x = random_array({2, 5, 6}, F64, 3);
    expect_all_close(to_doubles(m(x)), mha_ref(m, x, causal), 1e-10, 1e-12,
                     causal ? "causal" : "full");
  }
  // causal: changing a later position leaves earlier outputs alone.
  const nn::MultiHeadAttention c(2, 6, rngs, {.causal = true, .dtype = F64});
  const Array x = random_array({1, 4, 6}, F64, 4);
  const Array x2 = concatenate({slice(x, {{}, {0, 3}}), random_array({1, 1, 6}, F64, 5)}, 1);
  const std::vector<double> a = to_doubles(c(x)), b = to_doubles(c(x2));
  for (int i = 0; i < 18; ++i) EXPECT_NEAR(a[i], b[i], 1e-12);
  EXPECT_GT(std::fabs(a[20] - b[20]), 1e-9);
  // float32 input: float32 out (softmax in float32).
  nn::MultiHeadAttention f(2, 6, rngs);
  EXPECT_EQ(f(zeros({1, 3, 6})).dtype(), DType::Float32);
  EXPECT_STRATA_ERROR(nn::MultiHeadAttention(4, 6, rngs), "[nn.MultiHeadAttention]", "4", "6");
}

TEST(NnGrads, EveryLayerPassesCheckGrads) {
  nn::Rngs rngs(0);
  const Array x = random_array({2, 3, 6}, F64, 1);
  auto check = [&](const std::string& name, const auto& m) {
    expect_grads(
        name, [&m](const nn::State& p, const Array& in) { return nn::merge(m, p)(in); },
        nn::state(m), x);
  };
  check("Linear", randomised(nn::Linear(6, 4, rngs, {.dtype = F64}), 1));
  check("LayerNorm", randomised(nn::LayerNorm(6, rngs, {.dtype = F64}), 2));
  check("RMSNorm", randomised(nn::RMSNorm(6, rngs, {.dtype = F64}), 3));
  check("MLP", randomised(nn::MLP(6, 8, 3, rngs, {.dtype = F64}), 4));
  check("MHA", randomised(nn::MultiHeadAttention(2, 6, rngs, {.dtype = F64}), 5));
  check("MHA causal",
        randomised(nn::MultiHeadAttention(3, 6, rngs, {.causal = true, .dtype = F64}), 6));
  check("TransformerBlock",
        randomised(nn::TransformerBlock(6, 2, 12, rngs, {.causal = true, .dtype = F64}), 7));
  const nn::Embedding emb(7, 3, rngs, {.dtype = F64});
  const Array ids = array<int32_t>({1, 6, 1, 0}, {4});
  expect_grads(
      "Embedding", [&](const nn::State& p) { return nn::merge(emb, p)(ids); }, nn::state(emb));
  // Dropout with a fixed key is linear in x.
  const nn::Dropout drop(0.3);
  expect_grads(
      "Dropout",
      [&](const Array& in) {
        nn::Rngs r({{"dropout", 4}});
        return drop(in, r);
      },
      x);
}

struct WithStats {
  nn::Linear fc;
  nn::BatchStat running_mean;
  Array plain;
  STRATA_TREE_MEMBERS(fc, running_mean, plain)
};

TEST(NnState, SplitMergeAndGradOverParamsOnly) {
  nn::Rngs rngs(0);
  WithStats m{nn::Linear(3, 2, rngs), nn::BatchStat(zeros({2})), ones({1})};
  auto [params, rest] = nn::split(m);
  EXPECT_EQ(params.size(), 2u);
  EXPECT_TRUE(params.count("fc.kernel") && params.count("fc.bias"));
  EXPECT_TRUE(rest.count("running_mean") && rest.count("plain"));
  EXPECT_EQ(nn::state(m, nn::Filter::of_kind(nn::Kind::BatchStat)).size(), 1u);
  EXPECT_EQ(nn::count_params(m), 8);
  // Merge round trip, and gradients flow only to params.
  const Array x = ones({4, 3});
  auto loss = [&](const nn::State& p) {
    const WithStats w = nn::merge(m, p, rest);
    return sum(w.fc(x) + w.running_mean.value);
  };
  const nn::State g = grad(loss)(params);
  EXPECT_EQ(g.size(), 2u);
  expect_all_close(to_doubles(g.at("fc.bias")), {4, 4}, 0);
  expect_all_close(to_doubles(g.at("fc.kernel")), std::vector<double>(6, 4.0), 0);
  nn::State moved = params;
  moved["fc.bias"] = full({2}, 5.0);
  const WithStats u = nn::update(m, {{"fc.bias", full({2}, 5.0)}});
  expect_all_close(to_doubles(u.fc.bias->value), {5, 5}, 0);
  expect_all_close(to_doubles(nn::merge(m, moved, rest).fc.bias->value), {5, 5}, 0);
  // Errors name the key path.
  EXPECT_STRATA_ERROR(nn::merge(m, params), "[nn.merge]", "`running_mean`", "BatchStat");
  nn::State bad = params;
  bad["fc.kernel"] = zeros({2, 3});
  EXPECT_STRATA_ERROR(nn::merge(m, bad, rest), "[nn.merge]", "`fc.kernel`", "(3, 2)", "(2, 3)");
  EXPECT_STRATA_ERROR(nn::update(m, {{"fc.weight", zeros({1})}}), "[nn.update]", "`fc.weight`");
  // Transformer block state paths.
  const nn::TransformerBlock block(8, 2, 16, rngs);
  const nn::State bp = nn::split(block).first;
  for (const char* p : {"ln1.scale", "ln1.bias", "attn.query.kernel", "attn.out.bias", "ln2.scale",
                        "mlp.fc1.kernel", "mlp.fc2.bias"}) {
    EXPECT_TRUE(bp.count(p)) << p;
  }
  EXPECT_EQ(bp.size(), 16u);
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
