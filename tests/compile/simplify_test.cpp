#include "compile/simplify.h"

#include "compile/interp.h"
#include "primitives/dot_general.h"
#include "primitives/elementwise.h"
#include "primitives/layout.h"

namespace strata {
namespace {

using ir::Graph;
using ir::ValueId;
using prim::ValueType;
using testing::count_ops;
using testing::random_array;

prim::PrimitivePtr transpose_p(std::vector<int> perm) {
  return prim::make<prim::Transpose>(std::move(perm));
}
prim::PrimitivePtr bcast_p(Shape shape, std::vector<int> dims) {
  return prim::make<prim::BroadcastInDim>(std::move(shape), std::move(dims));
}
prim::PrimitivePtr neg_p() {
  return prim::make<prim::Unary>(cpu::UnaryOp::Neg);
}

// Simplifies, verifies, and checks the results are unchanged on random inputs.
Graph simplified(const Graph& g) {
  Graph r = compile::simplify(g);
  ir::verify(r);
  std::vector<Array> in;
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    const ValueType& t = g.type(g.inputs()[i]);
    in.push_back(random_array(t.shape, t.dtype, static_cast<uint32_t>(10 + i)));
  }
  testing::expect_same_results(g, r, in);
  return r;
}

TEST(Simplify, ReshapeChainsCollapseAndNoOpReshapesGo) {
  Graph g;
  const ValueId x = g.add_input({{2, 3}, DType::Float32});
  const ValueId a = g.add_op1(prim::make<prim::Reshape>(Shape{3, 2}), {x});
  const ValueId b = g.add_op1(prim::make<prim::Reshape>(Shape{6}), {a});
  const ValueId c = g.add_op1(prim::make<prim::Reshape>(Shape{1, 6}), {b});
  const ValueId same = g.add_op1(prim::make<prim::Reshape>(Shape{2, 3}), {x});
  const ValueId back = g.add_op1(prim::make<prim::Reshape>(Shape{2, 3}), {a});
  g.set_outputs({c, same, back});
  const Graph r = simplified(g);
  EXPECT_EQ(count_ops(r, "reshape"), 1);
  EXPECT_EQ(r.outputs()[1], r.inputs()[0]);
  EXPECT_EQ(r.outputs()[2], r.inputs()[0]);  // reshape back to the original shape
}

TEST(Simplify, TransposeChainsComposeAndIdentitiesGo) {
  Graph g;
  const ValueId x = g.add_input({{2, 3, 4}, DType::Float32});
  const ValueId t1 = g.add_op1(transpose_p({1, 2, 0}), {x});
  const ValueId t2 = g.add_op1(transpose_p({2, 0, 1}), {t1});  // composes to the identity
  const ValueId t3 = g.add_op1(transpose_p({1, 0, 2}), {t1});  // composes to (2, 1, 0)
  const ValueId t4 = g.add_op1(transpose_p({0, 1, 2}), {x});
  const ValueId n = g.add_op1(neg_p(), {t3});
  g.set_outputs({t2, n, t4});
  const Graph r = simplified(g);
  EXPECT_EQ(count_ops(r, "transpose"), 1);
  EXPECT_EQ(r.outputs()[0], r.inputs()[0]);
  EXPECT_EQ(r.outputs()[2], r.inputs()[0]);
}

TEST(Simplify, BroadcastChainsComposeAndIdentitiesGo) {
  Graph g;
  const ValueId x = g.add_input({{3}, DType::Float32});
  const ValueId y = g.add_input({{2, 3}, DType::Float32});
  const ValueId b1 = g.add_op1(bcast_p({2, 3}, {1}), {x});
  const ValueId b2 = g.add_op1(bcast_p({4, 2, 3}, {1, 2}), {b1});
  const ValueId same = g.add_op1(bcast_p({2, 3}, {0, 1}), {y});
  const ValueId s = g.add_op1(prim::make<prim::Binary>(cpu::BinaryOp::Add), {same, b1});
  g.set_outputs({b2, s});
  const Graph r = simplified(g);
  EXPECT_EQ(count_ops(r, "broadcast_in_dim"), 2);  // b1 (still used) and x -> (4, 2, 3)
  for (const ir::Op& op : r.ops()) {
    if (r.type(op.results[0]).shape == Shape{4, 2, 3}) {
      EXPECT_EQ(op.operands[0], r.inputs()[0]);
      EXPECT_EQ(op.primitive->params(), "shape=(4, 2, 3) broadcast_dimensions=(2,)");
    }
  }
}

TEST(Simplify, ConvertToTheSameTypeGoesOtherConvertsStay) {
  Graph g;
  const ValueId x = g.add_input({{3}, DType::Float32});
  const ValueId same = g.add_op1(prim::make<prim::Convert>(DType::Float32, false), {x});
  const ValueId weak = g.add_op1(prim::make<prim::Convert>(DType::Float32, true), {x});
  const ValueId wide = g.add_op1(prim::make<prim::Convert>(DType::Float64, false), {x});
  g.set_outputs({same, weak, wide});
  const Graph r = simplified(g);
  EXPECT_EQ(count_ops(r, "convert"), 2);
  EXPECT_EQ(r.outputs()[0], r.inputs()[0]);
}

TEST(Simplify, TransposesFoldIntoDotGeneral) {
  Graph g;
  const ValueId xt = g.add_input({{5, 4}, DType::Float32});     // x^T, x is [4, 5]
  const ValueId w = g.add_input({{6, 5}, DType::Float32});      // W^T, W is [5, 6]
  const ValueId xb = g.add_input({{4, 3, 5}, DType::Float32});  // [m, batch, k]
  const ValueId wb = g.add_input({{3, 5, 6}, DType::Float32});
  const ValueId x = g.add_op1(transpose_p({1, 0}), {xt});
  const ValueId wt = g.add_op1(transpose_p({1, 0}), {w});
  const ValueId d = g.add_op1(prim::make<prim::DotGeneral>(DotDims{{1}, {0}, {}, {}}), {x, wt});
  const ValueId bx = g.add_op1(transpose_p({1, 0, 2}), {xb});  // [batch, m, k]
  const ValueId db = g.add_op1(prim::make<prim::DotGeneral>(DotDims{{2}, {1}, {0}, {0}}), {bx, wb});
  g.set_outputs({d, db});
  const Graph r = simplified(g);
  EXPECT_EQ(count_ops(r, "transpose"), 0);
  EXPECT_EQ(count_ops(r, "dot_general"), 2);
}

TEST(Simplify, TransposeThatReordersFreeAxesIsNotFolded) {
  Graph g;
  const ValueId x = g.add_input({{2, 3, 5}, DType::Float32});
  const ValueId w = g.add_input({{5, 4}, DType::Float32});
  const ValueId t = g.add_op1(transpose_p({1, 0, 2}), {x});  // free axes swap order
  const ValueId d = g.add_op1(prim::make<prim::DotGeneral>(DotDims{{2}, {0}, {}, {}}), {t, w});
  g.set_outputs({d});
  const Graph r = simplified(g);
  EXPECT_EQ(count_ops(r, "transpose"), 1);
}

}  // namespace
}  // namespace strata
