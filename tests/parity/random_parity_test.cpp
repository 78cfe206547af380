// strata::random against golden values from live JAX (parity/gen_random.py, the versions in
// parity/requirements.txt, recorded in the file's metadata): keys of negative and 64-bit seeds,
// split, fold_in, bits of every width, uniform, normal and truncated_normal in float32 and
// float64, for several shapes; gumbel, bernoulli, categorical and permutation.  Integer and
// boolean outputs and uniform must be bit-exact; normal, truncated_normal and gumbel agree to
// float32 rounding (1e-6 relative) in float32 and to 1e-14 in float64, as the test names say.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "parity/parity_util.h"

namespace strata::testing {
namespace {

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, sep);) out.push_back(item);
  return out;
}

struct Case {
  int64_t seed;
  std::string prefix;
};
std::vector<Case> seeds() {
  std::vector<Case> out;
  for (const auto& s :
       split_list(io::load_safetensors_metadata(golden_path("random")).at("seeds"), ',')) {
    out.push_back({std::stoll(s), "seed" + s});
  }
  return out;
}
std::vector<std::pair<std::string, Shape>> shapes() {
  std::vector<std::pair<std::string, Shape>> out;
  for (const auto& name :
       split_list(io::load_safetensors_metadata(golden_path("random")).at("shapes"), ';')) {
    Shape shape;
    if (name != "scalar") {
      for (const auto& d : split_list(name, 'x')) shape.push_back(std::stoll(d));
    }
    out.emplace_back(name, shape);
  }
  return out;
}

const Array& want(const std::string& key) {
  return golden_array("random", key);
}

void expect_bit_exact(const Array& got, const std::string& key) {
  const Array& w = want(key);
  ASSERT_EQ(got.dtype(), w.dtype()) << key;
  ASSERT_EQ(got.shape(), w.shape()) << key;
  EXPECT_EQ(to_doubles(got), to_doubles(w)) << key;
}

void expect_close(const Array& got, const std::string& key, double rel) {
  expect_close_to_reference(got, want(key), key, rel);
}

TEST(RandomParity, GoldenFileRecordsTheReferenceVersions) {
  const auto meta = io::load_safetensors_metadata(golden_path("random"));
  for (const char* package : {"jax", "jaxlib", "numpy", "safetensors"}) {
    EXPECT_TRUE(meta.count(package)) << package;
  }
  EXPECT_GE(seeds().size(), 8u);
}

TEST(RandomParity, KeysSplitFoldInBitsAndUniformBitExact) {
  for (const Case& c : seeds()) {
    SCOPED_TRACE(c.prefix);
    const Array key = random::key(c.seed);
    expect_bit_exact(key, c.prefix + ".key");
    expect_bit_exact(random::split(key, 3), c.prefix + ".split3");
    expect_bit_exact(random::fold_in(key, 7), c.prefix + ".fold_in7");
    expect_bit_exact(random::fold_in(key, 4294967293u), c.prefix + ".fold_in_big");
    for (const auto& [name, shape] : shapes()) {
      const std::string s = c.prefix + "." + name;
      for (DType dt : {DType::UInt8, DType::UInt16, DType::UInt32, DType::UInt64}) {
        expect_bit_exact(random::bits(key, shape, dt),
                         s + ".bits_" + std::string(strata::name(dt)));
      }
      for (DType dt : {DType::Float32, DType::Float64}) {
        const std::string dn(strata::name(dt));
        expect_bit_exact(random::uniform(key, shape, dt), s + ".uniform_" + dn);
        expect_bit_exact(random::uniform(key, shape, dt, -3.0, 5.0), s + ".uniform_m3_5_" + dn);
      }
    }
  }
}

void expect_normals_close(DType dt, double rel) {
  const std::string dn(strata::name(dt));
  for (const Case& c : seeds()) {
    SCOPED_TRACE(c.prefix);
    const Array key = random::key(c.seed);
    for (const auto& [name, shape] : shapes()) {
      const std::string s = c.prefix + "." + name;
      expect_close(random::normal(key, shape, dt), s + ".normal_" + dn, rel);
      expect_close(random::truncated_normal(key, -2.0, 1.5, shape, dt),
                   s + ".truncated_normal_" + dn, rel);
    }
  }
}

TEST(RandomParity, NormalAndTruncatedNormalFloat32Within1e6Rel) {
  expect_normals_close(DType::Float32, 1e-6);
}

TEST(RandomParity, NormalAndTruncatedNormalFloat64Within1e14Rel) {
  expect_normals_close(DType::Float64, 1e-14);
}

TEST(RandomParity, GumbelFloat32Within1e6RelFloat64Within1e14Rel) {
  for (const Case& c : seeds()) {
    SCOPED_TRACE(c.prefix);
    const Array key = random::key(c.seed);
    expect_close(random::gumbel(key, {3, 4}), c.prefix + ".gumbel_3x4_float32", 1e-6);
    expect_close(random::gumbel(key, {3, 4}, float64), c.prefix + ".gumbel_3x4_float64", 1e-14);
  }
}

TEST(RandomParity, BernoulliCategoricalAndPermutationBitExact) {
  for (const Case& c : seeds()) {
    SCOPED_TRACE(c.prefix);
    const Array key = random::key(c.seed);
    const std::string p = c.prefix + ".";
    expect_bit_exact(random::bernoulli(key, 0.3, {1000}), p + "bernoulli_0.3_1000");
    expect_bit_exact(random::bernoulli(key, 0.5, {2, 3}), p + "bernoulli_half_2x3");
    const Array& probs = want(p + "bernoulli_p5");  // float64 (5,)
    expect_bit_exact(random::bernoulli(key, probs, Shape{4, 5}), p + "bernoulli_p5_float64_4x5");
    const Array& logits = want(p + "categorical_logits");
    expect_bit_exact(random::categorical(key, logits), p + "categorical_4x6");
    expect_bit_exact(random::categorical(key, logits, 0), p + "categorical_axis0");
    expect_bit_exact(random::categorical(key, logits, -1, Shape{7, 4}),
                     p + "categorical_shape_7x4");
    for (int64_t n : {1, 10, 100, 2000}) {
      expect_bit_exact(random::permutation(key, n), p + "permutation_" + std::to_string(n));
    }
    const Array x = reshape(arange(0.0, 12.0), {4, 3});
    expect_bit_exact(random::permutation(key, x, 0), p + "permutation_x4x3_axis0");
    expect_bit_exact(random::permutation(key, x, 1), p + "permutation_x4x3_axis1");
  }
}

}  // namespace
}  // namespace strata::testing
