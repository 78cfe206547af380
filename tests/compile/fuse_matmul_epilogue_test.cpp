#include "compile/fuse_matmul_epilogue.h"

#include "compile/interp.h"
#include "primitives/dot_general.h"
#include "primitives/elementwise.h"
#include "primitives/layout.h"

namespace strata {
namespace {

using ir::Graph;
using ir::ValueId;
using testing::count_ops;
using testing::random_array;

struct Mlp {
  Graph g;
  ValueId x, w, b, dot, add, relu;
};

// y = relu(x . W + b) as ops.h builds it: the bias and relu's weak zero broadcast to the shape.
Mlp mlp_layer(bool with_relu, bool zero_first = false) {
  Mlp m;
  Graph& g = m.g;
  m.x = g.add_input({{6, 8}, DType::Float32});
  m.w = g.add_input({{8, 5}, DType::Float32});
  m.b = g.add_input({{5}, DType::Float32});
  const ValueId zero = g.add_constant(detail::with_weak_type(array<float>({0.0f}, Shape{}), true));
  m.dot = g.add_op1(prim::make<prim::DotGeneral>(DotDims{{1}, {0}, {}, {}}), {m.x, m.w});
  const ValueId bb =
      g.add_op1(prim::make<prim::BroadcastInDim>(Shape{6, 5}, std::vector<int>{1}), {m.b});
  m.add = g.add_op1(prim::make<prim::Binary>(cpu::BinaryOp::Add), {m.dot, bb});
  m.relu = m.add;
  if (with_relu) {
    const ValueId zb =
        g.add_op1(prim::make<prim::BroadcastInDim>(Shape{6, 5}, std::vector<int>{}), {zero});
    const auto max = prim::make<prim::Binary>(cpu::BinaryOp::Max);
    m.relu = zero_first ? g.add_op1(max, {zb, m.add}) : g.add_op1(max, {m.add, zb});
  }
  return m;
}

std::vector<Array> mlp_inputs() {
  return {random_array({6, 8}, DType::Float32, 1), random_array({8, 5}, DType::Float32, 2),
          random_array({5}, DType::Float32, 3)};
}

void expect_close(const Graph& a, const Graph& b) {
  const std::vector<Array> in = mlp_inputs();
  const std::vector<Array> ra = testing::run_graph(a, in), rb = testing::run_graph(b, in);
  ASSERT_EQ(ra.size(), rb.size());
  for (size_t i = 0; i < ra.size(); ++i) {
    const std::vector<double> x = testing::to_doubles(ra[i]), y = testing::to_doubles(rb[i]);
    ASSERT_EQ(x.size(), y.size());
    for (size_t j = 0; j < x.size(); ++j) EXPECT_NEAR(x[j], y[j], 1e-5 * (1 + std::abs(y[j])));
  }
}

TEST(FuseMatmulEpilogue, FusesBiasAndRelu) {
  Mlp m = mlp_layer(true);
  m.g.set_outputs({m.relu});
  const Graph r = compile::fuse_matmul_epilogue(m.g);
  ir::verify(r);
  EXPECT_EQ(r.ops().size(), 1u) << ir::to_string(r);
  EXPECT_EQ(count_ops(r, "dot_general_epilogue"), 1);
  EXPECT_NE(r.ops()[0].primitive->params().find("activation=relu"), std::string::npos);
  expect_close(m.g, r);
}

TEST(FuseMatmulEpilogue, FusesBiasAlone) {
  Mlp m = mlp_layer(false);
  m.g.set_outputs({m.add});
  const Graph r = compile::fuse_matmul_epilogue(m.g);
  ir::verify(r);
  EXPECT_EQ(r.ops().size(), 1u) << ir::to_string(r);
  EXPECT_NE(r.ops()[0].primitive->params().find("activation=none"), std::string::npos);
  expect_close(m.g, r);
}

TEST(FuseMatmulEpilogue, KeepsReluOutWhenTheSumHasAnotherUse) {
  Mlp m = mlp_layer(true);
  m.g.set_outputs({m.relu, m.add});
  const Graph r = compile::fuse_matmul_epilogue(m.g);
  ir::verify(r);
  EXPECT_EQ(count_ops(r, "dot_general_epilogue"), 1);
  EXPECT_EQ(count_ops(r, "max"), 1);
  expect_close(m.g, r);
}

TEST(FuseMatmulEpilogue, RefusesWhenTheProductHasAnotherUse) {
  Mlp m = mlp_layer(true);
  m.g.set_outputs({m.relu, m.dot});
  const Graph r = compile::fuse_matmul_epilogue(m.g);
  ir::verify(r);
  EXPECT_EQ(count_ops(r, "dot_general_epilogue"), 0);
  EXPECT_EQ(count_ops(r, "dot_general"), 1);
  EXPECT_EQ(r.ops().size(), m.g.ops().size());
}

TEST(FuseMatmulEpilogue, RefusesZeroFirstMaximum) {
  Mlp m = mlp_layer(true, /*zero_first=*/true);
  m.g.set_outputs({m.relu});
  const Graph r = compile::fuse_matmul_epilogue(m.g);
  ir::verify(r);
  EXPECT_EQ(count_ops(r, "dot_general_epilogue"), 1);  // the bias still fuses
  EXPECT_EQ(count_ops(r, "max"), 1);
  expect_close(m.g, r);
}

TEST(FuseMatmulEpilogue, RefusesBiasAlongAnotherAxis) {
  Graph g;
  const ValueId x = g.add_input({{5, 8}, DType::Float32});
  const ValueId w = g.add_input({{8, 5}, DType::Float32});
  const ValueId b = g.add_input({{5}, DType::Float32});
  const ValueId d = g.add_op1(prim::make<prim::DotGeneral>(DotDims{{1}, {0}, {}, {}}), {x, w});
  const ValueId bb =
      g.add_op1(prim::make<prim::BroadcastInDim>(Shape{5, 5}, std::vector<int>{0}), {b});
  g.set_outputs({g.add_op1(prim::make<prim::Binary>(cpu::BinaryOp::Add), {d, bb})});
  const Graph r = compile::fuse_matmul_epilogue(g);
  ir::verify(r);
  EXPECT_EQ(count_ops(r, "dot_general_epilogue"), 0);
}

}  // namespace
}  // namespace strata
