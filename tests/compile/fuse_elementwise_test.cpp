// Elementwise fusion: grouping (counts and kinds of the ops left), convexity around other ops,
// multi-output groups, the printed program, and results bit-identical to the unfused graph.
#include "compile/fuse_elementwise.h"

#include <bit>
#include <cstring>

#include "primitives/elementwise.h"
#include "primitives/fused_elementwise.h"
#include "primitives/layout.h"
#include "test_util.h"

namespace strata {
namespace {

using cpu::BinaryOp;
using cpu::CompareOp;
using cpu::UnaryOp;
using ir::Graph;
using ir::ValueId;
using prim::ValueType;

prim::PrimitivePtr unary(UnaryOp op) {
  return prim::make<prim::Unary>(op);
}
prim::PrimitivePtr binary(BinaryOp op) {
  return prim::make<prim::Binary>(op);
}
prim::PrimitivePtr broadcast(Shape shape, std::vector<int> dims) {
  return prim::make<prim::BroadcastInDim>(std::move(shape), std::move(dims));
}

// The reference evaluator: every op bound on concrete arrays, one after the other.
std::vector<Array> run(const Graph& g, const std::vector<Array>& inputs) {
  std::vector<Array> env(static_cast<size_t>(g.num_values()));
  for (const auto& [v, a] : g.constants()) env[static_cast<size_t>(v)] = a;
  for (size_t i = 0; i < inputs.size(); ++i) env[static_cast<size_t>(g.inputs()[i])] = inputs[i];
  for (const ir::Op& op : g.ops()) {
    std::vector<Array> args;
    for (ValueId v : op.operands) args.push_back(env[static_cast<size_t>(v)]);
    std::vector<Array> results = prim::bind(op.primitive, args);
    for (size_t k = 0; k < results.size(); ++k)
      env[static_cast<size_t>(op.results[k])] = results[k];
  }
  std::vector<Array> out;
  for (ValueId v : g.outputs()) out.push_back(env[static_cast<size_t>(v)]);
  return out;
}

std::vector<std::string> op_names(const Graph& g) {
  std::vector<std::string> names;
  for (const ir::Op& op : g.ops()) names.emplace_back(op.primitive->name());
  return names;
}

// Same dtype, shape and bits (NaNs included) in every element.
void expect_bit_identical(const std::vector<Array>& got, const std::vector<Array>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_EQ(got[k].dtype(), want[k].dtype()) << "output " << k;
    ASSERT_EQ(got[k].shape(), want[k].shape()) << "output " << k;
    const std::vector<double> a = testing::to_doubles(got[k]);
    const std::vector<double> b = testing::to_doubles(want[k]);
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint64_t>(a[i]), std::bit_cast<uint64_t>(b[i]))
          << "output " << k << " element " << i << ": " << a[i] << " vs " << b[i];
    }
  }
}

// Fuses g, checks the result verifies and agrees bit for bit with g; returns the fused graph.
Graph fuse_and_compare(const Graph& g, const std::vector<Array>& inputs) {
  ir::verify(g);
  Graph fused = compile::fuse_elementwise(g);
  ir::verify(fused);
  expect_bit_identical(run(fused, inputs), run(g, inputs));
  return fused;
}

// relu(x + bias) * tanh(x) - x / 3: five elementwise ops, a broadcast [F] bias and two broadcast
// 0-d constants.
Graph bias_chain(Shape shape, DType dtype) {
  Graph g;
  const ValueId zero = g.add_constant(astype(array(std::vector<double>{0.0}, {}), dtype));
  const ValueId three = g.add_constant(astype(array(std::vector<double>{3.0}, {}), dtype));
  const ValueId x = g.add_input({shape, dtype});
  const int rank = static_cast<int>(shape.size());
  Shape bias_shape;
  std::vector<int> bias_dims;
  if (rank > 0) {
    bias_shape = {shape.back()};
    bias_dims = {rank - 1};
  }
  const ValueId bias = g.add_input({bias_shape, dtype});
  const ValueId b = g.add_op1(broadcast(shape, bias_dims), {bias});
  const ValueId z = g.add_op1(broadcast(shape, {}), {zero});
  const ValueId t = g.add_op1(broadcast(shape, {}), {three});
  const ValueId d = g.add_op1(binary(BinaryOp::Add), {x, b});
  const ValueId e = g.add_op1(binary(BinaryOp::Max), {d, z});
  const ValueId f = g.add_op1(unary(UnaryOp::Tanh), {x});
  const ValueId h = g.add_op1(binary(BinaryOp::Mul), {e, f});
  const ValueId q = g.add_op1(binary(BinaryOp::Div), {x, t});
  g.set_outputs({g.add_op1(binary(BinaryOp::Sub), {h, q})});
  return g;
}

TEST(FuseElementwise, ChainOfFiveWithBroadcastsBecomesOneOp) {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Shape& shape :
         {Shape{}, Shape{1}, Shape{7}, Shape{3, 5}, Shape{1000003, 1}, Shape{1009, 991}}) {
      SCOPED_TRACE(to_string(shape));
      const Graph g = bias_chain(shape, dtype);
      const Array bias =
          testing::random_array(shape.empty() ? Shape{} : Shape{shape.back()}, dtype, 2);
      const Graph fused = fuse_and_compare(g, {testing::random_array(shape, dtype, 1), bias});
      EXPECT_EQ(op_names(fused), std::vector<std::string>{"fused_elementwise"});
    }
  }
}

TEST(FuseElementwise, BroadcastInputsAreReadInPlaceNotMaterialised) {
  const Graph fused = compile::fuse_elementwise(bias_chain({4, 3}, DType::Float32));
  ASSERT_EQ(fused.ops().size(), 1u);
  const auto& p = dynamic_cast<const prim::FusedElementwise&>(*fused.ops()[0].primitive);
  // x, the [3] bias on axis 1, and the two 0-d constants.
  ASSERT_EQ(p.inputs().size(), 4u);
  EXPECT_EQ(p.inputs()[1].shape, Shape{3});
  EXPECT_EQ(p.inputs()[1].broadcast_dimensions, std::vector<int>{1});
  EXPECT_EQ(p.params(),
            "shape=(4, 3) inputs=(f32[4,3], f32[3]->(1,), f32[]->(), f32[]->()) program={t0 = add "
            "x0 x1; t1 = max t0 x2; t2 = tanh x0; t3 = mul t1 t2; t4 = div x0 x3; t5 = sub t3 "
            "t4} outputs=(t5)");
}

TEST(FuseElementwise, IdenticalFusionsAreCseEquivalent) {
  const Graph a = compile::fuse_elementwise(bias_chain({4, 3}, DType::Float32));
  const Graph b = compile::fuse_elementwise(bias_chain({4, 3}, DType::Float32));
  const Graph c = compile::fuse_elementwise(bias_chain({4, 3}, DType::Float64));
  EXPECT_TRUE(a.ops()[0].primitive->is_equivalent(*b.ops()[0].primitive));
  EXPECT_FALSE(a.ops()[0].primitive->is_equivalent(*c.ops()[0].primitive));
  EXPECT_EQ(ir::to_string(a), ir::to_string(b));
}

TEST(FuseElementwise, CompareSelectChainWithBoolOutput) {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (int64_t n : {1, 7, 1000003}) {
      Graph g;
      const ValueId x = g.add_input({{n}, dtype});
      const ValueId y = g.add_input({{n}, dtype});
      const ValueId gt = g.add_op1(prim::make<prim::Compare>(CompareOp::Gt), {x, y});
      const ValueId ny = g.add_op1(unary(UnaryOp::Neg), {y});
      const ValueId s = g.add_op1(prim::make<prim::Select>(), {gt, x, ny});
      const ValueId e = g.add_op1(unary(UnaryOp::Exp), {s});
      const ValueId w = g.add_op1(prim::make<prim::Convert>(DType::Float64, false), {e});
      const ValueId l = g.add_op1(prim::make<prim::Compare>(CompareOp::Le), {w, w});
      const ValueId nl = g.add_op1(unary(UnaryOp::Not), {l});
      g.set_outputs({w, gt, nl});
      const Graph fused = fuse_and_compare(
          g, {testing::random_array({n}, dtype, 3), testing::random_array({n}, dtype, 4)});
      EXPECT_EQ(op_names(fused), std::vector<std::string>{"fused_elementwise"});
      EXPECT_EQ(fused.ops()[0].results.size(), 3u);  // w, gt and nl all leave the group
    }
  }
}

TEST(FuseElementwise, ValuesUsedOutsideStayAvailable) {
  // a and b feed a transpose after the group is complete: both become fused outputs.
  Graph g;
  const ValueId x = g.add_input({{5, 5}, DType::Float32});
  const ValueId a = g.add_op1(binary(BinaryOp::Mul), {x, x});
  const ValueId b = g.add_op1(unary(UnaryOp::Sqrt), {a});
  const ValueId c = g.add_op1(binary(BinaryOp::Add), {b, x});
  const ValueId t = g.add_op1(prim::make<prim::Transpose>(std::vector<int>{1, 0}), {b});
  const ValueId ta = g.add_op1(prim::make<prim::Transpose>(std::vector<int>{1, 0}), {a});
  g.set_outputs({c, t, ta});
  const Graph fused = fuse_and_compare(g, {testing::random_array({5, 5}, DType::Float32, 5)});
  EXPECT_EQ(op_names(fused),
            (std::vector<std::string>{"fused_elementwise", "transpose", "transpose"}));
  EXPECT_EQ(fused.ops()[0].results.size(), 3u);
}

TEST(FuseElementwise, OtherOpsBreakGroupsWithoutCycles) {
  // y = transpose(sqrt(x*x)) sits between the two halves, and the second half reads it: fusing
  // across it would create a cycle, so two groups remain.
  Graph g;
  const ValueId x = g.add_input({{4, 4}, DType::Float64});
  const ValueId a = g.add_op1(binary(BinaryOp::Mul), {x, x});
  const ValueId b = g.add_op1(unary(UnaryOp::Sqrt), {a});
  const ValueId t = g.add_op1(prim::make<prim::Transpose>(std::vector<int>{1, 0}), {b});
  const ValueId c = g.add_op1(binary(BinaryOp::Add), {b, t});
  const ValueId d = g.add_op1(unary(UnaryOp::Log1p), {c});
  // A different shape never joins: the reshape and its consumer stay apart.
  const ValueId r = g.add_op1(prim::make<prim::Reshape>(Shape{16}), {d});
  const ValueId e = g.add_op1(unary(UnaryOp::Cos), {r});
  g.set_outputs({e});
  const Graph fused = fuse_and_compare(g, {testing::random_array({4, 4}, DType::Float64, 6)});
  EXPECT_EQ(op_names(fused), (std::vector<std::string>{"fused_elementwise", "transpose",
                                                       "fused_elementwise", "reshape", "cos"}));
}

TEST(FuseElementwise, SingleOpsAndUnfusedDtypesStayAsTheyAre) {
  Graph g;
  const ValueId x = g.add_input({{6}, DType::Int32});
  const ValueId a = g.add_op1(binary(BinaryOp::Add), {x, x});
  const ValueId b = g.add_op1(binary(BinaryOp::Mul), {a, x});
  const ValueId f = g.add_op1(prim::make<prim::Convert>(DType::Float32, false), {b});
  const ValueId e = g.add_op1(unary(UnaryOp::Exp), {f});
  g.set_outputs({e});
  const Graph fused = fuse_and_compare(g, {testing::random_array({6}, DType::Int32, 7, -9, 9)});
  EXPECT_EQ(op_names(fused), (std::vector<std::string>{"add", "mul", "convert", "exp"}));
}

TEST(FuseElementwise, BroadcastUsedElsewhereIsKept) {
  Graph g;
  const ValueId x = g.add_input({{2, 3}, DType::Float32});
  const ValueId v = g.add_input({{3}, DType::Float32});
  const ValueId b = g.add_op1(broadcast({2, 3}, {1}), {v});
  const ValueId a = g.add_op1(binary(BinaryOp::Add), {x, b});
  const ValueId m = g.add_op1(binary(BinaryOp::Min), {a, x});
  g.set_outputs({m, b});
  const Graph fused = fuse_and_compare(g, {testing::random_array({2, 3}, DType::Float32, 8),
                                           testing::random_array({3}, DType::Float32, 9)});
  EXPECT_EQ(op_names(fused), (std::vector<std::string>{"broadcast_in_dim", "fused_elementwise"}));
}

TEST(FuseElementwise, DeepChainsNeedNoRecursion) {
  Graph g;
  ValueId v = g.add_input({{3}, DType::Float32});
  for (int i = 0; i < 20000; ++i) v = g.add_op1(unary(i % 2 ? UnaryOp::Neg : UnaryOp::Abs), {v});
  g.set_outputs({v});
  const Graph fused = fuse_and_compare(g, {testing::random_array({3}, DType::Float32, 10)});
  EXPECT_EQ(fused.ops().size(), 1u);
}

TEST(FuseElementwise, DeadGroupsAreDropped) {
  Graph g;
  const ValueId x = g.add_input({{3}, DType::Float32});
  const ValueId a = g.add_op1(unary(UnaryOp::Exp), {x});
  g.add_op1(unary(UnaryOp::Log), {a});  // read by nothing
  g.set_outputs({x});
  const Graph fused = fuse_and_compare(g, {testing::random_array({3}, DType::Float32, 12)});
  EXPECT_TRUE(fused.ops().empty());
}

TEST(FusedElementwise, RejectsBadPrograms) {
  using prim::FusedElementwise;
  using prim::FusedInput;
  using prim::FusedStep;
  const FusedInput f32x3{{3}, DType::Float32, {0}};
  EXPECT_STRATA_ERROR(
      FusedElementwise({2, 3}, {{{4}, DType::Float32, {1}}}, {{unary(UnaryOp::Exp), {0}}}, {0}),
      "[fused_elementwise]", "cannot be broadcast");
  EXPECT_STRATA_ERROR(FusedElementwise({3}, {f32x3}, {{unary(UnaryOp::Exp), {1}}}, {0}),
                      "[fused_elementwise]", "earlier step");
  EXPECT_STRATA_ERROR(
      FusedElementwise({3}, {f32x3}, {{prim::make<prim::Transpose>(std::vector<int>{0}), {0}}},
                       {0}),
      "[fused_elementwise]", "not an elementwise primitive");
  EXPECT_STRATA_ERROR(
      FusedElementwise({3}, {{{3}, DType::Int32, {0}}}, {{unary(UnaryOp::Neg), {0}}}, {0}),
      "[fused_elementwise]", "only float32, float64 and bool");
  const FusedElementwise ok({3}, {f32x3}, {{unary(UnaryOp::Exp), {0}}}, {0});
  EXPECT_STRATA_ERROR(ok.infer({ValueType{{4}, DType::Float32}}), "[fused_elementwise]",
                      "input 0 must be f32[3]");
}

TEST(FusedElementwise, StridedInputsAndRepeatedOutputs) {
  // A transposed view as input, and one step named as two outputs.
  const Array x = testing::random_array({37, 29}, DType::Float64, 11);
  const Array xt = transpose(x);
  const prim::FusedElementwise p({29, 37}, {{{29, 37}, DType::Float64, {0, 1}}},
                                 {{unary(UnaryOp::Sin), {0}}, {binary(BinaryOp::Pow), {1, 0}}},
                                 {1, 1, 0});
  const std::vector<Array> got = p.eval_eager({xt});
  const Array s = prim::bind1(unary(UnaryOp::Sin), {xt});
  const Array w = prim::bind1(binary(BinaryOp::Pow), {s, xt});
  expect_bit_identical(got, {w, w, s});
}

TEST(FusedElementwise, PreparedKernelRunsAtAnyThreadCount) {
  // One prepared kernel, run on fresh data at 1, 3 and 2 threads: each chunk has its own
  // scratch (regrown when the thread count rises; the transposed input is gathered there), and
  // results never depend on the split.
  const prim::FusedElementwise p(
      {300, 257}, {{{300, 257}, DType::Float64, {0, 1}}, {{257}, DType::Float64, {1}}},
      {{unary(UnaryOp::Sin), {0}}, {binary(BinaryOp::Mul), {2, 1}}, {unary(UnaryOp::Exp), {3}}},
      {2, 0});
  const auto layout = [](uint32_t seed) {
    return std::vector<Array>{transpose(testing::random_array({257, 300}, DType::Float64, seed)),
                              testing::random_array({257}, DType::Float64, seed + 1)};
  };
  const prim::Primitive::Kernel k = p.prepare(
      layout(0), {ValueType{{300, 257}, DType::Float64}, ValueType{{300, 257}, DType::Float64}});
  const int saved = num_threads();
  for (int threads : {1, 3, 2}) {
    set_num_threads(threads);
    const std::vector<Array> in = layout(static_cast<uint32_t>(10 * threads));
    const std::vector<Array> out = {detail::empty({300, 257}, DType::Float64),
                                    detail::empty({300, 257}, DType::Float64)};
    k(in, out);
    const Array s = prim::bind1(unary(UnaryOp::Sin), {in[0]});
    const Array row = broadcast_to(in[1], {300, 257});
    const Array e =
        prim::bind1(unary(UnaryOp::Exp), {prim::bind1(binary(BinaryOp::Mul), {s, row})});
    expect_bit_identical(out, {e, s});
  }
  set_num_threads(saved);
}

}  // namespace
}  // namespace strata
