// nn::state_dict / load_state_dict (per-layer keys for stacks, `.i` for lists), unstack_state /
// stack_state, tree_state / load_tree_state, and a model saved as safetensors, loaded into a
// freshly built model, giving the same outputs.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "../io/io_test_util.h"
#include "strata/nn/nn.h"
#include "test_util.h"

namespace strata::testing {
namespace {

struct Block {
  nn::Linear fc1, fc2;
  Block(int64_t width, nn::Rngs& rngs) : fc1(width, 2 * width, rngs), fc2(2 * width, width, rngs) {}
  Array operator()(const Array& x) const { return x + fc2(nn::relu(fc1(x))); }
  STRATA_TREE_MEMBERS(fc1, fc2)
};

// A stem (plain layers in a vector), a stack of blocks, and a head.
struct Net {
  std::vector<nn::Linear> stem;
  nn::Stacked<Block> blocks;
  nn::LayerNorm norm;
  nn::Linear head;
  Net(int64_t width, int64_t depth, nn::Rngs& rngs)
      : stem{nn::Linear(3, width, rngs), nn::Linear(width, width, rngs)},
        blocks(nn::Stacked<Block>::init(nn::Axis{"blocks", depth})(width, rngs)),
        norm(width, rngs),
        head(width, 2, rngs) {}
  Array operator()(Array x) const {
    for (const auto& layer : stem) x = nn::relu(layer(x));
    return head(norm(blocks.fold(x)));
  }
  STRATA_TREE_MEMBERS(stem, blocks, norm, head)
};

TEST(StateDict, StacksBecomePerLayerKeysAndListsUseDots) {
  nn::Rngs rngs(0);
  const Net net(4, 3, rngs);
  const nn::State sd = nn::state_dict(net);
  std::vector<std::string> keys;
  for (const auto& [k, a] : sd) keys.push_back(k);
  std::vector<std::string> want = {"head.bias",   "head.kernel",   "norm.bias",   "norm.scale",
                                   "stem.0.bias", "stem.0.kernel", "stem.1.bias", "stem.1.kernel"};
  for (int i = 0; i < 3; ++i) {
    for (const char* rest : {"fc1.bias", "fc1.kernel", "fc2.bias", "fc2.kernel"}) {
      want.push_back("blocks." + std::to_string(i) + "." + rest);
    }
  }
  std::sort(want.begin(), want.end());
  EXPECT_EQ(keys, want);
  // Layer i is slice i of the stacked array (a view, same values).
  const nn::State stacked = nn::state(net);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(to_doubles(sd.at("blocks." + std::to_string(i) + ".fc1.kernel")),
              to_doubles(stacked.at("blocks.layers.fc1.kernel")[i]));
  }
  EXPECT_EQ(sd.at("blocks.2.fc2.kernel").shape(), (Shape{8, 4}));
  EXPECT_EQ(to_doubles(sd.at("stem.1.kernel")), to_doubles(stacked.at("stem[1].kernel")));
}

TEST(StateDict, LoadIntoAFreshModelGivesTheSameOutputsThroughSafetensors) {
  nn::Rngs rngs(1);
  const Net trained(4, 3, rngs);
  TempFolder dir;
  const std::string path = dir.file("net.safetensors");
  io::save_safetensors(path, nn::state_dict(trained));

  nn::Rngs other(99);  // different initial values
  const Net fresh(4, 3, other);
  const Array x = random_array({5, 3}, DType::Float32, 7);
  ASSERT_NE(to_doubles(fresh(x)), to_doubles(trained(x)));
  const Net loaded = nn::load_state_dict(fresh, io::load_safetensors(path));
  EXPECT_EQ(to_doubles(loaded(x)), to_doubles(trained(x)));
  for (const auto& [key, a] : nn::state(trained)) {
    EXPECT_EQ(to_doubles(nn::state(loaded).at(key)), to_doubles(a)) << key;
  }
  // The stack keeps its static data (number of layers, axis name).
  EXPECT_EQ(loaded.blocks.num_layers(), 3);
  EXPECT_EQ(loaded.blocks.block().name, "blocks");
}

TEST(StateDict, LoadIsStrictAndListsEveryProblemAtOnce) {
  nn::Rngs rngs(2);
  const Net net(4, 2, rngs);
  nn::State sd = nn::state_dict(net);
  sd.erase("blocks.1.fc2.bias");
  sd.erase("head.kernel");
  sd["blocks.2.fc1.bias"] = zeros({8});
  sd["stem.0.kernel"] = zeros({4, 3});
  sd["norm.scale"] = astype(sd.at("norm.scale"), DType::Float64);
  const std::string message = error_of([&] { nn::load_state_dict(net, sd); });
  EXPECT_EQ(message.rfind("[nn.load_state_dict] the state does not match the model:", 0), 0u)
      << message;
  for (const char* fragment : {"2 missing", "`blocks.1.fc2.bias`", "`head.kernel`", "1 unexpected",
                               "`blocks.2.fc1.bias`", "2 with another shape or dtype",
                               "`stem.0.kernel` (expected float32(3, 4), found float32(4, 3))",
                               "`norm.scale` (expected float32(4,), found float64(4,))"}) {
    EXPECT_NE(message.find(fragment), std::string::npos) << fragment << "\n" << message;
  }
}

TEST(StateDict, StackedAndUnrolledLayoutsShareOneStateDict) {
  nn::Rngs r1(7), r2(7);
  const auto stacked = nn::Stacked<Block>::init(3)(4, r1);
  const auto unrolled = nn::Sequential<Block>::init(3)(4, r2);  // same init, a std::vector
  const nn::State a = nn::state_dict(stacked), b = nn::state_dict(unrolled);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [key, value] : a) {
    ASSERT_TRUE(b.count(key)) << key;
    EXPECT_EQ(to_doubles(b.at(key)), to_doubles(value)) << key;
  }
  // A checkpoint of either layout loads into the other.
  nn::Rngs r3(8);
  const auto into_stacked = nn::load_state_dict(nn::Stacked<Block>::init(3)(4, r3), b);
  const Array x = random_array({2, 4}, DType::Float32, 3);
  EXPECT_EQ(to_doubles(into_stacked.fold(x)), to_doubles(stacked.fold(x)));
  const auto into_unrolled = nn::load_state_dict(nn::Sequential<Block>::init(3)(4, r3), a);
  EXPECT_EQ(to_doubles(nn::state_dict(into_unrolled).at("2.fc2.kernel")),
            to_doubles(a.at("2.fc2.kernel")));
}

// A stack of stacks: each outer layer holds an inner stack of two Linear layers.
struct Pair {
  nn::ArrayStacked<nn::Linear> sub;
  explicit Pair(nn::Rngs& rngs) : sub(nn::ArrayStacked<nn::Linear>::init(2)(3, 3, rngs)) {}
  STRATA_TREE_MEMBERS(sub)
};

TEST(StateDict, NestedStacksGetOneIndexPerStack) {
  nn::Rngs rngs(5);
  const auto outer = nn::ArrayStacked<Pair>::init(4)(rngs);
  const Array& kernels = outer.layers.sub.layers.kernel;
  ASSERT_EQ(kernels.shape(), (Shape{4, 2, 3, 3}));
  const nn::State sd = nn::state_dict(outer);
  EXPECT_EQ(sd.size(), 16u);  // 4 x 2 layers, kernel and bias
  EXPECT_EQ(to_doubles(sd.at("3.sub.1.kernel")), to_doubles(kernels[3][1]));
  EXPECT_EQ(to_doubles(sd.at("0.sub.1.bias")),
            to_doubles(outer.layers.sub.layers.bias->value[0][1]));
  nn::Rngs other(6);
  const auto loaded = nn::load_state_dict(nn::ArrayStacked<Pair>::init(4)(other), sd);
  EXPECT_EQ(to_doubles(loaded.layers.sub.layers.kernel), to_doubles(kernels));
}

TEST(StateDict, UnstackAndStackStateAreInverse) {
  nn::Rngs rngs(3);
  const Net net(4, 3, rngs);
  const nn::State params = nn::split(net).first;  // stacked keys blocks.layers.fc1.kernel
  const nn::State unstacked = nn::unstack_state(params, "blocks.layers");
  EXPECT_TRUE(unstacked.count("blocks.layers.2.fc2.kernel"));
  EXPECT_FALSE(unstacked.count("blocks.layers.fc2.kernel"));
  EXPECT_TRUE(unstacked.count("head.kernel"));  // other keys pass through
  EXPECT_EQ(unstacked.size(), params.size() - 4 + 12);
  EXPECT_EQ(to_doubles(unstacked.at("blocks.layers.1.fc1.bias")),
            to_doubles(params.at("blocks.layers.fc1.bias")[1]));
  const nn::State restacked = nn::stack_state(unstacked, "blocks.layers");
  ASSERT_EQ(restacked.size(), params.size());
  for (const auto& [key, a] : params) {
    ASSERT_TRUE(restacked.count(key)) << key;
    EXPECT_EQ(restacked.at(key).shape(), a.shape()) << key;
    EXPECT_EQ(to_doubles(restacked.at(key)), to_doubles(a)) << key;
  }
}

TEST(StateDict, StackStateNamesGapsDuplicatesAndShapeMismatches) {
  const Array v = array({1.0f, 2.0f});
  auto expect_error = [](const nn::State& s, const std::vector<std::string>& fragments) {
    const std::string message = error_of([&] { nn::stack_state(s, "blocks"); });
    EXPECT_EQ(message.rfind("[nn.stack_state] cannot stack the keys under `blocks`:", 0), 0u)
        << message;
    for (const auto& f : fragments) EXPECT_NE(message.find(f), std::string::npos) << f << message;
  };
  expect_error({{"blocks.0.w", v}, {"blocks.2.w", v}}, {"`blocks.1.w` is missing (layers 0..2)"});
  expect_error({{"blocks.0.w", v}, {"blocks.1.w", v}, {"blocks.01.w", v}},
               {"`blocks.01.w` is not a per-layer key"});
  expect_error({{"blocks.0.w", v}, {"blocks.1.w", array({1.0f})}},
               {"`blocks.1.w` is float32(1,) but `blocks.0.w` is float32(2,)"});
  expect_error({{"blocks.0.w", v}, {"blocks.1.w", v}, {"blocks.1.b", v}, {"blocks.x", v}},
               {"`blocks.0.b` is missing", "`blocks.x` is not a per-layer key"});
  const std::string none = error_of([&] { nn::stack_state({{"head.w", v}}, "blocks"); });
  EXPECT_NE(none.find("no key is under the prefix `blocks`"), std::string::npos) << none;
  // Unstacking needs one layer count under the prefix.
  const std::string uneven = error_of([&] {
    nn::unstack_state({{"blocks.a", zeros({3, 2})}, {"blocks.b", zeros({2})}}, "blocks");
  });
  EXPECT_NE(uneven.find("disagree on the number of layers"), std::string::npos) << uneven;
  const std::string zero_d = error_of([&] {
    nn::unstack_state({{"blocks.a", scalar(1.0f)}}, "blocks");
  });
  EXPECT_NE(zero_d.find("has no leading layer axis"), std::string::npos) << zero_d;
  // The prefix itself (a bare stacked array) unstacks to blocks.{i}.
  const nn::State bare = nn::unstack_state({{"blocks", zeros({2, 3})}}, "blocks");
  EXPECT_EQ(bare.size(), 2u);
  EXPECT_EQ(bare.at("blocks.1").shape(), (Shape{3}));
  EXPECT_EQ(nn::stack_state(bare, "blocks").at("blocks").shape(), (Shape{2, 3}));
}

TEST(StateDict, TreeStateSavesAndRestoresAnOptimiserState) {
  nn::Rngs rngs(4);
  const Net net(4, 2, rngs);
  const nn::State params = nn::split(net).first;
  const auto opt = optim::adamw(1e-2);
  auto state = opt.init(params);
  const nn::State grads = tree::map([](const Array& p) { return p * 0.5f; }, params);
  state = opt.update(grads, state, params).second;
  const nn::State flat = nn::tree_state(state);
  EXPECT_TRUE(flat.count("count"));
  EXPECT_TRUE(flat.count("mu.blocks.layers.fc1.kernel"));
  // Indices read as in state dicts: a chained optimiser's state is a tuple.
  const auto chained = optim::chain(optim::clip_by_global_norm(1.0), optim::adamw(1e-2));
  const nn::State chained_flat = nn::tree_state(chained.init(params));
  EXPECT_TRUE(chained_flat.count("1.nu.stem.0.kernel")) << chained_flat.begin()->first;
  const auto zero_state = opt.init(params);
  const auto restored = nn::load_tree_state(zero_state, flat);
  const auto a = tree::leaves(restored), b = tree::leaves(state);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(to_doubles(a[i]), to_doubles(b[i]));
  nn::State broken = flat;
  broken.erase(broken.begin());
  const std::string message = error_of([&] { nn::load_tree_state(zero_state, broken); });
  EXPECT_NE(message.find("[nn.load_tree_state] the state does not match"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace strata::testing
