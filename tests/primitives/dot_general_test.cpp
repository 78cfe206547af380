// The dot_general primitive and its kernel: the shape rule and every error it raises, the public
// dot_general op (batch axes anywhere, several contracting axes, negative axes), evaluation of
// every dtype against a plain loop in double, how views map onto one strided GEMM without copies
// (plan_dot_general), MatmulPlan used directly, the plan cache, and zero-size dimensions.
#include <algorithm>
#include <thread>

#include "backend/cpu/matmul.h"
#include "backend/cpu/strided.h"
#include "ops/product_reference.h"
#include "primitives/dot_general.h"

namespace strata {
namespace {

using prim::ValueType;
using testing::expect_matches;
using testing::Expected;
using testing::random_array;
using testing::ravel;
using testing::to_doubles;
using testing::unravel;

// lax.dot_general by definition, in double; also sum |terms| for tolerances.  `logical` gives
// bool's or-of-ands instead of a sum.
Expected reference(const Array& a, const Array& b, const DotDims& d, bool logical = false) {
  const std::vector<double> va = to_doubles(a), vb = to_doubles(b);
  const Strides sa = detail::row_major_strides(a.shape()),
                sb = detail::row_major_strides(b.shape());
  auto free_axes = [](int nd, const Axes& c, const Axes& bt) {
    Axes f;
    for (int i = 0; i < nd; ++i) {
      if (std::count(c.begin(), c.end(), i) == 0 && std::count(bt.begin(), bt.end(), i) == 0) {
        f.push_back(i);
      }
    }
    return f;
  };
  const Axes lf = free_axes(a.ndim(), d.lhs_contract, d.lhs_batch);
  const Axes rf = free_axes(b.ndim(), d.rhs_contract, d.rhs_batch);
  Expected e;
  for (int ax : d.lhs_batch) e.shape.push_back(a.shape()[ax]);
  for (int ax : lf) e.shape.push_back(a.shape()[ax]);
  for (int ax : rf) e.shape.push_back(b.shape()[ax]);
  Shape ks;
  for (int ax : d.lhs_contract) ks.push_back(a.shape()[ax]);
  for (int64_t o = 0; o < detail::shape_size(e.shape); ++o) {
    const std::vector<int64_t> oi = unravel(o, e.shape);
    int64_t base_a = 0, base_b = 0;
    size_t at = 0;
    for (size_t i = 0; i < d.lhs_batch.size(); ++i, ++at) {
      base_a += oi[at] * sa[d.lhs_batch[i]];
      base_b += oi[at] * sb[d.rhs_batch[i]];
    }
    for (int ax : lf) base_a += oi[at++] * sa[ax];
    for (int ax : rf) base_b += oi[at++] * sb[ax];
    double s = 0, mag = 0;
    for (int64_t kf = 0; kf < detail::shape_size(ks); ++kf) {
      const std::vector<int64_t> ki = unravel(kf, ks);
      int64_t ia = base_a, ib = base_b;
      for (size_t i = 0; i < ki.size(); ++i) {
        ia += ki[i] * sa[d.lhs_contract[i]];
        ib += ki[i] * sb[d.rhs_contract[i]];
      }
      const double t = va[static_cast<size_t>(ia)] * vb[static_cast<size_t>(ib)];
      s = logical ? (s != 0 || t != 0) : s + t;
      mag += std::fabs(t);
    }
    e.value.push_back(s);
    e.magnitude.push_back(mag);
  }
  return e;
}

Array bind_dot(const Array& a, const Array& b, const DotDims& d,
               std::optional<DType> preferred = std::nullopt) {
  return prim::bind1(prim::make<prim::DotGeneral>(d, preferred), {a, b});
}

// ---------------------------------------------------------------- shape rule
TEST(DotGeneralPrimitive, InferShapeDtypeAndParams) {
  const prim::DotGeneral p(DotDims{{3, 1}, {2, 0}, {2}, {1}});
  const auto out =
      p.infer({ValueType{{3, 4, 5, 6}, DType::Float32}, ValueType{{4, 5, 6, 7}, DType::Float32}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape, (Shape{5, 3, 7}));  // batch, lhs free, rhs free
  EXPECT_EQ(out[0].dtype, DType::Float32);
  EXPECT_FALSE(out[0].weak);
  EXPECT_EQ(p.params(), "dimension_numbers=(((3, 1), (2, 0)), ((2,), (1,)))");
  const prim::DotGeneral q(DotDims{{1}, {0}, {}, {}}, DType::Float32);
  const auto widened =
      q.infer({ValueType{{2, 3}, DType::BFloat16}, ValueType{{3, 4}, DType::BFloat16}});
  EXPECT_EQ(widened[0].dtype, DType::Float32);
  EXPECT_EQ(q.params(),
            "dimension_numbers=(((1,), (0,)), ((), ())) preferred_element_type=float32");
  const auto weak =
      prim::DotGeneral(DotDims{{0}, {0}, {}, {}})
          .infer({ValueType{{3}, DType::Float32, true}, ValueType{{3}, DType::Float32, true}});
  EXPECT_EQ(weak[0].shape, Shape{});
  EXPECT_TRUE(weak[0].weak);
  EXPECT_TRUE(p.is_equivalent(prim::DotGeneral(DotDims{{3, 1}, {2, 0}, {2}, {1}})));
  EXPECT_FALSE(p.is_equivalent(q));
}

TEST(DotGeneralPrimitive, ShapeRuleErrors) {
  const ValueType f23{{2, 3}, DType::Float32}, f34{{3, 4}, DType::Float32},
      f45{{4, 5}, DType::Float32}, d34{{3, 4}, DType::Float64};
  auto infer = [](DotDims d, const ValueType& a, const ValueType& b) {
    return prim::DotGeneral(std::move(d)).infer({a, b});
  };
  EXPECT_STRATA_ERROR(prim::DotGeneral(DotDims{{1}, {0}, {}, {}}).infer({f23}), "[dot_general]",
                      "expected 2 operands");
  EXPECT_STRATA_ERROR(infer({{1}, {0}, {}, {}}, f23, d34), "[dot_general]", "one dtype", "f32[2,3]",
                      "f64[3,4]");
  EXPECT_STRATA_ERROR(infer({{1}, {0, 1}, {}, {}}, f23, f34), "contracting dimensions (1,)",
                      "(0, 1)", "pair up");
  EXPECT_STRATA_ERROR(infer({{1}, {0}, {0}, {}}, f23, f34), "batch dimensions (0,)", "pair up");
  EXPECT_STRATA_ERROR(infer({{2}, {0}, {}, {}}, f23, f34), "lhs contracting dimension 2",
                      "out of range", "(2, 3)");
  EXPECT_STRATA_ERROR(infer({{1}, {-1}, {}, {}}, f23, f34), "rhs contracting dimension -1",
                      "out of range");
  EXPECT_STRATA_ERROR(infer({{1}, {0}, {5}, {1}}, f23, f34), "lhs batch dimension 5");
  EXPECT_STRATA_ERROR(infer({{1, 1}, {0, 1}, {}, {}}, f23, f34), "lhs dimension 1",
                      "more than once");
  EXPECT_STRATA_ERROR(infer({{1}, {0}, {0}, {0}}, f23, f34), "rhs dimension 0", "more than once");
  EXPECT_STRATA_ERROR(infer({{1}, {0}, {}, {}}, f23, f45), "contracting dimension sizes differ",
                      "lhs axis 1 has size 3", "rhs axis 0 has size 4", "(2, 3)", "(4, 5)");
  EXPECT_STRATA_ERROR(infer({{1}, {0}, {0}, {1}}, f23, ValueType{{3, 4}, DType::Float32}),
                      "batch dimension sizes differ", "lhs axis 0 has size 2",
                      "rhs axis 1 has size 4");
  EXPECT_STRATA_ERROR(prim::DotGeneral(DotDims{{1}, {0}, {}, {}}, DType::Float64).infer({f23, f34}),
                      "preferred_element_type float64", "float32 operands");
}

// ---------------------------------------------------------------- the public op
TEST(DotGeneral, BatchAxesAnywhereAndSeveralContractingAxes) {
  const std::vector<std::tuple<Shape, Shape, DotDims>> cases = {
      {{3, 4, 5, 6}, {6, 5, 4, 7}, {{1, 3}, {2, 0}, {2}, {1}}},  // batch axis in the middle
      {{4, 3, 5}, {5, 4, 2}, {{2}, {0}, {0}, {1}}},              // rhs batch not leading
      {{2, 3, 4}, {3, 4, 5}, {{1, 2}, {0, 1}, {}, {}}},          // merges into K = 12
      {{2, 3, 4}, {4, 3, 5}, {{2, 1}, {0, 1}, {}, {}}},          // K axes in crossed order
      {{6, 2, 5}, {5, 6, 3}, {{2}, {0}, {0}, {1}}},              // [B, M, K] x [K, B, N]
  };
  for (DType t : {DType::Float32, DType::Float64, DType::BFloat16, DType::Float16, DType::Int32,
                  DType::Int64, DType::UInt32}) {
    uint32_t seed = 10;
    for (size_t c = 0; c < cases.size(); ++c) {
      const auto& [sa, sb, d] = cases[c];
      const Array a = testing::product_operand(sa, t, seed++),
                  b = testing::product_operand(sb, t, seed++);
      expect_matches(dot_general(a, b, d), reference(a, b, d), testing::product_tolerance(t),
                     detail::cat("case ", c, " ", t));
    }
  }
}

TEST(DotGeneral, OuterProductAndFullContraction) {
  const Array a = testing::product_operand({3, 4}, DType::Float32, 1),
              b = testing::product_operand({2, 5}, DType::Float32, 2);
  const DotDims outer{{}, {}, {}, {}};
  expect_matches(dot_general(a, b, outer), reference(a, b, outer), 1e-5, "outer");
  const Array c = testing::product_operand({3, 4}, DType::Float64, 3);
  const DotDims all{{0, 1}, {0, 1}, {}, {}};
  const Array s = dot_general(c, c, all);
  EXPECT_EQ(s.shape(), Shape{});
  expect_matches(s, reference(c, c, all), 1e-12, "sum of squares");
}

TEST(DotGeneral, NegativeAxesAndPromotion) {
  const Array a = testing::product_operand({2, 3, 4}, DType::Int32, 1),
              b = testing::product_operand({2, 4, 5}, DType::Float32, 2);
  const Array c = dot_general(a, b, DotDims{{-1}, {-2}, {-3}, {0}});
  EXPECT_EQ(c.dtype(), DType::Float32);
  expect_matches(c, reference(a, b, DotDims{{2}, {1}, {0}, {0}}), 1e-5, "negative axes");
  const Array x = testing::product_operand({3, 4}, DType::Bool, 3),
              y = testing::product_operand({4, 2}, DType::Bool, 4);
  EXPECT_EQ(dot_general(x, y, DotDims{{1}, {0}, {}, {}}).dtype(), DType::Int32);
  EXPECT_STRATA_ERROR(dot_general(a, b, DotDims{{3}, {1}, {}, {}}), "[dot_general]",
                      "lhs contracting dimension 3", "(2, 3, 4)");
  EXPECT_STRATA_ERROR(dot_general(a, b, DotDims{{2}, {-4}, {}, {}}),
                      "rhs contracting dimension -4");
  EXPECT_STRATA_ERROR(dot_general(a, b, DotDims{{2}, {1}, {7}, {0}}), "lhs batch dimension 7");
  EXPECT_STRATA_ERROR(dot_general(a, b, DotDims{{2}, {2}, {}, {}}), "[dot_general]",
                      "contracting dimension sizes differ");
  EXPECT_STRATA_ERROR(dot_general(Array(), b, DotDims{}), "[dot_general]", "lhs is an empty Array");
}

// ---------------------------------------------------------------- the primitive on every dtype
TEST(DotGeneralKernel, EveryDtypeIncludingBoolAndPreferredFloat32) {
  const DotDims d{{2}, {1}, {0}, {0}};
  for (DType t : kAllDTypes) {
    const Array a = testing::product_operand({3, 5, 7}, t, 1),
                b = testing::product_operand({3, 7, 4}, t, 2);
    const Array c = bind_dot(a, b, d);
    EXPECT_EQ(c.dtype(), t);
    if (t == DType::Bool) {
      expect_matches(c, reference(a, b, d, true), 0, "bool is or-of-ands");
    } else {
      expect_matches(c, reference(a, b, d), testing::product_tolerance(t), detail::cat(t));
    }
  }
  for (DType t : {DType::BFloat16, DType::Float16}) {
    const Array a = testing::product_operand({4, 33}, t, 3),
                b = testing::product_operand({33, 9}, t, 4);
    const Array c = bind_dot(a, b, DotDims{{1}, {0}, {}, {}}, DType::Float32);
    EXPECT_EQ(c.dtype(), DType::Float32);
    expect_matches(c, reference(a, b, DotDims{{1}, {0}, {}, {}}), 1e-5, "16-bit to float32");
  }
}

TEST(DotGeneralKernel, ZeroSizeDimensions) {
  const DotDims d{{2}, {1}, {0}, {0}};
  for (DType t : {DType::Float32, DType::Float64, DType::Float16}) {
    const Array k0 = bind_dot(testing::product_operand({2, 3, 0}, t, 1),
                              testing::product_operand({2, 0, 4}, t, 2), d);
    EXPECT_EQ(k0.shape(), (Shape{2, 3, 4}));
    for (double v : to_doubles(k0)) EXPECT_EQ(v, 0.0);
    EXPECT_EQ(bind_dot(testing::product_operand({0, 3, 5}, t, 1),
                       testing::product_operand({0, 5, 4}, t, 2), d)
                  .shape(),
              (Shape{0, 3, 4}));
    EXPECT_EQ(bind_dot(testing::product_operand({2, 0, 5}, t, 1),
                       testing::product_operand({2, 5, 4}, t, 2), d)
                  .shape(),
              (Shape{2, 0, 4}));
  }
}

// ---------------------------------------------------------------- canonical GEMM layouts
// Uninitialised dense arrays: only their strides matter here (zeros() may be a broadcast view).
Array dense(const Shape& shape, DType t = DType::Float32) {
  return detail::empty(shape, t);
}

prim::DotGeneralLayout layout_of(const Array& a, const Array& b, const DotDims& d) {
  return prim::plan_dot_general(a.shape(), a.strides(), b.shape(), b.strides(), d, a.dtype(),
                                a.dtype());
}

TEST(DotGeneralKernel, DenseActivationsTimesWeightIsOneGemm) {
  const Array x = dense({8, 128, 256}), w = dense({256, 512});
  const prim::DotGeneralLayout l = layout_of(x, w, DotDims{{2}, {0}, {}, {}});
  EXPECT_FALSE(l.copy_lhs || l.copy_rhs);
  EXPECT_TRUE(l.problem.batch.empty());
  EXPECT_EQ(l.problem.m, 1024);
  EXPECT_EQ(l.problem.k, 256);
  EXPECT_EQ(l.problem.n, 512);
}

TEST(DotGeneralKernel, TransposedViewsAreStridesNotCopies) {
  const DotDims mm{{1}, {0}, {}, {}};
  const Array x = dense({64, 512}), w = dense({512, 512});
  // dx = dy . W^T: B is read with k stride 1, n stride 512.
  prim::DotGeneralLayout l = layout_of(x, transpose(w), mm);
  EXPECT_FALSE(l.copy_lhs || l.copy_rhs);
  EXPECT_EQ(l.problem.b_k, 1);
  EXPECT_EQ(l.problem.b_n, 512);
  // dW = x^T . dy: A is read with m stride 1, k stride 512.
  l = layout_of(transpose(x), x, mm);
  EXPECT_FALSE(l.copy_lhs || l.copy_rhs);
  EXPECT_EQ(l.problem.a_m, 1);
  EXPECT_EQ(l.problem.a_k, 512);
  // Batched with the batch axis in the middle: [M, B, K] x [B, K, N] needs no copy either.
  l = layout_of(dense({6, 4, 8}), dense({4, 8, 3}), DotDims{{2}, {1}, {1}, {0}});
  EXPECT_FALSE(l.copy_lhs || l.copy_rhs);
  EXPECT_EQ(l.problem.batch, (std::vector<int64_t>{4}));
  EXPECT_EQ(l.problem.a_batch, (std::vector<int64_t>{8}));
  EXPECT_EQ(l.problem.a_m, 32);
}

TEST(DotGeneralKernel, BroadcastBatchAndUnmergeableRowsBecomeBatchBroadcasts) {
  const DotDims batched{{2}, {1}, {0}, {0}};
  const Array a = broadcast_to(dense({1, 3, 4}), {5, 3, 4});
  prim::DotGeneralLayout l = layout_of(a, dense({5, 4, 2}), batched);
  EXPECT_FALSE(l.copy_lhs || l.copy_rhs);
  EXPECT_EQ(l.problem.a_batch, (std::vector<int64_t>{0}));
  // Both operands broadcast along the batch: oneDNN cannot, so one is materialised.
  l = layout_of(a, broadcast_to(dense({4, 2}), {5, 4, 2}), batched);
  EXPECT_TRUE(l.copy_lhs);
  // x[:, :64, :] . W: the rows of one batch do not continue into the next batch's; the outer axis
  // becomes a batch axis along which W is broadcast (stride 0), still no copy.
  const Array xs = slice(dense({8, 128, 256}), {Slice{}, Slice{0, 64}});
  l = layout_of(xs, dense({256, 32}), DotDims{{2}, {0}, {}, {}});
  EXPECT_FALSE(l.copy_lhs || l.copy_rhs);
  EXPECT_EQ(l.problem.batch, (std::vector<int64_t>{8}));
  EXPECT_EQ(l.problem.b_batch, (std::vector<int64_t>{0}));
  EXPECT_EQ(l.problem.m, 64);
}

TEST(DotGeneralKernel, OnlyUnaddressableViewsAreCopied) {
  const DotDims mm{{1}, {0}, {}, {}};
  const Array big = dense({16, 32}), w = dense({16, 8});
  const Array k_step = slice(big, {Slice{}, Slice{0, 32, 2}});  // K stride 2
  EXPECT_TRUE(layout_of(k_step, w, mm).copy_lhs);
  EXPECT_FALSE(layout_of(k_step, w, mm).copy_rhs);
  const Array reversed = big.slice(15, -17, -1);  // M stride -32
  EXPECT_TRUE(layout_of(reversed, dense({32, 8}), mm).copy_lhs);
  // The reference loop (float64) and the float32 staging read any strides: no copies.
  EXPECT_FALSE(layout_of(slice(dense({16, 32}, DType::Float64), {Slice{}, Slice{0, 32, 2}}),
                         w.astype(DType::Float64), mm)
                   .copy_lhs);
  EXPECT_FALSE(
      layout_of(reversed.astype(DType::Float64), dense({32, 8}, DType::Float64), mm).copy_lhs);
  // Contracting axes that do not merge in the rhs (a transposed pair) copy the rhs only.
  const Array b = transpose(dense({5, 4, 3}), {2, 1, 0});  // (3, 4, 5), strides (1, 5, 20)
  const prim::DotGeneralLayout l = layout_of(dense({2, 3, 4}), b, DotDims{{1, 2}, {0, 1}, {}, {}});
  EXPECT_FALSE(l.copy_lhs);
  EXPECT_TRUE(l.copy_rhs);
}

// ---------------------------------------------------------------- MatmulPlan and its cache
TEST(DotGeneralKernel, BackendsFollowOneDnnSupport) {
  EXPECT_EQ(cpu::matmul_backend(DType::Float32, DType::Float32), cpu::MatmulBackend::OneDnn);
  EXPECT_EQ(cpu::matmul_backend(DType::Float64, DType::Float64), cpu::MatmulBackend::Reference);
  EXPECT_EQ(cpu::matmul_backend(DType::Int32, DType::Int32), cpu::MatmulBackend::Reference);
  for (DType t : {DType::Float16, DType::BFloat16}) {
    const cpu::MatmulBackend be = cpu::matmul_backend(t, t);
    EXPECT_TRUE(be == cpu::MatmulBackend::OneDnn || be == cpu::MatmulBackend::OneDnnViaF32);
    std::cout << "[ info ] " << t << " matmul backend: " << cpu::name(be) << "\n";
  }
}

TEST(DotGeneralKernel, PlanExecutesManyTimesOnRawPointers) {
  // C[2, 3, 4] = A[2, 3, 5] . B^T where B is stored as [2, 4, 5].
  cpu::MatmulProblem p;
  p.batch = {2};
  p.a_batch = {15};
  p.b_batch = {20};
  p.m = 3, p.n = 4, p.k = 5;
  p.a_m = 5, p.a_k = 1, p.b_k = 1, p.b_n = 5;
  const cpu::MatmulPlan plan = cpu::MatmulPlan::create(p);
  EXPECT_EQ(plan.backend(), cpu::MatmulBackend::OneDnn);
  EXPECT_FALSE(plan.is_slow()) << plan.implementation();
  EXPECT_EQ(plan.problem(), p);
  const Array a = testing::product_operand({2, 3, 5}, DType::Float32, 1),
              bt = testing::product_operand({2, 4, 5}, DType::Float32, 2);
  const Expected want = reference(a, bt, DotDims{{2}, {2}, {0}, {0}});
  std::vector<float> c(24);
  std::vector<std::byte> scratch(static_cast<size_t>(plan.scratch_bytes()) + 64);
  void* aligned =
      reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) / 64 * 64);
  for (int run = 0; run < 3; ++run) {
    std::fill(c.begin(), c.end(), -1.f);
    if (run == 0) {
      plan.execute(a.data(), bt.data(), c.data());
    } else {
      plan.execute(a.data(), bt.data(), c.data(), aligned);
    }
    for (size_t i = 0; i < c.size(); ++i) {
      ASSERT_NEAR(c[i], want.value[i], 1e-5 * want.magnitude[i]) << "run " << run << " " << i;
    }
  }
  // A float64 plan runs the reference loop on the same strides.
  p.dtype = p.out_dtype = DType::Float64;
  const cpu::MatmulPlan ref = cpu::MatmulPlan::create(p);
  EXPECT_EQ(ref.implementation(), "reference");
  const Array a64 = a.astype(DType::Float64), b64 = bt.astype(DType::Float64);
  std::vector<double> c64(24);
  ref.execute(a64.data(), b64.data(), c64.data());
  for (size_t i = 0; i < c64.size(); ++i)
    EXPECT_NEAR(c64[i], want.value[i], 1e-12 * want.magnitude[i]);
}

TEST(DotGeneralKernel, PlanCacheKeysOnLayout) {
  cpu::clear_matmul_plan_cache();
  const Array a = testing::product_operand({6, 8}, DType::Float32, 1),
              b = testing::product_operand({8, 3}, DType::Float32, 2);
  const DotDims mm{{1}, {0}, {}, {}};
  for (int i = 0; i < 3; ++i) (void)bind_dot(a, b, mm);
  EXPECT_EQ(cpu::matmul_plan_cache_size(), 1u);
  (void)bind_dot(transpose(cpu::contiguous(transpose(a))), b, mm);  // same values, other strides
  EXPECT_EQ(cpu::matmul_plan_cache_size(), 2u);
  (void)bind_dot(a.astype(DType::BFloat16), b.astype(DType::BFloat16), mm);
  EXPECT_EQ(cpu::matmul_plan_cache_size(), 3u);
  cpu::clear_matmul_plan_cache();
  EXPECT_EQ(cpu::matmul_plan_cache_size(), 0u);
}

// Compiled kernels of one problem (the layers of an unrolled loop) share a plan instead of each
// creating oneDNN descriptors; each still owns its scratch, and computes its own operands.
TEST(DotGeneralKernel, PreparedKernelsOfOneProblemShareAPlan) {
  cpu::clear_matmul_plan_cache();
  const prim::DotGeneral dot(DotDims{{1}, {0}, {}, {}});
  const Array a = testing::product_operand({6, 8}, DType::Float32, 1),
              b1 = testing::product_operand({8, 3}, DType::Float32, 2),
              b2 = testing::product_operand({8, 3}, DType::Float32, 3);
  const std::vector<ValueType> out_types{{{6, 3}, DType::Float32}};
  const prim::Primitive::Kernel k1 = dot.prepare({a, b1}, out_types),
                                k2 = dot.prepare({a, b2}, out_types);
  EXPECT_EQ(cpu::matmul_plan_cache_size(), 1u);
  const Array c1 = detail::empty({6, 3}, DType::Float32),
              c2 = detail::empty({6, 3}, DType::Float32);
  k1({a, b1}, {c1});
  k2({a, b2}, {c2});
  expect_matches(c1, reference(a, b1, dot.dims()), 1e-5, "first kernel");
  expect_matches(c2, reference(a, b2, dot.dims()), 1e-5, "second kernel");
  cpu::clear_matmul_plan_cache();
}

TEST(DotGeneralKernel, OnePlanExecutedConcurrently) {
  cpu::MatmulProblem p;
  p.m = 64, p.n = 48, p.k = 96, p.a_m = 96, p.b_k = 48;
  const cpu::MatmulPlan plan = cpu::MatmulPlan::create(p);
  const Array a = testing::product_operand({64, 96}, DType::Float32, 1),
              b = testing::product_operand({96, 48}, DType::Float32, 2);
  std::vector<float> want(64 * 48);
  plan.execute(a.data(), b.data(), want.data());
  std::vector<std::thread> threads;
  std::vector<int> same(4, 1);
  for (size_t t = 0; t < same.size(); ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> c(want.size());
      for (int i = 0; i < 25; ++i) {
        plan.execute(a.data(), b.data(), c.data());
        if (c != want) same[t] = 0;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int s : same) EXPECT_TRUE(s);
}

TEST(DotGeneralKernel, PlansKeepTheThreadCountTheyWereMadeFor) {
  const int before = num_threads();
  const Array a = testing::product_operand({64, 96}, DType::Float32, 1),
              b = testing::product_operand({96, 48}, DType::Float32, 2);
  cpu::clear_matmul_plan_cache();
  set_num_threads(1);
  const std::vector<double> one = to_doubles(matmul(a, b));
  cpu::MatmulProblem p;
  p.m = 64, p.n = 48, p.k = 96, p.a_m = 96, p.b_k = 48;
  const cpu::MatmulPlan plan = cpu::MatmulPlan::create(p);
  EXPECT_EQ(plan.threads(), 1);
  set_num_threads(2);
  const Array two = matmul(a, b);
  EXPECT_EQ(cpu::matmul_plan_cache_size(), 2u);  // one plan per thread count
  std::vector<float> c(64 * 48);
  plan.execute(a.data(), b.data(), c.data());  // still runs with 1 thread: its scratchpad's size
  expect_matches(two, reference(a, b, DotDims{{1}, {0}, {}, {}}), 1e-5, "2 threads");
  for (size_t i = 0; i < c.size(); ++i) EXPECT_EQ(c[i], static_cast<float>(one[i]));
  set_num_threads(before);
}

// oneDNN refuses strided layouts whose elements overlap in its descriptor (a batch stride of 5
// over columns 3 apart): such operands are copied first (issue 14).
TEST(DotGeneralKernel, OverlappingStridedViewsAreCopiedFirst) {
  const Array x = reshape(arange(0.0, 15.0), {3, 5});
  auto batch_dot = [](const Array& v) {
    const Array a = slice(v, {Slice{}, Slice{std::nullopt, std::nullopt, 3}});
    return dot_general(a, a, {{1}, {1}, {0}, {0}});
  };
  const std::vector<double> want{9, 89, 269};  // rows (0, 3), (5, 8), (10, 13)
  EXPECT_EQ(to_doubles(batch_dot(x)), want);
  EXPECT_EQ(to_doubles(jit(batch_dot)(x)), want);
  EXPECT_EQ(to_doubles(vmap(batch_dot)(stack({x, x * 2.0}))),
            (std::vector<double>{9, 89, 269, 36, 356, 1076}));
}

}  // namespace
}  // namespace strata
