// The compiled executor's memory plan: outputs that are views of kernel results, the copies it
// still needs, and the working memory kernels report into the planned peak.
#include "compile/executable.h"

#include <gtest/gtest.h>

#include "compile/interp.h"
#include "compile/pipeline.h"
#include "primitives/checkpoint_name.h"
#include "primitives/dot_general.h"
#include "primitives/elementwise.h"
#include "primitives/layout.h"

namespace strata {
namespace {

using ir::Graph;
using ir::ValueId;
using testing::random_array;
using testing::to_doubles;

prim::PrimitivePtr unary(cpu::UnaryOp op) {
  return prim::make<prim::Unary>(op);
}
prim::PrimitivePtr reshape_p(Shape shape) {
  return prim::make<prim::Reshape>(std::move(shape));
}
prim::PrimitivePtr transpose_p(std::vector<int> perm) {
  return prim::make<prim::Transpose>(std::move(perm));
}

// Runs `g` compiled as it is (no passes, so the views under test stay in the graph) and checks
// every output against the graph interpreter.
compile::ExecutableStats run_and_compare(const Graph& g, const std::vector<Array>& inputs) {
  const auto exe = compile::Executable::create(g);
  const std::vector<Array> got = (*exe)(inputs);
  const std::vector<Array> want = testing::run_graph(g, inputs);
  EXPECT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    EXPECT_EQ(got[i].shape(), want[i].shape()) << "output " << i;
    EXPECT_EQ(to_doubles(got[i]), to_doubles(want[i])) << "output " << i;
  }
  return exe->stats();
}

TEST(ExecutableOutputs, ReshapeOfAKernelResultIsWrittenByTheKernel) {
  Graph g;
  const ValueId x = g.add_input({{4, 6}, DType::Float32});
  const ValueId y = g.add_op1(unary(cpu::UnaryOp::Tanh), {x});
  g.set_outputs({g.add_op1(reshape_p({2, 12}), {y})});
  const compile::ExecutableStats s = run_and_compare(g, {random_array({4, 6}, DType::Float32, 1)});
  EXPECT_EQ(s.num_output_copies, 0);
  EXPECT_EQ(s.arena_bytes, 0);  // tanh's result lives in the output, not in the arena
  EXPECT_EQ(s.num_views, 1);
}

// A chain of views that ends dense and in order (two transposes undo each other; the identity
// markers are views too), with the result also read by two later ops.  Its last reader is an
// elementwise op that could run in place over a dying operand: it must not, since that operand
// is now the first output.
TEST(ExecutableOutputs, ChainOfViewsAndIdentityMarkersKeepsTheResultInTheOutput) {
  Graph g;
  const ValueId x = g.add_input({{3, 4}, DType::Float32});
  const ValueId y = g.add_op1(unary(cpu::UnaryOp::Exp), {x});
  const ValueId back = g.add_op1(transpose_p({1, 0}), {g.add_op1(transpose_p({1, 0}), {y})});
  const ValueId flat = g.add_op1(reshape_p({12}), {back});
  const ValueId marked = g.add_op1(prim::make<prim::CheckpointName>("h"),
                                   {g.add_op1(prim::make<prim::StopGradient>(), {flat})});
  const ValueId doubled = g.add_op1(prim::make<prim::Binary>(cpu::BinaryOp::Add), {y, y});
  const ValueId negated = g.add_op1(unary(cpu::UnaryOp::Neg), {y});  // y's last use
  g.set_outputs({marked, doubled, negated});
  const compile::ExecutableStats s = run_and_compare(g, {random_array({3, 4}, DType::Float32, 2)});
  EXPECT_EQ(s.num_output_copies, 0);
  EXPECT_EQ(s.arena_bytes, 0);
  EXPECT_EQ(s.num_in_place, 0);
}

TEST(ExecutableOutputs, ViewsThatAreNotTheWholeResultInOrderAreCopied) {
  const Array in = random_array({4, 6}, DType::Float32, 3);
  {  // a transpose: the same bytes in another order
    Graph g;
    const ValueId y = g.add_op1(unary(cpu::UnaryOp::Tanh), {g.add_input({{4, 6}, DType::Float32})});
    g.set_outputs({g.add_op1(transpose_p({1, 0}), {y})});
    const compile::ExecutableStats s = run_and_compare(g, {in});
    EXPECT_EQ(s.num_output_copies, 1);
    EXPECT_GE(s.arena_bytes, 4 * 6 * 4);
  }
  {  // the first rows only: a dense view of part of the result
    Graph g;
    const ValueId y = g.add_op1(unary(cpu::UnaryOp::Tanh), {g.add_input({{4, 6}, DType::Float32})});
    g.set_outputs({g.add_op1(
        prim::make<prim::StaticSlice>(std::vector<int64_t>{0, 0}, std::vector<int64_t>{2, 6},
                                      std::vector<int64_t>{1, 1}),
        {y})});
    const compile::ExecutableStats s = run_and_compare(g, {in});
    EXPECT_EQ(s.num_output_copies, 1);
    EXPECT_GE(s.arena_bytes, 4 * 6 * 4);
  }
  {  // a reshape of an input: the input is the caller's
    Graph g;
    g.set_outputs({g.add_op1(reshape_p({24}), {g.add_input({{4, 6}, DType::Float32})})});
    EXPECT_EQ(run_and_compare(g, {in}).num_output_copies, 1);
  }
}

TEST(ExecutableOutputs, TwoOutputsOfOneResultCopyOnce) {
  const Array in = random_array({4, 6}, DType::Float32, 4);
  for (const bool view_first : {true, false}) {
    Graph g;
    const ValueId y = g.add_op1(unary(cpu::UnaryOp::Sin), {g.add_input({{4, 6}, DType::Float32})});
    const ValueId flat = g.add_op1(reshape_p({24}), {y});
    const ValueId twice = g.add_op1(reshape_p({6, 4}), {y});
    g.set_outputs(view_first ? std::vector<ValueId>{flat, y, twice}
                             : std::vector<ValueId>{y, flat, twice});
    const compile::ExecutableStats s = run_and_compare(g, {in});
    EXPECT_EQ(s.num_output_copies, 2) << "view first: " << view_first;  // one claims, two copy
    EXPECT_EQ(s.arena_bytes, 0) << "view first: " << view_first;
  }
}

// A scan writes its ys row by row into its result; when the graph returns that result reshaped,
// the rows go straight into the caller's output.  Transposed, they need a copy and the arena.
TEST(ExecutableOutputs, ReshapedScanYsNeedNoArena) {
  constexpr int64_t L = 6;
  const Array h0 = random_array({2, 4}, DType::Float32, 5);
  const Array xs = random_array({L, 2, 4}, DType::Float32, 6);
  for (const bool flat : {true, false}) {
    auto f = [flat](const Array& h, const Array& x) {
      auto [last, ys] = scan(
          [](const Array& c, const Array& row) {
            return std::pair{tanh(c * row + 1.0), c * 2.0};
          },
          h, x);
      return std::pair{last, flat ? reshape(ys, {L * 2, 4}) : transpose(ys, {1, 0, 2})};
    };
    const auto exe = compile::compile(trace(f, h0, xs).graph());
    const std::vector<Array> got = (*exe)({h0, xs});
    const auto [last, ys] = f(h0, xs);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(to_doubles(got[0]), to_doubles(last));
    EXPECT_EQ(got[1].shape(), ys.shape());
    EXPECT_EQ(to_doubles(got[1]), to_doubles(ys));
    const compile::ExecutableStats& s = exe->stats();
    if (flat) {
      EXPECT_EQ(s.num_output_copies, 0);
      EXPECT_EQ(s.arena_bytes, 0);
    } else {
      EXPECT_EQ(s.num_output_copies, 1);
      EXPECT_GE(s.arena_bytes, L * 2 * 4 * 4);
    }
  }
}

// lhs (4, 16, 96) contracted over axes 0 and 2: the two axes are not one stride pattern, so the
// GEMM cannot read lhs as it is and the kernel copies it into a staging array at every run.  That
// array is the kernel's own memory and belongs in the planned peak.  The same contraction on an
// lhs laid out (16, 4, 96), as the staging array is, runs the same GEMM (the same plan and
// scratch) on lhs in place: the difference is the copy.
TEST(ExecutableWorkingMemory, DotGeneralReportsTheOperandCopyItStages) {
  const Array w = random_array({4, 96, 8}, DType::Float32, 8);
  auto product = [&](const Shape& lhs_shape, const Axes& lhs_contract) {
    Graph g;
    const ValueId a = g.add_input({lhs_shape, DType::Float32});
    const ValueId b = g.add_input({{4, 96, 8}, DType::Float32});
    const DotDims dims{lhs_contract, {0, 1}, {}, {}};
    g.set_outputs({g.add_op1(prim::make<prim::DotGeneral>(dims), {a, b})});
    return run_and_compare(g, {random_array(lhs_shape, DType::Float32, 7), w});
  };
  const compile::ExecutableStats staged = product({4, 16, 96}, {0, 2});
  const compile::ExecutableStats direct = product({16, 4, 96}, {1, 2});
  const int64_t copy_bytes = 4 * 16 * 96 * 4;
  EXPECT_EQ(staged.nested_bytes - direct.nested_bytes, copy_bytes);
  EXPECT_EQ(staged.planned_peak_bytes(), staged.arena_bytes + staged.nested_bytes);
  EXPECT_GE(staged.planned_peak_bytes(), copy_bytes);
}

// ---------------------------------------------------------------- in place over views (issue 14)
// An elementwise kernel must not write its result over an operand that another operand of the
// same op reads through a different view: the loop would read elements it has already
// overwritten.  Each program is right eagerly; these shapes are past the fused loop's 1024-element
// tile, where the fault showed under jit.
Array reversed(const Array& x, int axes = 1) {
  std::vector<Slice> specs(static_cast<size_t>(axes), Slice{std::nullopt, std::nullopt, -1});
  return slice(x, specs);
}

TEST(ExecutableInPlace, NeverOverAnOperandReadThroughAnotherView) {
  using Program = std::function<Array(const Array&)>;
  const std::vector<std::tuple<std::string, Shape, Program>> cases{
      {"x * x[::-1]",
       {1100, 1},
       [](const Array& a) {
         const Array x = -a;
         return sum(x * reversed(x), {1});
       }},
      {"x + x[96:97, 3:4]",
       {148, 7},
       [](const Array& a) {
         const Array x = sin(a);
         return sum(x + slice(x, {Slice{96, 97}, Slice{3, 4}}), {0});
       }},
      {"x + x[::-1] (3-d)",
       {131, 2, 4},
       [](const Array& a) {
         const Array x = tanh(a);
         return sum(x + reversed(x), {1});
       }},
      {"x * x[::-1, ::-1]",
       {208, 5},
       [](const Array& a) {
         const Array x = gelu(a);
         return sum(x * reversed(x, 2), {1});
       }},
      {"x * x.T",
       {40, 40},
       [](const Array& a) {
         const Array x = exp(a * 0.1);
         return x * transpose(x);
       }},
  };
  for (const auto& [what, shape, f] : cases) {
    const Array a = random_array(shape, DType::Float64, 11);
    const std::vector<double> eager = to_doubles(f(a));
    EXPECT_EQ(to_doubles(jit(f)(a)), eager) << what;
    // A scan body is compiled the same way: run the program as the body of a one-step scan.
    const auto [carry, ys] = scan(
        [&](const Array& c, const Array& x) {
          return std::pair{c + f(x), c};
        },
        zeros_like(f(a)), expand_dims(a, 0));
    EXPECT_EQ(to_doubles(carry), eager) << what << " (scan body)";
  }
}

TEST(ExecutableInPlace, IdenticalViewsAndPlainOperandsStillRunInPlace) {
  // x * x and (x + 1) * y: the operand dies here and nothing else reads it differently.
  auto f = [](const Array& a, const Array& b) {
    const Array x = exp(a);
    const Array y = x * x + b;
    return sin(y);
  };
  const Array a = random_array({64, 32}, DType::Float32, 3);
  const Array b = random_array({64, 32}, DType::Float32, 4);
  EXPECT_GT(run_and_compare(trace(f, a, b).graph(), {a, b}).num_in_place, 0);
}

}  // namespace
}  // namespace strata
