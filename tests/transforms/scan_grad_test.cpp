// Gradients through scan: against the same computation unrolled in C++, against finite
// differences, for weights as xs (stacked) and as closed-over constants, every save policy, and
// the shape of what the forward scan saves.
#include <gtest/gtest.h>

#include "compile/cse.h"
#include "ir/graph.h"
#include "primitives/scan.h"
#include "strata/check_grads.h"
#include "test_util.h"

namespace st = strata;
using st::Array;
using st::testing::random_array;
using st::testing::to_doubles;

namespace {

constexpr auto F64 = st::DType::Float64;

const std::vector<st::CheckpointPolicy> kPolicies = {st::CheckpointPolicy::save_all(),
                                                     st::CheckpointPolicy::carries_only(),
                                                     st::CheckpointPolicy::save_names({"pre"})};

// W1's layer: y = relu(y W + b), with W and b stacked along the layer axis (xs).
Array w1_layer(const Array& y, const Array& W, const Array& b) {
  return st::relu(st::checkpoint_name(st::matmul(y, W) + b, "pre"));
}

TEST(ScanGrad, StackedWeightsMatchUnrolledLoopForEveryPolicy) {
  const int64_t L = 6;
  const Array x = random_array({4, 6}, F64, 1);
  const Array Ws = random_array({L, 6, 6}, F64, 2, -0.6, 0.6);
  const Array bs = random_array({L, 6}, F64, 3, -0.1, 0.1);
  auto unrolled = [&](const Array& xx, const Array& W, const Array& b) {
    Array y = xx;
    for (int64_t i = 0; i < L; ++i) y = w1_layer(y, W[i], b[i]);
    return st::sum(st::square(y));
  };
  auto [ex, eW, eb] = st::grad(unrolled, st::argnums<0, 1, 2>)(x, Ws, bs);
  std::vector<Array> first;
  for (const st::CheckpointPolicy& policy : kPolicies) {
    auto scanned = [&](const Array& xx, const Array& W, const Array& b) {
      const Array y = st::fold(
          [](const Array& c, const std::pair<Array, Array>& wb) {
            return w1_layer(c, wb.first, wb.second);
          },
          xx, std::pair{W, b}, {.checkpoint = policy});
      return st::sum(st::square(y));
    };
    auto [gx, gW, gb] = st::grad(scanned, st::argnums<0, 1, 2>)(x, Ws, bs);
    st::testing::expect_arrays_close(gx, ex, 1e-12);
    st::testing::expect_arrays_close(gW, eW, 1e-12);
    st::testing::expect_arrays_close(gb, eb, 1e-12);
    if (first.empty()) {
      first = {gx, gW, gb};
    } else {  // every policy does the same arithmetic in the same order as save_all
      EXPECT_EQ(to_doubles(gx), to_doubles(first[0]));
      EXPECT_EQ(to_doubles(gW), to_doubles(first[1]));
    }
  }
}

// Seed 001's network (relu(x W_i + b_i) over stacked layers, loss sum(y^2)) against backprop
// written out by hand.
TEST(ScanGrad, Seed001NetworkMatchesHandDerivedBackprop) {
  const int64_t L = 4;
  const Array x = random_array({3, 5}, F64, 30);
  const Array Ws = random_array({L, 5, 5}, F64, 31, -0.7, 0.7);
  const Array bs = random_array({L, 5}, F64, 32, -0.2, 0.2);
  std::vector<Array> ys{x}, pre;
  for (int64_t i = 0; i < L; ++i) {
    pre.push_back(st::matmul(ys.back(), Ws[i]) + bs[i]);
    ys.push_back(st::relu(pre.back()));
  }
  Array g = 2.0 * ys.back();  // d sum(y^2) / d y
  std::vector<Array> dW(L), db(L);
  for (int64_t i = L - 1; i >= 0; --i) {
    const Array gz = g * st::astype(pre[static_cast<size_t>(i)] > 0.0, F64);
    dW[static_cast<size_t>(i)] = st::matmul(st::transpose(ys[static_cast<size_t>(i)]), gz);
    db[static_cast<size_t>(i)] = st::sum(gz, {0});
    g = st::matmul(gz, st::transpose(Ws[i]));
  }
  auto loss = [](const Array& xx, const Array& W, const Array& b) {
    return st::sum(st::square(st::fold(
        [](const Array& c, const std::pair<Array, Array>& wb) {
          return st::relu(st::matmul(c, wb.first) + wb.second);
        },
        xx, std::pair{W, b})));
  };
  auto [gx, gW, gb] = st::grad(loss, st::argnums<0, 1, 2>)(x, Ws, bs);
  st::testing::expect_arrays_close(gx, g, 1e-12);
  st::testing::expect_arrays_close(gW, st::stack(dW), 1e-12);
  st::testing::expect_arrays_close(gb, st::stack(db), 1e-12);
}

// Seed 002's chain y = W_L ... W_1 x with loss sum(y): dW_i = g_i y_{i-1}^T, g_{i-1} = W_i^T g_i.
TEST(ScanGrad, Seed002ChainMatchesHandDerivedBackprop) {
  const int64_t L = 3;
  const Array x = random_array({4}, F64, 33);
  const Array Ws = random_array({L, 4, 4}, F64, 34);
  std::vector<Array> ys{x};
  for (int64_t i = 0; i < L; ++i) ys.push_back(st::matmul(Ws[i], ys.back()));
  Array g = st::ones({4}, F64);
  std::vector<Array> dW(L);
  for (int64_t i = L - 1; i >= 0; --i) {
    dW[static_cast<size_t>(i)] =
        st::matmul(st::reshape(g, {4, 1}), st::reshape(ys[static_cast<size_t>(i)], {1, 4}));
    g = st::matmul(st::transpose(Ws[i]), g);
  }
  auto loss = [](const Array& xx, const Array& W) {
    return st::sum(
        st::fold([](const Array& y, const Array& w) { return st::matmul(w, y); }, xx, W));
  };
  auto [gx, gW] = st::grad(loss, st::argnums<0, 1>)(x, Ws);
  st::testing::expect_arrays_close(gx, g, 1e-12);
  st::testing::expect_arrays_close(gW, st::stack(dW), 1e-12);
}

TEST(ScanGrad, ClosedOverWeightMatchesUnrolledLoop) {
  // Seed 004: h = tanh(x W), then T steps of h = tanh(h W), W closed over.
  const int64_t T = 4;
  const Array x = random_array({3, 5}, F64, 4);
  const Array W = random_array({5, 5}, F64, 5, -0.5, 0.5);
  auto unrolled = [&](const Array& xx, const Array& w) {
    Array h = st::tanh(st::matmul(xx, w));
    for (int64_t t = 0; t < T; ++t) h = st::tanh(st::matmul(h, w));
    return st::sum(h);
  };
  auto scanned = [&](const Array& xx, const Array& w) {
    const Array h = st::fold([&](const Array& c, st::None) { return st::tanh(st::matmul(c, w)); },
                             st::tanh(st::matmul(xx, w)), st::None{}, {.length = T});
    return st::sum(h);
  };
  auto [ex, eW] = st::grad(unrolled, st::argnums<0, 1>)(x, W);
  auto [gx, gW] = st::grad(scanned, st::argnums<0, 1>)(x, W);
  st::testing::expect_arrays_close(gx, ex, 1e-12);
  st::testing::expect_arrays_close(gW, eW, 1e-12);
  EXPECT_NO_THROW(st::check_grads(scanned, x, W));
}

TEST(ScanGrad, ReverseUnrollPytreeCarryAndYs) {
  const Array xs = random_array({7, 3}, F64, 6);
  const Array a0 = random_array({3}, F64, 7);
  const Array W = random_array({3, 3}, F64, 8, -0.5, 0.5);
  for (bool reverse : {false, true}) {
    for (int64_t unroll : {1, 2, 3, 7}) {
      auto f = [&](const Array& a, const Array& w, const Array& x) {
        using Carry = std::pair<Array, Array>;  // (state, int step counter)
        auto [carry, ys] = st::scan(
            [&](const Carry& c, const Array& xi) {
              const Array s = st::sin(st::matmul(c.first, w)) * xi + c.first;
              return std::pair{Carry{s, c.second + 1}, st::square(s)};
            },
            Carry{a, st::zeros({}, st::DType::Int32)}, x, {.reverse = reverse, .unroll = unroll});
        return st::sum(carry.first) + st::sum(ys * ys);
      };
      EXPECT_NO_THROW(st::check_grads(f, a0, W, xs)) << reverse << " " << unroll;
    }
  }
}

TEST(ScanGrad, NestedScansMatchUnrolledLoops) {
  const Array x = random_array({4}, F64, 9);
  const Array Ws = random_array({3, 2, 4, 4}, F64, 10, -0.5, 0.5);
  auto unrolled = [&](const Array& xx, const Array& W) {
    Array y = xx;
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t j = 0; j < 2; ++j) y = st::tanh(st::matmul(y, W[i][j]));
    }
    return st::sum(y);
  };
  auto scanned = [&](const Array& xx, const Array& W) {
    return st::sum(st::fold(
        [](const Array& c, const Array& block) {
          return st::fold([](const Array& h, const Array& w) { return st::tanh(st::matmul(h, w)); },
                          c, block);
        },
        xx, W));
  };
  auto [ex, eW] = st::grad(unrolled, st::argnums<0, 1>)(x, Ws);
  auto [gx, gW] = st::grad(scanned, st::argnums<0, 1>)(x, Ws);
  st::testing::expect_arrays_close(gx, ex, 1e-12);
  st::testing::expect_arrays_close(gW, eW, 1e-12);
}

TEST(ScanGrad, JitOfGradEqualsEagerGrad) {
  const Array x = random_array({4, 6}, F64, 11);
  const Array Ws = random_array({3, 6, 6}, F64, 12, -0.6, 0.6);
  auto loss = [](const Array& xx, const Array& W) {
    return st::sum(
        st::fold([](const Array& c, const Array& w) { return st::tanh(st::matmul(c, w)); }, xx, W));
  };
  const Array eager = st::grad(loss, st::argnums<1>)(x, Ws);
  const Array jitted = st::jit(st::grad(loss, st::argnums<1>))(x, Ws);
  st::testing::expect_arrays_close(jitted, eager, 1e-14);
}

// The scans in a traced gradient: the forward one (first) and the backward one.
std::vector<const st::prim::Scan*> scans_of(const st::Jaxpr& j) {
  std::vector<const st::prim::Scan*> out;
  for (const st::ir::Op& op : j.graph().ops()) {
    if (auto* s = dynamic_cast<const st::prim::Scan*>(op.primitive.get())) out.push_back(s);
  }
  return out;
}

TEST(ScanGrad, InvariantResidualsAreHoistedNotStacked) {
  // The body reads transpose(W) * 2 of a closed-over W: an invariant value the backward pass
  // needs.  It must be computed once outside the loop, not stacked L times.
  const int64_t L = 6;
  const Array x = random_array({2, 4}, F64, 13);
  const Array W = random_array({4, 4}, F64, 14, -0.5, 0.5);
  auto loss = [&](const Array& xx, const Array& w) {
    return st::sum(
        st::fold([&](const Array& c,
                     st::None) { return st::tanh(st::matmul(c, st::exp(st::transpose(w)) * 0.5)); },
                 xx, st::None{}, {.length = L}));
  };
  const st::Jaxpr j = st::trace(st::grad(loss, st::argnums<0, 1>), x, W);
  const auto scans = scans_of(j);
  ASSERT_EQ(scans.size(), 2u) << j.to_string();
  const st::ir::Graph& fwd = scans[0]->body();
  // Forward body outputs: carry, then stacked residuals (per-iteration values only).
  const int nk = scans[0]->scan_params().num_carry;
  for (size_t i = static_cast<size_t>(nk); i < fwd.outputs().size(); ++i) {
    EXPECT_NE(fwd.type(fwd.outputs()[i]).shape, (st::Shape{4, 4}))
        << "a weight-shaped residual is stacked:\n"
        << j.to_string();
  }
  EXPECT_FALSE(scans[1]->scan_params().reverse == scans[0]->scan_params().reverse);
  auto [gx, gW] = st::grad(loss, st::argnums<0, 1>)(x, W);
  EXPECT_NO_THROW(st::check_grads(loss, x, W));
}

// How many per-iteration values each policy stacks for W1's layer.
TEST(ScanGrad, PoliciesStackWhatTheySay) {
  const Array x = random_array({4, 6}, F64, 15);
  const Array Ws = random_array({5, 6, 6}, F64, 16);
  const Array bs = random_array({5, 6}, F64, 17);
  auto count = [&](const st::CheckpointPolicy& policy) {
    auto loss = [&](const Array& xx, const Array& W, const Array& b) {
      return st::sum(st::fold(
          [](const Array& c, const std::pair<Array, Array>& wb) {
            return w1_layer(c, wb.first, wb.second);
          },
          xx, std::pair{W, b}, {.checkpoint = policy}));
    };
    const st::Jaxpr j = st::trace(st::grad(loss, st::argnums<1, 2>), x, Ws, bs);
    const auto scans = scans_of(j);  // pointers into j's graph
    EXPECT_EQ(scans.size(), 2u);
    const st::ir::Graph& fwd = scans[0]->body();
    return fwd.outputs().size() - static_cast<size_t>(scans[0]->scan_params().num_carry);
  };
  const size_t all = count(st::CheckpointPolicy::save_all());
  const size_t carries = count(st::CheckpointPolicy::carries_only());
  const size_t named = count(st::CheckpointPolicy::save_names({"pre"}));
  EXPECT_EQ(carries, 1u);  // the layer's input carry only
  EXPECT_EQ(named, 2u);    // plus the named pre-activation
  EXPECT_GE(all, 2u);      // carry plus internals (the relu's inputs/outputs)
}

// A layer norm written as users write it: mean_var's x - mean and the norm's own x - mean are
// two ops in the traced graph but one value.  The forward scan stacks it once: after CSE no two
// stacked residuals compute the same thing (the fused forward body would otherwise write one
// layer's worth of identical rows twice per iteration).
TEST(ScanGrad, ForwardStacksNoResidualTwice) {
  const Array x = random_array({4, 6}, F64, 18);
  const Array Ws = random_array({3, 6, 6}, F64, 19, -0.5, 0.5);
  auto loss = [](const Array& xx, const Array& W) {
    return st::sum(st::fold(
        [](const Array& c, const Array& w) {
          const st::MeanVar mv = st::mean_var(c, {-1});
          const Array normed = (c - mv.mean) * st::rsqrt(mv.var + 1e-5);
          return st::tanh(st::matmul(normed, w)) + c;
        },
        xx, W, {.checkpoint = st::CheckpointPolicy::save_all()}));
  };
  const st::Jaxpr j = st::trace(st::grad(loss, st::argnums<0, 1>), x, Ws);
  const auto scans = scans_of(j);
  ASSERT_EQ(scans.size(), 2u) << j.to_string();
  const st::ir::Graph fwd = st::compile::cse(scans[0]->body());
  const auto nk = static_cast<size_t>(scans[0]->scan_params().num_carry);
  for (size_t a = nk; a < fwd.outputs().size(); ++a) {
    for (size_t b = a + 1; b < fwd.outputs().size(); ++b) {
      EXPECT_NE(fwd.outputs()[a], fwd.outputs()[b])
          << "stacked residuals " << a << " and " << b << " are one value:\n"
          << j.to_string();
    }
  }
  EXPECT_NO_THROW(st::check_grads(loss, x, Ws));
}

// W1 (design §6) at a test-sized width: the loss and its planned forward+backward peak.
int64_t w1_grad_peak(int64_t L, const st::CheckpointPolicy& policy) {
  const Array x = st::ones({8, 32});
  const Array Ws = st::ones({L, 32, 32});
  const Array bs = st::ones({L, 32});
  auto loss = [policy](const Array& xx, const Array& W, const Array& b) {
    return st::sum(st::square(
        st::fold([](const Array& c,
                    const std::pair<Array, Array>& wb) { return w1_layer(c, wb.first, wb.second); },
                 xx, std::pair{W, b}, {.checkpoint = policy})));
  };
  return st::jit(st::grad(loss, st::argnums<1, 2>))
      .lower(x, Ws, bs)
      .compile()
      .stats()
      .planned_peak_bytes;
}

TEST(ScanGrad, PlannedPeakFollowsEachPolicy) {
  const int64_t carry = 8 * 32 * 4;  // one layer's activation (float32)
  const double all16 = static_cast<double>(w1_grad_peak(16, st::CheckpointPolicy::save_all()));
  const double all64 = static_cast<double>(w1_grad_peak(64, st::CheckpointPolicy::save_all()));
  const double car16 = static_cast<double>(w1_grad_peak(16, st::CheckpointPolicy::carries_only()));
  const double car64 = static_cast<double>(w1_grad_peak(64, st::CheckpointPolicy::carries_only()));
  // nested writes its (B, L/B, F, F) weight gradient straight into the (L, F, F) output (the
  // reshape is a view the executor binds to the output), so no arena copy is planned for it.
  auto nested_peak = [](int64_t L) {
    return static_cast<double>(w1_grad_peak(L, st::CheckpointPolicy::nested()));
  };
  const double nest16 = nested_peak(16), nest64 = nested_peak(64);
  // save_all: ~linear in L with per-layer internals (carry + the relu's saved value).
  EXPECT_GT(all64 / all16, 3.0) << all16 << " " << all64;
  EXPECT_GT(all64 - all16, 48 * 2 * carry * 0.9);
  // carries_only: linear with one carry per layer, so about half of save_all's growth.
  EXPECT_GT(car64 / car16, 2.5) << car16 << " " << car64;
  EXPECT_LT(car64 - car16, 0.65 * (all64 - all16));
  EXPECT_GT(car64 - car16, 48 * carry * 0.9);
  // nested: ~2 sqrt(L) carries: 8 + 8 at L = 64, 4 + 4 at L = 16.
  EXPECT_LT(nest64 / nest16, 2.2) << nest16 << " " << nest64;
  EXPECT_LT(nest64 - nest16, 0.5 * (car64 - car16));
  EXPECT_LT(nest64, 0.75 * car64);
}

TEST(ScanGrad, MemoryBudgetPicksTheCheapestScheduleThatFits) {
  const Array x = st::ones({8, 32});
  const Array Ws = st::ones({16, 32, 32});
  const Array bs = st::ones({16, 32});
  auto decision = [&](int64_t budget) {
    auto loss = [budget](const Array& xx, const Array& W, const Array& b) {
      return st::sum(st::fold(
          [](const Array& c, const std::pair<Array, Array>& wb) {
            return w1_layer(c, wb.first, wb.second);
          },
          xx, std::pair{W, b}, {.checkpoint = st::CheckpointPolicy::budget(budget)}));
    };
    const auto stats = st::jit(st::grad(loss, st::argnums<1>)).lower(x, Ws, bs).compile().stats();
    EXPECT_EQ(stats.remat_decisions.size(), 1u);
    return stats.remat_decisions.empty() ? std::string() : stats.remat_decisions[0];
  };
  const int64_t carry = 8 * 32 * 4;
  EXPECT_NE(decision(1 << 30).find("-> save_all"), std::string::npos) << decision(1 << 30);
  EXPECT_NE(decision(17 * carry).find("-> carries_only"), std::string::npos)
      << decision(17 * carry);
  EXPECT_NE(decision(9 * carry).find("-> nested(4 blocks)"), std::string::npos)
      << decision(9 * carry);
  try {
    decision(carry);
    FAIL() << "expected an error";
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("raise the budget to at least"), std::string::npos)
        << e.what();
  }
}

TEST(ScanGradErrors, BadPolicies) {
  EXPECT_THROW(st::fold([](const Array& c, const Array& w) { return c * w; }, st::ones({2}),
                        st::ones({12, 2}), {.checkpoint = st::CheckpointPolicy::nested(5)}),
               st::Error);
  EXPECT_THROW(st::CheckpointPolicy::nested(-1).validate("scan"), st::Error);
  st::CheckpointPolicy both = st::CheckpointPolicy::budget(100);
  both.nested_blocks = 2;
  EXPECT_THROW(both.validate("scan"), st::Error);
  EXPECT_THROW(st::CheckpointPolicy::parse("sometimes"), st::Error);
  st::CheckpointPolicy bad = st::CheckpointPolicy::carries_only();
  bad.names = {"x"};
  EXPECT_THROW(st::fold([](const Array& c, const Array& w) { return c * w; }, st::ones({2}),
                        st::ones({3, 2}), {.checkpoint = bad}),
               st::Error);
  EXPECT_THROW(st::fold([](const Array& c, const Array& w) { return c * w; }, st::ones({2}),
                        st::ones({3, 2}), {.checkpoint = st::CheckpointPolicy::save_names({})}),
               st::Error);
}

// JAX returns zeros when nothing flows back; this used to fail with "scan has no vjp rule".
TEST(ScanGrad, OutputsIndependentOfTheArgumentGiveZeroGradients) {
  const Array xs = random_array({3, 2}, st::DType::Float64, 5);
  auto loss = [](const Array& x) {
    auto [c, ys] = st::scan(
        [](const Array& c, const Array&) {
          return std::pair{c * 2.0, c};
        },
        st::ones({2}, st::DType::Float64), x);
    return st::sum(c) + st::sum(ys);
  };
  EXPECT_EQ(to_doubles(st::grad(loss)(xs)), std::vector<double>(6, 0.0));
  EXPECT_EQ(to_doubles(st::jit(st::grad(loss))(xs)), std::vector<double>(6, 0.0));
  // Only the carry ignores the argument: ys still get their gradient (c = 1, 2, 4 per step).
  auto mixed = [](const Array& x) {
    auto [c, ys] = st::scan(
        [](const Array& c, const Array& xi) {
          return std::pair{c * 2.0, xi * c};
        },
        st::ones({2}, st::DType::Float64), x);
    return st::sum(c) + st::sum(ys);
  };
  EXPECT_EQ(to_doubles(st::grad(mixed)(xs)), (std::vector<double>{1, 1, 2, 2, 4, 4}));
}

}  // namespace
