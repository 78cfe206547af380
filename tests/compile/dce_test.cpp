#include "compile/dce.h"

#include "compile/executable.h"
#include "compile/interp.h"
#include "primitives/elementwise.h"
#include "primitives/layout.h"
#include "primitives/scan.h"

namespace strata {
namespace {

using ir::Graph;
using ir::ValueId;
using testing::count_ops;

const prim::ValueType kF32x3{{3}, DType::Float32};

prim::PrimitivePtr unary(cpu::UnaryOp op) {
  return prim::make<prim::Unary>(op);
}

TEST(Dce, RemovesDeadChainsKeepsUsedOnesAndInputs) {
  Graph g;
  const ValueId x = g.add_input(kF32x3);
  const ValueId unused_input = g.add_input(kF32x3);
  const ValueId c = g.add_constant(array<float>({1, 2, 3}));
  const ValueId dead_c = g.add_constant(array<float>({4, 5, 6}));
  const ValueId live = g.add_op1(unary(cpu::UnaryOp::Tanh), {x});
  const ValueId out = g.add_op1(prim::make<prim::Binary>(cpu::BinaryOp::Add), {live, c});
  // A dead chain of three, reading a live value and a dead constant.
  const ValueId d1 = g.add_op1(unary(cpu::UnaryOp::Exp), {live});
  const ValueId d2 = g.add_op1(prim::make<prim::Binary>(cpu::BinaryOp::Mul), {d1, dead_c});
  g.add_op1(unary(cpu::UnaryOp::Neg), {d2});
  g.set_outputs({out});
  (void)unused_input;

  const Graph r = compile::dce(g);
  ir::verify(r);
  EXPECT_EQ(r.ops().size(), 2u);
  EXPECT_EQ(count_ops(r, "tanh"), 1);
  EXPECT_EQ(count_ops(r, "add"), 1);
  EXPECT_EQ(r.inputs().size(), 2u);
  EXPECT_EQ(r.constants().size(), 1u);
  const std::vector<Array> in = {array<float>({0.5f, -1, 2}), array<float>({0, 0, 0})};
  testing::expect_same_results(g, r, in);
}

TEST(Dce, KeepsEverythingLiveAndHandlesAnInputOutput) {
  Graph g;
  const ValueId x = g.add_input(kF32x3);
  const ValueId y = g.add_op1(unary(cpu::UnaryOp::Neg), {x});
  g.set_outputs({y, x, y});
  const Graph r = compile::dce(g);
  ir::verify(r);
  EXPECT_EQ(r.ops().size(), 1u);
  EXPECT_EQ(r.outputs().size(), 3u);
  EXPECT_EQ(r.outputs()[0], r.outputs()[2]);
  EXPECT_EQ(r.outputs()[1], r.inputs()[0]);
}

TEST(Dce, LongDeadChainNeedsNoRecursion) {
  Graph g;
  const ValueId x = g.add_input(kF32x3);
  ValueId v = x;
  for (int i = 0; i < 100000; ++i) v = g.add_op1(unary(cpu::UnaryOp::Neg), {v});
  g.set_outputs({x});
  const Graph r = compile::dce(g);
  ir::verify(r);
  EXPECT_TRUE(r.ops().empty());
}

// A scan with two ys of which the graph reads one: dce keeps the scan (and its carry) but drops
// the unread ys from the op and from its body, with the body op only that ys needed.  The
// executor then gives the dropped ys no stacked buffer.
TEST(Dce, DropsTheUnreadYsOfAScan) {
  auto f = [](const Array& h0, const Array& xs) {
    auto [h, ys] = scan(
        [](const Array& c, const Array& x) {
          return std::pair{c * x + 1.0, std::pair{tanh(c), exp(x)}};
        },
        h0, xs);
    return std::pair{h, ys.first};
  };
  const Array h0 = testing::random_array({3}, DType::Float32, 1);
  const Array xs = testing::random_array({5, 3}, DType::Float32, 2);
  // As traced, the scan still stacks the exp ys, which nothing reads.
  const Graph traced = trace(f, h0, xs).graph();
  ASSERT_EQ(traced.outputs().size(), 2u);
  const Graph r = compile::dce(traced);
  ir::verify(r);
  ASSERT_EQ(count_ops(r, "scan"), 1);
  const ir::Op& op = r.ops().back();
  const auto& scan = dynamic_cast<const prim::Scan&>(*op.primitive);
  EXPECT_EQ(op.results.size(), 2u);  // carry and the tanh ys
  EXPECT_EQ(scan.body().outputs().size(), 2u);
  EXPECT_EQ(count_ops(scan.body(), "exp"), 0);
  EXPECT_EQ(count_ops(scan.body(), "tanh"), 1);
  testing::expect_same_results(traced, r, {h0, xs});
  EXPECT_EQ(compile::Executable::create(r)->stats().arena_bytes, 0);
  EXPECT_GE(compile::Executable::create(traced)->stats().arena_bytes, 5 * 3 * 4);
}

}  // namespace
}  // namespace strata
