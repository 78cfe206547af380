// nn::BatchNorm: batch statistics and running averages against hand computations, eagerly, under
// jit (module in and out), under grad (statistics as aux) and in a scan; gradients in float64;
// errors.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/nn_test_util.h"

namespace strata::testing {
namespace {

constexpr DType F64 = DType::Float64;

// A float64 BatchNorm with random scale, bias and running statistics (var kept positive).
nn::BatchNorm random_bn(int64_t features, uint32_t seed, nn::BatchNormOptions o = {}) {
  nn::Rngs rngs(0);
  o.dtype = F64;
  nn::BatchNorm bn = randomised(nn::BatchNorm(features, rngs, o), seed);
  bn.var.value = random_array({features}, F64, seed + 100, 0.5, 2.0);
  return bn;
}

// What a training-mode call should give, by loops over x viewed as (rows, features) along the
// last axis: the output and the updated running mean / var.
struct Expected {
  std::vector<double> y, mean, var;
};
Expected training_ref(const nn::BatchNorm& bn, const Array& x) {
  const int64_t F = bn.num_features, rows = x.size() / F;
  const std::vector<double> xv = to_doubles(x), sc = to_doubles(bn.scale->value),
                            bi = to_doubles(bn.bias->value), rm = to_doubles(bn.mean.value),
                            rv = to_doubles(bn.var.value);
  Expected e{std::vector<double>(xv.size()), {}, {}};
  for (int64_t f = 0; f < F; ++f) {
    double m = 0, v = 0;
    for (int64_t r = 0; r < rows; ++r) m += xv[r * F + f] / static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      v += (xv[r * F + f] - m) * (xv[r * F + f] - m) / static_cast<double>(rows);  // biased
    }
    for (int64_t r = 0; r < rows; ++r) {
      e.y[r * F + f] = (xv[r * F + f] - m) / std::sqrt(v + bn.epsilon) * sc[f] + bi[f];
    }
    e.mean.push_back(bn.momentum * rm[f] + (1 - bn.momentum) * m);
    e.var.push_back(bn.momentum * rv[f] + (1 - bn.momentum) * v);
  }
  return e;
}

TEST(NnBatchNorm, StateLayoutAndKeysAsNnx) {
  nn::Rngs rngs(0);
  const nn::BatchNorm bn(6, rngs);
  EXPECT_EQ(rngs.count("default"), 2u);  // scale, then bias
  auto [params, rest] = nn::split(bn);
  EXPECT_EQ(params.size(), 2u);
  EXPECT_TRUE(params.count("scale") && params.count("bias"));
  EXPECT_EQ(rest.size(), 2u);
  EXPECT_TRUE(rest.count("mean") && rest.count("var"));
  EXPECT_EQ(nn::batch_stats(bn).size(), 2u);
  expect_all_close(to_doubles(bn.mean.value), std::vector<double>(6, 0.0), 0);
  expect_all_close(to_doubles(bn.var.value), std::vector<double>(6, 1.0), 0);
  EXPECT_EQ(bn.mean.dtype(), DType::Float32);
  EXPECT_EQ(bn.momentum, 0.99);
  EXPECT_EQ(bn.epsilon, 1e-5);
  nn::Rngs r2(0);
  const nn::BatchNorm bare(6, r2, {.use_scale = false, .use_bias = false});
  EXPECT_EQ(r2.count("default"), 0u);
  EXPECT_EQ(nn::count_params(bare), 0);
}

TEST(NnBatchNorm, TrainingAndEvaluationMatchHandComputation) {
  for (bool fast : {true, false}) {
    nn::BatchNorm bn = random_bn(6, 1, {.use_fast_variance = fast});
    const nn::BatchNorm before = bn;
    const Array x = random_array({4, 3, 6}, F64, 2, -2, 3);
    const Expected e = training_ref(before, x);
    const Array y = bn(x);
    expect_all_close(to_doubles(y), e.y, 1e-10, 1e-12, "training output");
    expect_all_close(to_doubles(bn.mean.value), e.mean, 1e-12, 1e-14, "running mean");
    expect_all_close(to_doubles(bn.var.value), e.var, 1e-12, 1e-14, "running var");
    // A second step averages into the updated statistics.
    const Array x2 = random_array({5, 6}, F64, 3);
    const Expected e2 = training_ref(bn, x2);
    bn(x2);
    expect_all_close(to_doubles(bn.mean.value), e2.mean, 1e-12, 1e-14, "second mean");
    // Evaluation (per call, or the module's flag): the running statistics, unchanged.
    const nn::BatchNorm trained = bn;
    std::vector<double> want;
    const std::vector<double> xv = to_doubles(x), rm = to_doubles(bn.mean.value),
                              rv = to_doubles(bn.var.value), sc = to_doubles(bn.scale->value),
                              bi = to_doubles(bn.bias->value);
    for (size_t i = 0; i < xv.size(); ++i) {
      const size_t f = i % 6;
      want.push_back((xv[i] - rm[f]) / std::sqrt(rv[f] + 1e-5) * sc[f] + bi[f]);
    }
    expect_all_close(to_doubles(bn(x, true)), want, 1e-12, 1e-12, "evaluation");
    bn.use_running_average = true;
    expect_all_close(to_doubles(bn(x)), want, 1e-12, 1e-12, "evaluation flag");
    expect_arrays_close(bn.mean.value, trained.mean.value, 0);
    expect_arrays_close(bn.var.value, trained.var.value, 0);
    // The call's flag overrides the module's: training again.
    bn(x, false);
    EXPECT_NE(to_doubles(bn.mean.value), to_doubles(trained.mean.value));
    // A const module evaluates.
    const nn::BatchNorm& view = trained;
    expect_all_close(to_doubles(view(x, true)), want, 1e-12, 1e-12, "const");
  }
}

TEST(NnBatchNorm, FeatureAxisOtherThanLast) {
  // Features on axis 1 of (4, 6, 3): the same as moving them last.
  nn::BatchNorm bn = random_bn(6, 4, {.axis = 1, .momentum = 0.9});
  nn::BatchNorm last = bn;
  last.axis = -1;
  const Array x = random_array({4, 6, 3}, F64, 5);
  const Array y = bn(x);
  const Array y_last = last(moveaxis(x, 1, -1));
  expect_arrays_close(y, moveaxis(y_last, -1, 1), 1e-14);
  expect_arrays_close(bn.mean.value, last.mean.value, 1e-14);
  expect_arrays_close(bn.var.value, last.var.value, 1e-14);
  const Expected e = training_ref(random_bn(6, 4, {.momentum = 0.9}), moveaxis(x, 1, -1));
  expect_all_close(to_doubles(bn.var.value), e.var, 1e-12, 1e-14);
}

TEST(NnBatchNorm, JitPassesTheModuleInAndOut) {
  nn::Rngs rngs(0);
  nn::BatchNorm eager(6, rngs, {.momentum = 0.8});
  nn::BatchNorm jitted = eager;
  auto step = jit([](nn::BatchNorm m, const Array& x) {
    Array y = m(x);
    return std::pair{y, m};
  });
  for (uint32_t i = 0; i < 3; ++i) {
    const Array x = random_array({8, 6}, DType::Float32, 10 + i, -1, 4);
    const Array y_eager = eager(x);
    auto [y_jit, m] = step(jitted, x);
    jitted = m;
    expect_arrays_close(y_jit, y_eager, 1e-5);
    expect_arrays_close(jitted.mean.value, eager.mean.value, 1e-6);
    expect_arrays_close(jitted.var.value, eager.var.value, 1e-6);
  }
  EXPECT_EQ(jitted.momentum, 0.8);
  EXPECT_NE(to_doubles(jitted.mean.value), std::vector<double>(6, 0.0));
  // A BatchNorm made inside the traced function lives there and may be updated there.
  auto fresh = jit([](const Array& x) {
    nn::Rngs r(0);
    nn::BatchNorm b(6, r);
    Array y = b(x);
    return std::pair{y, b.mean.value};
  });
  const Array x = random_array({8, 6}, DType::Float32, 20);
  nn::Rngs r(0);
  nn::BatchNorm b(6, r);
  const Array y = b(x);
  auto [yj, mj] = fresh(x);
  expect_arrays_close(yj, y, 1e-5);
  expect_arrays_close(mj, b.mean.value, 1e-6);
}

// A model with a BatchNorm child: its call is non-const, like the BatchNorm's.
struct Net {
  nn::Linear fc;
  nn::BatchNorm bn;
  STRATA_TREE_MEMBERS(fc, bn)

  Array operator()(const Array& x) {
    const Array h = [&] {
      const nn::ModuleScope scope("fc");
      return fc(x);
    }();
    const nn::ModuleScope scope("bn");
    return bn(h);
  }
};

TEST(NnBatchNorm, GradReturnsStatisticsAsAux) {
  nn::Rngs rngs(0);
  Net model{nn::Linear(3, 4, rngs, {.dtype = F64}), nn::BatchNorm(4, rngs, {.dtype = F64})};
  model = randomised(model, 7);
  model.bn.var.value = ones({4}, F64);
  const Array x = random_array({16, 3}, F64, 8), target = random_array({16, 4}, F64, 9);
  auto [params, rest] = nn::split(model);
  auto loss = [&](const nn::State& p) {
    Net m = nn::merge(model, p, rest);
    const Array l = mean(square(m(x) - target));
    return std::pair{l, nn::batch_stats(m)};
  };
  auto [g, stats] = grad(loss, has_aux)(params);
  EXPECT_EQ(g.size(), 4u);  // fc.kernel, fc.bias, bn.scale, bn.bias
  ASSERT_EQ(stats.size(), 2u);
  // The statistics are those of an eager training step on fc(x).
  Net eager = model;
  eager(x);
  expect_arrays_close(stats.at("bn.mean"), eager.bn.mean.value, 1e-14);
  expect_arrays_close(stats.at("bn.var"), eager.bn.var.value, 1e-14);
  // ... and the gradients those of the loss alone.
  const nn::State g_plain = grad([&](const nn::State& p) { return loss(p).first; })(params);
  for (const auto& [k, v] : g_plain) expect_arrays_close(g.at(k), v, 1e-14);
  // A training step: update the statistics, then check the module uses them in evaluation.
  model = nn::update(model, stats);
  expect_arrays_close(model.bn.mean.value, eager.bn.mean.value, 1e-14);
  // The same step under jit, with the non-parameter state passed in.
  auto jit_step = jit([&](const nn::State& p, const nn::State& r) {
    auto inner = [&](const nn::State& q) {
      Net m = nn::merge(model, q, r);
      return std::pair{mean(square(m(x) - target)), nn::batch_stats(m)};
    };
    return grad(inner, has_aux)(p);
  });
  auto [gj, sj] = jit_step(params, rest);
  for (const auto& [k, v] : g) expect_arrays_close(gj.at(k), v, 1e-12);
  expect_arrays_close(sj.at("bn.var"), stats.at("bn.var"), 1e-12);
}

TEST(NnBatchNorm, RunsAsAScanCarry) {
  // Three training steps over a stack of batches: the module is the carry.
  nn::Rngs rngs(0);
  const nn::BatchNorm bn(6, rngs, {.dtype = F64});
  const Array xs = random_array({3, 8, 6}, F64, 11);
  auto body = [](nn::BatchNorm m, const Array& x) {
    Array y = m(x);
    return std::pair{m, y};
  };
  auto [last, ys] = scan(body, bn, xs);
  nn::BatchNorm eager = bn;
  for (int64_t i = 0; i < 3; ++i) expect_arrays_close(ys[i], eager(xs[i]), 1e-12);
  expect_arrays_close(last.mean.value, eager.mean.value, 1e-12);
  expect_arrays_close(last.var.value, eager.var.value, 1e-12);
}

TEST(NnBatchNorm, GradientsInFloat64) {
  const nn::BatchNorm bn = random_bn(5, 12);
  const auto [params, rest] = nn::split(bn);
  const Array x = random_array({6, 5}, F64, 13, -2, 2);
  expect_grads(
      "training",
      [&](const nn::State& p, const Array& in) {
        nn::BatchNorm m = nn::merge(bn, p, rest);
        return m(in);
      },
      params, x);
  expect_grads(
      "training, two-pass variance, feature axis 0",
      [&](const nn::State& p, const Array& in) {
        nn::BatchNorm m = nn::merge(bn, p, rest);
        m.use_fast_variance = false;
        m.axis = 0;
        return m(transpose(in));
      },
      params, x);
  expect_grads(
      "evaluation",
      [&](const nn::State& p, const Array& in) {
        const nn::BatchNorm m = nn::merge(bn, p, rest);
        return m(in, true);
      },
      params, x);
}

TEST(NnBatchNorm, Errors) {
  nn::Rngs rngs(0);
  nn::BatchNorm bn(6, rngs);
  EXPECT_STRATA_ERROR(bn(zeros({4, 5})), "[nn.BatchNorm]", "6 features", "(4, 5)");
  EXPECT_STRATA_ERROR(bn(zeros({})), "[nn.BatchNorm]", "()");
  nn::BatchNorm axis3 = bn;
  axis3.axis = 3;
  EXPECT_STRATA_ERROR(axis3(zeros({4, 6})), "[nn.BatchNorm]", "axis 3", "(4, 6)");
  const nn::BatchNorm& frozen = bn;
  EXPECT_STRATA_ERROR(frozen(zeros({4, 6})), "[nn.BatchNorm]", "const", "use_running_average");
  EXPECT_STRATA_ERROR(nn::BatchNorm(6, rngs, {.momentum = 1.5}), "[nn.BatchNorm]", "momentum",
                      "1.5");
  EXPECT_STRATA_ERROR(nn::BatchNorm(0, rngs), "[nn.BatchNorm]", "num_features > 0");
  // Updating a BatchNorm that lives outside jit: its statistics would be fixed constants.
  auto closed = jit([&](const Array& x) { return bn(x); });
  EXPECT_STRATA_ERROR(closed(ones({4, 6})), "[nn.BatchNorm]", "inside jit", "lives outside",
                      "return it");
  auto closed_eval = jit([&](const Array& x) { return bn(x, true); });
  EXPECT_EQ(closed_eval(ones({4, 6})).shape(), (Shape{4, 6}));  // evaluation is fine
  auto body = [&](const Array& c, const Array& x) { return std::pair{c, bn(x)}; };
  EXPECT_STRATA_ERROR(scan(body, zeros({}), ones({2, 4, 6})), "[nn.BatchNorm]", "a scan body");
  // Updated inside grad through a reference and never returned: stale traced statistics.
  nn::BatchNorm leaky(6, rngs);
  (void)grad([&](const Array& x) { return sum(leaky(x)); })(
      random_array({4, 6}, DType::Float32, 1));
  EXPECT_STRATA_ERROR(leaky(ones({4, 6}), true), "[nn.BatchNorm]", "has returned",
                      "nn::batch_stats");
}

}  // namespace
}  // namespace strata::testing
