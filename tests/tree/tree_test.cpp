// Pytrees: node kinds, key paths, flatten / unflatten, map, structure comparison and errors.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "strata/core/array.h"
#include "strata/tree/tree.h"

namespace tree_test {

using strata::Array;

struct Block {
  Array weight;
  Array bias;
  int heads = 4;  // static data
};
STRATA_TREE(Block, weight, bias)

struct Other {
  Array weight;
  Array bias;
};
STRATA_TREE(Other, weight, bias)

struct Model {
  std::vector<Block> layers;
  std::map<std::string, Array> params;
  std::optional<Array> head;
  std::string name = "model";  // static data
};
STRATA_TREE(Model, layers, params, head)

struct Empty {
  int n = 0;
};
STRATA_TREE(Empty)

struct Wide {
  Array f00, f01, f02, f03, f04, f05, f06, f07, f08, f09, f10, f11, f12;
  Array f13, f14, f15, f16, f17, f18, f19, f20, f21, f22, f23, f24, f25;
};
STRATA_TREE(Wide, f00, f01, f02, f03, f04, f05, f06, f07, f08, f09, f10, f11, f12, f13, f14, f15,
            f16, f17, f18, f19, f20, f21, f22, f23, f24, f25)

template <class M>
struct Stacked {
  M layers;
  int length = 0;
  STRATA_TREE_MEMBERS(layers)
};

class Hidden {
 public:
  Hidden() = default;
  Hidden(Array a, Array b) : a_(std::move(a)), b_(std::move(b)) {}
  const Array& a() const { return a_; }
  STRATA_TREE_MEMBERS(b_, a_)

 private:
  Array a_, b_;
};

}  // namespace tree_test

namespace strata {
namespace {

using tree_test::Block;
using tree_test::Model;

Array vec(std::vector<float> v) {
  return array(v);
}
float first(const Array& a) {
  return a.to_vector<float>().at(0);
}
std::vector<float> firsts(const std::vector<Array>& leaves) {
  std::vector<float> out;
  for (const Array& a : leaves) out.push_back(first(a));
  return out;
}
Array times(const Array& a, float k) {
  auto v = a.to_vector<float>();
  for (auto& e : v) e *= k;
  return array(v, a.shape());
}
Block block(float w, float b, int heads = 4) {
  return Block{scalar(w), scalar(b), heads};
}

// Asserts that `body` throws strata::Error whose message contains every part.
template <class Body>
void expect_error(Body&& body, std::vector<std::string> parts) {
  try {
    body();
    ADD_FAILURE() << "expected strata::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << msg << "\nlacks: " << p;
  }
}

TEST(TreeNodes, ArrayIsARootLeafWithEmptyPath) {
  const Array a = vec({1.f, 2.f});
  auto [leaves, def] = tree::flatten(a);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_TRUE(leaves[0].shares_buffer_with(a));
  EXPECT_EQ(def.num_leaves(), 1u);
  EXPECT_EQ(def.root().kind, tree::Kind::Leaf);
  EXPECT_EQ(def.to_string(), "*");
  EXPECT_EQ(tree::paths(a), std::vector<std::string>{""});
  EXPECT_EQ(def.paths(), std::vector<std::string>{""});
  EXPECT_EQ(tree::display_path(""), "<root>");
  const Array b = tree::unflatten<Array>(def, {vec({5.f})});
  EXPECT_EQ(b.to_vector<float>(), std::vector<float>{5.f});
}

TEST(TreeNodes, NoneHasNoLeaves) {
  EXPECT_EQ(None{}, None{});
  auto [leaves, def] = tree::flatten(None{});
  EXPECT_TRUE(leaves.empty());
  EXPECT_EQ(def.root().kind, tree::Kind::None);
  EXPECT_EQ(def.to_string(), "None");
  EXPECT_EQ(def, tree::TreeDef());  // the default TreeDef is None's structure
  EXPECT_EQ(tree::num_leaves(std::vector<None>(3)), 0u);
}

TEST(TreeNodes, PairAndTupleKeepOrderAndIndexPaths) {
  const auto p = std::make_pair(vec({1.f}), vec({2.f}));
  EXPECT_EQ(firsts(tree::leaves(p)), (std::vector<float>{1.f, 2.f}));
  EXPECT_EQ(tree::paths(p), (std::vector<std::string>{"[0]", "[1]"}));
  EXPECT_EQ(tree::structure(p).to_string(), "pair(*, *)");

  const auto t = std::make_tuple(vec({1.f}), None{}, std::vector<Array>{vec({2.f}), vec({3.f})});
  EXPECT_EQ(firsts(tree::leaves(t)), (std::vector<float>{1.f, 2.f, 3.f}));
  EXPECT_EQ(tree::paths(t), (std::vector<std::string>{"[0]", "[2][0]", "[2][1]"}));
  EXPECT_EQ(tree::structure(t).to_string(), "(*, None, [*, *])");
  EXPECT_NE(tree::structure(p), tree::structure(std::make_tuple(vec({1.f}), vec({2.f}))));
}

TEST(TreeNodes, StdArrayAndVector) {
  const std::array<Array, 3> a{vec({1.f}), vec({2.f}), vec({3.f})};
  EXPECT_EQ(firsts(tree::leaves(a)), (std::vector<float>{1.f, 2.f, 3.f}));
  EXPECT_EQ(tree::paths(a), (std::vector<std::string>{"[0]", "[1]", "[2]"}));
  EXPECT_EQ(tree::structure(a).to_string(), "array[*, *, *]");
  const std::vector<Array> v(a.begin(), a.end());
  EXPECT_EQ(tree::structure(v).to_string(), "[*, *, *]");
  EXPECT_NE(tree::structure(a), tree::structure(v));
  EXPECT_EQ(tree::structure(std::vector<Array>{}).to_string(), "[]");
}

TEST(TreeNodes, MapIsInKeyOrderWithNamePaths) {
  std::map<std::string, Array> m;
  m["b"] = vec({2.f});
  m["a"] = vec({1.f});
  m["c"] = vec({3.f});
  EXPECT_EQ(firsts(tree::leaves(m)), (std::vector<float>{1.f, 2.f, 3.f}));
  EXPECT_EQ(tree::paths(m), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(tree::structure(m).to_string(), "{a: *, b: *, c: *}");
  EXPECT_EQ(tree::structure(m).root().keys, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(TreeNodes, OptionalIsNoneOrTransparent) {
  const std::optional<Array> none;
  const std::optional<Array> some = vec({7.f});
  EXPECT_EQ(tree::num_leaves(none), 0u);
  EXPECT_EQ(tree::structure(none), tree::structure(None{}));
  EXPECT_EQ(tree::structure(some), tree::structure(vec({1.f})));
  EXPECT_EQ(tree::paths(some), std::vector<std::string>{""});
  auto [leaves, def] = tree::flatten(some);
  const auto back = tree::unflatten<std::optional<Array>>(def, {vec({9.f})});
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(first(*back), 9.f);
  const auto still_none = tree::unflatten<std::optional<Array>>(tree::structure(none), {});
  EXPECT_FALSE(still_none.has_value());
}

TEST(TreeNodes, StructFieldsInDeclarationOrder) {
  const Block b = block(1.f, 2.f);
  auto [leaves, def] = tree::flatten(b);
  EXPECT_EQ(firsts(leaves), (std::vector<float>{1.f, 2.f}));
  EXPECT_EQ(def.to_string(), "Block{weight: *, bias: *}");
  EXPECT_EQ(def.root().kind, tree::Kind::Struct);
  EXPECT_EQ(def.root().type, std::type_index(typeid(Block)));
  EXPECT_EQ(def.paths(), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(tree::structure(tree_test::Empty{}).to_string(), "Empty{}");
  EXPECT_EQ(tree::num_leaves(tree_test::Empty{}), 0u);
}

TEST(TreeNodes, MembersMacroInsideAClassTemplateAndPrivateFields) {
  tree_test::Stacked<Block> s{block(1.f, 2.f), 12};
  const auto def = tree::structure(s);
  EXPECT_EQ(def.paths(), (std::vector<std::string>{"layers.weight", "layers.bias"}));
  EXPECT_NE(def.to_string().find("Stacked<"), std::string::npos) << def.to_string();
  EXPECT_NE(def.to_string().find("{layers: Block{weight: *, bias: *}}"), std::string::npos);
  EXPECT_NE(def, tree::structure(tree_test::Stacked<tree_test::Other>{}));
  const auto back = tree::unflatten<tree_test::Stacked<Block>>(def, {vec({5.f}), vec({6.f})});
  EXPECT_EQ(back.length, 12);
  EXPECT_EQ(first(back.layers.bias), 6.f);

  const tree_test::Hidden h(vec({1.f}), vec({2.f}));
  EXPECT_EQ(tree::paths(h), (std::vector<std::string>{"b_", "a_"}));
  EXPECT_EQ(firsts(tree::leaves(h)), (std::vector<float>{2.f, 1.f}));
  const auto h2 = tree::map([](const Array& a) { return times(a, 10.f); }, h);
  EXPECT_EQ(first(h2.a()), 10.f);
}

TEST(TreeNodes, TwentySixFieldStruct) {
  tree_test::Wide w;
  w.f00 = vec({0.f});
  w.f25 = vec({25.f});
  const auto def = tree::structure(w);
  ASSERT_EQ(def.num_leaves(), 26u);
  const auto p = def.paths();
  EXPECT_EQ(p.front(), "f00");
  EXPECT_EQ(p[13], "f13");
  EXPECT_EQ(p.back(), "f25");
  const auto leaves = tree::leaves(w);
  EXPECT_EQ(first(leaves.back()), 25.f);
  EXPECT_FALSE(leaves[1].valid());
}

Model make_model(size_t layers, float base = 0.f) {
  Model m;
  for (size_t i = 0; i < layers; ++i) {
    const float x = base + 10.f * static_cast<float>(i);
    m.layers.push_back(block(x + 1.f, x + 2.f, static_cast<int>(i) + 1));
  }
  m.params["b"] = vec({base + 200.f});
  m.params["a"] = vec({base + 100.f});
  m.head = vec({base + 300.f});
  return m;
}

TEST(TreeNesting, KeyPathsThroughStructsVectorsMapsAndOptionals) {
  const Model m = make_model(2);
  EXPECT_EQ(tree::paths(m),
            (std::vector<std::string>{"layers[0].weight", "layers[0].bias", "layers[1].weight",
                                      "layers[1].bias", "params.a", "params.b", "head"}));
  EXPECT_EQ(firsts(tree::leaves(m)),
            (std::vector<float>{1.f, 2.f, 11.f, 12.f, 100.f, 200.f, 300.f}));
  const auto def = tree::structure(m);
  EXPECT_EQ(def.to_string(),
            "Model{layers: [Block{weight: *, bias: *}, Block{weight: *, bias: *}], "
            "params: {a: *, b: *}, head: *}");
  const auto with_path = tree::leaves_with_path(m);
  ASSERT_EQ(with_path.size(), 7u);
  EXPECT_EQ(with_path[3].first, "layers[1].bias");
  EXPECT_EQ(first(with_path[3].second), 12.f);

  const std::vector<Block> blocks{block(1, 2), block(3, 4), block(5, 6)};
  EXPECT_EQ(tree::paths(blocks)[5], "[2].bias");
  std::map<std::string, std::vector<Array>> enc{{"0", {vec({1.f})}}};
  EXPECT_EQ(tree::paths(std::make_pair(enc, vec({1.f})))[0], "[0].0[0]");
}

TEST(TreeUnflatten, RoundTripRestoresSizesAndStaticFields) {
  const Model m = make_model(3);
  auto [leaves, def] = tree::flatten(m);
  ASSERT_EQ(leaves.size(), 9u);
  std::vector<Array> doubled;
  for (const Array& a : leaves) doubled.push_back(times(a, 2.f));
  const Model back = tree::unflatten<Model>(def, doubled);
  ASSERT_EQ(back.layers.size(), 3u);
  EXPECT_EQ(back.layers[2].heads, 3);
  EXPECT_EQ(back.layers[0].heads, 1);
  EXPECT_EQ(back.name, "model");
  EXPECT_EQ(first(back.layers[1].bias), 24.f);
  EXPECT_EQ(first(back.params.at("a")), 200.f);
  EXPECT_EQ(first(*back.head), 600.f);
  EXPECT_EQ(tree::structure(back), def);
}

TEST(TreeUnflatten, TreeDefHoldsNoLeafStorage) {
  const Array a = vec({1.f, 2.f});
  const Block b{a, a, 4};
  const long before = a.impl_ptr().use_count();
  const auto def = tree::structure(b);
  EXPECT_EQ(a.impl_ptr().use_count(), before);
  const auto back = tree::unflatten<Block>(def, {vec({3.f}), vec({4.f})});
  EXPECT_EQ(first(back.weight), 3.f);
}

TEST(TreeUnflatten, EmptyArrayLeavesAreLeaves) {
  const Block b{};  // both fields empty handles
  auto [leaves, def] = tree::flatten(b);
  ASSERT_EQ(leaves.size(), 2u);
  EXPECT_FALSE(leaves[0].valid());
  const auto back = tree::unflatten<Block>(def, leaves);
  EXPECT_FALSE(back.bias.valid());
  const auto mapped = tree::map([](const Array& x) { return x; }, b);
  EXPECT_FALSE(mapped.weight.valid());
}

TEST(TreeUnflatten, WrongLeafCountIsAnError) {
  const auto def = tree::structure(block(1, 2));
  expect_error([&] { tree::unflatten<Block>(def, {vec({1.f})}); },
               {"[tree.unflatten]", "expected 2 leaves", "found 1", "Block{weight: *, bias: *}"});
  expect_error(
      [&] {
        tree::unflatten<Block>(def, {vec({1.f}), vec({1.f}), vec({1.f})});
      },
      {"expected 2 leaves", "found 3"});
}

TEST(TreeUnflatten, WrongTypeOrNoPrototypeIsAnError) {
  const auto def = tree::structure(block(1, 2));
  expect_error(
      [&] {
        tree::unflatten<tree_test::Other>(def, {vec({1.f}), vec({2.f})});
      },
      {"[tree.unflatten]", "tree_test::Block", "tree_test::Other",
       "unflatten to the type that was flattened"});
  expect_error([&] { tree::unflatten<Array>(tree::TreeDef(), {}); },
               {"[tree.unflatten]", "holds no value"});
}

TEST(TreeMap, OneTreeKeepsStructureAndStaticFields) {
  const Model m = make_model(2);
  const Model out = tree::map([](const Array& a) { return times(a, 3.f); }, m);
  EXPECT_EQ(firsts(tree::leaves(out)),
            (std::vector<float>{3.f, 6.f, 33.f, 36.f, 300.f, 600.f, 900.f}));
  EXPECT_EQ(out.layers[1].heads, 2);
  EXPECT_EQ(first(m.layers[0].weight), 1.f);  // input untouched
}

TEST(TreeMap, TwoAndThreeTrees) {
  const Model a = make_model(2), b = make_model(2, 1000.f);
  auto sub = [](const Array& x, const Array& y) {
    auto u = x.to_vector<float>(), v = y.to_vector<float>();
    for (size_t i = 0; i < u.size(); ++i) u[i] = v[i] - u[i];
    return array(u, x.shape());
  };
  const Model d = tree::map(sub, a, b);
  for (float f : firsts(tree::leaves(d))) EXPECT_EQ(f, 1000.f);

  const std::vector<Array> x{vec({1.f}), vec({2.f})}, y{vec({10.f}), vec({20.f})},
      z{vec({100.f}), vec({200.f})};
  const auto sum3 = tree::map([](const Array& p, const Array& q,
                                 const Array& r) { return scalar(first(p) + first(q) + first(r)); },
                              x, y, z);
  EXPECT_EQ(firsts(sum3), (std::vector<float>{111.f, 222.f}));
  // Trees of different C++ types but the same structure combine too...
  const std::optional<std::vector<Array>> w = std::vector<Array>{vec({5.f}), vec({6.f})};
  const auto mixed = tree::map([](const Array&, const Array& q) { return q; }, x, w);
  EXPECT_EQ(firsts(mixed), (std::vector<float>{5.f, 6.f}));
  // ... but a vector and a std::array are different node kinds.
  const std::array<Array, 2> fixed{vec({5.f}), vec({6.f})};
  expect_error([&] { tree::map([](const Array& p, const Array&) { return p; }, x, fixed); },
               {"at `<root>`: expected a vector of 2 children, found a std::array of 2 children"});
}

TEST(TreeMap, WithPathPassesEachLeafPath) {
  const Model m = make_model(1);
  std::vector<std::string> seen;
  const Model out = tree::map_with_path(
      [&](const std::string& path, const Array& a, const Array& b) {
        seen.push_back(path);
        return path == "params.b" ? b : a;
      },
      m, make_model(1, 5.f));
  EXPECT_EQ(seen, (std::vector<std::string>{"layers[0].weight", "layers[0].bias", "params.a",
                                            "params.b", "head"}));
  EXPECT_EQ(first(out.params.at("b")), 205.f);
  EXPECT_EQ(first(out.params.at("a")), 100.f);
}

TEST(TreeMap, VectorSizeMismatchNamesThePath) {
  Model a = make_model(3), b = make_model(2);
  expect_error([&] { tree::map([](const Array& x, const Array&) { return x; }, a, b); },
               {"[tree.map] tree 1 differs from tree 0 at `layers`: expected a vector of 3 "
                "children, found 2"});
  expect_error(
      [&] { tree::map([](const Array& x, const Array&, const Array&) { return x; }, a, a, b); },
      {"tree 2 differs from tree 0 at `layers`"});
}

TEST(TreeMap, NestedMismatchesNameTheKeyPath) {
  const std::vector<Model> a{make_model(1), make_model(2)};
  std::vector<Model> b = a;
  b[1].head.reset();
  expect_error([&] { tree::map([](const Array& x, const Array&) { return x; }, a, b); },
               {"at `[1].head`", "expected a leaf (Array), found None"});
  b = a;
  b[1].params.erase("a");
  b[1].params["z"] = vec({1.f});
  expect_error([&] { tree::map([](const Array& x, const Array&) { return x; }, a, b); },
               {"at `[1].params`", "expected a map with keys {a, b}, found keys {b, z}",
                "missing: a", "unexpected: z"});
  const auto p = std::make_pair(vec({1.f}), vec({2.f}));
  const auto t = std::make_tuple(vec({1.f}), vec({2.f}));
  expect_error([&] { tree::map([](const Array& x, const Array&) { return x; }, p, t); },
               {"at `<root>`", "expected a pair, found a tuple of 2 children"});
}

TEST(TreeStructure, EqualityIgnoresLeavesAndStaticFields) {
  EXPECT_EQ(tree::structure(block(1, 2, 4)), tree::structure(block(5, 6, 8)));
  EXPECT_EQ(tree::structure(make_model(2)), tree::structure(make_model(2, 7.f)));
  EXPECT_EQ(tree::structure(make_model(2)).hash(), tree::structure(make_model(2, 7.f)).hash());
  EXPECT_EQ(std::hash<tree::TreeDef>{}(tree::structure(make_model(2))),
            tree::structure(make_model(2, 1.f)).hash());
  EXPECT_NE(tree::structure(make_model(2)), tree::structure(make_model(3)));
  EXPECT_NE(tree::structure(block(1, 2)), tree::structure(tree_test::Other{}));
  std::map<std::string, Array> m1{{"a", vec({1.f})}}, m2{{"b", vec({1.f})}};
  EXPECT_NE(tree::structure(m1), tree::structure(m2));
  EXPECT_EQ(tree::first_difference(tree::structure(m1), tree::structure(m1)), std::nullopt);
  EXPECT_NE(tree::structure(vec({1.f})), tree::structure(None{}));
}

TEST(TreeStructure, FirstDifferenceAndCheckSameStructure) {
  const auto a = tree::structure(block(1, 2)), b = tree::structure(tree_test::Other{});
  const auto d = tree::first_difference(a, b);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, "at `<root>`: expected a struct Block, found a struct Other");
  EXPECT_NO_THROW(tree::check_same_structure(a, a, "scan", "carry input", "carry output"));
  expect_error(
      [&] { tree::check_same_structure(a, b, "scan", "carry input", "carry output"); },
      {"[scan] carry output differs from carry input at `<root>`", "give carry output the same"});
  expect_error(
      [&] {
        tree::check_same_structure(tree::structure(make_model(1)), tree::structure(make_model(2)),
                                   "scan", "xs", "ys", "return ys with one layer");
      },
      {"[scan] ys differs from xs at `layers`: expected a vector of 1 children, found 2; return "
       "ys with one layer"});
}

TEST(TreeForEach, VisitsLeavesInOrderWithPaths) {
  const Model m = make_model(1);
  std::vector<float> values;
  tree::for_each([&](const Array& a) { values.push_back(first(a)); }, m);
  EXPECT_EQ(values, (std::vector<float>{1.f, 2.f, 100.f, 200.f, 300.f}));
  std::string joined;
  tree::for_each_with_path([&](const std::string& p, const Array&) { joined += p + ";"; }, m);
  EXPECT_EQ(joined, "layers[0].weight;layers[0].bias;params.a;params.b;head;");
  EXPECT_EQ(tree::num_leaves(m), 5u);
}

}  // namespace
}  // namespace strata
