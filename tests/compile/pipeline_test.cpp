// The whole optimisation pipeline on the graphs users write: a W1 layer body becomes one fused
// GEMM with bias and relu; an MLP forward under jit keeps its numbers.
#include <gtest/gtest.h>

#include "compile/pipeline.h"
#include "primitives/scan.h"
#include "test_util.h"

namespace st = strata;
using st::Array;

namespace {

struct Layer {
  Array w, b;
};
STRATA_TREE(Layer, w, b)

TEST(Pipeline, W1LayerBodyBecomesOneFusedGemm) {
  auto f = [](const Layer& p, const Array& x) {
    return st::fold(
        [](const Array& y, const Layer& l) { return st::relu(st::matmul(y, l.w) + l.b); }, x, p);
  };
  const st::Jaxpr j =
      st::trace(f, Layer{st::zeros({4, 8, 8}), st::zeros({4, 8})}, st::zeros({2, 8}));
  ASSERT_EQ(j.graph().ops().size(), 1u);
  const auto* scan = dynamic_cast<const st::prim::Scan*>(j.graph().ops()[0].primitive.get());
  ASSERT_NE(scan, nullptr);
  EXPECT_GE(scan->body().ops().size(), 5u);  // dot_general, broadcast, add, convert?, max
  const st::ir::Graph body = st::compile::optimize(scan->body());
  ASSERT_EQ(body.ops().size(), 1u) << st::ir::to_string(body);
  EXPECT_STREQ(body.ops()[0].primitive->name(), "dot_general_epilogue");
  EXPECT_NE(body.ops()[0].primitive->params().find("activation=relu"), std::string::npos);
  st::ir::verify(body);
}

TEST(Pipeline, OptimizedBodyKeepsInputOrder) {
  // Captured constants come first; passes must not reorder the [consts | carry | xs] signature.
  const st::Jaxpr j = st::trace(
      [](const Array& h, const Array& W, const Array& xs) {
        auto [c, ys] = st::scan(
            [&](const Array& c, const Array& x) {
              const Array n = st::tanh(st::matmul(c, W) * x);
              return std::pair{n, n + 1.0};
            },
            h, xs);
        return c + st::sum(ys);
      },
      st::zeros({3}), st::ones({3, 3}), st::ones({4, 3}));
  const auto* scan = dynamic_cast<const st::prim::Scan*>(j.graph().ops()[0].primitive.get());
  ASSERT_NE(scan, nullptr);
  const st::ir::Graph body = st::compile::optimize(scan->body());
  ASSERT_EQ(body.inputs().size(), scan->body().inputs().size());
  for (size_t i = 0; i < body.inputs().size(); ++i) {
    EXPECT_EQ(body.type(body.inputs()[i]), scan->body().type(scan->body().inputs()[i])) << i;
  }
}

}  // namespace
