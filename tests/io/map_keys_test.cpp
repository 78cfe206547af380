// io::map_keys: renaming by pattern with groups, transposing, first rule wins, and the errors
// (collisions, transposing a vector, invalid patterns).
#include <gtest/gtest.h>

#include "io_test_util.h"
#include "strata/io.h"
#include "test_util.h"

namespace strata::testing {
namespace {

TEST(MapKeys, RenamesWithGroupsAndTransposesLinearWeights) {
  const Array w = random_array({3, 2}, DType::Float32, 1);  // PyTorch Linear: (out, in)
  const Array b = array({1.0f, 2.0f, 3.0f});
  const Array scale = array({4.0f, 5.0f});
  const auto out = io::map_keys({{"layers.0.fc.weight", w},
                                 {"layers.0.fc.bias", b},
                                 {"layers.0.norm.weight", scale},
                                 {"other", b}},
                                {{R"((.*)\.fc\.weight)", "$1.fc.kernel", true},
                                 {R"((.*)\.norm\.weight)", "$1.norm.scale"},
                                 {R"(.*\.weight)", "never-used"}});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out.at("layers.0.fc.kernel").shape(), (Shape{2, 3}));
  EXPECT_EQ(to_doubles(out.at("layers.0.fc.kernel")), to_doubles(transpose(w)));
  EXPECT_EQ(to_doubles(out.at("layers.0.norm.scale")), to_doubles(scale));
  EXPECT_TRUE(out.count("layers.0.fc.bias"));  // no rule matches: kept
  EXPECT_TRUE(out.count("other"));
  // Patterns must match the whole key: `fc\.weight` alone does not match `layers.0.fc.weight`.
  EXPECT_TRUE(io::map_keys({{"layers.0.fc.weight", w}}, {{R"(fc\.weight)", "x"}})
                  .count("layers.0.fc.weight"));
}

TEST(MapKeys, ErrorsNameTheKeysAndRules) {
  const Array v = array({1.0f, 2.0f});
  const std::string collision = error_of([&] {
    io::map_keys({{"a.w", v}, {"b.w", v}}, {{R"(.*\.w)", "w"}});
  });
  EXPECT_NE(collision.find("[io.map_keys] `a.w` and `b.w` both become `w`"), std::string::npos)
      << collision;
  const std::string vector = error_of([&] { io::map_keys({{"bias", v}}, {{"bias", "b", true}}); });
  EXPECT_NE(vector.find("whose shape (2,) has fewer than two axes"), std::string::npos) << vector;
  const std::string pattern = error_of([&] { io::map_keys({{"a", v}}, {{"(", "x"}}); });
  EXPECT_NE(pattern.find("rule 0's pattern `(` is not a valid regular expression"),
            std::string::npos)
      << pattern;
  // A renamed key may take the name of a key that was itself renamed away, but not of a kept one.
  const std::string kept = error_of([&] { io::map_keys({{"a", v}, {"b", v}}, {{"a", "b"}}); });
  EXPECT_NE(kept.find("both become `b`"), std::string::npos) << kept;
  EXPECT_EQ(io::map_keys({{"a", v}, {"b", v}}, {{"a", "b"}, {"b", "a"}}).size(), 2u);
}

}  // namespace
}  // namespace strata::testing
