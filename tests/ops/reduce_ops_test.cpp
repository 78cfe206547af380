// Reduction ops against plain reference loops: every axis subset of 3-D and 4-D arrays, keepdims,
// negative axes, dtypes, views, empty and 0-d arrays, NaN and infinities, threads, errors.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "ops/reduce_reference.h"
#include "primitives/primitive.h"
#include "test_util.h"

namespace strata {
namespace {

using testing::axis_subsets;
using testing::expect_all_close;
using testing::random_array;
using testing::reference_reduce;
using testing::to_doubles;

constexpr double kInf = std::numeric_limits<double>::infinity();

struct ReduceCase {
  const char* name;
  std::function<Array(const Array&, const Axes&, bool)> op;
  std::function<double(const std::vector<double>&)> ref;
  bool inexact;  // the result is floating point even for integer operands
};

std::vector<ReduceCase> float_cases() {
  return {
      {"sum", [](const Array& a, const Axes& ax, bool k) { return sum(a, ax, k); },
       testing::ref_sum, false},
      {"mean", [](const Array& a, const Axes& ax, bool k) { return mean(a, ax, k); },
       testing::ref_mean, true},
      {"max", [](const Array& a, const Axes& ax, bool k) { return max(a, ax, k); },
       testing::ref_max, false},
      {"min", [](const Array& a, const Axes& ax, bool k) { return min(a, ax, k); },
       testing::ref_min, false},
      {"var", [](const Array& a, const Axes& ax, bool k) { return var(a, ax, k); },
       [](const std::vector<double>& g) { return testing::ref_var(g); }, true},
      {"var_ddof1", [](const Array& a, const Axes& ax, bool k) { return var(a, ax, k, 1); },
       [](const std::vector<double>& g) { return testing::ref_var(g, 1); }, true},
      {"logsumexp", [](const Array& a, const Axes& ax, bool k) { return logsumexp(a, ax, k); },
       testing::ref_logsumexp, true},
  };
}

Shape expected_shape(const Shape& in, const std::vector<int>& axes, bool keepdims) {
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int>(i)) != axes.end();
    if (!reduced) out.push_back(in[i]);
    if (reduced && keepdims) out.push_back(1);
  }
  return out;
}

// Runs one case over `axes` (normalised; empty means all) spelled plainly or as reversed negative
// axes, and compares with the reference.
void check_case(const ReduceCase& c, const Array& x, const std::vector<int>& axes, bool keepdims,
                bool negative, DType want_dtype, double rtol, double atol) {
  std::vector<int> all = axes;
  if (all.empty()) {
    for (int a = 0; a < x.ndim(); ++a) all.push_back(a);
  }
  Axes spelled;
  for (int a : axes) spelled.push_back(negative ? a - x.ndim() : a);
  if (negative) std::reverse(spelled.begin(), spelled.end());
  const std::string what = std::string(c.name) + " axes=" + prim::axes_to_string(spelled) +
                           " keepdims=" + (keepdims ? "1" : "0") +
                           " shape=" + to_string(x.shape()) +
                           " dtype=" + std::string(name(x.dtype()));
  const Array y = c.op(x, spelled, keepdims);
  ASSERT_EQ(y.shape(), expected_shape(x.shape(), all, keepdims)) << what;
  ASSERT_EQ(y.dtype(), want_dtype) << what;
  expect_all_close(to_doubles(y), reference_reduce(x.shape(), to_doubles(x), all, c.ref), rtol,
                   atol, what);
}

TEST(ReduceOps, EveryAxisSubsetMatchesReferenceInFloat32AndFloat64) {
  for (const Shape& shape : {Shape{3, 4, 5}, Shape{2, 3, 4, 5}}) {
    for (DType dt : {DType::Float32, DType::Float64}) {
      const Array x = random_array(shape, dt, 7);
      const double tol = dt == DType::Float32 ? 2e-5 : 1e-12;
      for (const ReduceCase& c : float_cases()) {
        for (const std::vector<int>& axes : axis_subsets(x.ndim())) {
          for (bool keepdims : {false, true}) {
            for (bool negative : {false, true}) {
              check_case(c, x, axes, keepdims, negative, dt, tol, tol);
            }
          }
        }
      }
    }
  }
}

TEST(ReduceOps, IntegerSumMaxMinKeepTheDtypeAndMeanVarGiveFloat32) {
  for (DType dt : {DType::Int32, DType::UInt32, DType::Int64}) {
    const Array x = random_array({3, 4, 5}, dt, 3, 0, 100);
    for (const ReduceCase& c : float_cases()) {
      const DType want = c.inexact ? DType::Float32 : dt;
      for (const std::vector<int>& axes : axis_subsets(3)) {
        check_case(c, x, axes, axes.size() == 1, axes.size() == 2, want, 2e-6, 1e-4);
      }
    }
  }
}

TEST(ReduceOps, BoolSumCountsAsInt32AndMaxMinAreAnyAll) {
  const Array x = random_array({3, 4, 5}, DType::Float32, 5) > 0.5;
  ASSERT_EQ(x.dtype(), DType::Bool);
  for (const ReduceCase& c : float_cases()) {
    const DType want = c.inexact                      ? DType::Float32
                       : std::string(c.name) == "sum" ? DType::Int32
                                                      : DType::Bool;
    for (const std::vector<int>& axes : axis_subsets(3)) {
      check_case(c, x, axes, false, true, want, 2e-6, 1e-5);
    }
  }
}

TEST(ReduceOps, IntegerSumWrapsAround) {
  const Array x = array<int32_t>({1 << 30, 1 << 30, 1 << 30});
  EXPECT_EQ(sum(x).item<int32_t>(), -(1 << 30));  // 3 * 2^30 mod 2^32, as int32
  const Array u = array<uint32_t>({0xffffffffu, 2u});
  EXPECT_EQ(sum(u).item<uint32_t>(), 1u);
}

TEST(ReduceOps, HalfPrecisionReducesInFloat32AndRoundsOnce) {
  for (DType dt : {DType::Float16, DType::BFloat16}) {
    const Array x = random_array({2, 3, 4, 5}, dt, 9);
    const double tol = dt == DType::Float16 ? 2e-3 : 1.6e-2;
    for (const ReduceCase& c : float_cases()) {
      for (const std::vector<int>& axes : axis_subsets(4)) {
        check_case(c, x, axes, false, false, dt, tol, tol * 4);
      }
    }
  }
  // mean and var accumulate in float32: 4096 * 1000 overflows float16, the mean does not.
  const Array big = astype(full({4096}, 1000.0), DType::Float16);
  EXPECT_EQ(to_doubles(mean(big)), std::vector<double>{1000.0});
  EXPECT_EQ(to_doubles(var(big)), std::vector<double>{0.0});
}

// Views: every axis subset of a transposed, a stepped-sliced, a reversed and a broadcast view.
TEST(ReduceOps, NonContiguousViewsMatchReference) {
  const Array base = random_array({4, 6, 5, 3}, DType::Float32, 21);
  const std::vector<std::pair<std::string, Array>> views = {
      {"transpose", transpose(base, {2, 0, 3, 1})},
      {"swapaxes", swapaxes(base, 1, 3)},
      {"leading slice", base.slice(1, 4, 2)},
      {"inner slices", slice(base, {Slice{}, Slice{5, std::nullopt, -2}, Slice{1, 4},
                                    Slice{std::nullopt, std::nullopt, 2}})},
      {"broadcast", broadcast_to(random_array({1, 6, 1, 3}, DType::Float32, 4), {4, 6, 5, 3})},
      {"transposed slice", transpose(base.slice(0, 3), {3, 1, 2, 0})},
      {"reversed rows", slice(base, {Slice{std::nullopt, std::nullopt, -1}})},
      {"reversed columns", slice(base, {Slice{}, Slice{}, Slice{}, Slice{2, std::nullopt, -1}})},
      {"broadcast transposed",
       transpose(broadcast_to(random_array({6, 1, 3}, DType::Float32, 5), {4, 6, 5, 3}),
                 {1, 3, 0, 2})},
  };
  for (const auto& [label, v] : views) {
    ASSERT_FALSE(v.is_contiguous()) << label;
    for (const ReduceCase& c : float_cases()) {
      for (const std::vector<int>& axes : axis_subsets(4)) {
        SCOPED_TRACE(label);
        check_case(c, v, axes, axes.size() % 2 == 0, false, DType::Float32, 2e-5, 2e-5);
      }
    }
  }
}

// Arrays beyond the parallel grain, with 1, 2 and 4 threads: every kernel strategy (row sums,
// column sums, middle axes, full sums, split reductions) against the reference, and the same
// bits on every run with a fixed thread count.
TEST(ReduceOps, LargeReductionsAreCorrectAndDeterministicAcrossThreadCounts) {
  const int saved = num_threads();
  const Array x = random_array({20, 30, 64}, DType::Float32, 2);  // just above the grain
  // Two rows of 50000: too few outputs for 4 threads, so the reduced axis is split (3 chunks).
  const Array tall = random_array({2, 50000}, DType::Float64, 8);
  const std::vector<std::pair<Array, std::vector<int>>> jobs = {
      {x, {2}},
      {x, {0}},
      {x, {1}},
      {x, {0, 2}},
      {x, {0, 1}},
      {x, {}},
      {transpose(x, {2, 0, 1}), {0}},
      {tall, {1}},
      {tall, {0}},
      {tall, {}},
  };
  for (const auto& [a, axes] : jobs) {
    std::vector<int> all = axes;
    for (int d = 0; axes.empty() && d < a.ndim(); ++d) all.push_back(d);
    const auto groups = testing::group_by_output(a.shape(), to_doubles(a), all);
    for (const ReduceCase& c : float_cases()) {
      std::vector<double> want;
      for (const std::vector<double>& g : groups) want.push_back(c.ref(g));
      for (int threads : {1, 2, 4}) {
        set_num_threads(threads);
        const std::string what = std::string(c.name) + " axes=" + prim::axes_to_string(axes) +
                                 " threads=" + std::to_string(threads);
        const std::vector<double> first = to_doubles(c.op(a, axes, false));
        expect_all_close(first, want, 1e-5, 1e-4, what);
        EXPECT_EQ(to_doubles(c.op(a, axes, false)), first) << what;
      }
    }
  }
  set_num_threads(saved);
}

// Outputs that threads split by output position do not depend on the thread count at all.
TEST(ReduceOps, RowAndColumnSumsIgnoreTheThreadCount) {
  const int saved = num_threads();
  const Array x = random_array({300, 512}, DType::Float32, 12);
  set_num_threads(1);
  const std::vector<double> rows = to_doubles(sum(x, {1})), cols = to_doubles(sum(x, {0}));
  set_num_threads(4);
  EXPECT_EQ(to_doubles(sum(x, {1})), rows);
  EXPECT_EQ(to_doubles(sum(x, {0})), cols);
  set_num_threads(saved);
}

// Constants are broadcast views of one element: reductions read that element, never a
// materialised copy, and a sum over n repeats is one multiplication by n.
TEST(ReduceOps, BroadcastConstantsReduceWithoutMaterialising) {
  const Array big = full({4096, 4096}, 0.1, DType::Float32);
  EXPECT_EQ(sum(big).item<float>(), 0.1f * 16777216.0f);
  EXPECT_EQ(mean(big).item<float>(), 0.1f);
  EXPECT_EQ(max(big).item<float>(), 0.1f);
  EXPECT_EQ(to_doubles(sum(full({3, 4}, 2, DType::Int32), {0})), (std::vector<double>{6, 6, 6, 6}));
  EXPECT_EQ(sum(full({1 << 16, 1 << 16}, 1, DType::Int32)).item<int32_t>(), 0);  // 2^32 wraps
  EXPECT_EQ(to_doubles(min(full({2, 3}, -1.5, DType::BFloat16), {1}, true)),
            (std::vector<double>{-1.5, -1.5}));
  EXPECT_EQ(to_doubles(argmax(full({2, 3}, 1.0), 1)), (std::vector<double>{0, 0}));
}

TEST(ReduceOps, LongFloat32SumStaysAccurate) {
  // A plain float32 running sum of 2^22 copies of 0.1f is off by about 1%; lanes plus pairwise
  // halving keep the error to a few ulps, whatever the thread count.
  const int saved = num_threads();
  const int64_t n = int64_t{1} << 22;
  const Array x = array(std::vector<float>(static_cast<size_t>(n), 0.1f));  // dense, not a view
  const double want = static_cast<double>(0.1f) * static_cast<double>(n);
  for (int threads : {1, 3}) {
    set_num_threads(threads);
    EXPECT_NEAR(sum(x).item<float>(), want, want * 1e-6);
    EXPECT_NEAR(mean(x).item<float>(), static_cast<double>(0.1f), 0.1 * 1e-6);
    EXPECT_NEAR(sum(reshape(x, {1024, 4096}), {1}).to_vector<float>()[5], want / 1024,
                1e-6 * want / 1024);
  }
  set_num_threads(saved);
}

TEST(ReduceOps, MaxMinPropagateNaNPerOutput) {
  const double nan = std::nan("");
  for (DType dt : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16}) {
    const Array x =
        astype(array<double>({1, nan, 3, -1, 5, 2, 7, 0, nan, 4, 6, -kInf}, {3, 4}), dt);
    expect_all_close(to_doubles(max(x, {1})), {nan, 7, nan}, 0);
    expect_all_close(to_doubles(min(x, {1})), {nan, 0, nan}, 0);
    expect_all_close(to_doubles(max(x, {0})), {nan, nan, 7, 0}, 0);
    expect_all_close(to_doubles(min(x, {0})), {nan, nan, 3, -kInf}, 0);
    EXPECT_TRUE(std::isnan(to_doubles(max(x))[0]));
    // NaN beyond the first lane block and in the tail of a long run.
    std::vector<double> long_row(1000, 1.0);
    long_row[999] = nan;
    EXPECT_TRUE(std::isnan(to_doubles(max(astype(array(long_row), dt)))[0]));
    long_row[999] = 1.0;
    long_row[517] = nan;
    EXPECT_TRUE(std::isnan(to_doubles(min(astype(array(long_row), dt)))[0]));
  }
}

TEST(ReduceOps, ArgMaxArgMinMatchReferenceAlongEveryAxis) {
  for (const Shape& shape : {Shape{3, 4, 5}, Shape{2, 3, 70, 2}}) {
    for (DType dt : {DType::Float32, DType::Float64, DType::Float16, DType::Int32, DType::UInt32,
                     DType::Int64, DType::Bool}) {
      // Small integer ranges make ties: the first occurrence must win.
      const Array x = dt == DType::Bool ? random_array(shape, DType::Float32, 4) > 0.0
                                        : random_array(shape, dt, 4, 0, 4);
      for (int axis = -static_cast<int>(shape.size()); axis < static_cast<int>(shape.size());
           ++axis) {
        const int norm = axis < 0 ? axis + static_cast<int>(shape.size()) : axis;
        for (bool is_max : {true, false}) {
          for (bool keepdims : {false, true}) {
            const Array y = is_max ? argmax(x, axis, keepdims) : argmin(x, axis, keepdims);
            ASSERT_EQ(y.dtype(), DType::Int32);
            ASSERT_EQ(y.shape(), expected_shape(shape, {norm}, keepdims));
            const auto want = reference_reduce(
                shape, to_doubles(x), {norm},
                [&](const std::vector<double>& g) { return testing::ref_argext(g, is_max); });
            expect_all_close(to_doubles(y), want, 0, 0,
                             std::string(is_max ? "argmax" : "argmin") + " axis " +
                                 std::to_string(axis) + " " + std::string(name(dt)));
          }
        }
      }
    }
  }
}

TEST(ReduceOps, ArgMaxOfViewsAndNaN) {
  const Array base = random_array({5, 6, 7}, DType::Float32, 30);
  const Array v = transpose(base, {2, 0, 1});
  for (int axis = 0; axis < 3; ++axis) {
    const auto want =
        reference_reduce(v.shape(), to_doubles(v), {axis},
                         [](const std::vector<double>& g) { return testing::ref_argext(g, true); });
    expect_all_close(to_doubles(argmax(v, axis)), want, 0);
  }
  const double nan = std::nan("");
  const Array x = array<double>({1, nan, 9, nan, 3, 4, 9, 2, 7, 8, 9, 0}, {3, 4});
  EXPECT_EQ(to_doubles(argmax(x, 1)), (std::vector<double>{1, 2, 2}));
  EXPECT_EQ(to_doubles(argmin(x, 1)), (std::vector<double>{1, 3, 3}));
  EXPECT_EQ(to_doubles(argmax(x, 0)), (std::vector<double>{2, 0, 0, 0}));
  EXPECT_EQ(to_doubles(argmin(astype(x, DType::Float16), 0)), (std::vector<double>{0, 0, 0, 0}));
  // Long rows (searched in blocks): ties, a late NaN, and the extreme in the tail.
  std::vector<float> row(1000, 0.0f);
  row[10] = row[900] = 5.0f;
  row[995] = -3.0f;
  EXPECT_EQ(argmax(array(row), 0).item<int32_t>(), 10);
  EXPECT_EQ(argmin(array(row), 0).item<int32_t>(), 995);
  row[700] = std::nanf("");
  row[800] = std::nanf("");
  EXPECT_EQ(argmax(array(row), 0).item<int32_t>(), 700);
  EXPECT_EQ(argmin(array(row), 0).item<int32_t>(), 700);
  EXPECT_EQ(argmax(array<int64_t>({3, 9, 9, -1}), 0).item<int32_t>(), 1);
}

TEST(ReduceOps, EmptyArrays) {
  const Array e = zeros({0, 3});
  EXPECT_EQ(to_doubles(sum(e, {0})), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(sum(e, {1}).shape(), (Shape{0}));
  EXPECT_EQ(to_doubles(sum(e)), std::vector<double>{0});
  EXPECT_EQ(sum(e, {0}, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(to_doubles(sum(zeros({2, 0}, DType::Int32), {1})), (std::vector<double>{0, 0}));
  EXPECT_TRUE(std::isnan(mean(e).item<float>()));
  EXPECT_TRUE(std::isnan(var(e, {0}).to_vector<float>()[1]));
  EXPECT_EQ(to_doubles(logsumexp(e, {0})), (std::vector<double>{-kInf, -kInf, -kInf}));
  EXPECT_EQ(logsumexp(e, {0}, true).shape(), (Shape{1, 3}));
  // Reducing only non-empty axes of an empty array is fine: the result is empty too.
  EXPECT_EQ(max(e, {1}).shape(), (Shape{0}));
  EXPECT_EQ(argmax(e, 1).shape(), (Shape{0}));
  EXPECT_EQ(softmax(e, 0).shape(), (Shape{0, 3}));
  EXPECT_EQ(log_softmax(zeros({0, 3}, DType::Int32), 1).dtype(), DType::Float32);
}

TEST(ReduceOps, ZeroDimArrays) {
  const Array s = scalar(2.5f);
  for (const ReduceCase& c : float_cases()) {
    const Array y = c.op(s, {}, false);
    EXPECT_EQ(y.shape(), Shape{}) << c.name;
    EXPECT_EQ(y.dtype(), DType::Float32) << c.name;
  }
  EXPECT_EQ(sum(s).item<float>(), 2.5f);
  EXPECT_EQ(max(s, {}, true).item<float>(), 2.5f);
  EXPECT_EQ(logsumexp(s).item<float>(), 2.5f);
  EXPECT_EQ(var(s).item<float>(), 0.0f);
  EXPECT_EQ(mean(scalar(int32_t{3})).item<float>(), 3.0f);
  EXPECT_EQ(sum(scalar(true)).item<int32_t>(), 1);
}

TEST(ReduceOps, KeepdimsReshapesAndBroadcastsBack) {
  const Array x = random_array({2, 3, 4}, DType::Float32, 1);
  const Array m = max(x, {0, 2}, true);
  EXPECT_EQ(m.shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(to_doubles(max(x - m)), std::vector<double>{0.0});
}

TEST(ReduceOps, LogsumexpHandlesInfinitiesAndLargeValues) {
  const Array x =
      array<double>({-kInf, -kInf, 1000, 1000, kInf, 0, -kInf, 1, std::nan("")}, {3, 3});
  const auto got = to_doubles(logsumexp(x, {1}));
  EXPECT_EQ(got[0], 1000.0);  // log(0 + e^1000 / e^1000 ...) + 1000, no overflow
  EXPECT_EQ(got[1], kInf);
  EXPECT_TRUE(std::isnan(got[2]));
  EXPECT_EQ(logsumexp(full({4}, -kInf)).item<float>(), -kInf);
  EXPECT_NEAR(logsumexp(array<float>({1000, 1000})).item<float>(), 1000 + std::log(2.0), 1e-3);
  EXPECT_NEAR(logsumexp(array<float>({-1000, -1000})).item<float>(), -1000 + std::log(2.0), 1e-3);
  EXPECT_EQ(logsumexp(array<int32_t>({0, 0})).dtype(), DType::Float32);
}

TEST(ReduceOps, VarDdofAndMeanVar) {
  const Array x = random_array({4, 5, 6}, DType::Float64, 17);
  const auto xs = to_doubles(x);
  for (int64_t ddof : {0, 1, 2}) {
    expect_all_close(
        to_doubles(var(x, {0, 2}, false, ddof)),
        reference_reduce(x.shape(), xs, {0, 2},
                         [&](const std::vector<double>& g) { return testing::ref_var(g, ddof); }),
        1e-12);
  }
  // ddof >= count: the divisor stops at 0 (inf, or NaN for 0 / 0), never a negative variance.
  EXPECT_EQ(var(array<double>({1, 2}), {}, false, 3).item<double>(), kInf);
  EXPECT_TRUE(std::isnan(var(array<double>({1, 1}), {}, false, 2).item<double>()));

  for (DType dt : {DType::Float32, DType::BFloat16, DType::Int32}) {
    const Array a = random_array({4, 5, 6}, dt, 18, -3, 3);
    const MeanVar mv = mean_var(a, {-1});
    const DType want = dt == DType::Int32 ? DType::Float32 : dt;
    EXPECT_EQ(mv.mean.dtype(), want);
    EXPECT_EQ(mv.var.dtype(), want);
    EXPECT_EQ(mv.mean.shape(), (Shape{4, 5, 1}));
    EXPECT_EQ(mv.var.shape(), (Shape{4, 5, 1}));
    EXPECT_EQ(to_doubles(mv.mean), to_doubles(mean(a, {2}, true)));
    EXPECT_EQ(to_doubles(mv.var), to_doubles(var(a, {2}, true)));
  }
  const MeanVar all = mean_var(x, {});
  EXPECT_EQ(all.mean.shape(), (Shape{1, 1, 1}));
  expect_all_close(to_doubles(all.var), {testing::ref_var(xs)}, 1e-12);
}

TEST(Softmax, MatchesReferenceAlongEveryAxis) {
  for (const Shape& shape : {Shape{3, 4, 5}, Shape{2, 3, 4, 5}}) {
    for (DType dt : {DType::Float32, DType::Float64}) {
      const Array x = random_array(shape, dt, 40, -5, 5);
      const double tol = dt == DType::Float32 ? 2e-6 : 1e-13;
      for (int axis = -static_cast<int>(shape.size()); axis < static_cast<int>(shape.size());
           ++axis) {
        const int norm = axis < 0 ? axis + static_cast<int>(shape.size()) : axis;
        for (bool log : {false, true}) {
          const Array y = log ? log_softmax(x, axis) : softmax(x, axis);
          ASSERT_EQ(y.shape(), shape);
          ASSERT_EQ(y.dtype(), dt);
          expect_all_close(
              to_doubles(y), testing::ref_softmax(shape, to_doubles(x), norm, log), tol, tol,
              std::string(log ? "log_softmax" : "softmax") + " axis " + std::to_string(axis));
        }
      }
    }
  }
}

TEST(Softmax, StableForLargeInputsViewsAndHalfPrecision) {
  const Array x = array<float>({1000, 1001, 1002, -1000, -1001, -1002}, {2, 3});
  const auto want = testing::ref_softmax({2, 3}, to_doubles(x), 1, false);
  expect_all_close(to_doubles(softmax(x)), want, 1e-6, 1e-7);
  expect_all_close(to_doubles(log_softmax(x)), testing::ref_softmax({2, 3}, to_doubles(x), 1, true),
                   1e-6, 1e-5);
  // A -inf logit gets probability 0 (log-probability -inf); the row still normalises.
  const Array masked = array<float>({0, static_cast<float>(-kInf), 0}, {1, 3});
  EXPECT_EQ(to_doubles(softmax(masked)), (std::vector<double>{0.5, 0, 0.5}));
  EXPECT_EQ(to_doubles(log_softmax(masked))[1], -kInf);

  const Array v = transpose(random_array({4, 5, 6}, DType::Float32, 3), {1, 2, 0});
  expect_all_close(to_doubles(softmax(v, 1)),
                   testing::ref_softmax(v.shape(), to_doubles(v), 1, false), 2e-6, 1e-7);
  const Array h = random_array({3, 7}, DType::BFloat16, 6);
  EXPECT_EQ(softmax(h).dtype(), DType::BFloat16);
  expect_all_close(to_doubles(softmax(h)), testing::ref_softmax({3, 7}, to_doubles(h), 1, false),
                   2e-2, 1e-3);
}

TEST(Softmax, IntegersPromoteToFloat32) {
  const Array x = array<int32_t>({0, 1, 2, 3}, {2, 2});
  const Array y = softmax(x, 0);
  EXPECT_EQ(y.dtype(), DType::Float32);
  expect_all_close(to_doubles(y), testing::ref_softmax({2, 2}, to_doubles(x), 0, false), 1e-6);
  EXPECT_EQ(log_softmax(x).dtype(), DType::Float32);
  EXPECT_EQ(softmax(x > 1).dtype(), DType::Float32);
}

TEST(ReduceOps, ErrorsNameTheOpAndTheProblem) {
  const Array x = random_array({2, 3, 4}, DType::Float32, 0);
  EXPECT_STRATA_ERROR(sum(x, {3}), "[sum]", "axis 3 is out of range", "3 dimensions");
  EXPECT_STRATA_ERROR(mean(x, {-4}), "[mean]", "axis -4 is out of range");
  EXPECT_STRATA_ERROR(max(x, {1, 1}), "[max]", "repeat");
  EXPECT_STRATA_ERROR(min(x, {1, -2}), "[min]", "repeat");
  EXPECT_STRATA_ERROR(var(x, {0, 5}), "[var]", "out of range");
  EXPECT_STRATA_ERROR(logsumexp(x, {7}), "[logsumexp]", "out of range");
  EXPECT_STRATA_ERROR(mean_var(x, {3}), "[mean_var]", "out of range");
  EXPECT_STRATA_ERROR(argmax(x, 3), "[argmax]", "out of range");
  EXPECT_STRATA_ERROR(argmin(x, -4), "[argmin]", "out of range");
  EXPECT_STRATA_ERROR(softmax(x, 3), "[softmax]", "out of range");
  EXPECT_STRATA_ERROR(log_softmax(x, -4), "[log_softmax]", "out of range");
  EXPECT_STRATA_ERROR(softmax(scalar(1.0f)), "[softmax]", "out of range");
  EXPECT_STRATA_ERROR(argmax(scalar(1.0f), 0), "[argmax]", "out of range");
  EXPECT_STRATA_ERROR(sum(scalar(1.0f), {0}), "[sum]", "out of range");

  const Array e = zeros({2, 0, 3});
  EXPECT_STRATA_ERROR(max(e), "[max]", "axis 1", "empty", "no identity");
  EXPECT_STRATA_ERROR(min(e, {1}), "[min]", "empty");
  EXPECT_STRATA_ERROR(max(zeros({0, 0}), {0}), "[max]", "empty");  // even with an empty result
  EXPECT_STRATA_ERROR(argmax(e, 1), "[argmax]", "empty");
  EXPECT_STRATA_ERROR(argmin(e, -2), "[argmin]", "empty");

  const Array none;
  EXPECT_STRATA_ERROR(sum(none), "[sum]", "empty Array");
  EXPECT_STRATA_ERROR(mean(none), "[mean]", "empty Array");
  EXPECT_STRATA_ERROR(max(none), "[max]", "empty Array");
  EXPECT_STRATA_ERROR(min(none), "[min]", "empty Array");
  EXPECT_STRATA_ERROR(var(none), "[var]", "empty Array");
  EXPECT_STRATA_ERROR(logsumexp(none), "[logsumexp]", "empty Array");
  EXPECT_STRATA_ERROR(argmax(none, 0), "[argmax]", "empty Array");
  EXPECT_STRATA_ERROR(argmin(none, 0), "[argmin]", "empty Array");
  EXPECT_STRATA_ERROR(softmax(none), "[softmax]", "empty Array");
  EXPECT_STRATA_ERROR(log_softmax(none), "[log_softmax]", "empty Array");
  EXPECT_STRATA_ERROR(mean_var(none, {}), "[mean_var]", "empty Array");
}

}  // namespace
}  // namespace strata
