// nn::Stacked / ArrayStacked / Sequential: every user mistake is a strata::Error naming the API,
// the argument or carry leaf, the shapes and num_layers; and the identical-layers warning.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "strata/nn/nn.h"
#include "test_util.h"

namespace strata::testing {
namespace {

struct Row {
  nn::Param w;
  explicit Row(const Array& v) : w(v) {}
  Array operator()(const Array& c) const { return c * w.value; }
  std::pair<Array, Array> operator()(const Array& c, const Array& x) const {
    return {c * w.value + x, x};
  }
  STRATA_TREE_MEMBERS(w)
};

struct Widen {  // 3 -> 6 features: cannot be stacked as a carry-to-carry layer
  nn::Linear fc;
  explicit Widen(nn::Rngs& rngs) : fc(3, 6, rngs) {}
  Array operator()(const Array& x) const { return fc(x); }
  STRATA_TREE_MEMBERS(fc)
};

auto add_arg = [](const Row& l, const Array& c, const auto& x) { return l(c) + x; };

TEST(StackedErrors, NumLayersAndOptionsAreChecked) {
  EXPECT_STRATA_ERROR(nn::ArrayStacked<Row>::init(0), "[nn.ArrayStacked.init]",
                      "num_layers must be >= 1, found 0");
  EXPECT_STRATA_ERROR(nn::Stacked<Row>::init(-2), "[nn.Stacked.init]", "found -2");
  EXPECT_STRATA_ERROR(nn::Sequential<Row>::init(0), "[nn.Sequential.init]", ">= 1");
  EXPECT_STRATA_ERROR(nn::ArrayStacked<Row>::init(3, {.unroll = 0}), "[nn.ArrayStacked.init]",
                      "unroll must be >= 1");
  EXPECT_STRATA_ERROR(
      nn::ArrayStacked<Row>::init(6, {.gradient_checkpointing = CheckpointPolicy::nested(4)}),
      "[nn.ArrayStacked.init]", "4 outer blocks", "num_layers = 6");
  EXPECT_STRATA_ERROR(
      nn::ArrayStacked<Row>::init(2, {.gradient_checkpointing = CheckpointPolicy::save_names({})}),
      "[nn.ArrayStacked.init]", "at least one name");
  // Wrapping a module whose arrays lack the layer axis.
  EXPECT_STRATA_ERROR(nn::ArrayStacked<Row>(Row(ones({3, 2})), 4), "[nn.ArrayStacked]",
                      "leaf `w.value`", "(3, 2)", "num_layers = 4");
  EXPECT_STRATA_ERROR(nn::Stacked<Row>(Row(ones({3})), nn::Axis{"blocks", 2}), "[nn.Stacked]",
                      "num_layers = 2 (axis 'blocks')");
}

TEST(StackedErrors, ASlicedArgumentMustHaveNumLayersAlongItsAxis) {
  const auto stack = nn::ArrayStacked<Row>::init(4)(ones({4, 2}));
  const auto named = nn::Stacked<Row>::init(nn::Axis{"blocks", 4})(ones({4, 2}));
  const auto seq = nn::Sequential<Row>::init(4)(ones({4, 2}));
  const Array c = ones({2});
  const Array bad = ones({3, 2});
  EXPECT_STRATA_ERROR(stack.fold_via(add_arg, 0)(c, bad), "[nn.ArrayStacked.fold_via]",
                      "argument 0 after the carry (`arg0`)", "shape (3, 2)", "axis 0",
                      "num_layers = 4", "found 3", "st::none");
  EXPECT_STRATA_ERROR(named.fold_via(add_arg, 0)(c, bad), "[nn.Stacked.fold_via]",
                      "num_layers = 4 (axis 'blocks')");
  EXPECT_STRATA_ERROR(seq.fold_via(add_arg, 0)(c, bad), "[nn.Sequential.fold_via]", "(3, 2)");
  // The second argument, a negative axis, and a leaf inside a pytree argument.
  auto two = [](const Row& l, const Array& h, const Array& a, const Array& b) {
    return l(h) + a + b;
  };
  EXPECT_STRATA_ERROR(stack.fold_via(two, {strata::none, -1})(c, c, ones({2, 5})),
                      "argument 1 after the carry (`arg1`)", "shape (2, 5)", "axis -1",
                      "num_layers = 4");
  auto pair_arg = [](const Row& l, const Array& h, const std::pair<Array, Array>& p) {
    return l(h) + p.first + p.second;
  };
  EXPECT_STRATA_ERROR(stack.fold_via(pair_arg, 0)(c, std::pair{ones({4, 2}), ones({5, 2})}),
                      "(`arg0[1]`)", "(5, 2)");
  EXPECT_STRATA_ERROR(stack.scan(0, c, bad), "[nn.ArrayStacked.scan]", "(`arg0`)");
  EXPECT_STRATA_ERROR(stack.vmap_via([](const Row& l, const Array& x) { return l(x); }, 0)(bad),
                      "[nn.ArrayStacked.vmap_via]", "argument 0 (`arg0`)", "(3, 2)");
  // Axis out of range for the argument.
  EXPECT_STRATA_ERROR(stack.fold_via(add_arg, 2)(c, ones({4, 2})),
                      "in_axes gives argument 0 after the carry (`arg0`) axis 2", "out of range",
                      "(4, 2)");
  EXPECT_STRATA_ERROR(stack.fold_via(add_arg, 0)(c, ones({})), "axis 0", "out of range", "()");
}

TEST(StackedErrors, InAxesMustMatchTheArguments) {
  const auto stack = nn::ArrayStacked<Row>::init(3)(ones({3, 2}));
  const Array c = ones({2});
  auto two = [](const Row& l, const Array& h, const Array& a, const Array& b) {
    return l(h) + a + b;
  };
  EXPECT_STRATA_ERROR(stack.fold_via(two, {0, strata::none, 0})(c, c, c),
                      "[nn.ArrayStacked.fold_via]", "lists 3 specs for 2 arguments");
  EXPECT_STRATA_ERROR(stack.fold_via(two, {{0, 0}, strata::none})(c, c, c), "in_axes entry 0",
                      "{0, 0}", "an int", "st::none");
  // A C++ value holds no arrays to slice.
  auto scaled = [](const Row& l, const Array& h, double k) { return l(h) * k; };
  EXPECT_STRATA_ERROR(stack.fold_via(scaled, 0)(c, 2.0), "argument 0 after the carry (a double)",
                      "no arrays to slice", "st::none");
  EXPECT_NO_THROW(stack.fold_via(scaled)(c, 2.0));  // shared by default
  EXPECT_NO_THROW(stack.fold_via(scaled, {strata::none})(c, 2.0));
}

TEST(StackedErrors, TheCarryMustKeepItsStructureAndTypes) {
  nn::Rngs rngs(0);
  const auto widen = nn::ArrayStacked<Widen>::init(2)(rngs);
  EXPECT_STRATA_ERROR(widen.fold(ones({4, 3})), "[nn.ArrayStacked.fold]", "carry leaf `<root>`",
                      "float32 of shape (4, 3) on input", "float32 of shape (4, 6) on output");
  nn::Rngs rngs2(0);
  const auto widen_seq = nn::Sequential<Widen>::init(2)(rngs2);
  EXPECT_STRATA_ERROR(widen_seq.fold(ones({4, 3})), "[nn.Sequential.fold]", "(4, 6)");

  const auto stack = nn::ArrayStacked<Row>::init(3)(ones({3, 2}));
  auto grow = [](const Row& l, const std::vector<Array>& c) {
    std::vector<Array> out{l(c[0])};
    out.push_back(c[0]);
    return out;
  };
  EXPECT_STRATA_ERROR(stack.fold_via(grow)(std::vector<Array>{ones({2})}),
                      "[nn.ArrayStacked.fold_via]", "structure of the carry it was given");
  auto retype = [](const Row& l, const Array& c) {
    return std::pair{astype(l(c), DType::Float64), c};
  };
  EXPECT_STRATA_ERROR(stack.scan_via(retype)(ones({2})), "[nn.ArrayStacked.scan_via]",
                      "float64 of shape (2,) on output");
}

TEST(StackedErrors, LayerIndexAndOutAxes) {
  const auto stack = nn::ArrayStacked<Row>::init(3)(ones({3, 2}));
  EXPECT_STRATA_ERROR(stack.get_layer(3), "[nn.ArrayStacked.get_layer]",
                      "layer index 3 is out of range for 3 layers", "-3 to -1");
  EXPECT_STRATA_ERROR(stack.get_layer(-4), "layer index -4");
  const auto seq = nn::Sequential<Row>::init(3)(ones({3, 2}));
  EXPECT_STRATA_ERROR(seq.get_layer(7), "[nn.Sequential.get_layer]", "7");
  auto apply = [](const Row& l, const Array& x) { return l(x); };
  EXPECT_STRATA_ERROR(seq.vmap_via(apply, strata::none, strata::none)(ones({2})),
                      "[nn.Sequential.vmap_via]", "out_axes must be an int");
  EXPECT_STRATA_ERROR(seq.vmap_via(apply, strata::none, 2)(ones({2})), "out_axes 2",
                      "out of range");
  // A per-layer output cannot be left unstacked (vmap's own error, under the stack's name).
  EXPECT_STRATA_ERROR(stack.vmap_via(apply, strata::none, strata::none)(ones({2})),
                      "[nn.ArrayStacked.vmap_via]", "(in vmap)", "out_axes is st::none");
}

TEST(StackedErrors, ARngsSplitIntoAnotherCountIsRefused) {
  struct Dense {
    nn::Linear fc;
    Dense(int64_t f, nn::Rngs& r) : fc(f, f, r) {}
    STRATA_TREE_MEMBERS(fc)
  };
  nn::Rngs rngs(0);
  nn::Rngs three = rngs.split(3);
  EXPECT_STRATA_ERROR(nn::ArrayStacked<Dense>::init(4)(2, three), "[nn.ArrayStacked.init]", "arg1",
                      "(3, 2)", "num_layers = 4", "rngs.split(4)");
}

// ---------------------------------------------------------------- identical layers

// Builds its Linear from a key given as an Array: shared by every layer unless sliced.
struct Keyed {
  nn::Linear fc;
  Keyed(int64_t f, const Array& key, nn::LinearOptions options = {}) {
    nn::Rngs rngs(key);
    fc = nn::Linear(f, f, rngs, std::move(options));
  }
  STRATA_TREE_MEMBERS(fc)
};

std::string captured(const std::function<void()>& f) {
  ::testing::internal::CaptureStderr();
  f();
  return ::testing::internal::GetCapturedStderr();
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(StackedWarning, IdenticalLayersWarnOncePerProcess) {
  nn::detail::reset_identical_layers_warning();
  // A (2,) key is not sliced for 3 layers: every layer gets the same key, the same kernel.
  const std::string first = captured([] {
    const auto stack = nn::ArrayStacked<Keyed>::init(3)(4, random::key(0));
    EXPECT_EQ(to_doubles(stack.layers.fc.kernel.value[0]),
              to_doubles(stack.layers.fc.kernel.value[2]));
  });
  EXPECT_EQ(first.rfind("[nn.ArrayStacked.init] warning:", 0), 0u) << first;
  EXPECT_NE(first.find("all 3 layers have identical parameters"), std::string::npos) << first;
  EXPECT_NE(first.find("`fc.kernel`"), std::string::npos) << first;
  EXPECT_NE(first.find("rngs.split(num_layers)"), std::string::npos) << first;
  EXPECT_EQ(count_of(first, "] warning:"), 1u);
  const std::string second = captured([] { (void)nn::Stacked<Keyed>::init(5)(4, random::key(1)); });
  EXPECT_EQ(second, "") << "warned twice";
}

TEST(StackedWarning, NoWarningForSplitConstantOrSingleLayers) {
  nn::detail::reset_identical_layers_warning();
  const std::string out = captured([] {
    nn::Rngs rngs(0);
    (void)nn::ArrayStacked<nn::Linear>::init(4)(3, 3, rngs);  // split keys: all layers differ
    // Identical but constant within each layer (a ones kernel, zero bias): nothing to learn from.
    (void)nn::ArrayStacked<Keyed>::init(3)(4, random::key(0),
                                           nn::LinearOptions{.kernel_init = nn::init::ones()});
    // One layer, or keys sliced per layer.
    (void)nn::ArrayStacked<Keyed>::init(1)(4, random::key(0));
    (void)nn::ArrayStacked<Keyed>::init(3)(4, random::split(random::key(0), 3));
  });
  EXPECT_EQ(out, "");
  // The warning has not been used up: an identical stack still warns.
  EXPECT_NE(captured([] { (void)nn::ArrayStacked<Keyed>::init(3)(4, random::key(0)); }), "");
}

TEST(StackedWarning, CallableOnAnyStackedModuleAndSkipsTracedOnes) {
  nn::detail::reset_identical_layers_warning();
  nn::Rngs rngs(3);
  const nn::Linear one(4, 4, rngs);
  // An NNX-style vmapped constructor that forgot split_rngs: every layer broadcast from one.
  const nn::Linear stacked = tree::map(
      [](const Array& a) {
        Shape s = a.shape();
        s.insert(s.begin(), 6);
        return broadcast_to(a, s);
      },
      one);
  const std::string traced = captured([&] {
    auto f = jit([](const nn::Linear& l) {
      nn::warn_if_layers_identical(l, 6, "lifted.vmap");
      return l.kernel.value;
    });
    (void)f(stacked);
  });
  EXPECT_EQ(traced, "");
  const std::string eager =
      captured([&] { nn::warn_if_layers_identical(stacked, 6, "lifted.vmap"); });
  EXPECT_EQ(eager.rfind("[lifted.vmap] warning: all 6 layers", 0), 0u) << eager;
}

}  // namespace
}  // namespace strata::testing
