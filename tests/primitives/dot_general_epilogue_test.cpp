// DotGeneral::prepare (the compiled kernel) and the fused dot_general_epilogue primitive, each
// against the eager, unfused evaluation.
#include "primitives/dot_general_epilogue.h"

#include <algorithm>
#include <cmath>

#include "primitives/dot_general.h"
#include "test_util.h"

namespace strata {
namespace {

using cpu::MatmulActivation;
using prim::ValueType;
using testing::random_array;
using testing::to_doubles;

// Runs p's prepared kernel on `in` (and again on fresh data of the same layouts).
Array run_prepared(const prim::Primitive& p, const std::vector<Array>& in) {
  std::vector<ValueType> types;
  for (const Array& a : in) types.push_back(prim::type_of(a));
  const ValueType out_t = p.infer(types)[0];
  const prim::Primitive::Kernel k = p.prepare(in, {out_t});
  const Array out = detail::empty(out_t.shape, out_t.dtype);
  k(in, {out});
  return out;
}

Array run_eval_cpu(const prim::Primitive& p, const std::vector<Array>& in) {
  std::vector<ValueType> types;
  for (const Array& a : in) types.push_back(prim::type_of(a));
  const ValueType out_t = p.infer(types)[0];
  const Array out = detail::empty(out_t.shape, out_t.dtype);
  p.eval_cpu(in, {out});
  return out;
}

TEST(DotGeneralPrepare, MatchesEvalCpuOnTransposedAndBatchedViews) {
  struct Case {
    Array lhs, rhs;
    DotDims dims;
  };
  const Array x = random_array({6, 7}, DType::Float32, 1);
  const Array w = random_array({9, 7}, DType::Float32, 2);
  const Array xb = random_array({3, 6, 7}, DType::Float32, 3);
  const Array wb = random_array({7, 3, 5}, DType::Float32, 4);
  const Array xc = random_array({3, 4, 5}, DType::Float32, 5);
  const Array wc = random_array({3, 5, 6}, DType::Float32, 6);
  const Array wf = random_array({7, 4, 3}, DType::Float32, 7);
  const std::vector<Case> cases = {
      {xc, wc, {{0, 2}, {0, 1}, {}, {}}},  // lhs contracting axes do not merge: staged copy
      {x, transpose(wf, {0, 2, 1}), {{1}, {0}, {}, {}}},  // rhs free axes do not merge: copy
      {x, transpose(w, {1, 0}), {{1}, {0}, {}, {}}},      // B transposed view
      {transpose(x, {1, 0}), transpose(w, {1, 0}), {{0}, {0}, {}, {}}},  // A^T view
      {xb, transpose(wb, {1, 0, 2}), {{2}, {1}, {0}, {0}}},              // batched, permuted view
      {transpose(xb, {1, 0, 2}), wb, {{2}, {0}, {1}, {1}}},              // batch in the middle
      {astype(xb, DType::Float64),
       astype(transpose(wb, {1, 0, 2}), DType::Float64),
       {{2}, {1}, {0}, {0}}},  // reference backend
  };
  for (const Case& c : cases) {
    const prim::DotGeneral p(c.dims);
    const Array want = run_eval_cpu(p, {c.lhs, c.rhs});
    EXPECT_EQ(to_doubles(run_prepared(p, {c.lhs, c.rhs})), to_doubles(want));
  }
}

TEST(DotGeneralPrepare, KernelRunsManyTimesOnOtherDataOfTheSameLayout) {
  const prim::DotGeneral p(DotDims{{1}, {0}, {}, {}});
  const Array x0 = random_array({4, 8}, DType::Float32, 5);
  const Array w0 = random_array({8, 3}, DType::Float32, 6);
  const prim::Primitive::Kernel k = p.prepare({x0, w0}, {ValueType{{4, 3}, DType::Float32}});
  for (uint32_t seed = 0; seed < 3; ++seed) {
    const Array x = random_array({4, 8}, DType::Float32, 10 + seed);
    const Array w = random_array({8, 3}, DType::Float32, 20 + seed);
    const Array out = detail::empty({4, 3}, DType::Float32);
    k({x, w}, {out});
    EXPECT_EQ(to_doubles(out), to_doubles(run_eval_cpu(p, {x, w})));
  }
}

// activation(dot_general(x, w) + b) through the unfused ops.
Array unfused(const Array& x, const Array& w, const Array& b, const DotDims& dims,
              MatmulActivation act) {
  const Array y = add(dot_general(x, w, dims), b);
  switch (act) {
    case MatmulActivation::None:
      return y;
    case MatmulActivation::Relu:
      return relu(y);
    case MatmulActivation::Tanh:
      return tanh(y);
    case MatmulActivation::Logistic:
      return logistic(y);
  }
  return y;
}

void expect_close(const Array& got, const Array& want, double rel) {
  const std::vector<double> g = to_doubles(got), w = to_doubles(want);
  ASSERT_EQ(g.size(), w.size());
  size_t bad = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double tol = rel * std::max(1.0, std::abs(w[i]));
    if (!(std::abs(g[i] - w[i]) <= tol) && bad++ < 5) {
      ADD_FAILURE() << "element " << i << ": " << g[i] << " vs " << w[i];
    }
  }
  EXPECT_EQ(bad, 0u);
}

struct EpilogueCase {
  Shape x, w;
  DotDims dims;
  int64_t n;
};

TEST(DotGeneralEpilogue, MatchesUnfusedFloat32AndFloat64) {
  const std::vector<EpilogueCase> cases = {
      {{64, 512}, {512, 512}, {{1}, {0}, {}, {}}, 512},  // W1-like: sgemm path
      {{64, 512}, {512, 512}, {{1}, {1}, {}, {}}, 512},  // x . W^T: oneDNN primitive
      {{3, 5}, {5, 7}, {{1}, {0}, {}, {}}, 7},           // odd small shapes
      {{2, 3, 5}, {5, 1}, {{2}, {0}, {}, {}}, 1},        // n = 1, leading free axes
      {{4, 3, 5}, {4, 5, 7}, {{2}, {1}, {0}, {0}}, 7},   // batched
      {{3, 0}, {0, 4}, {{1}, {0}, {}, {}}, 4},           // empty sum: epilogue of zeros
  };
  uint32_t seed = 100;
  for (const EpilogueCase& c : cases) {
    for (MatmulActivation act : {MatmulActivation::None, MatmulActivation::Relu,
                                 MatmulActivation::Tanh, MatmulActivation::Logistic}) {
      for (DType dt : {DType::Float32, DType::Float64}) {
        SCOPED_TRACE(to_string(ValueType{c.x, dt}) + " . " + to_string(ValueType{c.w, dt}) + " " +
                     cpu::name(act));
        const Array x = random_array(c.x, dt, ++seed);
        const Array w = random_array(c.w, dt, ++seed);
        const Array b = random_array({c.n}, dt, ++seed);
        const prim::DotGeneralEpilogue p(c.dims, std::nullopt, act);
        const Array want = unfused(x, w, b, c.dims, act);
        const Array eager =
            prim::bind1(prim::make<prim::DotGeneralEpilogue>(c.dims, std::nullopt, act), {x, w, b});
        const Array compiled = run_prepared(p, {x, w, b});
        if (dt == DType::Float64) {  // the reference loop, then the same adds and maxima
          EXPECT_EQ(to_doubles(eager), to_doubles(want));
          EXPECT_EQ(to_doubles(compiled), to_doubles(want));
        } else {
          expect_close(eager, want, 1e-5);
          expect_close(compiled, want, 1e-5);
        }
      }
    }
  }
}

TEST(DotGeneralEpilogue, StridedBiasAndTransposedOperands) {
  const DotDims dims{{1}, {1}, {}, {}};
  const Array x = random_array({5, 6}, DType::Float32, 7);
  const Array w = random_array({4, 6}, DType::Float32, 8);
  const Array b2 = random_array({4, 2}, DType::Float32, 9);
  const Array bias = reshape(slice(b2, {Slice{}, Slice{1, 2}}), {4});  // a column: stride 2
  const prim::DotGeneralEpilogue p(dims, std::nullopt, MatmulActivation::Relu);
  const Array want = unfused(x, w, bias, dims, MatmulActivation::Relu);
  expect_close(run_prepared(p, {x, w, bias}), want, 1e-5);
  expect_close(run_eval_cpu(p, {x, w, bias}), want, 1e-5);
}

TEST(DotGeneralEpilogue, ShapeRuleAndParams) {
  const prim::DotGeneralEpilogue p(DotDims{{1}, {0}, {}, {}}, std::nullopt, MatmulActivation::Relu);
  const std::vector<ValueType> want = {ValueType{{3, 7}, DType::Float32}};
  EXPECT_EQ(p.infer({{{3, 5}, DType::Float32}, {{5, 7}, DType::Float32}, {{7}, DType::Float32}}),
            want);
  EXPECT_THROW(p.infer({{{3, 5}, DType::Float32}, {{5, 7}, DType::Float32}, {{3}, DType::Float32}}),
               Error);
  EXPECT_THROW(p.infer({{{3, 5}, DType::Float32}, {{5, 7}, DType::Float32}, {{7}, DType::Float64}}),
               Error);
  const prim::DotGeneralEpilogue two_free(DotDims{{1}, {0}, {}, {}}, std::nullopt,
                                          MatmulActivation::None);
  EXPECT_THROW(two_free.infer(
                   {{{3, 5}, DType::Float32}, {{5, 2, 7}, DType::Float32}, {{7}, DType::Float32}}),
               Error);
  EXPECT_EQ(p.params(), "dimension_numbers=(((1,), (0,)), ((), ())) activation=relu");
  // tanh and logistic, like the unary primitives, only on floating-point products.
  const prim::DotGeneralEpilogue t(DotDims{{1}, {0}, {}, {}}, std::nullopt, MatmulActivation::Tanh);
  EXPECT_EQ(t.params(), "dimension_numbers=(((1,), (0,)), ((), ())) activation=tanh");
  EXPECT_THROW(t.infer({{{3, 5}, DType::Int32}, {{5, 7}, DType::Int32}, {{7}, DType::Int32}}),
               Error);
  EXPECT_EQ(t.infer({{{3, 5}, DType::Float64}, {{5, 7}, DType::Float64}, {{7}, DType::Float64}}),
            std::vector<ValueType>{ValueType({{3, 7}, DType::Float64})});
}

}  // namespace
}  // namespace strata
