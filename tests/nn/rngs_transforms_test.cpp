// nn::Rngs under transforms: where a draw advances the counter (eagerly, in a jitted graph, in a
// scan body), the errors for draws that would repeat a key, and split (nnx.split_rngs).
#include <gtest/gtest.h>

#include "strata/nn/nn.h"
#include "strata/strata.h"
#include "test_util.h"

namespace strata::testing {
namespace {

std::vector<uint32_t> words(const Array& k) {
  return k.to_vector<uint32_t>();
}
std::vector<uint32_t> nnx_key(int64_t seed, uint32_t count) {
  return words(random::fold_in(random::key(seed), count));
}

TEST(RngsTransforms, FoldInTakesATracedCounter) {
  const Array k = random::key(42);
  EXPECT_EQ(words(random::fold_in(k, scalar<uint32_t>(7))), words(random::fold_in(k, 7u)));
  auto f = jit([](const Array& key, const Array& c) { return random::fold_in(key, c); });
  EXPECT_EQ(words(f(k, scalar<uint32_t>(123456))), words(random::fold_in(k, 123456u)));
  EXPECT_STRATA_ERROR(random::fold_in(k, zeros({2}, DType::UInt32)), "[random.fold_in]",
                      "uint32 of shape (2,)");
  EXPECT_STRATA_ERROR(random::fold_in(k, scalar<int32_t>(1)), "[random.fold_in]", "int32");
}

TEST(RngsTransforms, JitThreadsThePassedRngsAndReturnsItAdvanced) {
  auto draw_twice = jit([](nn::Rngs rngs) {
    Array a = rngs.dropout();
    Array b = rngs.dropout();
    return std::tuple{a, b, rngs};
  });
  nn::Rngs rngs({{"dropout", 5}});
  for (uint32_t step = 0; step < 3; ++step) {
    auto [a, b, next] = draw_twice(rngs);
    EXPECT_EQ(words(a), nnx_key(5, 2 * step)) << "step " << step;
    EXPECT_EQ(words(b), nnx_key(5, 2 * step + 1)) << "step " << step;
    rngs = next;
    EXPECT_EQ(rngs.count("dropout"), 2 * step + 2);
  }
}

TEST(RngsTransforms, JitTrainingStepGetsANewDropoutMaskEveryCall) {
  // A dropout draw inside grad inside jit: the counter lives in the jitted graph, the mask
  // differs per call, and the step is compiled once.
  nn::Dropout drop(0.5);
  const Array x = ones({64});
  auto step = jit([&](const Array& w, nn::Rngs rngs) {
    auto loss = [&](const Array& v) { return sum(drop(multiply(v, x), rngs)); };
    Array g = grad(loss)(w);
    return std::pair{g, rngs};
  });
  nn::Rngs rngs({{"dropout", 0}});
  const Array w = ones({64});
  auto [g0, r1] = step(w, rngs);
  auto [g1, r2] = step(w, r1);
  EXPECT_NE(to_doubles(g0), to_doubles(g1));
  // Each gradient is exactly the eager mask of the same draw.
  nn::Rngs eager({{"dropout", 0}});
  for (const Array& g : {g0, g1}) {
    EXPECT_EQ(to_doubles(g), to_doubles(drop(x, eager)));
  }
  EXPECT_EQ(r2.count("dropout"), 2u);
}

TEST(RngsTransforms, DrawingFromAnOuterRngsInsideJitIsAnError) {
  nn::Rngs rngs(0);
  auto f = jit([&](const Array& x) { return add(x, random::uniform(rngs(), {3})); });
  EXPECT_STRATA_ERROR(f(zeros({3})), "[nn.Rngs]", "stream 'default'", "inside jit", "every call",
                      "Pass the Rngs into the function");
  EXPECT_EQ(rngs.count("default"), 0u);  // nothing was drawn
}

TEST(RngsTransforms, DrawingFromAnOuterRngsInAScanBodyIsAnError) {
  nn::Rngs rngs(0);
  auto body = [&](const Array& c, const Array& x) {
    return std::pair{add(c, random::uniform(rngs(), {})), x};
  };
  EXPECT_STRATA_ERROR(scan(body, zeros({}), zeros({4})), "[nn.Rngs]", "a scan body",
                      "every layer the same key", "rngs.split(num_layers)");
}

TEST(RngsTransforms, GradAndVmapOfAClosureDrawEagerly) {
  nn::Rngs rngs(3);
  auto loss = [&](const Array& w) { return sum(multiply(w, random::normal(rngs(), {4}))); };
  const Array g = grad(loss)(ones({4}));
  EXPECT_EQ(to_doubles(g), to_doubles(random::normal(random::fold_in(random::key(3), 0), {4})));
  EXPECT_EQ(rngs.count("default"), 1u);
  // vmap closing over an Rngs: one draw, shared by every example (as closing over a key).
  auto f = [&](const Array& x) { return add(x, random::uniform(rngs(), {})); };
  const Array y = vmap(f)(zeros({3}));
  const double shared = to_doubles(random::uniform(random::fold_in(random::key(3), 1), {}))[0];
  EXPECT_EQ(to_doubles(y), std::vector<double>(3, shared));
  EXPECT_EQ(rngs.count("default"), 2u);
}

TEST(RngsTransforms, AnRngsMadeInsideJitLivesThere) {
  auto f = jit([](const Array& x) {
    nn::Rngs rngs(9);
    return add(x, random::uniform(rngs(), {2}));
  });
  const auto want = to_doubles(random::uniform(random::fold_in(random::key(9), 0), {2}));
  EXPECT_EQ(to_doubles(f(zeros({2}))), want);
  EXPECT_EQ(to_doubles(f(zeros({2}))), want);  // deterministic: made anew by the function
}

TEST(RngsTransforms, AnRngsLeakedOutOfJitIsAnErrorWhenUsed) {
  nn::Rngs leaked(0);
  auto f = jit([&](nn::Rngs rngs) {
    leaked = rngs;  // stores traced state outside the function
    return rngs();
  });
  (void)f(nn::Rngs(0));
  EXPECT_STRATA_ERROR(leaked(), "[nn.Rngs]", "has ended", "return the Rngs");
}

TEST(RngsTransforms, AnUnknownStreamNamesTheDrawingModule) {
  nn::Rngs rngs({{"params", 0}});
  nn::Dropout drop(0.5);
  const nn::ModuleScope scope("blocks", 2);
  EXPECT_STRATA_ERROR(drop(ones({4}), rngs), "[nn.Rngs]", "'dropout'",
                      "drawn by the module at key path `blocks[2]`", "'params'");
}

TEST(RngsTransforms, SplitFollowsNnxSplitRngs) {
  nn::Rngs rngs({{"params", 1}, {"dropout", 2}});
  nn::Rngs per_layer = rngs.split(4);
  EXPECT_EQ(rngs.count("params"), 1u);  // the parent advanced by one
  EXPECT_EQ(rngs.count("dropout"), 1u);
  EXPECT_EQ(per_layer.key("params").shape(), (Shape{4, 2}));
  EXPECT_EQ(words(per_layer.key("dropout")),
            words(random::split(random::fold_in(random::key(2), 0), 4)));
  EXPECT_STRATA_ERROR(per_layer.params(), "[nn.Rngs]", "'params'", "(4, 2)", "inside vmap");
  EXPECT_STRATA_ERROR(per_layer.count("params"), "[nn.Rngs]", "split");
  EXPECT_STRATA_ERROR(rngs.split(0), "[nn.Rngs]", "at least 1");

  // vmap over the split Rngs: instance i's j-th key is fold_in(split(fold_in(key, 0), 4)[i], j).
  auto draw = vmap([](nn::Rngs r) {
    Array first = r.params();
    Array second = r.params();
    return std::tuple{first, second, r};
  });
  auto [first, second, advanced] = draw(per_layer);
  const Array keys = random::split(random::fold_in(random::key(1), 0), 4);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(words(first[i]), words(random::fold_in(keys[i], 0u))) << i;
    EXPECT_EQ(words(second[i]), words(random::fold_in(keys[i], 1u))) << i;
  }
  EXPECT_EQ(advanced.key("params").shape(), (Shape{4, 2}));
}

TEST(RngsTransforms, ScanOverASplitRngsGivesEveryLayerItsOwnKeys) {
  nn::Rngs rngs({{"dropout", 7}});
  const Array layer_keys = random::split(random::fold_in(random::key(7), 0), 3);
  nn::Rngs per_layer = rngs.split(3);
  auto body = [](const Array& acc, nn::Rngs r) {
    const Array k = r.dropout();
    return std::pair{acc, k};
  };
  auto [acc, ks] = scan(body, zeros({}), per_layer);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(words(ks[i]), words(random::fold_in(layer_keys[i], 0u))) << i;
  }
}

TEST(RngsTransforms, AnRngsCarriedThroughScanCountsEveryIteration) {
  auto body = [](nn::Rngs r, const Array&) {
    Array k = r.dropout();
    return std::pair{r, k};
  };
  auto [out, ks] = scan(body, nn::Rngs({{"dropout", 4}}), zeros({5}));
  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(words(ks[i]), nnx_key(4, i)) << i;
  EXPECT_EQ(out.count("dropout"), 5u);
}

TEST(RngsTransforms, VmappedConstructorBuildsIndependentLayers) {
  // seed 001's spelling: split the Rngs, vmap the constructor over it.
  nn::Rngs rngs(0);
  auto make = vmap([](nn::Rngs r) { return nn::Linear(3, 3, r); });
  const nn::Linear stacked = make(rngs.split(4));
  EXPECT_EQ(stacked.kernel.shape(), (Shape{4, 3, 3}));
  EXPECT_EQ(stacked.bias->shape(), (Shape{4, 3}));
  const auto kernels = to_doubles(stacked.kernel);
  for (int64_t i = 1; i < 4; ++i) {
    EXPECT_NE(std::vector<double>(kernels.begin(), kernels.begin() + 9),
              std::vector<double>(kernels.begin() + 9 * i, kernels.begin() + 9 * (i + 1)))
        << "layer " << i << " equals layer 0";
  }
  // Layer i is the nnx.Linear built from the i-th split key.
  const Array keys = random::split(random::fold_in(random::key(0), 0), 4);
  nn::Rngs layer2(keys[2]);
  const nn::Linear want(3, 3, layer2);
  expect_all_close(to_doubles(stacked.kernel.value[2]), to_doubles(want.kernel), 0, 0, "layer 2");
}

}  // namespace
}  // namespace strata::testing
