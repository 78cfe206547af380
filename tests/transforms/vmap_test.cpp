// vmap's public API: in_axes / out_axes / axis_size forms, pytree prefixes, the errors users can
// make, and composition with jit, grad, scan, random keys and vmap itself.
#include <gtest/gtest.h>

#include <string>

#include "ir/graph.h"
#include "strata/random.h"
#include "test_util.h"

namespace vmap_test {

struct Layer {
  strata::Array W;
  strata::Array b;
};
STRATA_TREE(Layer, W, b)

}  // namespace vmap_test

namespace strata {
namespace {

using testing::expect_arrays_close;
using testing::random_array;
using testing::to_doubles;
using vmap_test::Layer;

constexpr DType F64 = DType::Float64;

Array rnd(const Shape& shape, uint32_t seed) {
  return random_array(shape, F64, seed);
}

void expect_same(const Array& got, const Array& want, const std::string& what = "") {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  testing::expect_all_close(to_doubles(got), to_doubles(want), 1e-13, 1e-14, what);
}

// y = tanh(x W + b) for one example x: [F].
Array layer(const Layer& p, const Array& x) {
  return tanh(matmul(x, p.W) + p.b);
}

TEST(Vmap, InAxesFormsAndPytreePrefixes) {
  const Layer p{rnd({4, 3}, 1), rnd({3}, 2)};
  const Array xs = rnd({5, 4}, 3);
  std::vector<Array> rows;
  for (int64_t i = 0; i < 5; ++i) rows.push_back(layer(p, xs[i]));
  const Array want = stack(rows);
  expect_same(vmap(layer, {none, 0})(p, xs), want, "per-argument list");
  expect_same(vmap(layer, {AxisSpec::fields({{"W", none}, {"b", none}}), 0})(p, xs), want,
              "struct fields");
  expect_same(vmap(layer, {none, -2})(p, xs), want, "negative axis");
  // The batch along the last axis of x, and out_axes moving it last in the result.
  expect_same(vmap(layer, {none, 1}, 1)(p, transpose(xs)), transpose(want), "axis 1 in and out");
  expect_same(vmap(layer, {none, -1}, -1)(p, transpose(xs)), transpose(want), "axis -1");
  // Per-example biases: a prefix mapping one field.
  const Array bs = rnd({5, 3}, 4);
  rows.clear();
  for (int64_t i = 0; i < 5; ++i) rows.push_back(layer(Layer{p.W, bs[i]}, xs[i]));
  expect_same(vmap(layer, {AxisSpec::fields({{"W", none}, {"b", 0}}), 0})(Layer{p.W, bs}, xs),
              stack(rows), "mapped field");
  // A pair argument with a list spec, and an int for every leaf.
  auto f = [](const std::pair<Array, Array>& ab) { return ab.first * ab.second; };
  const Array a = rnd({5, 2}, 5), b = rnd({2}, 6);
  expect_same(vmap(f, {{0, none}})(std::pair{a, b}), a * b, "pair prefix");
  expect_same(vmap(f)(std::pair{a, a}), a * a, "int for all leaves");
}

TEST(Vmap, OutAxesForUnbatchedAndMultipleOutputs) {
  const Array xs = rnd({4, 3}, 7), c = rnd({3}, 8);
  auto f = [](const Array& x, const Array& k) { return std::pair{x + k, k * 2.0}; };
  // An output that does not depend on the batch is broadcast where out_axes maps it ...
  auto [y, shared] = vmap(f, {0, none})(xs, c);
  expect_same(y, xs + c);
  expect_same(shared, broadcast_to(c * 2.0, {4, 3}), "broadcast output");
  // ... and left alone where it is none.
  auto [y2, kept] = vmap(f, {0, none}, {1, none})(xs, c);
  expect_same(y2, transpose(xs + c), "out axis 1");
  expect_same(kept, c * 2.0, "unmapped output");
  // Nothing mapped: axis_size gives the batch.
  expect_same(vmap([](const Array& k) { return exp(k); }, none, 0, 6)(c),
              broadcast_to(exp(c), {6, 3}), "axis_size");
}

TEST(Vmap, ErrorsNameTheArgumentAndKeyPath) {
  const Layer p{rnd({4, 3}, 1), rnd({3}, 2)};
  const Array xs = rnd({5, 4}, 3);
  EXPECT_STRATA_ERROR(vmap(layer, 0)(Layer{rnd({6, 4, 3}, 1), rnd({5, 3}, 2)}, xs), "[vmap]",
                      "`arg0.W` has size 6 along axis 0", "`arg0.b` has size 5");
  EXPECT_STRATA_ERROR(vmap(layer, {none, 2})(p, xs), "[vmap]", "axis 2 is out of range", "`arg1`",
                      "f64[5,4]");
  EXPECT_STRATA_ERROR(vmap(layer, {none, 0, 0})(p, xs), "[vmap]", "3 entries",
                      "called with 2 arguments");
  EXPECT_STRATA_ERROR(vmap(layer, {{0, none}, 0})(p, xs), "[vmap]", "`arg0`", "struct Layer",
                      "AxisSpec::fields");
  EXPECT_STRATA_ERROR(vmap(layer, {AxisSpec::fields({{"W", none}}), 0})(p, xs), "[vmap]",
                      "fields {W}", "with fields {W, b}");
  EXPECT_STRATA_ERROR(vmap(layer, {none, 0}, none)(p, xs), "[vmap]", "out_axes is st::none",
                      "depends on the mapped inputs");
  EXPECT_STRATA_ERROR(vmap(layer, none)(p, xs), "[vmap]", "no argument is mapped", "axis_size");
  EXPECT_STRATA_ERROR(vmap(layer, {none, 0}, 0, 3)(p, xs), "[vmap]", "axis_size = 3",
                      "has size 5 along axis 0");
  EXPECT_STRATA_ERROR(vmap(layer, {none, 0}, 2)(p, xs), "[vmap]", "out_axes axis 2",
                      "output <root>");
}

// W1 (design §6) at a test size: relu(y W_i + b_i) over L scanned layers, weights stacked.
Array w1(const Layer& stacked, const Array& x) {
  return scan(
             [](const Array& y, const Layer& l) {
               return std::pair{relu(matmul(y, l.W) + l.b), None{}};
             },
             x, stacked)
      .first;
}

Layer w1_params(int64_t L, int64_t F, uint32_t seed) {
  return Layer{rnd({L, F, F}, seed) * (1.0 / std::sqrt(static_cast<double>(F))),
               rnd({L, F}, seed + 1) * 0.1};
}

TEST(Vmap, ScannedStackWithSharedWeightsIsNotCopiedPerExample) {
  // Seed 003's computation without modules: B inputs through one scanned stack of N layers.
  const int64_t B = 6, N = 4, F = 8;
  const Layer stack_params = w1_params(N, F, 10);
  const Array xs = rnd({B, F}, 12);
  auto batched = vmap(w1, {none, 0});
  const Array ys = batched(stack_params, xs);
  for (int64_t i = 0; i < B; ++i) expect_same(ys[i], w1(stack_params, xs[i]), "example");
  // The traced graph: one scan whose stacked weights keep their unbatched shape, and no value
  // anywhere of B copies of a weight.
  const Jaxpr j = trace(batched, stack_params, xs);
  int scans = 0;
  for (const ir::Op& op : j.graph().ops()) {
    for (ir::ValueId v : op.results) {
      const Shape& s = j.graph().type(v).shape;
      EXPECT_FALSE(s.size() >= 3 && s[s.size() - 1] == F && s[s.size() - 2] == F)
          << op.primitive->name() << " makes a batch of weight matrices";
    }
    if (std::string(op.primitive->name()) != "scan") continue;
    ++scans;
    for (ir::ValueId v : op.operands) {
      const Shape& s = j.graph().type(v).shape;
      if (s.size() == 3) {
        EXPECT_EQ(s, (Shape{N, F, F}));
      }
    }
  }
  EXPECT_EQ(scans, 1);
}

TEST(Vmap, PerExampleGradientsOfW1EqualSeparateGradCalls) {
  const int64_t B = 5, L = 8, F = 6;
  const Layer params = w1_params(L, F, 20);
  const Array xs = rnd({B, F}, 22), targets = rnd({B, F}, 23);
  auto loss = [](const Layer& p, const Array& x, const Array& t) {
    return sum(square(w1(p, x) - t));
  };
  const Layer per_example = vmap(grad(loss), {none, 0, 0})(params, xs, targets);
  ASSERT_EQ(per_example.W.shape(), (Shape{B, L, F, F}));
  ASSERT_EQ(per_example.b.shape(), (Shape{B, L, F}));
  for (int64_t i = 0; i < B; ++i) {
    const Layer g = grad(loss)(params, xs[i], targets[i]);
    expect_arrays_close(per_example.W[i], g.W, 1e-12);
    expect_arrays_close(per_example.b[i], g.b, 1e-12);
  }
  // The same, compiled.
  const Layer jitted = jit(vmap(grad(loss), {none, 0, 0}))(params, xs, targets);
  expect_arrays_close(jitted.W, per_example.W, 1e-12);
}

TEST(Vmap, ComposesWithGradJitScanAndItself) {
  const Layer p{rnd({4, 3}, 30), rnd({3}, 31)};
  const Array xs = rnd({5, 4}, 32);
  // grad of a vmapped loss: the sum over examples of each example's gradient.
  auto batch_loss = [](const Layer& q, const Array& x) {
    return sum(vmap(layer, {none, 0})(q, x));
  };
  const Layer g = grad(batch_loss)(p, xs);
  Array gW = zeros_like(p.W), gb = zeros_like(p.b);
  for (int64_t i = 0; i < 5; ++i) {
    const Layer gi =
        grad([](const Layer& q, const Array& x) { return sum(layer(q, x)); })(p, xs[i]);
    gW = gW + gi.W;
    gb = gb + gi.b;
  }
  expect_arrays_close(g.W, gW, 1e-12);
  expect_arrays_close(g.b, gb, 1e-12);
  // vmap of vmap: a [3, 5] grid of examples, the inner map over axis 1 of the outer example.
  const Array grid = rnd({5, 3, 4}, 33);
  const Array twice = vmap(vmap(layer, {none, 0}), {none, 1})(p, grid);
  ASSERT_EQ(twice.shape(), (Shape{3, 5, 3}));
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t k = 0; k < 5; ++k) expect_same(twice[i][k], layer(p, grid[k][i]), "grid");
  }
  // jit around vmap and vmap around jit.
  const Array want = vmap(layer, {none, 0})(p, xs);
  expect_same(jit(vmap(layer, {none, 0}))(p, xs), want, "jit(vmap)");
  expect_same(vmap(jit(layer), {none, 0})(p, xs), want, "vmap(jit)");
  // A scan whose body vmaps: each step maps a layer over the carry's rows.
  const Array out =
      scan(
          [&](const Array& h, None) {
            return std::pair{vmap(layer, {none, 0})(p, matmul(h, transpose(p.W))), None{}};
          },
          rnd({5, 3}, 34), None{}, {.length = 3})
          .first;
  Array h = rnd({5, 3}, 34);
  for (int s = 0; s < 3; ++s) h = vmap(layer, {none, 0})(p, matmul(h, transpose(p.W)));
  expect_same(out, h, "vmap in a scan body");
}

TEST(Vmap, BatchOfKeysGivesIndependentStreams) {
  const Array keys = random::split(random::key(7), 4);
  auto draw = [](const Array& k) { return random::normal(k, {3}); };
  const Array batched = vmap(draw)(keys);
  ASSERT_EQ(batched.shape(), (Shape{4, 3}));
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(to_doubles(batched[i]), to_doubles(draw(keys[i]))) << "stream " << i;
  }
  EXPECT_NE(to_doubles(batched[0]), to_doubles(batched[1]));
  const Array u = jit(vmap([](const Array& k) { return random::uniform(k, {2}); }))(keys);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(to_doubles(u[i]), to_doubles(random::uniform(keys[i], {2})));
  }
}

TEST(VmapErrors, ZeroDimensionalArgumentMappedAlongAxisZero) {
  EXPECT_STRATA_ERROR(vmap([](const Array& x) { return x * 2.0; })(scalar(1.0f)), "[vmap]",
                      "`arg0`", "0-d value has no axis", "st::none");
}

}  // namespace
}  // namespace strata
