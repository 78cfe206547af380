// Data-movement primitives (concatenate, iota, gather, dynamic_slice, dynamic_update_slice)
// against plain reference loops, through bind (eager) and through eval_cpu into preallocated
// outputs (the compiled path), with strided views as operands and every shape/dtype error.
#include <algorithm>

#include "backend/cpu/strided.h"
#include "primitives/data_movement.h"
#include "primitives/layout.h"
#include "test_util.h"

namespace strata {
namespace {

using prim::bind1;
using prim::make;
using testing::random_array;
using testing::ravel;
using testing::to_doubles;
using testing::unravel;

// Evaluates `p` through eval_cpu into a fresh dense output (the executor's entry point).
Array eval_compiled(const prim::PrimitivePtr& p, const std::vector<Array>& in) {
  std::vector<prim::ValueType> types;
  for (const Array& a : in) types.push_back(prim::type_of(a));
  const prim::ValueType t = p->infer(types)[0];
  const Array out = detail::empty(t.shape, t.dtype);
  p->eval_cpu(in, {out});
  return out;
}

// Non-contiguous views of a random array of `shape`: transposed (from the reversed shape) and
// strided (every other element of a larger array).
Array transposed_view(const Shape& shape, DType dtype, uint32_t seed) {
  Shape rev(shape.rbegin(), shape.rend());
  std::vector<int> perm;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) perm.push_back(i);
  return bind1(make<prim::Transpose>(perm), {random_array(rev, dtype, seed)});
}

// Reference concatenation along `axis` on doubles.
std::vector<double> ref_concat(const std::vector<Array>& in, int axis, const Shape& out_shape) {
  std::vector<double> out(static_cast<size_t>(detail::shape_size(out_shape)));
  int64_t offset = 0;
  for (const Array& a : in) {
    const std::vector<double> v = to_doubles(a);
    for (int64_t i = 0; i < a.size(); ++i) {
      std::vector<int64_t> idx = unravel(i, a.shape());
      idx[static_cast<size_t>(axis)] += offset;
      out[static_cast<size_t>(ravel(idx, out_shape))] = v[static_cast<size_t>(i)];
    }
    offset += a.shape()[static_cast<size_t>(axis)];
  }
  return out;
}

// ---------------------------------------------------------------- concatenate
TEST(DataMovementPrimitives, ConcatenateMatchesReferenceOnEveryAxisAndDtype) {
  uint32_t seed = 1;
  for (DType dt : {DType::Float32, DType::Int32, DType::Float16, DType::Float64, DType::Bool}) {
    for (int axis = 0; axis < 3; ++axis) {
      std::vector<Array> in;
      for (int64_t len : {2, 1, 3}) {
        Shape s{4, 3, 5};
        s[static_cast<size_t>(axis)] = len;
        in.push_back(random_array(s, dt, seed++));
      }
      const Array y = bind1(make<prim::Concatenate>(axis), in);
      Shape want_shape{4, 3, 5};
      want_shape[static_cast<size_t>(axis)] = 6;
      ASSERT_EQ(y.shape(), want_shape);
      ASSERT_EQ(y.dtype(), dt);
      EXPECT_EQ(to_doubles(y), ref_concat(in, axis, want_shape)) << "axis " << axis;
      EXPECT_EQ(to_doubles(eval_compiled(make<prim::Concatenate>(axis), in)), to_doubles(y));
    }
  }
}

TEST(DataMovementPrimitives, ConcatenateReadsStridedAndBroadcastViews) {
  // Long rows (strided reads per block) and short rows (materialised first) both covered.
  for (int64_t cols : {3, 200}) {
    const Array dense = random_array({4, cols}, DType::Float32, 7);
    const Array t = transposed_view({4, cols}, DType::Float32, 8);
    const Array big = random_array({8, cols * 2}, DType::Float32, 9);
    const Array strided =
        bind1(make<prim::StaticSlice>(std::vector<int64_t>{1, 0}, std::vector<int64_t>{4, cols},
                                      std::vector<int64_t>{2, 2}),
              {big});
    const Array row = random_array({1, cols}, DType::Float32, 10);
    const Array bcast =
        bind1(make<prim::BroadcastInDim>(Shape{4, cols}, std::vector<int>{0, 1}), {row});
    ASSERT_FALSE(t.is_contiguous());
    ASSERT_FALSE(strided.is_contiguous());
    const std::vector<Array> in{dense, t, strided, bcast};
    for (int axis : {0, 1}) {
      const Array y = bind1(make<prim::Concatenate>(axis), in);
      EXPECT_EQ(to_doubles(y), ref_concat(in, axis, y.shape())) << cols << " axis " << axis;
    }
  }
}

TEST(DataMovementPrimitives, ConcatenateLargeOperandsInParallel) {
  // Enough rows and bytes that the copy splits across threads, dense and strided sources.
  const Array a = random_array({1000, 100}, DType::Float32, 12);
  const Array b = transposed_view({1000, 60}, DType::Float32, 13);
  for (int axis : {0, 1}) {
    const std::vector<Array> in =
        axis == 1 ? std::vector<Array>{a, b, a}
                  : std::vector<Array>{a, transposed_view({300, 100}, DType::Float32, 14)};
    const Array y = bind1(make<prim::Concatenate>(axis), in);
    EXPECT_EQ(to_doubles(y), ref_concat(in, axis, y.shape())) << axis;
  }
}

TEST(DataMovementPrimitives, ConcatenateEmptyOperandsWeakTypeAndParams) {
  const Array a = random_array({0, 3}, DType::Float32, 1);
  const Array b = random_array({2, 3}, DType::Float32, 2);
  const Array y = bind1(make<prim::Concatenate>(0), {a, b, a});
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(to_doubles(y), to_doubles(b));
  EXPECT_EQ(bind1(make<prim::Concatenate>(1), {a, a}).shape(), (Shape{0, 6}));
  // The result is weak only when every operand is.
  const Array w = detail::with_weak_type(b, true);
  EXPECT_TRUE(bind1(make<prim::Concatenate>(0), {w, w}).weak_type());
  EXPECT_FALSE(bind1(make<prim::Concatenate>(0), {w, b}).weak_type());
  EXPECT_EQ(make<prim::Concatenate>(1)->params(), "dimension=1");
}

TEST(DataMovementPrimitives, ConcatenateErrors) {
  const Array a = random_array({2, 3}, DType::Float32, 1);
  EXPECT_STRATA_ERROR(bind1(make<prim::Concatenate>(0), {}), "[concatenate]", "at least one");
  EXPECT_STRATA_ERROR(bind1(make<prim::Concatenate>(0), {a, astype(a, DType::Int32)}),
                      "[concatenate]", "one dtype", "i32[2,3]");
  EXPECT_STRATA_ERROR(
      bind1(make<prim::Concatenate>(0), {a, random_array({2, 4}, DType::Float32, 2)}),
      "[concatenate]", "f32[2,4]", "except along dimension 0");
  EXPECT_STRATA_ERROR(bind1(make<prim::Concatenate>(0), {a, random_array({6}, DType::Float32, 2)}),
                      "[concatenate]", "f32[6]");
  EXPECT_STRATA_ERROR(bind1(make<prim::Concatenate>(2), {a, a}), "[concatenate]", "dimension 2");
  EXPECT_STRATA_ERROR(bind1(make<prim::Concatenate>(0), {scalar(1.0f), scalar(2.0f)}),
                      "[concatenate]", "0-d");
}

// ---------------------------------------------------------------- iota
TEST(DataMovementPrimitives, IotaCountsAlongTheDimension) {
  for (DType dt : {DType::Int32, DType::UInt32, DType::Int64, DType::Float16, DType::BFloat16,
                   DType::Float32, DType::Float64}) {
    const Shape shape{3, 4, 5};
    for (int dim = 0; dim < 3; ++dim) {
      const Array y = bind1(make<prim::Iota>(dt, shape, dim), {});
      ASSERT_EQ(y.shape(), shape);
      ASSERT_EQ(y.dtype(), dt);
      EXPECT_FALSE(y.weak_type());
      const std::vector<double> v = to_doubles(y);
      for (int64_t i = 0; i < y.size(); ++i) {
        ASSERT_EQ(v[static_cast<size_t>(i)],
                  static_cast<double>(unravel(i, shape)[static_cast<size_t>(dim)]));
      }
    }
  }
  EXPECT_EQ(bind1(make<prim::Iota>(DType::Int32, Shape{0, 4}, 1), {}).size(), 0);
  // Large enough to run in parallel chunks.
  const Array big = bind1(make<prim::Iota>(DType::Int64, Shape{300000}, 0), {});
  const std::vector<int64_t> v = big.to_vector<int64_t>();
  for (int64_t i = 0; i < 300000; i += 997) ASSERT_EQ(v[static_cast<size_t>(i)], i);
  EXPECT_EQ(v.back(), 299999);
  EXPECT_EQ(make<prim::Iota>(DType::Int32, Shape{2, 3}, 1)->params(),
            "dtype=int32 shape=(2, 3) dimension=1");
}

TEST(DataMovementPrimitives, IotaErrors) {
  EXPECT_STRATA_ERROR(bind1(make<prim::Iota>(DType::Bool, Shape{3}, 0), {}), "[iota]", "bool");
  EXPECT_STRATA_ERROR(bind1(make<prim::Iota>(DType::Int32, Shape{3}, 1), {}), "[iota]",
                      "dimension 1");
  EXPECT_STRATA_ERROR(bind1(make<prim::Iota>(DType::Int32, Shape{}, 0), {}), "[iota]");
  EXPECT_STRATA_ERROR(bind1(make<prim::Iota>(DType::Int32, Shape{-2}, 0), {}), "[iota]",
                      "negative");
  EXPECT_STRATA_ERROR(bind1(make<prim::Iota>(DType::Int32, Shape{3}, 0), {scalar(1)}), "[iota]",
                      "expected 0 operands");
}

// ---------------------------------------------------------------- gather
std::vector<double> ref_gather(const Array& operand, const std::vector<int64_t>& rows) {
  const std::vector<double> v = to_doubles(operand);
  const int64_t n = operand.shape()[0];
  const int64_t row = n == 0 ? 0 : operand.size() / n;
  std::vector<double> out;
  for (int64_t r : rows) {
    if (r < 0) r += n;
    r = std::clamp<int64_t>(r, 0, n - 1);
    for (int64_t j = 0; j < row; ++j) out.push_back(v[static_cast<size_t>(r * row + j)]);
  }
  return out;
}

TEST(DataMovementPrimitives, GatherTakesRowsForAnyIndexShapeAndDtype) {
  const Array x = random_array({6, 3, 4}, DType::Float32, 3);
  const std::vector<int64_t> rows{0, 5, -1, 2, -6, 3};
  for (DType idt : {DType::Int32, DType::Int64}) {
    const Array idx = astype(array(rows, {2, 3}), idt);
    const Array y = bind1(make<prim::Gather>(), {x, idx});
    ASSERT_EQ(y.shape(), (Shape{2, 3, 3, 4}));
    EXPECT_EQ(to_doubles(y), ref_gather(x, rows));
  }
  const Array u = array(std::vector<uint32_t>{4, 1}, {2});
  EXPECT_EQ(to_doubles(bind1(make<prim::Gather>(), {x, u})), ref_gather(x, {4, 1}));
  // 0-d indices drop the leading axis; empty indices give an empty result.
  EXPECT_EQ(bind1(make<prim::Gather>(), {x, scalar<int32_t>(2)}).shape(), (Shape{3, 4}));
  EXPECT_EQ(bind1(make<prim::Gather>(), {x, array(std::vector<int32_t>{}, {0})}).shape(),
            (Shape{0, 3, 4}));
  // 1-d operand: elements.
  const Array v = random_array({5}, DType::Int32, 4, -100, 100);
  EXPECT_EQ(to_doubles(bind1(make<prim::Gather>(), {v, array({4, 0, -2})})),
            ref_gather(v, {4, 0, -2}));
  EXPECT_EQ(make<prim::Gather>()->params(), "axis=0");
}

TEST(DataMovementPrimitives, GatherReadsViewsAndRunsInParallel) {
  // Transposed operand: rows are strided.  Broadcast operand: zero strides.  Reversed indices.
  const Array t = transposed_view({5, 7}, DType::Float64, 5);
  const Array row = random_array({1, 7}, DType::Float64, 6);
  const Array bcast = bind1(make<prim::BroadcastInDim>(Shape{5, 7}, std::vector<int>{0, 1}), {row});
  const Array idx_base = array({3, 1, 4, 0, 2, -1});
  const Array idx = bind1(make<prim::StaticSlice>(std::vector<int64_t>{5}, std::vector<int64_t>{6},
                                                  std::vector<int64_t>{-1}),
                          {idx_base});
  const std::vector<int64_t> rows{-1, 2, 0, 4, 1, 3};
  for (const Array& op : {t, bcast}) {
    EXPECT_EQ(to_doubles(bind1(make<prim::Gather>(), {op, idx})), ref_gather(op, rows));
  }
  const Array big = random_array({1000, 64}, DType::Float32, 7);
  std::vector<int64_t> many;
  for (int64_t i = 0; i < 2000; ++i) many.push_back((i * 7919) % 1000 - (i % 3 == 0 ? 1000 : 0));
  EXPECT_EQ(to_doubles(bind1(make<prim::Gather>(), {big, array(many)})), ref_gather(big, many));
}

TEST(DataMovementPrimitives, GatherClampsEagerAndCompiled) {
  const Array x = random_array({4, 2}, DType::Float32, 8);
  // The primitive clamps what is still out of range after one wrap, like XLA, on both paths.
  const std::vector<int64_t> rows{1, 4, -5, 100, -1};
  EXPECT_EQ(to_doubles(bind1(make<prim::Gather>(), {x, array(rows)})), ref_gather(x, rows));
  EXPECT_EQ(to_doubles(eval_compiled(make<prim::Gather>(), {x, array(rows)})), ref_gather(x, rows));
  // Nothing to take from: zeros.
  const Array none = random_array({0, 2}, DType::Float32, 9);
  EXPECT_EQ(to_doubles(eval_compiled(make<prim::Gather>(), {none, array({0, 3})})),
            std::vector<double>(4, 0.0));
  EXPECT_EQ(bind1(make<prim::Gather>(), {none, array(std::vector<int32_t>{}, {0})}).shape(),
            (Shape{0, 2}));
}

TEST(DataMovementPrimitives, CheckIndexRaisesEagerAndCompiled) {
  const auto check = make<prim::CheckIndex>(4, "take");
  EXPECT_STRATA_ERROR(bind1(check, {array({1, 4, 0})}), "[take]", "index 4", "size 4", "element 1");
  EXPECT_STRATA_ERROR(bind1(check, {array({-5})}), "[take]", "index -5", "-4 to 3");
  EXPECT_STRATA_ERROR(eval_compiled(check, {array({0, -1, 3, 9})}), "[take]", "index 9",
                      "element 3");
  EXPECT_STRATA_ERROR(bind1(make<prim::CheckIndex>(0, "take"), {array({0})}), "size 0");
  // In range: the indices pass through unchanged, every integer dtype.
  EXPECT_EQ(bind1(check, {array<int64_t>({-4, 3})}).to_vector<int64_t>(),
            (std::vector<int64_t>{-4, 3}));
  EXPECT_EQ(bind1(check, {array<uint32_t>({3, 0})}).to_vector<uint32_t>(),
            (std::vector<uint32_t>{3, 0}));
  EXPECT_STRATA_ERROR(bind1(check, {array<uint32_t>({4})}), "index 4");
  EXPECT_STRATA_ERROR(bind1(check, {array({1.0f})}), "[take]", "integer dtype");
}

TEST(DataMovementPrimitives, GatherShapeErrors) {
  const Array x = random_array({4, 2}, DType::Float32, 8);
  EXPECT_STRATA_ERROR(bind1(make<prim::Gather>(), {x, array({1.0f})}), "[gather]", "integer dtype",
                      "f32[1]");
  EXPECT_STRATA_ERROR(bind1(make<prim::Gather>(), {x, array({true})}), "integer dtype");
  EXPECT_STRATA_ERROR(bind1(make<prim::Gather>(), {scalar(1.0f), array({0})}), "[gather]", "0-d");
  EXPECT_STRATA_ERROR(bind1(make<prim::Gather>(), {x}), "[gather]", "expected 2 operands");
}

// ---------------------------------------------------------------- dynamic_slice
// Wrap negative starts once, then clamp so `sizes` fits.
std::vector<int64_t> ref_starts(const std::vector<int64_t>& raw, const Shape& dims,
                                const Shape& sizes) {
  std::vector<int64_t> s(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const int64_t w = raw[i] < 0 ? raw[i] + dims[i] : raw[i];
    s[i] = std::clamp<int64_t>(w, 0, dims[i] - sizes[i]);
  }
  return s;
}

std::vector<Array> index_operands(const std::vector<int64_t>& raw, DType dt = DType::Int32) {
  std::vector<Array> out;
  for (int64_t v : raw) out.push_back(astype(scalar(v), dt));
  return out;
}

TEST(DataMovementPrimitives, DynamicSliceClampsLikeXla) {
  const Shape dims{5, 6, 4};
  const Shape sizes{2, 3, 4};
  const Array x = random_array(dims, DType::Float32, 11);
  const std::vector<double> xv = to_doubles(x);
  const std::vector<std::vector<int64_t>> cases{{0, 0, 0},   {3, 3, 0},       {4, 5, 1},
                                                {-1, -2, 0}, {-9, 100, -100}, {1, 2, 3}};
  for (const auto& raw : cases) {
    for (DType idt : {DType::Int32, DType::Int64, DType::UInt32}) {
      if (idt == DType::UInt32 &&
          std::any_of(raw.begin(), raw.end(), [](int64_t v) { return v < 0; })) {
        continue;
      }
      std::vector<Array> in{x};
      for (const Array& i : index_operands(raw, idt)) in.push_back(i);
      const Array y = bind1(make<prim::DynamicSlice>(sizes), in);
      ASSERT_EQ(y.shape(), sizes);
      const std::vector<int64_t> s = ref_starts(raw, dims, sizes);
      std::vector<double> want;
      for (int64_t i = 0; i < y.size(); ++i) {
        std::vector<int64_t> idx = unravel(i, sizes);
        for (size_t k = 0; k < idx.size(); ++k) idx[k] += s[k];
        want.push_back(xv[static_cast<size_t>(ravel(idx, dims))]);
      }
      EXPECT_EQ(to_doubles(y), want);
      EXPECT_EQ(to_doubles(eval_compiled(make<prim::DynamicSlice>(sizes), in)), want);
      // Eagerly a view of the operand: no copy.
      EXPECT_TRUE(y.shares_buffer_with(x));
    }
  }
}

TEST(DataMovementPrimitives, DynamicSliceOfViewsAndScalars) {
  const Array t = transposed_view({4, 6}, DType::Int64, 12);
  const Array dense = cpu::contiguous(t);
  std::vector<Array> in{t};
  for (const Array& i : index_operands({2, 1})) in.push_back(i);
  std::vector<Array> in_dense{dense};
  for (const Array& i : index_operands({2, 1})) in_dense.push_back(i);
  EXPECT_EQ(to_doubles(bind1(make<prim::DynamicSlice>(Shape{2, 3}), in)),
            to_doubles(bind1(make<prim::DynamicSlice>(Shape{2, 3}), in_dense)));
  // A 0-d operand takes no indices; a size-0 slice is fine anywhere.
  EXPECT_EQ(to_doubles(bind1(make<prim::DynamicSlice>(Shape{}), {scalar(2.5)})),
            std::vector<double>{2.5});
  in[0] = dense;
  EXPECT_EQ(bind1(make<prim::DynamicSlice>(Shape{0, 6}), in).shape(), (Shape{0, 6}));
  EXPECT_EQ(make<prim::DynamicSlice>(Shape{2, 3})->params(), "slice_sizes=(2, 3)");
}

TEST(DataMovementPrimitives, DynamicSliceErrors) {
  const Array x = random_array({4, 5}, DType::Float32, 13);
  EXPECT_STRATA_ERROR(bind1(make<prim::DynamicSlice>(Shape{2, 2}), {x, scalar(0)}),
                      "[dynamic_slice]", "one start index per axis", "f32[4,5]");
  EXPECT_STRATA_ERROR(bind1(make<prim::DynamicSlice>(Shape{2}), {x, scalar(0), scalar(1)}),
                      "[dynamic_slice]", "1 sizes");
  EXPECT_STRATA_ERROR(bind1(make<prim::DynamicSlice>(Shape{2, 6}), {x, scalar(0), scalar(0)}),
                      "[dynamic_slice]", "slice size 6", "axis 1");
  EXPECT_STRATA_ERROR(bind1(make<prim::DynamicSlice>(Shape{2, 2}), {x, scalar(0), scalar(1.0f)}),
                      "[dynamic_slice]", "start index 1", "0-d integer", "f32[]");
  EXPECT_STRATA_ERROR(bind1(make<prim::DynamicSlice>(Shape{2, 2}), {x, array({0}), scalar(1)}),
                      "start index 0", "i32[1]");
  EXPECT_STRATA_ERROR(bind1(make<prim::DynamicSlice>(Shape{}), {}), "[dynamic_slice]");
}

// ---------------------------------------------------------------- dynamic_update_slice
std::vector<double> ref_update(const Array& x, const Array& u, const std::vector<int64_t>& raw) {
  std::vector<double> out = to_doubles(x);
  const std::vector<double> uv = to_doubles(u);
  const std::vector<int64_t> s = ref_starts(raw, x.shape(), u.shape());
  for (int64_t i = 0; i < u.size(); ++i) {
    std::vector<int64_t> idx = unravel(i, u.shape());
    for (size_t k = 0; k < idx.size(); ++k) idx[k] += s[k];
    out[static_cast<size_t>(ravel(idx, x.shape()))] = uv[static_cast<size_t>(i)];
  }
  return out;
}

TEST(DataMovementPrimitives, DynamicUpdateSliceClampsLikeXla) {
  const Shape dims{5, 6, 7};
  uint32_t seed = 20;
  for (DType dt : {DType::Float32, DType::Int32, DType::BFloat16, DType::Float64}) {
    const Array x = random_array(dims, dt, seed++);
    for (const Shape& usize :
         {Shape{2, 3, 7}, Shape{5, 6, 7}, Shape{1, 1, 1}, Shape{0, 2, 2}, Shape{3, 6, 2}}) {
      const Array u = random_array(usize, dt, seed++, 10, 20);
      for (const std::vector<int64_t>& raw :
           {std::vector<int64_t>{0, 0, 0}, {4, 5, 6}, {-1, -3, 2}, {-50, 50, 3}}) {
        std::vector<Array> in{x, u};
        for (const Array& i : index_operands(raw)) in.push_back(i);
        const Array y = bind1(make<prim::DynamicUpdateSlice>(), in);
        ASSERT_EQ(y.shape(), dims);
        ASSERT_EQ(y.dtype(), dt);
        EXPECT_EQ(to_doubles(y), ref_update(x, u, raw));
        EXPECT_FALSE(y.shares_buffer_with(x));
      }
    }
  }
}

TEST(DataMovementPrimitives, DynamicUpdateSliceFromViewsAndInPlace) {
  const Array x = random_array({6, 300}, DType::Float32, 30);
  const Array t = transposed_view({4, 200}, DType::Float32, 31);  // long strided rows
  const Array ts = transposed_view({3, 4}, DType::Float32, 32);   // short strided rows
  const Array row = random_array({1, 250}, DType::Float32, 33);
  const Array b = bind1(make<prim::BroadcastInDim>(Shape{3, 250}, std::vector<int>{0, 1}), {row});
  for (const Array& u : {t, ts, b}) {
    std::vector<Array> in{x, u};
    for (const Array& i : index_operands({1, 37})) in.push_back(i);
    EXPECT_EQ(to_doubles(bind1(make<prim::DynamicUpdateSlice>(), in)), ref_update(x, u, {1, 37}));
  }
  // An executor may alias the output with the operand's buffer: the update lands in place.
  const Array buf = cpu::contiguous_copy(x, DType::Float32);
  std::vector<Array> in{buf, ts};
  for (const Array& i : index_operands({2, 5})) in.push_back(i);
  const std::vector<double> want = ref_update(x, ts, {2, 5});
  make<prim::DynamicUpdateSlice>()->eval_cpu(in, {buf});
  EXPECT_EQ(to_doubles(buf), want);
  // 0-d operand and update.
  EXPECT_EQ(to_doubles(bind1(make<prim::DynamicUpdateSlice>(), {scalar(1.0f), scalar(3.0f)})),
            std::vector<double>{3.0});
}

TEST(DataMovementPrimitives, DynamicUpdateSliceErrors) {
  const Array x = random_array({4, 5}, DType::Float32, 34);
  const Array u = random_array({2, 2}, DType::Float32, 35);
  const auto dus = make<prim::DynamicUpdateSlice>();
  EXPECT_STRATA_ERROR(bind1(dus, {x}), "[dynamic_update_slice]", "found 1 operands");
  EXPECT_STRATA_ERROR(bind1(dus, {x, u, scalar(0)}), "[dynamic_update_slice]",
                      "one start index per axis", "found 1");
  EXPECT_STRATA_ERROR(bind1(dus, {x, astype(u, DType::Float64), scalar(0), scalar(0)}),
                      "dtype and rank", "f64[2,2]");
  EXPECT_STRATA_ERROR(bind1(dus, {x, random_array({2}, DType::Float32, 1), scalar(0), scalar(0)}),
                      "dtype and rank");
  EXPECT_STRATA_ERROR(
      bind1(dus, {x, random_array({2, 6}, DType::Float32, 1), scalar(0), scalar(0)}),
      "larger than the operand", "axis 1");
  EXPECT_STRATA_ERROR(bind1(dus, {x, u, scalar(0), scalar(true)}), "start index 1", "0-d integer");
}

}  // namespace
}  // namespace strata
