// nn layers (Linear, LinearGeneral, norms, Embedding, Dropout) against plain-loop references,
// their gradients in float64, and split / merge.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nn/nn_test_util.h"

namespace strata::testing {
namespace {

constexpr DType F64 = DType::Float64;

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

TEST(NnLinear, Errors) {
  nn::Rngs rngs(0);
  nn::Linear lin(5, 3, rngs);
  EXPECT_STRATA_ERROR(lin(zeros({4, 6})), "[nn.Linear]", "5 input features", "(4, 6)");
  EXPECT_STRATA_ERROR(lin(zeros({})), "[nn.Linear]", "()");
  EXPECT_STRATA_ERROR(nn::Linear(0, 3, rngs), "[nn.Linear]", "in_features > 0", "0");
  // A custom initialiser must return what it was asked for.
  const nn::init::Initializer wrong = [](const Array&, const Shape&, DType) {
    return zeros({2, 2});
  };
  EXPECT_STRATA_ERROR(nn::Linear(5, 3, rngs, {.kernel_init = wrong}), "[nn.Linear]", "`kernel`",
                      "float32 (5, 3)", "(2, 2)");
}

// y[free..., out...] = sum over the contracted axes of x * kernel, + bias, by loops: contracted
// input axes `axes` (increasing) pair with the kernel's leading axes.
std::vector<double> linear_general_ref(const Array& x, const std::vector<int>& axes,
                                       const nn::LinearGeneral& m) {
  const Shape& xs = x.shape();
  Shape free_shape;
  for (int a = 0; a < static_cast<int>(xs.size()); ++a) {
    if (std::find(axes.begin(), axes.end(), a) == axes.end()) free_shape.push_back(xs[a]);
  }
  const Shape& in = m.in_features;
  const Shape& out = m.out_features;
  Shape y_shape = free_shape;
  y_shape.insert(y_shape.end(), out.begin(), out.end());
  const std::vector<double> xv = to_doubles(x), kv = to_doubles(m.kernel),
                            bv = m.bias ? to_doubles(m.bias->value) : std::vector<double>();
  int64_t n_in = 1, n_out = 1, n_y = 1;
  for (int64_t d : in) n_in *= d;
  for (int64_t d : out) n_out *= d;
  for (int64_t d : y_shape) n_y *= d;
  std::vector<double> y(static_cast<size_t>(n_y));
  for (int64_t flat = 0; flat < n_y; ++flat) {
    const std::vector<int64_t> yi = unravel(flat, y_shape);
    const int64_t o = flat % n_out;
    double acc = m.bias ? bv[static_cast<size_t>(o)] : 0.0;
    for (int64_t c = 0; c < n_in; ++c) {
      const std::vector<int64_t> ci = unravel(c, in);
      std::vector<int64_t> xi(xs.size());
      size_t next_free = 0, next_contract = 0;
      for (size_t a = 0; a < xs.size(); ++a) {
        const bool contracted =
            std::find(axes.begin(), axes.end(), static_cast<int>(a)) != axes.end();
        xi[a] = contracted ? ci[next_contract++] : yi[next_free++];
      }
      acc += xv[static_cast<size_t>(ravel(xi, xs))] * kv[static_cast<size_t>(c * n_out + o)];
    }
    y[static_cast<size_t>(flat)] = acc;
  }
  return y;
}

TEST(NnLinearGeneral, MatchesLoopForEveryAxisLayout) {
  nn::Rngs rngs(0);
  const Array x = random_array({2, 3, 4, 5}, F64, 1);
  // Last axis to several output axes (the query / key / value projection).
  const nn::LinearGeneral heads = randomised(nn::LinearGeneral(5, {2, 3}, rngs, {.dtype = F64}), 2);
  EXPECT_EQ(heads.kernel.shape(), (Shape{5, 2, 3}));
  EXPECT_EQ(heads.bias->shape(), (Shape{2, 3}));
  const Array y1 = heads(x);
  EXPECT_EQ(y1.shape(), (Shape{2, 3, 4, 2, 3}));
  expect_all_close(to_doubles(y1), linear_general_ref(x, {3}, heads), 1e-12, 1e-12, "heads");
  // Two trailing axes to one (the output projection).
  const nn::LinearGeneral merge =
      randomised(nn::LinearGeneral({4, 5}, 6, rngs, {.axis = {-2, -1}, .dtype = F64}), 3);
  EXPECT_EQ(merge(x).shape(), (Shape{2, 3, 6}));
  expect_all_close(to_doubles(merge(x)), linear_general_ref(x, {2, 3}, merge), 1e-12, 1e-12,
                   "merge");
  // Non-adjacent axes, without bias; the free axes keep their order and out_features come last.
  const nn::LinearGeneral gap = randomised(
      nn::LinearGeneral({3, 5}, {2, 2}, rngs, {.axis = {1, -1}, .use_bias = false, .dtype = F64}),
      4);
  EXPECT_FALSE(gap.bias.has_value());
  EXPECT_EQ(gap(x).shape(), (Shape{2, 4, 2, 2}));
  expect_all_close(to_doubles(gap(x)), linear_general_ref(x, {1, 3}, gap), 1e-12, 1e-12, "gap");
  // As in Flax the axes are used in increasing order: {-1, 1} is the same layer as {1, -1}.
  nn::LinearGeneral swapped = gap;
  swapped.axis = {-1, 1};
  expect_arrays_close(swapped(x), gap(x), 0);
}

TEST(NnLinearGeneral, InitialisesOnTheFlatShapeAsNnx) {
  // nnx.LinearGeneral draws the kernel key, then the bias key, and calls the kernel initialiser
  // on (prod(in), prod(out)) and the bias initialiser on (prod(out),).
  std::vector<Shape> asked;
  const nn::init::Initializer recording = [&](const Array& k, const Shape& s, DType d) {
    asked.push_back(s);
    return s.size() == 2 ? nn::init::lecun_normal()(k, s, d) : nn::init::zeros()(k, s, d);
  };
  nn::Rngs rngs(0);
  nn::LinearGeneral a(4, {2, 3}, rngs, {.kernel_init = recording, .bias_init = recording});
  nn::LinearGeneral b({2, 3}, 5, rngs, {.axis = {-2, -1}, .kernel_init = recording});
  EXPECT_EQ(asked, (std::vector<Shape>{{4, 6}, {6}, {6, 5}}));
  EXPECT_EQ(rngs.count("default"), 4u);  // two keys per layer
  const Array key0 = random::key(0);
  expect_all_close(to_doubles(a.kernel), lecun_normal_ref(random::fold_in(key0, 0), 4, 6), 1e-6,
                   1e-7, "a.kernel");
  EXPECT_EQ(a.kernel.shape(), (Shape{4, 2, 3}));
  expect_all_close(to_doubles(b.kernel), lecun_normal_ref(random::fold_in(key0, 2), 6, 5), 1e-6,
                   1e-7, "b.kernel");
  // Drawn on (4, 2, 3) directly, fan_in would be 2 * 4 = 8, not 4: the flat shape matters.
  nn::Rngs again(0);
  const nn::LinearGeneral c(4, {2, 3}, again);
  expect_arrays_close(c.kernel, a.kernel, 0);
  expect_all_close(to_doubles(c.bias->value), std::vector<double>(6, 0.0), 0);
}

TEST(NnLinearGeneral, Errors) {
  nn::Rngs rngs(0);
  const nn::LinearGeneral m({4, 5}, 6, rngs, {.axis = {-2, -1}});
  EXPECT_STRATA_ERROR(m(zeros({2, 5, 4})), "[nn.LinearGeneral]", "(4, 5)", "(5, 4)", "(2, 5, 4)");
  EXPECT_STRATA_ERROR(m(zeros({5})), "[nn.LinearGeneral]", "out of range", "(5,)");
  nn::LinearGeneral same = m;
  same.axis = {-1, 2};
  EXPECT_STRATA_ERROR(same(zeros({2, 4, 5})), "[nn.LinearGeneral]", "same axis");
  EXPECT_STRATA_ERROR(nn::LinearGeneral({4, 5}, 6, rngs), "[nn.LinearGeneral]", "one axis per",
                      "has 2", "axis has 1");
  EXPECT_STRATA_ERROR(nn::LinearGeneral(Shape{}, 6, rngs), "[nn.LinearGeneral]", "in_features");
  EXPECT_STRATA_ERROR(nn::LinearGeneral(4, {2, 0}, rngs), "[nn.LinearGeneral]", "out_features",
                      "(2, 0)");
}

TEST(NnNorm, LayerNormAndRMSNormMatchLoops) {
  nn::Rngs rngs(0);
  const nn::LayerNorm ln = randomised(nn::LayerNorm(6, rngs, {.epsilon = 1e-5, .dtype = F64}), 3);
  nn::LayerNorm ln_exact = ln;  // two-pass variance
  ln_exact.use_fast_variance = false;
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
  expect_all_close(to_doubles(ln_exact(x)), want_ln, 1e-12, 1e-12, "LayerNorm two-pass");
  expect_all_close(to_doubles(rms(x)), want_rms, 1e-10, 1e-12, "RMSNorm");
  // Defaults: scale 1, bias 0, so the output is standardised; keys drawn for scale then bias.
  nn::Rngs fresh(0);
  nn::LayerNorm plain(6, fresh);
  EXPECT_EQ(fresh.count("default"), 2u);
  const Array y = plain(astype(x, DType::Float32));
  EXPECT_EQ(y.dtype(), DType::Float32);
  EXPECT_NEAR(to_doubles(mean(y[0]))[0], 0.0, 1e-5);
  EXPECT_NEAR(to_doubles(mean(square(y[0])))[0], 1.0, 1e-3);
  // The output dtype promotes the input with the parameters, as Flax: bfloat16 in, float32 out.
  EXPECT_EQ(plain(astype(x, DType::BFloat16)).dtype(), DType::Float32);
  EXPECT_EQ(rms(astype(x, DType::Float32)).dtype(), F64);
  EXPECT_STRATA_ERROR(ln(zeros({3, 5}, F64)), "[nn.LayerNorm]", "6 features", "(3, 5)");
  EXPECT_STRATA_ERROR(rms(zeros({3, 5}, F64)), "[nn.RMSNorm]", "6 features", "(3, 5)");
  EXPECT_STRATA_ERROR(rms(zeros({}, F64)), "[nn.RMSNorm]", "()");
  EXPECT_STRATA_ERROR(nn::LayerNorm(0, rngs), "[nn.LayerNorm]", "num_features > 0");
}

TEST(NnNorm, TwoPassVarianceKeepsLargeOffsetsAccurate) {
  // float32 rows around 1e4 with unit-sized deviations: E[x^2] - E[x]^2 cancels to noise, the
  // two-pass variance does not.
  nn::Rngs rngs(0);
  nn::LayerNorm ln(64, rngs, {.use_fast_variance = false});
  const Array x = astype(random_array({4, 64}, F64, 3, -1, 1) + 1e4, DType::Float32);
  nn::LayerNorm ref(64, rngs, {.dtype = F64});  // float64: no cancellation at this scale
  // The fast variance's error here is of order ulp(1e8) = 8 against a variance of 1/3.
  expect_all_close(to_doubles(ln(x)), to_doubles(ref(astype(x, F64))), 0, 1e-2, "two-pass");
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
  // Negative indices count from the end, as take; out-of-range ones are errors.
  expect_arrays_close(emb(array<int32_t>({-1, -10})), emb(array<int32_t>({9, 0})), 0);
  EXPECT_STRATA_ERROR(emb(array<int32_t>({2, 10})), "[nn.Embedding]", "[-10, 10)", "found 10");
  EXPECT_STRATA_ERROR(emb(array<int64_t>({-11})), "[nn.Embedding]", "found -11");
  EXPECT_STRATA_ERROR(emb(zeros({2})), "[nn.Embedding]", "integer", "float32");
  EXPECT_STRATA_ERROR(emb(zeros({2}, DType::Bool)), "[nn.Embedding]", "integer", "bool");
  EXPECT_STRATA_ERROR(emb.attend(zeros({5, 3})), "[nn.Embedding.attend]", "4 features");
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
  nn::Dropout changed(0.1);
  changed.rate = -0.5;  // a public field: checked at the call too
  EXPECT_STRATA_ERROR(changed(x, rngs), "[nn.Dropout]", "-0.5");
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
  check("LinearGeneral (last axis)",
        randomised(nn::LinearGeneral(6, {2, 2}, rngs, {.dtype = F64}), 5));
  check("LinearGeneral (two axes)",
        randomised(nn::LinearGeneral({3, 6}, 4, rngs, {.axis = {-2, -1}, .dtype = F64}), 6));
  check("LayerNorm", randomised(nn::LayerNorm(6, rngs, {.dtype = F64}), 2));
  check("LayerNorm two-pass",
        randomised(nn::LayerNorm(6, rngs, {.use_fast_variance = false, .dtype = F64}), 7));
  check("RMSNorm", randomised(nn::RMSNorm(6, rngs, {.dtype = F64}), 3));
  check("MLP", randomised(nn::MLP(6, 8, 3, rngs, {.dtype = F64}), 4));
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
  nn::State full_state = nn::state(m);
  EXPECT_STRATA_ERROR(nn::merge(m, full_state, params), "[nn.merge]", "both states", "`fc.");
  // Transformer block state paths.
  const nn::TransformerBlock block(8, 2, 16, rngs);
  const nn::State bp = nn::split(block).first;
  for (const char* p : {"ln1.scale", "ln1.bias", "attn.query.kernel", "attn.out.bias", "ln2.scale",
                        "mlp.fc1.kernel", "mlp.fc2.bias"}) {
    EXPECT_TRUE(bp.count(p)) << p;
  }
  EXPECT_EQ(bp.size(), 16u);
}

// Out-of-range ids are an error eagerly and equally under jit, vmap and scan (they used to be
// clamped silently once traced).
TEST(NnEmbedding, OutOfRangeIdsRaiseUnderEveryTransform) {
  nn::Rngs rngs(0);
  const nn::Embedding emb(5, 3, rngs);
  const Array bad = array<int32_t>({1, 7});
  EXPECT_STRATA_ERROR(emb(bad), "[nn.Embedding]", "found 7");
  const auto lookup = jit([](const nn::Embedding& e, const Array& i) { return e(i); });
  EXPECT_STRATA_ERROR(lookup(emb, bad), "[nn.Embedding]", "index 7", "element 1");
  const Array good = array<int32_t>({4, -5});
  EXPECT_EQ(to_doubles(lookup(emb, good)), to_doubles(emb(good)));  // the executable still works
  EXPECT_STRATA_ERROR(vmap([&](const Array& i) { return emb(i); })(array<int32_t>({1, -6})),
                      "[nn.Embedding]", "index -6");
  auto body = [&](const Array& c, const Array& i) { return std::pair{c + emb(i), c}; };
  EXPECT_STRATA_ERROR(scan(body, zeros({3}), array<int32_t>({1, 5})), "[nn.Embedding]", "index 5");
}

}  // namespace
}  // namespace strata::testing
