// checkpoint(f, policy): same values and gradients as f, with f's internals recomputed in the
// backward pass except what the policy saves.
#include <gtest/gtest.h>

#include "ir/graph.h"
#include "primitives/remat.h"
#include "strata/check_grads.h"
#include "test_util.h"

namespace st = strata;
using st::Array;
using st::testing::random_array;
using st::testing::to_doubles;

namespace {

constexpr auto F64 = st::DType::Float64;

Array block(const Array& x, const Array& W) {
  const Array h = st::checkpoint_name(st::tanh(st::matmul(x, W)), "h");
  return st::sin(st::matmul(h, W)) + x;
}

// Residuals the forward checkpoint op returns besides f's outputs.
size_t saved_values(const st::Jaxpr& j) {
  for (const st::ir::Op& op : j.graph().ops()) {
    if (dynamic_cast<const st::prim::Remat*>(op.primitive.get())) return op.results.size() - 1;
  }
  ADD_FAILURE() << "no checkpoint op in\n" << j.to_string();
  return 0;
}

TEST(Checkpoint, GradientsEqualTheUncheckpointedFunction) {
  const Array x = random_array({3, 4}, F64, 1);
  const Array W = random_array({4, 4}, F64, 2, -0.5, 0.5);
  auto plain = [](const Array& a, const Array& w) { return st::sum(block(block(a, w), w)); };
  auto [ex, eW] = st::grad(plain, st::argnums<0, 1>)(x, W);
  for (const auto& policy : {st::CheckpointPolicy::carries_only(), st::CheckpointPolicy::save_all(),
                             st::CheckpointPolicy::save_names({"h"})}) {
    auto remat = [policy](const Array& a, const Array& w) {
      auto blk = st::checkpoint([](const Array& y, const Array& v) { return block(y, v); }, policy);
      return st::sum(blk(blk(a, w), w));
    };
    auto [gx, gW] = st::grad(remat, st::argnums<0, 1>)(x, W);
    // W feeds both blocks: its cotangent sums the same terms in another order (per block
    // first), so it agrees to rounding; x's cotangent is the same arithmetic, bit for bit.
    EXPECT_EQ(to_doubles(gx), to_doubles(ex));
    st::testing::expect_arrays_close(gW, eW, 1e-12);
    auto [jx, jW] = st::jit(st::grad(remat, st::argnums<0, 1>))(x, W);
    st::testing::expect_arrays_close(jW, eW, 1e-12);
    EXPECT_EQ(remat(x, W).item<double>(), plain(x, W).item<double>());
  }
  EXPECT_NO_THROW(st::check_grads(
      [](const Array& a, const Array& w) { return st::sum(st::checkpoint(block)(a, w)); }, x, W));
}

TEST(Checkpoint, PolicyDecidesWhatTheForwardSaves) {
  const Array x = random_array({3, 4}, F64, 3);
  const Array W = random_array({4, 4}, F64, 4);
  auto saved = [&](const st::CheckpointPolicy& policy) {
    auto loss = [policy](const Array& a, const Array& w) {
      return st::sum(st::checkpoint(block, policy)(a, w));
    };
    return saved_values(st::trace(st::grad(loss, st::argnums<1>), x, W));
  };
  EXPECT_EQ(saved(st::CheckpointPolicy::carries_only()), 0u);  // only the inputs, held anyway
  EXPECT_EQ(saved(st::CheckpointPolicy::save_names({"h"})), 1u);
  EXPECT_GE(saved(st::CheckpointPolicy::save_all()), 2u);
}

TEST(CheckpointErrors, LoopSchedulesBelongToScan) {
  auto f = st::checkpoint([](const Array& a) { return a * 2.0; }, st::CheckpointPolicy::nested());
  try {
    f(st::ones({2}));
    FAIL() << "expected an error";
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[checkpoint]"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, OutputIndependentOfTheInputGivesZeroGradient) {
  auto loss = [](const Array& x) {
    const auto constant = [](const Array&) { return st::ones({2}, st::DType::Float64); };
    return st::sum(st::checkpoint(constant)(x)) + st::sum(x);
  };
  const Array x = random_array({2}, st::DType::Float64, 1);
  EXPECT_EQ(to_doubles(st::grad(loss)(x)), (std::vector<double>{1, 1}));
  EXPECT_EQ(to_doubles(st::jit(st::grad(loss))(x)), (std::vector<double>{1, 1}));
}

}  // namespace
