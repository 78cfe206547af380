// Shape ops of ops.h against plain reference loops: reshape, transpose, swapaxes, broadcast_to,
// expand_dims, squeeze, flatten, slice (Python semantics), take, concatenate, stack, split.
// Views stay views where the op promises it; views as inputs; 0-d and empty arrays; every error.
#include <algorithm>
#include <numeric>

#include "test_util.h"

namespace strata {
namespace {

using testing::broadcast_source_index;
using testing::random_array;
using testing::ravel;
using testing::to_doubles;
using testing::unravel;

// out[j0, j1, ...] = x[lists[0][j0], lists[1][j1], ...]: the reference for slicing.
std::vector<double> select_ref(const Array& x, const std::vector<std::vector<int64_t>>& lists) {
  const std::vector<double> v = to_doubles(x);
  Shape out_shape;
  for (const auto& l : lists) out_shape.push_back(static_cast<int64_t>(l.size()));
  std::vector<double> out;
  for (int64_t i = 0; i < detail::shape_size(out_shape); ++i) {
    std::vector<int64_t> j = unravel(i, out_shape);
    for (size_t k = 0; k < j.size(); ++k) j[k] = lists[k][static_cast<size_t>(j[k])];
    out.push_back(v[static_cast<size_t>(ravel(j, x.shape()))]);
  }
  return out;
}

// Python's range(n)[start:stop:step], as CPython's slice.indices() computes it.
std::vector<int64_t> py_indices(int64_t n, const Slice& s) {
  const int64_t lo = s.step > 0 ? 0 : -1, hi = s.step > 0 ? n : n - 1;
  auto fix = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v < 0 ? *v + n : *v;
    return x < lo ? lo : x > hi ? hi : x;
  };
  const int64_t start = fix(s.start, s.step > 0 ? 0 : n - 1);
  const int64_t stop = fix(s.stop, s.step > 0 ? n : -1);
  std::vector<int64_t> out;
  for (int64_t i = start; s.step > 0 ? i < stop : i > stop; i += s.step) out.push_back(i);
  return out;
}

Array transposed_of(const Shape& shape, DType dt, uint32_t seed) {
  return transpose(random_array(Shape(shape.rbegin(), shape.rend()), dt, seed));
}

// ---------------------------------------------------------------- reshape / flatten
TEST(ShapeOps, ReshapeKeepsRowMajorOrderAndInfersOneAxis) {
  const Array x = random_array({2, 3, 4}, DType::Float32, 1);
  const Array y = reshape(x, {4, -1});
  EXPECT_EQ(y.shape(), (Shape{4, 6}));
  EXPECT_EQ(to_doubles(y), to_doubles(x));
  EXPECT_TRUE(y.shares_buffer_with(x));  // a dense array reshapes as a view
  EXPECT_EQ(reshape(x, {-1}).shape(), (Shape{24}));
  EXPECT_EQ(reshape(x, {2, 3, 4}).shape(), (Shape{2, 3, 4}));
  // A transposed view reshapes in its logical (row-major) order.
  const Array t = transposed_of({3, 4}, DType::Int32, 2);
  EXPECT_EQ(to_doubles(reshape(t, {12})), to_doubles(t));
  EXPECT_EQ(to_doubles(reshape(t, {2, 2, 3})), to_doubles(t));
  // 0-d <-> one element, and empty arrays.
  EXPECT_EQ(reshape(scalar(3.0f), {1, 1}).shape(), (Shape{1, 1}));
  EXPECT_EQ(reshape(array({5.0f}), {}).item<float>(), 5.0f);
  EXPECT_EQ(reshape(scalar(3.0f), {-1}).shape(), (Shape{1}));
  EXPECT_EQ(reshape(zeros({0, 4}), {2, 0, 3}).shape(), (Shape{2, 0, 3}));
  EXPECT_EQ(reshape(zeros({0, 4}), {-1, 8}).shape(), (Shape{0, 8}));
}

TEST(ShapeOps, ReshapeErrors) {
  const Array x = random_array({2, 3, 4}, DType::Float32, 1);
  EXPECT_STRATA_ERROR(reshape(x, {5, 5}), "[reshape]", "(2, 3, 4)", "24 elements", "(5, 5)",
                      "25 elements");
  EXPECT_STRATA_ERROR(reshape(x, {-1, -1}), "[reshape]", "only one dimension can be -1");
  EXPECT_STRATA_ERROR(reshape(x, {5, -1}), "[reshape]", "24 elements", "(5, -1)");
  EXPECT_STRATA_ERROR(reshape(x, {-2, 12}), "[reshape]", "negative");
  // -1 next to a 0 is ambiguous (any size fits), as in NumPy.
  EXPECT_STRATA_ERROR(reshape(zeros({0, 4}), {0, -1}), "[reshape]", "(0, -1)");
  EXPECT_STRATA_ERROR(reshape(zeros({0, 4}), {2, 0, -1}), "[reshape]", "(2, 0, -1)");
  EXPECT_STRATA_ERROR(reshape(Array(), {1}), "[reshape]", "empty Array");
}

TEST(ShapeOps, FlattenAnyLayout) {
  const Array t = transposed_of({3, 5, 2}, DType::Float64, 3);
  const Array f = flatten(t);
  EXPECT_EQ(f.shape(), (Shape{30}));
  EXPECT_EQ(to_doubles(f), to_doubles(t));
  EXPECT_EQ(flatten(scalar(2)).shape(), (Shape{1}));
  EXPECT_EQ(flatten(zeros({3, 0})).shape(), (Shape{0}));
}

// ---------------------------------------------------------------- transpose / swapaxes
std::vector<double> ref_transpose(const Array& x, const std::vector<int>& perm) {
  const std::vector<double> v = to_doubles(x);
  Shape out_shape;
  for (int p : perm) out_shape.push_back(x.shape()[static_cast<size_t>(p)]);
  std::vector<double> out;
  for (int64_t i = 0; i < x.size(); ++i) {
    const std::vector<int64_t> j = unravel(i, out_shape);
    std::vector<int64_t> src(j.size());
    for (size_t k = 0; k < perm.size(); ++k) src[static_cast<size_t>(perm[k])] = j[k];
    out.push_back(v[static_cast<size_t>(ravel(src, x.shape()))]);
  }
  return out;
}

TEST(ShapeOps, TransposeEveryPermutationIsAView) {
  const Array x = random_array({2, 3, 4}, DType::Float32, 4);
  std::vector<int> perm{0, 1, 2};
  do {
    const Array y = transpose(x, Axes(perm.begin(), perm.end()));
    EXPECT_EQ(to_doubles(y), ref_transpose(x, perm));
    EXPECT_TRUE(y.shares_buffer_with(x));
  } while (std::next_permutation(perm.begin(), perm.end()));
  EXPECT_EQ(to_doubles(transpose(x)), ref_transpose(x, {2, 1, 0}));
  EXPECT_EQ(transpose(x).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(to_doubles(transpose(x, {-1, 0, -2})), ref_transpose(x, {2, 0, 1}));
  // Transposing a view composes.
  const Array t = transposed_of({3, 4}, DType::Float32, 5);
  EXPECT_EQ(to_doubles(transpose(t)), ref_transpose(t, {1, 0}));
  EXPECT_EQ(transpose(scalar(1.0f)).shape(), Shape{});
  EXPECT_EQ(transpose(zeros({0, 3})).shape(), (Shape{3, 0}));
}

TEST(ShapeOps, RankTenViewsReadLikeAnyOther) {
  // Kernels keep up to 8 axes inline (cpu::SmallVector); the reversed view of a rank-10 array
  // has 10 axes that do not merge, so every reader and loop nest over it spills to the heap.
  Shape shape(10, 2);
  shape[3] = 3;
  const Array x = random_array(shape, DType::Float64, 9);
  std::vector<int> perm(10);
  std::iota(perm.rbegin(), perm.rend(), 0);
  const Array t = transpose(x, Axes(perm.begin(), perm.end()));
  const std::vector<double> want = ref_transpose(x, perm);
  EXPECT_EQ(to_doubles(t), want);
  std::vector<double> affine = want;
  for (double& v : affine) v = v * 2.0 + 1.0;
  EXPECT_EQ(to_doubles(t * 2.0 + 1.0), affine);
  std::vector<double> pairs(want.size() / 2);  // sums over the last (size-2) axis
  for (size_t i = 0; i < pairs.size(); ++i) pairs[i] = want[2 * i] + want[2 * i + 1];
  EXPECT_EQ(to_doubles(sum(t, {9})), pairs);
}

TEST(ShapeOps, SwapaxesMatchesTranspose) {
  const Array x = random_array({2, 3, 4}, DType::Int32, 6);
  EXPECT_EQ(to_doubles(swapaxes(x, 0, 2)), ref_transpose(x, {2, 1, 0}));
  EXPECT_EQ(to_doubles(swapaxes(x, -1, 1)), ref_transpose(x, {0, 2, 1}));
  EXPECT_EQ(to_doubles(swapaxes(x, 1, 1)), to_doubles(x));
  EXPECT_STRATA_ERROR(swapaxes(x, 0, 3), "[swapaxes]", "axis 3", "out of range");
}

TEST(ShapeOps, TransposeErrors) {
  const Array x = random_array({2, 3, 4}, DType::Float32, 4);
  EXPECT_STRATA_ERROR(transpose(x, {0, 1}), "[transpose]", "(0, 1)", "(2, 3, 4)",
                      "not a permutation");
  EXPECT_STRATA_ERROR(transpose(x, {0, 1, 1}), "[transpose]", "(0, 1, 1)");
  EXPECT_STRATA_ERROR(transpose(x, {0, 1, 3}), "[transpose]", "(0, 1, 3)");
  EXPECT_STRATA_ERROR(transpose(x, {0, 1, -4}), "[transpose]");
  EXPECT_STRATA_ERROR(transpose(x, {2, -1, 0}), "[transpose]");  // -1 is axis 2 again
}

// ---------------------------------------------------------------- broadcast / expand / squeeze
TEST(ShapeOps, BroadcastToFollowsNumpyAndIsAView) {
  const std::vector<std::pair<Shape, Shape>> cases{
      {{3}, {2, 3}}, {{2, 1}, {2, 5}}, {{1, 4}, {3, 2, 4}}, {{}, {2, 2}},
      {{1}, {0}},    {{2, 3}, {2, 3}}, {{1, 1}, {1, 1, 1}}};
  uint32_t seed = 10;
  for (const auto& [from, to] : cases) {
    const Array x = random_array(from, DType::Float32, seed++);
    const Array y = broadcast_to(x, to);
    ASSERT_EQ(y.shape(), to);
    const std::vector<double> v = to_doubles(x);
    std::vector<double> want;
    for (int64_t i = 0; i < y.size(); ++i) {
      want.push_back(v[static_cast<size_t>(broadcast_source_index(from, to, i))]);
    }
    EXPECT_EQ(to_doubles(y), want) << to_string(from) << " -> " << to_string(to);
    EXPECT_TRUE(y.shares_buffer_with(x));
  }
  const Array t = transposed_of({1, 3}, DType::Float32, 20);
  EXPECT_EQ(to_doubles(broadcast_to(t, {2, 3})), to_doubles(concatenate({t, t})));
}

TEST(ShapeOps, BroadcastToErrors) {
  const Array x = random_array({3}, DType::Float32, 1);
  EXPECT_STRATA_ERROR(broadcast_to(x, {4}), "[broadcast_to]", "(3,)", "(4,)", "size-1");
  EXPECT_STRATA_ERROR(broadcast_to(random_array({2, 3}, DType::Float32, 1), {3}), "[broadcast_to]",
                      "fewer dimensions");
  EXPECT_STRATA_ERROR(broadcast_to(random_array({2, 1}, DType::Float32, 1), {1, 1}),
                      "[broadcast_to]", "axis -2 has size 2");
  EXPECT_STRATA_ERROR(broadcast_to(x, {-1, 3}), "[broadcast_to]", "negative");
}

TEST(ShapeOps, ExpandDimsEveryAxisIsAView) {
  const Array x = random_array({2, 3}, DType::Float32, 30);
  const std::vector<Shape> want{{1, 2, 3}, {2, 1, 3}, {2, 3, 1}};
  for (int axis = -3; axis <= 2; ++axis) {
    const Array y = expand_dims(x, axis);
    EXPECT_EQ(y.shape(), want[static_cast<size_t>(axis < 0 ? axis + 3 : axis)]) << axis;
    EXPECT_EQ(to_doubles(y), to_doubles(x));
    EXPECT_TRUE(y.shares_buffer_with(x));
  }
  const Array t = transposed_of({2, 3}, DType::Float32, 31);
  const Array e = expand_dims(t, 1);
  EXPECT_TRUE(e.shares_buffer_with(t));  // no copy even for a strided input
  EXPECT_EQ(to_doubles(e), to_doubles(t));
  EXPECT_EQ(expand_dims(scalar(1.0f), 0).shape(), (Shape{1}));
  EXPECT_EQ(expand_dims(scalar(1.0f), -1).shape(), (Shape{1}));
  EXPECT_STRATA_ERROR(expand_dims(x, 3), "[expand_dims]", "axis 3", "-3 to 2");
  EXPECT_STRATA_ERROR(expand_dims(x, -4), "[expand_dims]", "axis -4");
}

TEST(ShapeOps, SqueezeAllOrNamedAxes) {
  const Array x = random_array({1, 3, 1, 2}, DType::Float32, 40);
  EXPECT_EQ(squeeze(x).shape(), (Shape{3, 2}));
  EXPECT_EQ(squeeze(x, {0}).shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(squeeze(x, {-2, 0}).shape(), (Shape{3, 2}));
  EXPECT_EQ(to_doubles(squeeze(x)), to_doubles(x));
  const Array t = transposed_of({3, 1}, DType::Float32, 41);
  EXPECT_EQ(to_doubles(squeeze(t)), to_doubles(t));
  EXPECT_EQ(squeeze(array({7.0f}, {1, 1})).shape(), Shape{});
  EXPECT_EQ(squeeze(zeros({0, 1})).shape(), (Shape{0}));
  EXPECT_STRATA_ERROR(squeeze(x, {1}), "[squeeze]", "axis 1", "size 3", "not 1");
  EXPECT_STRATA_ERROR(squeeze(x, {4}), "[squeeze]", "axis 4", "out of range");
  EXPECT_STRATA_ERROR(squeeze(x, {0, -4}), "[squeeze]", "repeat");
}

// ---------------------------------------------------------------- slice
struct SliceCase {
  std::optional<int64_t> start, stop;
  int64_t step;
  std::vector<int64_t> want;  // range(6)[start:stop:step], from CPython
};

TEST(ShapeOps, SliceMatchesPythonOnOneAxis) {
  const std::vector<SliceCase> cases{{3, std::nullopt, -1, {3, 2, 1, 0}},
                                     {3, -1, -3, {}},
                                     {std::nullopt, -1, -1, {}},
                                     {-2, 4, -1, {}},
                                     {7, -1, -1, {}},
                                     {7, -9, 1, {}},
                                     {3, -9, -3, {3, 0}},
                                     {0, -9, 2, {}},
                                     {7, std::nullopt, -1, {5, 4, 3, 2, 1, 0}},
                                     {0, 4, -3, {}},
                                     {-2, -9, -3, {4, 1}},
                                     {-9, -1, -3, {}},
                                     {0, std::nullopt, 1, {0, 1, 2, 3, 4, 5}},
                                     {-9, std::nullopt, 1, {0, 1, 2, 3, 4, 5}},
                                     {-2, 4, 1, {}},
                                     {7, -9, -1, {5, 4, 3, 2, 1, 0}},
                                     {3, 8, 1, {3, 4, 5}},
                                     {-2, 8, 1, {4, 5}},
                                     {7, 4, 2, {}},
                                     {std::nullopt, 4, -1, {5}},
                                     {std::nullopt, 0, 1, {}},
                                     {0, 8, 2, {0, 2, 4}},
                                     {std::nullopt, -1, 2, {0, 2, 4}},
                                     {0, 0, -3, {}},
                                     {3, 8, 2, {3, 5}},
                                     {-9, 4, 1, {0, 1, 2, 3}},
                                     {0, -9, -1, {0}},
                                     {-9, std::nullopt, -1, {}},
                                     {-2, -1, 1, {4}},
                                     {std::nullopt, -9, -3, {5, 2}},
                                     {3, -9, -1, {3, 2, 1, 0}},
                                     {std::nullopt, std::nullopt, 4, {0, 4}},
                                     {std::nullopt, std::nullopt, -4, {5, 1}},
                                     {5, 0, -2, {5, 3, 1}}};
  const Array x = random_array({6}, DType::Int64, 50, -1000, 1000);
  const std::vector<double> v = to_doubles(x);
  for (const SliceCase& c : cases) {
    const Slice s{c.start, c.stop, c.step};
    ASSERT_EQ(py_indices(6, s), c.want) << "reference helper disagrees with CPython";
    const Array y = slice(x, {s});
    std::vector<double> want;
    for (int64_t i : c.want) want.push_back(v[static_cast<size_t>(i)]);
    EXPECT_EQ(to_doubles(y), want)
        << (c.start ? *c.start : 99) << ":" << (c.stop ? *c.stop : 99) << ":" << c.step;
    EXPECT_TRUE(y.shares_buffer_with(x));
  }
}

TEST(ShapeOps, SliceManyAxesFewerSpecsAndViews) {
  std::mt19937 gen(7);
  std::uniform_int_distribution<int64_t> bound(-7, 7);
  std::uniform_int_distribution<int> step_pick(0, 5);
  const int64_t steps[] = {1, 2, 3, -1, -2, -3};
  const Array dense = random_array({4, 5, 6}, DType::Float32, 51);
  const Array t = transposed_of({4, 5, 6}, DType::Float32, 52);
  for (const Array& x : {dense, t}) {
    for (int trial = 0; trial < 60; ++trial) {
      const size_t nspecs = static_cast<size_t>(trial % 4);
      std::vector<Slice> specs;
      std::vector<std::vector<int64_t>> lists;
      for (size_t k = 0; k < 3; ++k) {
        if (k < nspecs) {
          Slice s;
          if (gen() % 3) s.start = bound(gen);
          if (gen() % 3) s.stop = bound(gen);
          s.step = steps[step_pick(gen)];
          specs.push_back(s);
          lists.push_back(py_indices(x.shape()[k], s));
        } else {
          std::vector<int64_t> all(static_cast<size_t>(x.shape()[k]));
          std::iota(all.begin(), all.end(), 0);
          lists.push_back(all);
        }
      }
      const Array y = slice(x, specs);
      EXPECT_EQ(to_doubles(y), select_ref(x, lists)) << "trial " << trial;
      EXPECT_TRUE(y.shares_buffer_with(x));
    }
  }
  // Slicing a slice, and the Array::slice / operator[] spellings.
  const Array s1 = slice(dense, {Slice{1, std::nullopt, 1}, Slice{std::nullopt, std::nullopt, -2}});
  const Array s2 = slice(s1, {Slice{}, Slice{1, 3, 1}, Slice{-1, 0, -2}});
  EXPECT_EQ(to_doubles(s2), select_ref(dense, {{1, 2, 3}, {2, 0}, {5, 3, 1}}));
  EXPECT_EQ(to_doubles(dense.slice(3, 0, -2)),
            select_ref(dense, {{3, 1}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4, 5}}));
  EXPECT_EQ(to_doubles(dense[-1]), to_doubles(slice(dense, {Slice{3, 4, 1}})));
  EXPECT_EQ(slice(scalar(1.0f), {}).shape(), Shape{});
  EXPECT_EQ(slice(zeros({0, 3}), {Slice{}, Slice{1, std::nullopt, 1}}).shape(), (Shape{0, 2}));
}

TEST(ShapeOps, SliceErrors) {
  const Array x = random_array({4, 5}, DType::Float32, 53);
  EXPECT_STRATA_ERROR(slice(x, {Slice{}, Slice{0, 3, 0}}), "[slice]", "step cannot be zero",
                      "axis 1");
  EXPECT_STRATA_ERROR(slice(x, {Slice{}, Slice{}, Slice{}}), "[slice]", "3 slice specs", "(4, 5)");
  EXPECT_STRATA_ERROR(scalar(1.0f).slice(0, 1), "[Array::slice]", "0-d");
  EXPECT_STRATA_ERROR(slice(Array(), {}), "[slice]", "empty Array");
}

// ---------------------------------------------------------------- take
TEST(ShapeOps, TakeRowsMatchesReference) {
  const Array x = random_array({5, 2, 3}, DType::Float32, 60);
  const std::vector<double> v = to_doubles(x);
  const std::vector<int64_t> rows{4, -1, 0, -5, 2, 2};
  for (DType idt : {DType::Int32, DType::UInt32, DType::Int64}) {
    std::vector<int64_t> r = rows;
    if (idt == DType::UInt32) {
      for (int64_t& i : r) i = i < 0 ? i + 5 : i;
    }
    const Array y = take(x, astype(array(r, {3, 2}), idt));
    ASSERT_EQ(y.shape(), (Shape{3, 2, 2, 3}));
    std::vector<double> want;
    for (int64_t i : r) {
      const int64_t row = i < 0 ? i + 5 : i;
      for (int64_t j = 0; j < 6; ++j) want.push_back(v[static_cast<size_t>(row * 6 + j)]);
    }
    EXPECT_EQ(to_doubles(y), want);
  }
  // Views as operand and indices; scalar index; empty index list.
  const Array t = transposed_of({4, 3}, DType::Int32, 61);
  const Array idx = slice(array({0, 3, 1, 2}), {Slice{std::nullopt, std::nullopt, -1}});
  const Array got = take(t, idx);
  EXPECT_EQ(to_doubles(got),
            to_doubles(concatenate({t.slice(2, 3), t.slice(1, 2), t.slice(3, 4), t.slice(0, 1)})));
  EXPECT_EQ(to_doubles(take(x, scalar<int64_t>(-2))), to_doubles(x[3]));
  EXPECT_EQ(take(x, array(std::vector<int32_t>{}, {0})).shape(), (Shape{0, 2, 3}));
  EXPECT_EQ(take(x, scalar(1)).dtype(), DType::Float32);
}

TEST(ShapeOps, TakeErrors) {
  const Array x = random_array({5, 2}, DType::Float32, 62);
  EXPECT_STRATA_ERROR(take(x, array({0, 5})), "[take]", "index 5", "size 5", "-5 to 4");
  EXPECT_STRATA_ERROR(take(x, array({-6})), "[take]", "index -6", "size 5");
  EXPECT_STRATA_ERROR(take(x, array({1.0f})), "[take]", "integer dtype", "float32");
  EXPECT_STRATA_ERROR(take(x, array({true})), "[take]", "integer dtype", "bool");
  EXPECT_STRATA_ERROR(take(scalar(1.0f), array({0})), "[take]", "0-d");
  EXPECT_STRATA_ERROR(take(x, Array()), "[take]", "indices", "empty Array");
}

// ---------------------------------------------------------------- concatenate / stack
TEST(ShapeOps, ConcatenateAlongAnyAxisWithPromotion) {
  const Array a = random_array({2, 3}, DType::Float32, 70);
  const Array b = random_array({2, 1}, DType::Float32, 71);
  const Array c = transposed_of({2, 4}, DType::Float32, 72);
  const Array y = concatenate({a, b, c}, -1);
  ASSERT_EQ(y.shape(), (Shape{2, 8}));
  const std::vector<double> av = to_doubles(a), bv = to_doubles(b), cv = to_doubles(c);
  std::vector<double> want;
  for (size_t r = 0; r < 2; ++r) {
    for (size_t j = 0; j < 3; ++j) want.push_back(av[r * 3 + j]);
    want.push_back(bv[r]);
    for (size_t j = 0; j < 4; ++j) want.push_back(cv[r * 4 + j]);
  }
  EXPECT_EQ(to_doubles(y), want);
  // Promotion like jnp.concatenate.
  const Array i = random_array({1, 3}, DType::Int32, 73, -9, 9);
  const Array u = astype(random_array({1, 3}, DType::Int32, 74, 0, 9), DType::UInt32);
  EXPECT_EQ(concatenate({a, i}).dtype(), DType::Float32);
  EXPECT_EQ(concatenate({i, u}).dtype(), DType::Int64);
  EXPECT_EQ(concatenate({astype(a, DType::Float16), astype(a, DType::BFloat16)}).dtype(),
            DType::Float32);
  EXPECT_EQ(to_doubles(concatenate({i, u})), [&] {
    auto x = to_doubles(i);
    auto z = to_doubles(u);
    x.insert(x.end(), z.begin(), z.end());
    return x;
  }());
  // A weak array adopts the strong one's dtype.
  const Array w = detail::with_weak_type(array({1.5, 2.5, 3.5}, {1, 3}), true);
  EXPECT_EQ(concatenate({astype(a, DType::Float16), w}).dtype(), DType::Float16);
  // One array: returned as is.  Empty pieces are fine.
  EXPECT_TRUE(concatenate({a}).shares_buffer_with(a));
  EXPECT_EQ(to_doubles(concatenate({zeros({0, 3}), a, zeros({0, 3})})), av);
}

TEST(ShapeOps, ConcatenateErrors) {
  const Array a = random_array({2, 3}, DType::Float32, 75);
  EXPECT_STRATA_ERROR(concatenate({}), "[concatenate]", "at least one array");
  EXPECT_STRATA_ERROR(concatenate({a, random_array({2, 4}, DType::Float32, 1)}), "[concatenate]",
                      "array 1 has shape (2, 4)", "(2, 3)", "axis 0");
  EXPECT_STRATA_ERROR(concatenate({a, random_array({3}, DType::Float32, 1)}), "[concatenate]",
                      "(3,)");
  EXPECT_STRATA_ERROR(concatenate({scalar(1.0f), scalar(2.0f)}), "[concatenate]", "0-d");
  EXPECT_STRATA_ERROR(concatenate({a, a}, 2), "[concatenate]", "axis 2", "out of range");
  EXPECT_STRATA_ERROR(concatenate({a, Array()}), "[concatenate]", "empty Array");
}

TEST(ShapeOps, StackInsertsANewAxis) {
  const Array a = random_array({2, 3}, DType::Float32, 80);
  const Array b = transposed_of({2, 3}, DType::Float32, 81);
  const std::vector<double> av = to_doubles(a), bv = to_doubles(b);
  EXPECT_EQ(stack({a, b}).shape(), (Shape{2, 2, 3}));
  std::vector<double> want = av;
  want.insert(want.end(), bv.begin(), bv.end());
  EXPECT_EQ(to_doubles(stack({a, b})), want);
  const Array last = stack({a, b}, -1);
  ASSERT_EQ(last.shape(), (Shape{2, 3, 2}));
  want.clear();
  for (size_t k = 0; k < 6; ++k) {
    want.push_back(av[k]);
    want.push_back(bv[k]);
  }
  EXPECT_EQ(to_doubles(last), want);
  EXPECT_EQ(stack({a, b}, 1).shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(to_doubles(stack({a, b}, 1)[0]), to_doubles(stack({a[0], b[0]})));
  EXPECT_EQ(to_doubles(stack({scalar(1.0f), scalar(2.0f)})), (std::vector<double>{1, 2}));
  EXPECT_EQ(stack({a}).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(stack({a, astype(a, DType::Float64)}).dtype(), DType::Float64);
}

TEST(ShapeOps, StackErrors) {
  const Array a = random_array({2, 3}, DType::Float32, 82);
  EXPECT_STRATA_ERROR(stack({}), "[stack]", "at least one array");
  EXPECT_STRATA_ERROR(stack({a, random_array({3, 2}, DType::Float32, 1)}), "[stack]", "same shape",
                      "(2, 3)", "array 1 has shape (3, 2)");
  EXPECT_STRATA_ERROR(stack({a, a}, 3), "[stack]", "axis 3", "-3 to 2");
  EXPECT_STRATA_ERROR(stack({a, a}, -4), "[stack]", "axis -4");
}

// ---------------------------------------------------------------- split
TEST(ShapeOps, SplitIntoSectionsAndAtIndices) {
  const Array x = random_array({6, 4}, DType::Float32, 90);
  const std::vector<Array> parts = split(x, 3);
  ASSERT_EQ(parts.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(parts[k].shape(), (Shape{2, 4}));
    EXPECT_TRUE(parts[k].shares_buffer_with(x));
    EXPECT_EQ(to_doubles(parts[k]),
              to_doubles(x.slice(2 * static_cast<int64_t>(k), 2 * static_cast<int64_t>(k) + 2)));
  }
  EXPECT_EQ(to_doubles(concatenate(split(x, 2, 1), 1)), to_doubles(x));
  EXPECT_EQ(to_doubles(concatenate(split(x, 4, -1), -1)), to_doubles(x));
  // At indices, np.split semantics: unsorted, negative and past-the-end indices slice like Python.
  const std::vector<Array> at = split(x, std::vector<int64_t>{1, 4, 3, -1, 10}, 0);
  ASSERT_EQ(at.size(), 6u);
  const std::vector<Shape> shapes{{1, 4}, {3, 4}, {0, 4}, {2, 4}, {1, 4}, {0, 4}};
  for (size_t k = 0; k < at.size(); ++k) EXPECT_EQ(at[k].shape(), shapes[k]) << k;
  EXPECT_EQ(to_doubles(at[3]), to_doubles(x.slice(3, 5)));
  EXPECT_EQ(split(x, std::vector<int64_t>{}, 1).size(), 1u);
  EXPECT_EQ(split(zeros({0, 2}), 2, 0).size(), 2u);
}

TEST(ShapeOps, SplitErrors) {
  const Array x = random_array({7, 4}, DType::Float32, 91);
  EXPECT_STRATA_ERROR(split(x, 3), "[split]", "size 7", "3 equal sections");
  EXPECT_STRATA_ERROR(split(x, 0), "[split]", "positive");
  EXPECT_STRATA_ERROR(split(x, 2, 2), "[split]", "axis 2", "out of range");
  EXPECT_STRATA_ERROR(split(scalar(1.0f), 1), "[split]", "out of range");
}

}  // namespace
}  // namespace strata
