// matmul (numpy.matmul semantics) against a plain triple loop in double: every operand rank
// combination, batch broadcasting, float32 / float64 / bfloat16 / float16 / int32, transposed and
// strided views (which must agree with their contiguous copies), zero-size dimensions, promotion,
// and every error path.
#include <cstring>
#include <thread>

#include "backend/cpu/matmul.h"
#include "backend/cpu/strided.h"
#include "ops/product_reference.h"

namespace strata {
namespace {

using testing::broadcast_source_index;
using testing::expect_matches;
using testing::Expected;
using testing::random_array;
using testing::to_doubles;

Expected reference_matmul(const Array& a, const Array& b) {
  const std::vector<double> va = to_doubles(a), vb = to_doubles(b);
  Shape sa = a.shape(), sb = b.shape();
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  const Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  Shape batch(std::max(ba.size(), bb.size()));
  for (size_t i = 0; i < batch.size(); ++i) {
    const size_t ia = i + ba.size() - batch.size(), ib = i + bb.size() - batch.size();
    const int64_t da = i + ba.size() >= batch.size() ? ba[ia] : 1;
    const int64_t db = i + bb.size() >= batch.size() ? bb[ib] : 1;
    batch[i] = std::max(da, db);
  }
  const int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  Expected e;
  e.shape = batch;
  if (a.ndim() > 1) e.shape.push_back(m);
  if (b.ndim() > 1) e.shape.push_back(n);
  for (int64_t bi = 0; bi < detail::shape_size(batch); ++bi) {
    const int64_t oa = broadcast_source_index(ba, batch, bi) * m * k;
    const int64_t ob = broadcast_source_index(bb, batch, bi) * k * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double s = 0, mag = 0;
        for (int64_t kk = 0; kk < k; ++kk) {
          const double t =
              va[static_cast<size_t>(oa + i * k + kk)] * vb[static_cast<size_t>(ob + kk * n + j)];
          s += t;
          mag += std::fabs(t);
        }
        e.value.push_back(s);
        e.magnitude.push_back(mag);
      }
    }
  }
  return e;
}

std::string describe(const Shape& a, const Shape& b, DType t) {
  return detail::cat(to_string(a), " @ ", to_string(b), " ", t);
}

struct ShapePair {
  Shape a, b;
};
const std::vector<ShapePair> kShapes = {
    {{7}, {7}},                    // 1-D . 1-D -> 0-d
    {{5}, {5, 3}},                 // 1-D . 2-D
    {{4, 5}, {5}},                 // 2-D . 1-D
    {{4, 5}, {5, 3}},              // 2-D . 2-D
    {{3, 4, 5}, {3, 5, 2}},        // batched
    {{3, 4, 5}, {5, 2}},           // batched . weight (one GEMM with M = 12)
    {{1, 3, 4}, {5, 4, 2}},        // broadcast batch
    {{2, 1, 3, 4}, {3, 4, 5}},     // 4-D with broadcasting
    {{2, 3, 4, 5}, {2, 3, 5, 6}},  // 4-D
    {{4, 5}, {2, 5, 3}},           // 2-D . batched
    {{5}, {2, 3, 5, 4}},           // 1-D . batched
    {{2, 3, 4, 5}, {5}},           // batched . 1-D
    {{8, 16, 32}, {32, 24}},       // x[B, S, F] . W
    {{33, 65}, {65, 17}},          // odd sizes
};

TEST(Matmul, AllRankCombinationsAndDtypes) {
  for (DType t : {DType::Float32, DType::Float64, DType::BFloat16, DType::Float16, DType::Int32}) {
    uint32_t seed = 1;
    for (const ShapePair& s : kShapes) {
      const Array a = testing::product_operand(s.a, t, seed++),
                  b = testing::product_operand(s.b, t, seed++);
      const Array c = matmul(a, b);
      EXPECT_EQ(c.dtype(), t);
      expect_matches(c, reference_matmul(a, b), testing::product_tolerance(t),
                     describe(s.a, s.b, t));
    }
  }
}

TEST(Matmul, ResultIsAFreshContiguousArray) {
  const Array c = matmul(testing::product_operand({3, 4}, DType::Float32, 1),
                         testing::product_operand({4, 5}, DType::Float32, 2));
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.shape(), (Shape{3, 5}));
}

// Transposed and sliced views are fed to the kernel as strides; the answer must be the one their
// contiguous copies give.
void expect_same_as_contiguous(const Array& a, const Array& b, const std::string& what) {
  const Array c = matmul(a, b);
  expect_matches(c, reference_matmul(a, b), testing::product_tolerance(a.dtype()), what);
  const Array dense = matmul(cpu::contiguous(a), cpu::contiguous(b));
  const std::vector<double> got = to_doubles(c), want = to_doubles(dense);
  ASSERT_EQ(got.size(), want.size()) << what;
  // Identical, not merely close: the reference loop (float64, integers) reads the same values in
  // the same order whatever the strides, and at these sizes (K <= 40, inside one K block of every
  // oneDNN kernel) oneDNN sums each output in k order for either operand layout.
  EXPECT_EQ(got, want) << what;
}

TEST(MatmulViews, TransposedOperands) {
  for (DType t : {DType::Float32, DType::Float64, DType::BFloat16, DType::Int32}) {
    const Array at =
        transpose(testing::product_operand({40, 24}, t, 3));  // (24, 40) view, column-major
    const Array bt =
        swapaxes(testing::product_operand({3, 16, 40}, t, 4), 1, 2);  // (3, 40, 16) view
    const Array a = testing::product_operand({24, 40}, t, 5);
    const Array b = testing::product_operand({40, 16}, t, 6);
    expect_same_as_contiguous(at, b, "a transposed");
    expect_same_as_contiguous(a, transpose(testing::product_operand({16, 40}, t, 7)),
                              "b transposed");
    expect_same_as_contiguous(at, transpose(testing::product_operand({16, 40}, t, 7)),
                              "both transposed");
    expect_same_as_contiguous(a, bt, "batched b transposed");
    expect_same_as_contiguous(swapaxes(testing::product_operand({3, 40, 24}, t, 8), 1, 2), bt,
                              "batched both transposed");
    // The W1 backward forms: dx = dy . W^T and dW = x^T . dy.
    const Array x = testing::product_operand({64, 48}, t, 9),
                w = testing::product_operand({48, 32}, t, 10);
    const Array dy = testing::product_operand({64, 32}, t, 11);
    expect_same_as_contiguous(dy, transpose(w), "dy . W^T");
    expect_same_as_contiguous(transpose(x), dy, "x^T . dy");
  }
}

TEST(MatmulViews, SlicedOperands) {
  for (DType t : {DType::Float32, DType::Float64, DType::Int32}) {
    const Array big = testing::product_operand({12, 20}, t, 12);
    const Array w = testing::product_operand({20, 6}, t, 13);
    expect_same_as_contiguous(big.slice(1, 12, 2), w, "rows with step 2");  // M stride 40
    expect_same_as_contiguous(big.slice(10, 0, -3), w, "rows reversed");    // negative stride
    // Columns with a step: K has stride 2, which oneDNN cannot address (copied first).
    const Array cols = slice(big, {Slice{}, Slice{0, 20, 2}});
    expect_same_as_contiguous(cols, testing::product_operand({10, 6}, t, 14), "K with step 2");
    expect_same_as_contiguous(slice(big, {Slice{}, Slice{std::nullopt, std::nullopt, -1}}), w,
                              "K reversed");
    // A batch slice x[:, :5, :] of a 3-D array: the rows of each batch are not adjacent to the
    // next batch's, so they cannot merge into one M; the kernel batches instead of copying.
    const Array x = testing::product_operand({4, 8, 20}, t, 15);
    expect_same_as_contiguous(slice(x, {Slice{}, Slice{0, 5}}), w, "x[:, :5, :] . W");
    expect_same_as_contiguous(x.slice(0, 4, 2), testing::product_operand({2, 20, 3}, t, 16),
                              "batch step 2");
    // Broadcast (zero-stride) operands.
    expect_same_as_contiguous(broadcast_to(testing::product_operand({1, 20}, t, 17), {5, 20}), w,
                              "broadcast rows");
    expect_same_as_contiguous(broadcast_to(testing::product_operand({8, 20}, t, 18), {3, 8, 20}),
                              broadcast_to(testing::product_operand({20, 4}, t, 19), {3, 20, 4}),
                              "both batch-broadcast");
  }
}

TEST(Matmul, ZeroSizeDimensions) {
  for (DType t : {DType::Float32, DType::Float64, DType::BFloat16, DType::Int32}) {
    const Array k0 = matmul(testing::product_operand({3, 0}, t, 1),
                            testing::product_operand({0, 4}, t, 2));  // empty sums
    EXPECT_EQ(k0.shape(), (Shape{3, 4}));
    for (double v : to_doubles(k0)) EXPECT_EQ(v, 0.0);
    EXPECT_EQ(matmul(testing::product_operand({0, 5}, t, 3), testing::product_operand({5, 4}, t, 4))
                  .shape(),
              (Shape{0, 4}));
    EXPECT_EQ(matmul(testing::product_operand({3, 5}, t, 3), testing::product_operand({5, 0}, t, 4))
                  .shape(),
              (Shape{3, 0}));
    EXPECT_EQ(
        matmul(testing::product_operand({0, 3, 5}, t, 3), testing::product_operand({5, 2}, t, 4))
            .shape(),
        (Shape{0, 3, 2}));
    EXPECT_EQ(matmul(testing::product_operand({2, 3, 5}, t, 3),
                     testing::product_operand({0, 1, 5, 2}, t, 4))
                  .shape(),
              (Shape{0, 2, 3, 2}));
    EXPECT_EQ(
        matmul(testing::product_operand({0}, t, 5), testing::product_operand({0}, t, 6)).shape(),
        Shape{});
    EXPECT_EQ(to_doubles(
                  matmul(testing::product_operand({0}, t, 5), testing::product_operand({0}, t, 6))),
              std::vector<double>{0});
  }
}

TEST(Matmul, Promotion) {
  const Array i = testing::product_operand({3, 4}, DType::Int32, 1),
              f = testing::product_operand({4, 2}, DType::Float32, 2);
  const Array c = matmul(i, f);
  EXPECT_EQ(c.dtype(), DType::Float32);
  expect_matches(c, reference_matmul(i, f), 1e-5, "int32 @ float32");
  EXPECT_EQ(matmul(testing::product_operand({3, 4}, DType::BFloat16, 3), f).dtype(),
            DType::Float32);
  EXPECT_EQ(matmul(f.astype(DType::Float16), testing::product_operand({2, 3}, DType::BFloat16, 4))
                .dtype(),
            DType::Float32);
  EXPECT_EQ(matmul(i, testing::product_operand({4, 2}, DType::Int64, 5)).dtype(), DType::Int64);
  EXPECT_EQ(matmul(f, testing::product_operand({2, 2}, DType::Float64, 6)).dtype(), DType::Float64);
  // bool multiplies as int32: (x > 0) @ (y > 0) counts the k with both positive.
  const Array x = testing::product_operand({3, 6}, DType::Float32, 7) > 0.0f;
  const Array y = testing::product_operand({6, 2}, DType::Float32, 8) > 0.0f;
  const Array counts = matmul(x, y);
  EXPECT_EQ(counts.dtype(), DType::Int32);
  expect_matches(counts, reference_matmul(x, y), 0, "bool @ bool");
  const Array u = testing::product_operand({6, 2}, DType::Int32, 9).astype(DType::UInt32);
  const Array xu = matmul(x, u);  // uint32 arithmetic wraps like the reference's modulo 2^32
  EXPECT_EQ(xu.dtype(), DType::UInt32);
  const std::vector<double> got = to_doubles(xu);
  const Expected want = reference_matmul(x, u);
  for (size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k], std::fmod(want.value[k] + 4294967296.0 * 8, 4294967296.0)) << k;
  }
}

TEST(Matmul, IntegersWrapAround) {
  // 65536 * 65536 * 2 = 2^33 wraps to 0 in int32; 65536 * 65535 + ... stays exact modulo 2^32.
  const Array a = array<int32_t>({65536, 65536}, {1, 2});
  const Array b = array<int32_t>({65536, 65536}, {2, 1});
  EXPECT_EQ(matmul(a, b).item<int32_t>(), 0);
  const Array c = array<int32_t>({65536, 3}, {1, 2});
  const Array d = array<int32_t>({65535, 7}, {2, 1});
  EXPECT_EQ(matmul(c, d).item<int32_t>(),
            static_cast<int32_t>(static_cast<uint32_t>(65536u * 65535u) + 21u));
}

TEST(Matmul, RepeatedCallsReuseOnePlan) {
  cpu::clear_matmul_plan_cache();
  const Array a = testing::product_operand({8, 16}, DType::Float32, 1),
              b = testing::product_operand({16, 4}, DType::Float32, 2);
  for (int i = 0; i < 5; ++i) (void)matmul(a, b);
  EXPECT_EQ(cpu::matmul_plan_cache_size(), 1u);
  (void)matmul(transpose(b), transpose(a));
  EXPECT_EQ(cpu::matmul_plan_cache_size(), 2u);
}

TEST(Matmul, ConcurrentCallsFromManyThreads) {
  const Array a = testing::product_operand({2, 32, 48}, DType::Float32, 1),
              b = testing::product_operand({48, 40}, DType::Float32, 2);
  const std::vector<double> want = to_doubles(matmul(a, b));
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (size_t t = 0; t < ok.size(); ++t) {
    threads.emplace_back([&, t] {
      bool same = true;
      for (int i = 0; i < 20; ++i) same = same && to_doubles(matmul(a, b)) == want;
      ok[t] = same;
    });
  }
  for (std::thread& th : threads) th.join();
  for (int v : ok) EXPECT_TRUE(v);
}

TEST(MatmulErrors, ZeroDimensionalOperands) {
  EXPECT_STRATA_ERROR(matmul(scalar(2.0f), testing::product_operand({3}, DType::Float32, 1)),
                      "[matmul]", "at least 1-D", "shape ()", "multiply");
  EXPECT_STRATA_ERROR(matmul(testing::product_operand({3}, DType::Float32, 1), scalar(2.0f)),
                      "[matmul]", "at least 1-D", "shape (3,)");
}

TEST(MatmulErrors, InnerDimensionsDiffer) {
  const Array a = testing::product_operand({2, 3}, DType::Float32, 1),
              b = testing::product_operand({4, 5}, DType::Float32, 2);
  EXPECT_STRATA_ERROR(matmul(a, b), "[matmul] inner dimensions differ",
                      "a has shape (2, 3) with 3 columns", "b has shape (4, 5) with 4 rows");
  EXPECT_STRATA_ERROR(matmul(testing::product_operand({3}, DType::Float32, 1), b),
                      "a has shape (3,) with 3 elements", "4 rows");
  EXPECT_STRATA_ERROR(matmul(a, testing::product_operand({4}, DType::Float32, 1)),
                      "b has shape (4,) with 4 elements", "only axis");
  EXPECT_STRATA_ERROR(matmul(testing::product_operand({7, 2, 3}, DType::Float32, 1),
                             testing::product_operand({7, 2, 3}, DType::Float32, 2)),
                      "(7, 2, 3) with 3 columns", "(7, 2, 3) with 2 rows", "second-to-last");
}

TEST(MatmulErrors, BatchDimensionsDoNotBroadcast) {
  EXPECT_STRATA_ERROR(matmul(testing::product_operand({2, 3, 4}, DType::Float32, 1),
                             testing::product_operand({3, 4, 5}, DType::Float32, 2)),
                      "[matmul] batch dimensions cannot be broadcast",
                      "a has shape (2, 3, 4) (batch (2,))", "b has shape (3, 4, 5) (batch (3,))");
}

TEST(MatmulErrors, EmptyHandles) {
  EXPECT_STRATA_ERROR(matmul(Array(), testing::product_operand({3}, DType::Float32, 1)), "[matmul]",
                      "a is an empty Array");
  EXPECT_STRATA_ERROR(matmul(testing::product_operand({3}, DType::Float32, 1), Array()), "[matmul]",
                      "b is an empty Array");
}

}  // namespace
}  // namespace strata
