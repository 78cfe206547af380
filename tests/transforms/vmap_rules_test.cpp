// Batching rules of every primitive against a loop of unbatched calls on random inputs: the batch
// axis at 0, in the middle and at the end of each operand, operands batched or shared, eagerly
// and under jit.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

#include "primitives/data_movement.h"
#include "primitives/pad.h"
#include "test_util.h"

namespace strata {
namespace {

using prim::bind1;
using prim::make;
using testing::random_array;
using testing::to_doubles;
using Fn = std::function<Array(const std::vector<Array>&)>;
using Axis = std::optional<int>;  // where an argument carries the batch; nullopt = shared

constexpr int64_t kB = 3;

// An argument of per-example shape `shape`, with a batch of kB inserted at `axis`.
Array batched(Shape shape, Axis axis, uint32_t seed, DType dtype = DType::Float64) {
  if (axis) shape.insert(shape.begin() + *axis, kB);
  return random_array(shape, dtype, seed);
}

Array example(const Array& a, Axis axis, int64_t b) {
  return axis ? take(moveaxis(a, *axis, 0), scalar<int32_t>(static_cast<int32_t>(b))) : a;
}

// vmap(f) (eager and jitted) equals stacking f over the examples.
void expect_matches_loop(const std::string& what, const Fn& f, const std::vector<Array>& args,
                         const std::vector<Axis>& axes) {
  std::vector<Array> rows;
  for (int64_t b = 0; b < kB; ++b) {
    std::vector<Array> ex;
    for (size_t i = 0; i < args.size(); ++i) ex.push_back(example(args[i], axes[i], b));
    rows.push_back(f(ex));
  }
  const Array want = stack(rows, 0);
  std::vector<AxisSpec> specs;
  for (const Axis& a : axes) specs.push_back(a ? AxisSpec(*a) : AxisSpec(none));
  auto mapped = vmap(f, {AxisSpec::list(specs)});
  for (const Array& got : {mapped(args), jit(mapped)(args)}) {
    ASSERT_EQ(got.shape(), want.shape()) << what;
    ASSERT_EQ(got.dtype(), want.dtype()) << what;
    // Exact but for the order of a reduction's additions, which may follow the batch axis.
    testing::expect_all_close(to_doubles(got), to_doubles(want), 1e-13, 0, what);
  }
}

// Runs `check(axis)` with the batch axis first, in the middle and last of a rank-`rank` example.
void for_each_position(int rank, const std::function<void(int)>& check) {
  for (int p : {0, rank / 2, rank}) check(p);
}

TEST(VmapRules, ElementwiseWithSharedAndBatchedOperands) {
  for_each_position(2, [](int p) {
    const std::string at = " batch at " + std::to_string(p);
    auto x = batched({4, 5}, p, 1), y = batched({4, 5}, 0, 2), s = batched({4, 5}, {}, 3);
    expect_matches_loop("exp" + at, [](auto& a) { return exp(a[0]); }, {x}, {p});
    expect_matches_loop("add" + at, [](auto& a) { return a[0] + a[1]; }, {x, y}, {p, 0});
    expect_matches_loop("mul shared" + at, [](auto& a) { return a[0] * a[1]; }, {x, s}, {p, {}});
    expect_matches_loop("broadcast add" + at, [](auto& a) { return a[0] + a[1]; },
                        {x, batched({5}, 0, 4)}, {p, 0});
    expect_matches_loop("compare + select" + at,
                        [](auto& a) { return where(a[0] > a[1], a[0], a[2]); }, {x, s, y},
                        {p, {}, 0});
    expect_matches_loop("convert" + at, [](auto& a) { return astype(a[0] * 3.0, DType::Int32); },
                        {x}, {p});
    expect_matches_loop("stop_gradient" + at, [](auto& a) { return stop_gradient(a[0]); }, {x},
                        {p});
  });
}

TEST(VmapRules, ReductionsRenumberTheirAxes) {
  for_each_position(3, [](int p) {
    const std::string at = " batch at " + std::to_string(p);
    const Array x = batched({2, 3, 4}, p, 5);
    expect_matches_loop("sum(0, 2)" + at, [](auto& a) { return sum(a[0], {0, 2}); }, {x}, {p});
    expect_matches_loop("max(1)" + at, [](auto& a) { return max(a[0], {1}); }, {x}, {p});
    expect_matches_loop("min(all)" + at, [](auto& a) { return min(a[0]); }, {x}, {p});
    expect_matches_loop("argmax(2)" + at, [](auto& a) { return argmax(a[0], 2); }, {x}, {p});
    expect_matches_loop("argmin(0)" + at, [](auto& a) { return argmin(a[0], 0); }, {x}, {p});
    expect_matches_loop("softmax" + at, [](auto& a) { return softmax(a[0], 1); }, {x}, {p});
  });
}

TEST(VmapRules, LayoutPrimitives) {
  for_each_position(2, [](int p) {
    const std::string at = " batch at " + std::to_string(p);
    const Array x = batched({4, 6}, p, 6);
    expect_matches_loop("broadcast" + at,
                        [](auto& a) {
                          return broadcast_to(expand_dims(a[0], 1), {4, 3, 6});
                        },
                        {x}, {p});
    expect_matches_loop("reshape" + at, [](auto& a) { return reshape(a[0], {2, 12}); }, {x}, {p});
    expect_matches_loop("transpose" + at, [](auto& a) { return transpose(a[0]); }, {x}, {p});
    expect_matches_loop("slice with steps" + at,
                        [](auto& a) {
                          return slice(a[0], {Slice{1, 4, 2}, Slice{5, 0, -2}});
                        },
                        {x}, {p});
    expect_matches_loop("concatenate" + at,
                        [](auto& a) {
                          return concatenate({a[0], a[1], a[0]}, 1);
                        },
                        {x, batched({4, 2}, {}, 7)}, {p, {}});
  });
}

Array pad(const Array& x, const Array& value) {
  return bind1(make<prim::Pad>(std::vector<int64_t>{1, 0}, std::vector<int64_t>{0, 2},
                               std::vector<int64_t>{0, 1}),
               {x, value});
}

TEST(VmapRules, PadWithSharedOrPerExamplePaddingValue) {
  for_each_position(2, [](int p) {
    const std::string at = " batch at " + std::to_string(p);
    const Array x = batched({3, 4}, p, 8);
    expect_matches_loop("pad" + at, [](auto& a) { return pad(a[0], a[1]); },
                        {x, scalar<double>(7.5)}, {p, {}});
    expect_matches_loop("pad per-example value" + at, [](auto& a) { return pad(a[0], a[1]); },
                        {x, batched({}, 0, 9)}, {p, 0});
  });
  expect_matches_loop("pad only the value batched", [](auto& a) { return pad(a[0], a[1]); },
                      {batched({3, 4}, {}, 10), batched({}, 0, 11)}, {{}, 0});
}

TEST(VmapRules, DotGeneralAsOneProduct) {
  for_each_position(2, [](int p) {
    const std::string at = " batch at " + std::to_string(p);
    const Array x = batched({4, 5}, p, 12);
    const Array w = batched({5, 3}, {}, 13);
    const Array wb = batched({5, 3}, p, 14);
    auto mm = [](auto& a) { return matmul(a[0], a[1]); };
    expect_matches_loop("lhs batched" + at, mm, {x, w}, {p, {}});
    expect_matches_loop("rhs batched" + at, mm, {batched({4, 5}, {}, 15), wb}, {{}, p});
    expect_matches_loop("both batched" + at, mm, {x, wb}, {p, p});
    expect_matches_loop("vector @ matrix" + at, mm, {batched({5}, 0, 16), wb}, {0, p});
  });
  // Operands that already have batch dimensions, and contractions over two axes.
  const DotDims dims{{2, 0}, {3, 1}, {1}, {0}};
  auto dg = [dims](auto& a) { return dot_general(a[0], a[1], dims); };
  for_each_position(3, [&](int p) {
    const Array l = batched({3, 2, 4}, p, 17);
    const Array r = batched({2, 3, 5, 4}, 3 - p / 2, 18);
    expect_matches_loop("dot_general both, batch at " + std::to_string(p), dg, {l, r},
                        {p, 3 - p / 2});
    expect_matches_loop("dot_general rhs, batch at " + std::to_string(p), dg,
                        {batched({3, 2, 4}, {}, 19), r}, {{}, 3 - p / 2});
  });
}

Array indices(const Shape& shape, Axis axis, uint32_t seed, int64_t n) {
  // Negative rows on purpose (they wrap); eager gathers reject rows out of [-n, n).
  return astype(batched(shape, axis, seed) * (static_cast<double>(n) / 2), DType::Int32);
}

TEST(VmapRules, GatherAndScatterAdd) {
  auto gather = [](auto& a) { return bind1(make<prim::Gather>(), {a[0], a[1]}); };
  auto scatter = [](auto& a) { return bind1(make<prim::ScatterAdd>(), {a[0], a[1], a[2]}); };
  for_each_position(2, [&](int p) {
    const std::string at = " batch at " + std::to_string(p);
    const Array x = batched({5, 3}, p, 20);
    const Array shared_x = batched({5, 3}, {}, 21);
    const Array idx = indices({2, 2}, p, 22, 5);
    const Array shared_idx = indices({2, 2}, {}, 23, 5);
    expect_matches_loop("gather operand" + at, gather, {x, shared_idx}, {p, {}});
    expect_matches_loop("gather indices" + at, gather, {shared_x, idx}, {{}, p});
    expect_matches_loop("gather both" + at, gather, {x, idx}, {p, p});
    const Array upd = batched({2, 2, 3}, p, 24);
    expect_matches_loop("scatter_add all" + at, scatter, {x, idx, upd}, {p, p, p});
    expect_matches_loop("scatter_add operand" + at, scatter,
                        {x, shared_idx, batched({2, 2, 3}, {}, 25)}, {p, {}, {}});
    expect_matches_loop("scatter_add updates" + at, scatter, {shared_x, shared_idx, upd},
                        {{}, {}, p});
  });
}

TEST(VmapRules, DynamicSliceAndUpdate) {
  auto ds = [](auto& a) {
    return bind1(make<prim::DynamicSlice>(Shape{2, 3}), {a[0], a[1], a[2]});
  };
  auto dus = [](auto& a) {
    return bind1(make<prim::DynamicUpdateSlice>(), {a[0], a[1], a[2], a[3]});
  };
  // Starts in [-6, 6): negative ones wrap, large ones clamp.
  auto starts = [](Axis axis, uint32_t seed) {
    return astype(batched({}, axis, seed) * 3.0, DType::Int32);
  };
  for_each_position(2, [&](int p) {
    const std::string at = " batch at " + std::to_string(p);
    const Array x = batched({4, 5}, p, 26);
    const Array s0 = starts(0, 27), s1 = starts(0, 28);
    const Array c0 = scalar<int32_t>(1), c1 = scalar<int32_t>(-2);
    expect_matches_loop("slice, shared starts" + at, ds, {x, c0, c1}, {p, {}, {}});
    expect_matches_loop("slice, batched starts" + at, ds, {x, s0, s1}, {p, 0, 0});
    expect_matches_loop("slice, one batched start" + at, ds, {batched({4, 5}, {}, 29), c0, s1},
                        {{}, {}, 0});
    const Array u = batched({2, 3}, p, 30);
    expect_matches_loop("update, shared starts" + at, dus, {x, u, c0, c1}, {p, p, {}, {}});
    expect_matches_loop("update, batched starts" + at, dus, {x, u, s0, s1}, {p, p, 0, 0});
    expect_matches_loop("update, shared update" + at, dus, {x, batched({2, 3}, {}, 31), s0, c1},
                        {p, {}, 0, {}});
  });
}

TEST(VmapRules, ScanAndCheckpoint) {
  auto layer = [](const Array& h, const Array& w) { return tanh(matmul(h, w)); };
  auto scanned = [layer](auto& a) {
    return scan(
               [&](const Array& h, const Array& w) {
                 const Array next = layer(h, w) + a[2];
                 return std::pair{next, sum(next)};
               },
               a[0], a[1])
        .second;
  };
  for_each_position(1, [&](int p) {
    const std::string at = " batch at " + std::to_string(p);
    const Array h = batched({4}, p, 32), ws = batched({3, 4, 4}, {}, 33);
    expect_matches_loop("scan, batched carry" + at, scanned, {h, ws, batched({4}, {}, 34)},
                        {p, {}, {}});
    expect_matches_loop("scan, batched const makes the carry batched" + at, scanned,
                        {batched({4}, {}, 35), ws, batched({4}, p, 36)}, {{}, {}, p});
  });
  expect_matches_loop("scan, batched xs", scanned,
                      {batched({4}, {}, 37), batched({3, 4, 4}, 1, 38), batched({4}, {}, 39)},
                      {{}, 1, {}});
  auto remat = [layer](auto& a) {
    return checkpoint([layer](const Array& h, const Array& w) { return layer(h, w); })(a[0], a[1]);
  };
  expect_matches_loop("checkpoint", remat, {batched({4}, 0, 40), batched({4, 4}, {}, 41)}, {0, {}});
}

}  // namespace
}  // namespace strata
