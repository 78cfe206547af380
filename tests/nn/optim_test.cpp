// Optimisers against hand-computed updates, structure checks, jit, and a small training run.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "strata/nn/nn.h"
#include "test_util.h"

namespace strata::testing {
namespace {

constexpr DType F64 = DType::Float64;
using P = std::map<std::string, Array>;

P params0() {
  return {{"w", array<double>({1.0, -2.0, 3.0})}, {"b", array<double>({0.5})}};
}
P grads1() {
  return {{"w", array<double>({0.1, 0.2, -0.3})}, {"b", array<double>({1.0})}};
}
P grads2() {
  return {{"w", array<double>({-0.4, 0.0, 0.6})}, {"b", array<double>({-2.0})}};
}

void expect_tree(const P& got, const std::map<std::string, std::vector<double>>& want,
                 double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [k, v] : want) expect_all_close(to_doubles(got.at(k)), v, tol, tol, k);
}

TEST(NnOptim, SgdPlainMomentumNesterov) {
  const P p = params0();
  auto plain = optim::sgd(0.1);
  auto s = plain.init(p);
  EXPECT_FALSE(s.trace.has_value());
  auto [u, s1] = plain.update(grads1(), s, p);
  expect_tree(u, {{"w", {-0.01, -0.02, 0.03}}, {"b", {-0.1}}});

  for (bool nesterov : {false, true}) {
    auto opt = optim::sgd(0.1, {.momentum = 0.9, .nesterov = nesterov});
    auto st0 = opt.init(p);
    auto [u1, st1] = opt.update(grads1(), st0, p);
    auto [u2, st2] = opt.update(grads2(), st1, p);
    // trace1 = g1; trace2 = g2 + 0.9 g1.
    const std::vector<double> g1w{0.1, 0.2, -0.3}, g2w{-0.4, 0.0, 0.6};
    std::vector<double> t2w(3), u1w(3), u2w(3);
    for (int i = 0; i < 3; ++i) {
      t2w[i] = g2w[i] + 0.9 * g1w[i];
      u1w[i] = -0.1 * (nesterov ? g1w[i] + 0.9 * g1w[i] : g1w[i]);
      u2w[i] = -0.1 * (nesterov ? g2w[i] + 0.9 * t2w[i] : t2w[i]);
    }
    const double t2b = -2.0 + 0.9;
    expect_tree(u1, {{"w", u1w}, {"b", {-0.1 * (nesterov ? 1.9 : 1.0)}}});
    expect_tree(u2, {{"w", u2w}, {"b", {-0.1 * (nesterov ? -2.0 + 0.9 * t2b : t2b)}}});
    expect_tree(*st2.trace, {{"w", t2w}, {"b", {t2b}}});
  }
}

// Adam by hand for one leaf.
std::vector<double> adam_ref(const std::vector<std::vector<double>>& gs,
                             const std::vector<double>& p, double lr, double wd,
                             std::vector<double>* last_mu = nullptr) {
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  std::vector<double> mu(p.size(), 0), nu(p.size(), 0), u(p.size());
  for (size_t t = 1; t <= gs.size(); ++t) {
    for (size_t i = 0; i < p.size(); ++i) {
      const double g = gs[t - 1][i];
      mu[i] = b1 * mu[i] + (1 - b1) * g;
      nu[i] = b2 * nu[i] + (1 - b2) * g * g;
      const double mh = mu[i] / (1 - std::pow(b1, static_cast<double>(t)));
      const double vh = nu[i] / (1 - std::pow(b2, static_cast<double>(t)));
      u[i] = -lr * (mh / (std::sqrt(vh) + eps) + wd * p[i]);
    }
  }
  if (last_mu) *last_mu = mu;
  return u;
}

TEST(NnOptim, AdamBiasCorrectionAndAdamWDecay) {
  const P p = params0();
  for (double wd : {0.0, 0.05}) {
    auto opt = wd == 0 ? optim::adam(0.01) : optim::adamw(0.01, {.weight_decay = wd});
    auto s0 = opt.init(p);
    EXPECT_EQ(s0.count.item<int32_t>(), 0);
    auto [u1, s1] = opt.update(grads1(), s0, p);
    // Step 1: bias correction makes the step -lr * sign(g) (+ decay) whatever |g| is.
    expect_tree(u1,
                {{"w", adam_ref({{0.1, 0.2, -0.3}}, {1, -2, 3}, 0.01, wd)},
                 {"b", adam_ref({{1.0}}, {0.5}, 0.01, wd)}},
                1e-9);
    if (wd == 0) expect_tree(u1, {{"w", {-0.01, -0.01, 0.01}}, {"b", {-0.01}}}, 1e-8);
    auto [u2, s2] = opt.update(grads2(), s1, p);
    std::vector<double> mu;
    expect_tree(u2,
                {{"w", adam_ref({{0.1, 0.2, -0.3}, {-0.4, 0.0, 0.6}}, {1, -2, 3}, 0.01, wd, &mu)},
                 {"b", adam_ref({{1.0}, {-2.0}}, {0.5}, 0.01, wd)}},
                1e-9);
    expect_all_close(to_doubles(s2.mu.at("w")), mu, 1e-12);
    EXPECT_EQ(s2.count.item<int32_t>(), 2);
  }
  // AdamW's decay is decoupled: with zero gradients the update is exactly -lr * wd * p.
  auto opt = optim::adamw(0.1, {.weight_decay = 0.5});
  P zero = {{"w", zeros({3}, F64)}, {"b", zeros({1}, F64)}};
  auto [u, s] = opt.update(zero, opt.init(p), p);
  expect_tree(u, {{"w", {-0.05, 0.1, -0.15}}, {"b", {-0.025}}});
}

TEST(NnOptim, AdamBiasCorrectionInHalfPrecision) {
  // bfloat16 parameters: the corrections 1 - b^t are computed in float32 (as optax), not in
  // bfloat16, where b2 = 0.999 rounds to 0.996 and step 257 to 256.  Step 1 is -lr * sign(g).
  const P p = {{"w", astype(array<double>({1.0, -2.0, 3.0}), DType::BFloat16)}};
  const P g = {{"w", astype(array<double>({0.5, 0.25, -2.0}), DType::BFloat16)}};
  auto opt = optim::adam(0.01);
  auto [u1, s1] = opt.update(g, opt.init(p), p);
  EXPECT_EQ(u1.at("w").dtype(), DType::BFloat16);
  expect_all_close(to_doubles(u1.at("w")), {-0.01, -0.01, 0.01}, 1e-2);
  // At step 257 with mu = g, nu = g^2: mu / (1 - b1^257) ~ g, nu / (1 - b2^257) = g^2 / 0.2267.
  auto s = s1;
  s.count = full({}, 256, DType::Int32);
  s.mu = g;
  s.nu = {{"w", astype(square(g.at("w")), DType::BFloat16)}};
  auto [u257, s257] = opt.update(g, s, p);
  EXPECT_EQ(s257.count.item<int32_t>(), 257);
  std::vector<double> want;
  for (double gi : {0.5, 0.25, -2.0}) {
    const double mhat = (0.9 * gi + 0.1 * gi) / (1 - std::pow(0.9, 257));
    const double vhat = (0.999 * gi * gi + 0.001 * gi * gi) / (1 - std::pow(0.999, 257));
    want.push_back(-0.01 * mhat / (std::sqrt(vhat) + 1e-8));
  }
  expect_all_close(to_doubles(u257.at("w")), want, 2e-2);
}

TEST(NnOptim, ClipByGlobalNormAndChain) {
  const P p = {{"a", array<double>({0.0, 0.0})}, {"b", array<double>({0.0})}};
  const P g = {{"a", array<double>({3.0, 0.0})}, {"b", array<double>({4.0})}};  // norm 5
  EXPECT_NEAR(optim::global_norm(g).item<double>(), 5.0, 1e-12);
  auto clip = optim::clip_by_global_norm(1.0);
  auto [c, s] = clip.update(g, clip.init(p), p);
  expect_tree(c, {{"a", {0.6, 0.0}}, {"b", {0.8}}});
  auto loose = optim::clip_by_global_norm(10.0);
  expect_tree(loose.update(g, None{}, p).first, {{"a", {3.0, 0.0}}, {"b", {4.0}}});
  auto opt = optim::chain(optim::clip_by_global_norm(1.0), optim::sgd(0.5, {.momentum = 0.9}));
  auto st = opt.init(p);
  auto [u1, st1] = opt.update(g, st, p);
  expect_tree(u1, {{"a", {-0.3, 0.0}}, {"b", {-0.4}}});
  auto [u2, st2] = opt.update(g, st1, p);  // trace = clipped + 0.9 clipped
  expect_tree(u2, {{"a", {-0.5 * 1.9 * 0.6, 0.0}}, {"b", {-0.5 * 1.9 * 0.8}}});
  expect_tree(optim::apply_updates(p, u2), {{"a", {-0.57, 0.0}}, {"b", {-0.76}}});
}

TEST(NnOptim, StateMirrorsStackedParamsAndRunsUnderJit) {
  const P p = {{"layers.kernel", random_array({3, 4, 4}, DType::Float32, 1)},
               {"layers.bias", zeros({3, 4})}};
  auto opt = optim::adam(1e-2);
  auto s = opt.init(p);
  EXPECT_EQ(s.mu.at("layers.kernel").shape(), (Shape{3, 4, 4}));
  EXPECT_EQ(s.nu.at("layers.bias").shape(), (Shape{3, 4}));
  const P g = {{"layers.kernel", random_array({3, 4, 4}, DType::Float32, 2)},
               {"layers.bias", random_array({3, 4}, DType::Float32, 3)}};
  auto step = jit([&](const P& gr, const optim::AdamState<P>& st, const P& pr) {
    return opt.update(gr, st, pr);
  });
  auto [uj, sj] = step(g, s, p);
  auto [ue, se] = opt.update(g, s, p);
  for (const auto& [k, v] : ue) expect_arrays_close(uj.at(k), v, 1e-6);
  EXPECT_EQ(sj.count.item<int32_t>(), 1);
}

TEST(NnOptim, StructureMismatchNamesKeyPaths) {
  const P p = params0();
  auto opt = optim::adam(0.1);
  auto s = opt.init(p);
  P extra = grads1();
  extra["c"] = zeros({1}, F64);
  EXPECT_STRATA_ERROR(opt.update(extra, s, p), "[optim.adam]", "grads differs from params",
                      "unexpected: c");
  P renamed = {{"w", zeros({3}, F64)}, {"bias", zeros({1}, F64)}};
  EXPECT_STRATA_ERROR(optim::sgd(0.1, {.momentum = 0.9})
                          .update(renamed, optim::sgd(0.1, {.momentum = 0.9}).init(p), p),
                      "[optim.sgd]", "missing: b", "unexpected: bias");
  auto s_other = opt.init(P{{"w", zeros({3}, F64)}});
  EXPECT_STRATA_ERROR(opt.update(grads1(), s_other, p), "[optim.adam]", "state.mu", "missing: b");
  EXPECT_STRATA_ERROR(optim::apply_updates(p, renamed), "[optim.apply_updates]", "updates",
                      "unexpected: bias");
  EXPECT_STRATA_ERROR(optim::clip_by_global_norm(0), "[optim.clip_by_global_norm]", "max_norm");
}

// A small MLP fitted to y = sin(2 x0) * x1 + 0.5 x2 with Adam: deterministic (fixed seeds), so
// the final loss is a fixed number; the threshold leaves a wide margin below the start.
constexpr int kSteps = 300;
constexpr float kThreshold = 0.01f;
TEST(NnTraining, MlpWithAdamFitsSyntheticRegression) {
  nn::Rngs rngs(42);
  const nn::MLP model(3, 32, 1, rngs, {.activation = [](const Array& x) { return nn::tanh(x); }});
  const Array x = random::uniform(random::key(7), {256, 3}, DType::Float32, -1, 1);
  auto col = [&](int64_t c) { return slice(x, {{}, {c, c + 1}}); };
  const Array y = sin(2.0f * col(0)) * col(1) + 0.5f * col(2);
  auto [params, rest] = nn::split(model);
  auto loss_fn = [&](const nn::State& p) { return mean(square(nn::merge(model, p, rest)(x) - y)); };
  const auto opt = optim::adam(1e-2);
  auto state = opt.init(params);
  auto step = jit([&](const nn::State& p, const optim::AdamState<nn::State>& s) {
    auto [l, g] = value_and_grad(loss_fn)(p);
    auto [u, s2] = opt.update(g, s, p);
    return std::tuple{l, optim::apply_updates(p, u), s2};
  });
  std::vector<float> losses;
  for (int i = 0; i < kSteps; ++i) {
    auto [l, p2, s2] = step(params, state);
    losses.push_back(l.item<float>());
    params = std::move(p2);
    state = std::move(s2);
  }
  const float final_loss = loss_fn(params).item<float>();
  std::printf("MLP regression: loss %.5f -> %.5f after %d Adam steps\n", losses.front(), final_loss,
              kSteps);
  EXPECT_LT(final_loss, kThreshold);
  EXPECT_LT(final_loss, 0.1f * losses.front());
  EXPECT_LT(losses[kSteps / 2], losses.front());
  EXPECT_EQ(state.count.item<int32_t>(), kSteps);
}

// A (2, 1) gradient for a (2,) parameter used to broadcast Adam's state and the parameter.
TEST(NnOptim, LeafShapeAndDtypeMismatchesNameKeyPaths) {
  const P params{{"w", ones({2})}, {"b", zeros({3})}};
  const P bad_shape{{"w", ones({2, 1})}, {"b", zeros({3})}};
  const P bad_dtype{{"w", ones({2})}, {"b", zeros({3}, DType::Float64)}};
  const optim::Adam adam = optim::adam(0.1);
  const auto state = adam.init(params);
  EXPECT_STRATA_ERROR(adam.update(bad_shape, state, params), "[optim.adam]", "`w`", "float32(2,)",
                      "float32(2, 1)");
  EXPECT_STRATA_ERROR(adam.update(bad_dtype, state, params), "[optim.adam]", "`b`", "float64");
  const optim::Sgd sgd = optim::sgd(0.1);
  EXPECT_STRATA_ERROR(sgd.update(bad_shape, sgd.init(params), params), "[optim.sgd]", "`w`");
  EXPECT_STRATA_ERROR(optim::apply_updates(params, bad_shape), "[optim.apply_updates]", "`w`");
  const auto clip = optim::clip_by_global_norm(1.0);
  EXPECT_STRATA_ERROR(clip.update(bad_shape, clip.init(params), params),
                      "[optim.clip_by_global_norm]", "`w`");
}

}  // namespace
}  // namespace strata::testing
