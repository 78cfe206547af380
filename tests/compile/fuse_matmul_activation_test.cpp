// tanh and logistic fused into the matmul epilogue: the optimised graph of activation(x . W + b)
// is one dot_general_epilogue, and its compiled result equals the unfused eager evaluation.  Bit
// for bit wherever the epilogue is the loop after the product (float64: the reference GEMM;
// float32 x . W: dnnl_sgemm), which runs the unary kernels' own tanh / logistic; within a few
// float32 ulps where oneDNN's matmul primitive applies it as post-ops (its own approximations of
// tanh and exp, and possibly another summation order than the unfused product's).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "compile/interp.h"
#include "compile/pipeline.h"
#include "test_util.h"

namespace st = strata;
using st::Array;
using st::DType;
using st::Shape;
using st::testing::random_array;
using st::testing::to_doubles;

namespace {

using Activation = std::function<Array(const Array&)>;

struct Layout {
  const char* what;
  Shape x, w;
  bool transpose_w;
  bool post_ops;  // float32 runs on oneDNN's matmul primitive with post-ops (else dnnl_sgemm)
};

const Layout kLayouts[] = {
    {"x.W", {16, 64}, {64, 24}, false, false},
    {"x.W^T", {16, 64}, {24, 64}, true, true},
    {"batched", {3, 16, 64}, {3, 64, 24}, false, true},
};

// Outputs lie in (-1, 1); the largest difference measured on an AVX-512 machine was 1.2e-7 (one
// ulp of values near 1, two of smaller ones).  This allows a few ulps more.
constexpr double kPostOpTolerance = 4e-7;

Array layer(const Activation& act, const Layout& l, const Array& x, const Array& w,
            const Array& b) {
  return act(st::matmul(x, l.transpose_w ? st::transpose(w, {1, 0}) : w) + b);
}

// Pre-activations of order 1 (weights scaled by 1/sqrt(K)), so tanh and logistic are not
// saturated and their errors show.
std::vector<Array> inputs(const Layout& l, DType dtype, uint32_t seed) {
  const double s = 1.0 / std::sqrt(64.0);
  return {random_array(l.x, dtype, seed, -1, 1), random_array(l.w, dtype, seed + 1, -2 * s, 2 * s),
          random_array({24}, dtype, seed + 2, -0.5, 0.5)};
}

st::ir::Graph traced(const Activation& act, const Layout& l, const std::vector<Array>& in) {
  const st::Jaxpr j = st::trace(
      [&](const Array& x, const Array& w, const Array& b) { return layer(act, l, x, w, b); }, in[0],
      in[1], in[2]);
  return j.graph();
}

void check_fused(const char* name, const Activation& act) {
  uint32_t seed = 10;
  for (const Layout& l : kLayouts) {
    for (DType dtype : {DType::Float64, DType::Float32}) {
      SCOPED_TRACE(std::string(name) + " " + l.what + " " + std::string(st::name(dtype)));
      const std::vector<Array> in = inputs(l, dtype, seed += 3);
      const st::ir::Graph g = st::compile::optimize(traced(act, l, in));
      ASSERT_EQ(g.ops().size(), 1u) << st::ir::to_string(g);
      EXPECT_STREQ(g.ops()[0].primitive->name(), "dot_general_epilogue");
      EXPECT_NE(g.ops()[0].primitive->params().find(std::string("activation=") + name),
                std::string::npos)
          << g.ops()[0].primitive->params();
      const std::vector<double> got = to_doubles((*st::compile::Executable::create(g))(in)[0]);
      const std::vector<double> want = to_doubles(layer(act, l, in[0], in[1], in[2]));
      if (dtype == DType::Float64) {
        EXPECT_EQ(got, want);
      } else {
        st::testing::expect_all_close(got, want, 0, l.post_ops ? kPostOpTolerance : 0);
      }
    }
  }
}

TEST(FuseMatmulActivation, TanhBecomesOneEpilogue) {
  check_fused("tanh", [](const Array& y) { return st::tanh(y); });
}

TEST(FuseMatmulActivation, LogisticBecomesOneEpilogue) {
  check_fused("logistic", [](const Array& y) { return st::logistic(y); });
}

TEST(FuseMatmulActivation, KeepsTheActivationOutWhenTheSumHasAnotherUse) {
  const Layout& l = kLayouts[0];
  const std::vector<Array> in = inputs(l, DType::Float64, 1);
  const st::Jaxpr j = st::trace(
      [&](const Array& x, const Array& w, const Array& b) {
        const Array y = st::matmul(x, w) + b;
        return std::pair{st::tanh(y), y};
      },
      in[0], in[1], in[2]);
  const st::ir::Graph g = st::compile::optimize(j.graph());
  EXPECT_EQ(st::testing::count_ops(g, "dot_general_epilogue"), 1) << st::ir::to_string(g);
  EXPECT_EQ(st::testing::count_ops(g, "tanh") + st::testing::count_ops(g, "fused_elementwise"), 1);
  EXPECT_NE(g.ops()[0].primitive->params().find("activation=none"), std::string::npos);
  st::testing::expect_same_results(j.graph(), g, in);
}

TEST(FuseMatmulActivation, OtherUnaryOpsStayUnfused) {
  const Layout& l = kLayouts[0];
  const std::vector<Array> in = inputs(l, DType::Float64, 2);
  const st::ir::Graph g =
      st::compile::optimize(traced([](const Array& y) { return st::exp(y); }, l, in));
  EXPECT_EQ(g.ops().size(), 2u) << st::ir::to_string(g);
  EXPECT_NE(g.ops()[0].primitive->params().find("activation=none"), std::string::npos);
}

}  // namespace
