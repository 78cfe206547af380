// nn::ArrayStacked / nn::Stacked against their unrolled twin nn::Sequential and against plain
// loops: init (one vmapped constructor call, split keys, per-layer slicing), fold / scan /
// *_via / get_layer / unstacked, outputs and gradients equal to the unrolled stack (Linear+relu
// and TransformerBlock, f64 with check_grads), the checkpoint policy reaching the scan, and the
// seed-000 walkthrough of examples/array_stacked.cpp.  Errors and the identical-layers warning:
// stacked_errors_test.cpp.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "strata/nn/nn.h"
#include "test_util.h"

namespace strata::testing {
namespace {

constexpr DType F64 = DType::Float64;

// Linear + relu, counting constructor runs and traced / eager calls.
struct Dense {
  nn::Linear fc;
  static inline int constructed = 0;
  static inline int called = 0;

  Dense(int64_t features, nn::Rngs& rngs, DType dtype = DType::Float32)
      : fc(features, features, rngs, {.dtype = dtype}) {
    ++constructed;
  }
  Array operator()(const Array& x) const {
    ++called;
    return nn::relu(fc(x));
  }
  STRATA_TREE_MEMBERS(fc)
};

// "layers.kernel" of a stack -> "layers[i].kernel" of its unrolled twin.
std::string unrolled_key(const std::string& stacked_key, int64_t i) {
  return "layers[" + std::to_string(i) + "]" + stacked_key.substr(std::string("layers").size());
}

// Every per-layer entry of `unrolled` equals row i of the stacked entry, within rel x scale.
void expect_same_per_layer(const nn::State& stacked, const nn::State& unrolled, int64_t n,
                           double rel) {
  ASSERT_EQ(stacked.size() * static_cast<size_t>(n), unrolled.size());
  for (const auto& [key, a] : stacked) {
    for (int64_t i = 0; i < n; ++i) {
      const auto it = unrolled.find(unrolled_key(key, i));
      ASSERT_NE(it, unrolled.end()) << unrolled_key(key, i);
      SCOPED_TRACE(it->first);
      if (rel == 0) {
        EXPECT_EQ(to_doubles(a[i]), to_doubles(it->second));
      } else {
        expect_arrays_close(a[i], it->second, rel);
      }
    }
  }
}

TEST(Stacked, InitRunsTheConstructorOnceAndStacksEveryArray) {
  for (int64_t n : {2, 9}) {
    nn::Rngs rngs(0);
    Dense::constructed = 0;
    const auto stack = nn::ArrayStacked<Dense>::init(n)(6, rngs);
    EXPECT_EQ(Dense::constructed, 1) << "the constructor runs once under vmap, n = " << n;
    EXPECT_EQ(stack.num_layers(), n);
    EXPECT_EQ(stack.layers.fc.kernel.shape(), (Shape{n, 6, 6}));
    EXPECT_EQ(stack.layers.fc.bias->shape(), (Shape{n, 6}));  // zeros, broadcast per layer
    EXPECT_EQ(stack.layers.fc.in_features, 6);                // static data kept
    EXPECT_EQ(rngs.count("default"), 1u);  // split advanced the caller's Rngs by one draw
  }
}

TEST(Stacked, EachLayerIsBuiltFromItsSplitKey) {
  // nnx.split_rngs: layer i draws from split(fold_in(key(0), 0), n)[i], exactly as Sequential.
  const int64_t n = 5, f = 4;
  nn::Rngs a(0), b(0);
  const auto stack = nn::ArrayStacked<Dense>::init(n)(f, a);
  const auto seq = nn::Sequential<Dense>::init(n)(f, b);
  const Array keys = random::split(random::fold_in(random::key(0), 0u), n);
  for (int64_t i = 0; i < n; ++i) {
    nn::Rngs own(keys[i]);
    const nn::Linear want(f, f, own);
    EXPECT_EQ(to_doubles(stack.get_layer(i).fc.kernel), to_doubles(want.kernel)) << i;
    EXPECT_EQ(to_doubles(seq.layers[static_cast<size_t>(i)].fc.kernel), to_doubles(want.kernel));
  }
  // Layers are independent: no two kernels are equal.
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      EXPECT_NE(to_doubles(stack.layers.fc.kernel.value[i]),
                to_doubles(stack.layers.fc.kernel.value[j]));
    }
  }
  expect_same_per_layer(nn::state(stack), nn::state(seq), n, 0);
}

TEST(Stacked, InitSlicesArraysWithTheLayerCountAndSharesTheRest) {
  struct Scaled {
    nn::Param w;
    double factor;
    Scaled(const Array& per_layer, const Array& shared, double k)
        : w(per_layer * shared * k), factor(k) {}
    STRATA_TREE_MEMBERS(w)
  };
  const Array per_layer = random_array({3, 4}, F64, 1);
  const Array shared = random_array({4}, F64, 2);
  const auto stack = nn::ArrayStacked<Scaled>::init(3)(per_layer, shared, 2.0);
  ASSERT_EQ(stack.layers.w.shape(), (Shape{3, 4}));
  for (int64_t i = 0; i < 3; ++i) {
    expect_all_close(to_doubles(stack.get_layer(i).w), to_doubles(per_layer[i] * shared * 2.0),
                     1e-15);
  }
  // A factory instead of the constructor (here closing over a shared array of leading size 3).
  const Array square = random_array({3, 3}, F64, 3);
  auto factory = [&](const Array& row) { return Scaled(row, matmul(square, ones({3}, F64)), 1.0); };
  const auto built = nn::ArrayStacked<Scaled>::init(3, factory)(random_array({3, 3}, F64, 4));
  EXPECT_EQ(built.layers.w.shape(), (Shape{3, 3}));
  // An Rngs already split into num_layers is used as it is (not split again).
  nn::Rngs rngs(7);
  nn::Rngs split = rngs.split(4);
  const auto presplit = nn::ArrayStacked<Dense>::init(4)(3, split);
  nn::Rngs again(7);
  const auto direct = nn::ArrayStacked<Dense>::init(4)(3, again);
  EXPECT_EQ(to_doubles(presplit.layers.fc.kernel), to_doubles(direct.layers.fc.kernel));
}

TEST(Stacked, FoldTracesOneBodyWhateverTheDepth) {
  const int64_t f = 8;
  int64_t ops = -1;
  for (int64_t n : {3, 24}) {
    nn::Rngs rngs(1);
    const auto stack = nn::ArrayStacked<Dense>::init(n)(f, rngs);
    Dense::called = 0;
    (void)stack.fold(ones({2, f}));
    EXPECT_EQ(Dense::called, 1) << "the layer is traced once for n = " << n;
    auto fwd = jit([](const nn::ArrayStacked<Dense>& s, const Array& x) { return s.fold(x); });
    const CompileStats stats = fwd.lower(stack, ones({2, f})).compile().stats();
    EXPECT_EQ(stats.scan_body_traces, 1);
    if (ops >= 0) {
      EXPECT_EQ(stats.num_ops_total, ops) << "graph size does not grow with n";
    }
    ops = stats.num_ops_total;
  }
}

TEST(Stacked, LinearReluStackEqualsUnrolledOutputsAndGradients) {
  const int64_t n = 6, f = 5;
  nn::Rngs a(3), b(3);
  const auto stack = nn::ArrayStacked<Dense>::init(n)(f, a, F64);
  const auto seq = nn::Sequential<Dense>::init(n)(f, b, F64);
  const Array x = random_array({4, f}, F64, 5);
  // A plain loop over the layers as a third opinion.
  Array want = x;
  for (const Dense& layer : stack.unstacked())
    want = nn::relu(matmul(want, layer.fc.kernel.value) + layer.fc.bias->value);
  expect_all_close(to_doubles(stack.fold(x)), to_doubles(want), 1e-13, 1e-13);
  expect_all_close(to_doubles(seq.fold(x)), to_doubles(want), 1e-13, 1e-13);
  const auto jitted =
      jit([](const nn::ArrayStacked<Dense>& s, const Array& v) { return s.fold(v); });
  expect_all_close(to_doubles(jitted(stack, x)), to_doubles(want), 1e-13, 1e-13);

  // Gradients with respect to the parameters, through nn::split / nn::merge.
  auto [sp, srest] = nn::split(stack);
  auto [qp, qrest] = nn::split(seq);
  EXPECT_EQ(sp.count("layers.fc.kernel"), 1u);
  EXPECT_EQ(qp.count("layers[5].fc.bias"), 1u);
  auto stacked_loss = [&](const nn::State& p, const Array& v) {
    return sum(square(nn::merge(stack, p, srest).fold(v)));
  };
  auto unrolled_loss = [&](const nn::State& p, const Array& v) {
    return sum(square(nn::merge(seq, p, qrest).fold(v)));
  };
  expect_same_per_layer(grad(stacked_loss)(sp, x), grad(unrolled_loss)(qp, x), n, 1e-12);
  expect_grads("stacked Linear+relu", stacked_loss, sp, x);
  // Tree-level grad of the stack itself (it is a pytree): same numbers.
  const auto g =
      grad([&](const nn::ArrayStacked<Dense>& s) { return sum(square(s.fold(x))); })(stack);
  expect_arrays_close(g.layers.fc.kernel.value, grad(stacked_loss)(sp, x).at("layers.fc.kernel"),
                      1e-14);
}

TEST(Stacked, TransformerBlockStackEqualsUnrolledInFloat64) {
  const int64_t n = 3, f = 8, t = 4;
  const nn::TransformerOptions options{.causal = true, .dtype = F64};
  nn::Rngs a(11), b(11);
  const auto stack =
      nn::Stacked<nn::TransformerBlock>::init(nn::Axis{"blocks", n})(f, 2, 16, a, options);
  const auto seq = nn::Sequential<nn::TransformerBlock>::init(n)(f, 2, 16, b, options);
  EXPECT_EQ(stack.block().name, "blocks");
  EXPECT_EQ(stack.layers.attn.query.kernel.shape(), (Shape{n, f, 2, f / 2}));  // (in, H, D)
  expect_same_per_layer(nn::state(stack), nn::state(seq), n, 0);
  const Array x = random_array({t, f}, F64, 12);
  const std::optional<Array> no_mask;  // a shared argument: std::optional<Array>
  expect_all_close(to_doubles(stack.fold(x, no_mask)), to_doubles(seq.fold(x, no_mask)), 1e-12,
                   1e-12);
  auto [sp, srest] = nn::split(stack);
  auto [qp, qrest] = nn::split(seq);
  auto stacked_loss = [&](const nn::State& p, const Array& v) {
    return sum(tanh(nn::merge(stack, p, srest).fold(v)));
  };
  auto unrolled_loss = [&](const nn::State& p, const Array& v) {
    return sum(tanh(nn::merge(seq, p, qrest).fold(v)));
  };
  expect_same_per_layer(grad(stacked_loss)(sp, x), grad(unrolled_loss)(qp, x), n, 1e-11);
  expect_grads("stacked TransformerBlock", stacked_loss, sp, x);
}

// A layer returning (carry, y) for scan.
struct Accumulate {
  nn::Param w;
  explicit Accumulate(const Array& row) : w(row) {}
  std::pair<Array, Array> operator()(const Array& c, const Array& x) const {
    Array next = tanh(c * w.value + x);
    return {next, sum(next)};
  }
  STRATA_TREE_MEMBERS(w)
};

TEST(Stacked, ScanStacksPerLayerOutputsLikeTheUnrolledTwin) {
  const int64_t n = 4, f = 3;
  const Array rows = random_array({n, f}, F64, 20);
  const auto stack = nn::ArrayStacked<Accumulate>::init(n)(rows);
  const auto seq = nn::Sequential<Accumulate>::init(n)(rows);
  const Array c0 = random_array({f}, F64, 21);
  const Array xs = random_array({n, f}, F64, 22);
  const Array shared_x = random_array({f}, F64, 23);
  // Shared argument (default in_axes): every layer gets the same x.
  auto [c, ys] = stack.scan(c0, shared_x);
  auto [c_u, ys_u] = seq.scan(c0, shared_x);
  EXPECT_EQ(ys.shape(), (Shape{n}));
  expect_all_close(to_doubles(c), to_doubles(c_u), 1e-14);
  expect_all_close(to_doubles(ys), to_doubles(ys_u), 1e-14);
  // Sliced argument: layer i gets xs[i]; checked against a loop.
  auto [c2, ys2] = stack.scan(0, c0, xs);
  Array want = c0;
  for (int64_t i = 0; i < n; ++i) {
    want = tanh(want * rows[i] + xs[i]);
    EXPECT_NEAR(to_doubles(ys2)[static_cast<size_t>(i)], to_doubles(sum(want))[0], 1e-14);
  }
  expect_all_close(to_doubles(c2), to_doubles(want), 1e-14);
  auto [c2_u, ys2_u] = seq.scan(0, c0, xs);
  expect_all_close(to_doubles(ys2_u), to_doubles(ys2), 1e-14);
  // A sliced argument on another axis (in_axes 1) is the same as its transpose on axis 0.
  auto [c3, ys3] = stack.scan({1}, c0, transpose(xs));
  expect_all_close(to_doubles(ys3), to_doubles(ys2), 1e-15);
  auto [c4, ys4] = stack.scan({-1}, c0, transpose(xs));
  expect_all_close(to_doubles(ys4), to_doubles(ys2), 1e-15);
  // scan_via and gradients through the scan match the unrolled loop.
  auto via = [](const Accumulate& l, const Array& h, const Array& x) { return l(h, x); };
  auto loss_s = [&](const nn::ArrayStacked<Accumulate>& s, const Array& x) {
    auto [h, y] = s.scan_via(via, 0)(c0, x);
    return sum(h) + sum(square(y));
  };
  auto loss_u = [&](const nn::Sequential<Accumulate>& s, const Array& x) {
    auto [h, y] = s.scan_via(via, 0)(c0, x);
    return sum(h) + sum(square(y));
  };
  const auto [gs, gx] = grad(loss_s, argnums<0, 1>)(stack, xs);
  const auto [gu, gxu] = grad(loss_u, argnums<0, 1>)(seq, xs);
  expect_same_per_layer(nn::state(gs), nn::state(gu), n, 1e-13);
  expect_arrays_close(gx, gxu, 1e-13);
  expect_grads("scan_via", loss_s, stack, xs);
}

// A layer drawing dropout keys from an Rngs passed per layer.
struct Noisy {
  nn::Linear fc;
  nn::Dropout drop{0.5};
  Noisy(int64_t f, nn::Rngs& rngs) : fc(f, f, rngs) {}
  Array operator()(const Array& x, nn::Rngs& rngs) const { return drop(fc(x), rngs); }
  STRATA_TREE_MEMBERS(fc)
};

TEST(Stacked, AnRngsSlicedPerLayerGivesEveryLayerItsOwnDropoutKeys) {
  const int64_t n = 3, f = 16;
  nn::Rngs a(5), b(5);
  const auto stack = nn::ArrayStacked<Noisy>::init(n)(f, a);
  const auto seq = nn::Sequential<Noisy>::init(n)(f, b);
  const Array x = ones({f});
  nn::Rngs da({{"dropout", 9}}), db({{"dropout", 9}});
  const Array y = stack.fold(0, x, da.split(n));
  EXPECT_EQ(to_doubles(y), to_doubles(seq.fold(0, x, db.split(n))));
  // The layers' masks differ: replaying with layer 0's key for every layer changes the result.
  nn::Rngs dc({{"dropout", 9}});
  const Array keys = dc.split(n).key("dropout");
  Array same = x;
  for (int64_t i = 0; i < n; ++i) {
    nn::Rngs r({{"dropout", keys[0]}});
    same = stack.get_layer(i)(same, r);
  }
  EXPECT_NE(to_doubles(y), to_doubles(same));
}

TEST(Stacked, VmapViaRunsEachLayerOnItsOwn) {
  const int64_t n = 4, f = 3;
  nn::Rngs a(2), b(2);
  const auto stack = nn::ArrayStacked<Dense>::init(n)(f, a, F64);
  const auto seq = nn::Sequential<Dense>::init(n)(f, b, F64);
  const Array x = random_array({2, f}, F64, 30);
  const Array per_layer_x = random_array({n, 2, f}, F64, 31);
  auto apply = [](const Dense& l, const Array& v) { return l(v); };
  const Array shared = stack.vmap_via(apply)(x);
  const Array sliced = stack.vmap_via(apply, 0)(per_layer_x);
  const Array moved = stack.vmap_via(apply, 0, 1)(per_layer_x);
  ASSERT_EQ(shared.shape(), (Shape{n, 2, f}));
  ASSERT_EQ(moved.shape(), (Shape{2, n, f}));
  for (int64_t i = 0; i < n; ++i) {
    const Dense layer = stack.get_layer(i);
    expect_all_close(to_doubles(shared[i]), to_doubles(layer(x)), 1e-14);
    expect_all_close(to_doubles(sliced[i]), to_doubles(layer(per_layer_x[i])), 1e-14);
  }
  expect_all_close(to_doubles(moved), to_doubles(moveaxis(sliced, 0, 1)), 0);
  expect_all_close(to_doubles(seq.vmap_via(apply)(x)), to_doubles(shared), 1e-14);
  expect_all_close(to_doubles(seq.vmap_via(apply, 0, 1)(per_layer_x)), to_doubles(moved), 1e-14);
  // out_axes none: an output shared by every layer stays unstacked.
  const Array count = stack.vmap_via([](const Dense&, const Array& v) { return sum(v); },
                                     strata::none, strata::none)(x);
  EXPECT_EQ(count.shape(), Shape{});
}

TEST(Stacked, GetLayerAndUnstackedFollowPythonIndexing) {
  nn::Rngs rngs(4);
  const auto stack = nn::ArrayStacked<Dense>::init(3)(2, rngs);
  const std::vector<Dense> layers = stack.unstacked();
  ASSERT_EQ(layers.size(), 3u);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(layers[static_cast<size_t>(i)].fc.kernel.shape(), (Shape{2, 2}));
    EXPECT_EQ(to_doubles(layers[static_cast<size_t>(i)].fc.kernel),
              to_doubles(stack.layers.fc.kernel.value[i]));
  }
  EXPECT_EQ(to_doubles(stack.get_layer(-1).fc.kernel), to_doubles(layers[2].fc.kernel));
  EXPECT_EQ(to_doubles(stack.get_layer(-3).fc.kernel), to_doubles(layers[0].fc.kernel));
}

// Planned peak of jit(grad) over a deep stack under a policy, and the gradient.
std::pair<int64_t, nn::State> grad_with_policy(const nn::CheckpointSpec& policy, int64_t n) {
  nn::Rngs rngs(8);
  const auto stack = nn::ArrayStacked<Dense>::init(n, {.gradient_checkpointing = policy})(32, rngs);
  auto [params, rest] = nn::split(stack);
  const Array x = ones({8, 32});
  auto loss = [stack, rest](const nn::State& p, const Array& v) {
    return sum(square(nn::merge(stack, p, rest).fold(v)));
  };
  auto step = jit(grad(loss));
  return {step.lower(params, x).compile().stats().planned_peak_bytes, step(params, x)};
}

TEST(Stacked, TheCheckpointPolicyReachesTheScan) {
  EXPECT_EQ(nn::CheckpointSpec(true).policy(), CheckpointPolicy::carries_only());
  EXPECT_EQ(nn::CheckpointSpec(false).policy(), CheckpointPolicy::save_all());
  EXPECT_EQ(nn::CheckpointSpec("recompute").policy(), CheckpointPolicy::carries_only());
  EXPECT_EQ(nn::CheckpointSpec("full").policy(), CheckpointPolicy::carries_only());
  EXPECT_EQ(nn::CheckpointSpec("save_all").policy(), CheckpointPolicy::save_all());
  EXPECT_EQ(nn::CheckpointSpec("nested").policy(), CheckpointPolicy::nested());
  EXPECT_EQ(nn::CheckpointSpec(CheckpointPolicy::budget(1 << 20)).policy().memory_budget,
            int64_t{1} << 20);
  EXPECT_STRATA_ERROR(nn::CheckpointSpec("offload"), "unknown policy", "offload");

  const int64_t n = 32;
  const auto [all_peak, all_grad] = grad_with_policy(false, n);
  const auto [carry_peak, carry_grad] = grad_with_policy("recompute", n);
  const auto [nested_peak, nested_grad] = grad_with_policy("nested", n);
  // A budget that fits everything picks save_all's schedule.
  const auto [budget_peak, budget_grad] =
      grad_with_policy(CheckpointPolicy::budget(int64_t{1} << 40), n);
  EXPECT_EQ(budget_peak, all_peak);
  // save_all keeps each layer's relu mask / pre-activation too; carries_only only the input.
  EXPECT_LT(carry_peak, all_peak) << carry_peak << " vs " << all_peak;
  EXPECT_LT(nested_peak, carry_peak) << nested_peak << " vs " << carry_peak;
  for (const auto& [key, g] : all_grad) {
    expect_arrays_close(carry_grad.at(key), g, 1e-6);
    expect_arrays_close(nested_grad.at(key), g, 1e-6);
    expect_arrays_close(budget_grad.at(key), g, 1e-6);
  }
}

TEST(Stacked, SequentialCheckpointsEachLayerAndUnrollOptionAgrees) {
  const int64_t n = 4, f = 3;
  nn::Rngs a(6), b(6), c(6);
  const auto unrolled = nn::Sequential<Dense>::init(n, {.gradient_checkpointing = true})(f, a, F64);
  const auto stack = nn::ArrayStacked<Dense>::init(n, {.unroll = 3})(f, b, F64);
  const auto plain = nn::ArrayStacked<Dense>::init(n)(f, c, F64);
  EXPECT_EQ(unrolled.gradient_checkpointing(), CheckpointPolicy::carries_only());
  EXPECT_EQ(stack.unroll(), 3);
  const Array x = random_array({2, f}, F64, 40);
  auto loss_u = [&](const nn::Sequential<Dense>& s) { return sum(square(s.fold(x))); };
  auto loss_s = [&](const nn::ArrayStacked<Dense>& s) { return sum(square(s.fold(x))); };
  expect_same_per_layer(nn::state(grad(loss_s)(stack)), nn::state(grad(loss_u)(unrolled)), n,
                        1e-13);
  expect_all_close(to_doubles(stack.fold(x)), to_doubles(plain.fold(x)), 1e-15);
  expect_grads("checkpointed Sequential", loss_u, unrolled);
  // The policy is applied: each layer of the loop is one checkpoint op (recomputed in the
  // backward pass), and none without a policy.
  auto checkpoint_ops = [&](const nn::Sequential<Dense>& s) {
    const std::string text = trace(loss_u, s).to_string();
    size_t count = 0;
    for (size_t at = text.find("checkpoint"); at != std::string::npos;
         at = text.find("checkpoint", at + 1)) {
      ++count;
    }
    return count;
  };
  nn::Rngs d(6);
  EXPECT_EQ(checkpoint_ops(unrolled), static_cast<size_t>(n));
  EXPECT_EQ(checkpoint_ops(nn::Sequential<Dense>::init(n)(f, d, F64)), 0u);
}

TEST(Stacked, IsAPytreeForJitGradAndOptimisers) {
  nn::Rngs rngs(12);
  auto stack = nn::ArrayStacked<Dense>::init(4)(3, rngs);
  const std::vector<std::string> paths = tree::paths(stack);
  EXPECT_EQ(paths, (std::vector<std::string>{"layers.fc.kernel.value", "layers.fc.bias.value"}));
  auto [params, rest] = nn::split(stack);
  auto opt = optim::sgd(0.1);
  auto state = opt.init(params);
  const Array x = random_array({5, 3}, DType::Float32, 50);
  auto loss = [&](const nn::State& p) {
    return mean(square(nn::merge(stack, p, rest).fold(x) - 1.0));
  };
  const float before = loss(params).item<float>();
  for (int step = 0; step < 20; ++step) {
    auto [updates, next] = opt.update(grad(loss)(params), state, params);
    params = optim::apply_updates(params, updates);
    state = next;
  }
  EXPECT_LT(loss(params).item<float>(), before);
  stack = nn::merge(stack, params, rest);
  EXPECT_EQ(stack.layers.fc.kernel.shape(), (Shape{4, 3, 3}));
}

// ---------------------------------------------------------------- seed 000 (the example)

struct SeedBlock {
  nn::Param weight;
  explicit SeedBlock(const Array& w) : weight(w) {}
  Array operator()(const Array& carry, const Array& layer_scale, const Array& mask) const {
    return carry + weight.value * layer_scale + sum(mask);
  }
  STRATA_TREE_MEMBERS(weight)
};

TEST(StackedExample, Seed000ArrayStackedWalkthrough) {
  const int64_t num_layers = 4, width = 8;
  const Array weights = random::normal(random::key(0), {num_layers, width});
  const auto stack = nn::ArrayStacked<SeedBlock>::init(
      num_layers, {.gradient_checkpointing = "recompute"})(weights);
  const auto unrolled = nn::Sequential<SeedBlock>::init(num_layers)(weights);
  ASSERT_EQ(stack.layers.weight.shape(), (Shape{num_layers, width}));
  const std::vector<double> w = to_doubles(weights);

  // fold_via with in_axes (0, none): carry = sum_i w_i s_i + num_layers * sum(mask).
  const Array carry0 = zeros({width});
  const Array scale = array<float>({1, 2, 3, 4});
  const Array mask = ones({16, 16});
  auto call = [](const SeedBlock& b, const Array& c, const Array& s, const Array& m) {
    return b(c, s, m);
  };
  const Array carry = stack.fold_via(call, {0, strata::none})(carry0, scale, mask);
  ASSERT_EQ(carry.shape(), (Shape{width}));
  std::vector<double> want(static_cast<size_t>(width), 4 * 256.0);
  for (size_t l = 0; l < 4; ++l) {
    for (size_t j = 0; j < 8; ++j) want[j] += w[l * 8 + j] * static_cast<double>(l + 1);
  }
  expect_all_close(to_doubles(carry), want, 1e-6);
  expect_all_close(to_doubles(unrolled.fold_via(call, {0, strata::none})(carry0, scale, mask)),
                   to_doubles(carry), 1e-6);

  // scan_via with in_axes 0: per-layer carries are the running sums of the weights.
  auto block_scan = [](const SeedBlock& layer, const Array& c, const Array& x) {
    Array next = c + layer.weight.value * x;
    return std::pair{next, next};
  };
  const auto [last, per_layer] =
      stack.scan_via(block_scan, 0)(zeros({width}), ones({num_layers, width}));
  ASSERT_EQ(per_layer.shape(), (Shape{num_layers, width}));
  std::vector<double> running(static_cast<size_t>(width), 0.0);
  for (int64_t l = 0; l < num_layers; ++l) {
    for (size_t j = 0; j < 8; ++j) running[j] += w[static_cast<size_t>(l) * 8 + j];
    expect_all_close(to_doubles(per_layer[l]), running, 1e-6);
  }
  expect_all_close(to_doubles(last), running, 1e-6);
  expect_all_close(
      to_doubles(
          unrolled.scan_via(block_scan, 0)(zeros({width}), ones({num_layers, width})).second),
      to_doubles(per_layer), 1e-6);

  // get_layer / unstacked: the rows of the weights.
  EXPECT_EQ(to_doubles(stack.get_layer(1).weight), to_doubles(weights[1]));
  EXPECT_EQ(to_doubles(stack.get_layer(-1).weight), to_doubles(weights[3]));
  const auto blocks = stack.unstacked();
  ASSERT_EQ(blocks.size(), 4u);
  for (size_t l = 0; l < 4; ++l) {
    EXPECT_EQ(to_doubles(blocks[l].weight), to_doubles(unrolled.layers[l].weight));
  }

  // vmap_via: |w_i|^2 * s_i per layer.
  auto norm = [](const SeedBlock& b, const Array& s) { return sum(square(b.weight.value)) * s; };
  const Array norms = stack.vmap_via(norm, 0)(scale);
  ASSERT_EQ(norms.shape(), (Shape{num_layers}));
  for (int64_t l = 0; l < num_layers; ++l) {
    EXPECT_NEAR(to_doubles(norms)[static_cast<size_t>(l)],
                to_doubles(sum(square(weights[l])))[0] * static_cast<double>(l + 1), 1e-4);
  }
  expect_all_close(to_doubles(unrolled.vmap_via(norm, 0)(scale)), to_doubles(norms), 1e-6);

  // The policy is on the stack; the gradient is per layer and independent: row i = s_i.
  EXPECT_EQ(stack.gradient_checkpointing(), CheckpointPolicy::carries_only());
  auto loss = [&](const nn::ArrayStacked<SeedBlock>& s) {
    return sum(s.fold_via(call, {0, strata::none})(carry0, scale, mask));
  };
  const auto g = grad(loss)(stack);
  for (int64_t l = 0; l < num_layers; ++l) {
    EXPECT_EQ(to_doubles(g.layers.weight.value[l]),
              std::vector<double>(8, static_cast<double>(l + 1)));
  }
}

}  // namespace
}  // namespace strata::testing
