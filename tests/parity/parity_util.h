// Shared by the parity tests: the golden files (tests/parity/golden/, made by parity/gen_*.py
// from live JAX / Flax / optax) and the tolerance check the test names state.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "strata/io.h"
#include "test_util.h"

namespace strata::testing {

// tests/parity/golden/<name>.safetensors (the folder sits next to this header; __FILE__ is
// absolute in this build).
inline std::string golden_path(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / "golden" / (name + ".safetensors"))
      .string();
}

// The arrays of golden file `name`, loaded once.
inline const std::map<std::string, Array>& golden(const std::string& name) {
  static auto* files = new std::map<std::string, std::map<std::string, Array>>();
  auto it = files->find(name);
  if (it == files->end()) it = files->emplace(name, io::load_safetensors(golden_path(name))).first;
  return it->second;
}

// golden(name)[key], or an exception naming the missing key.
inline const Array& golden_array(const std::string& name, const std::string& key) {
  const auto& file = golden(name);
  const auto it = file.find(key);
  if (it == file.end()) throw std::runtime_error("golden file " + name + " lacks " + key);
  return it->second;
}

// |got - want| <= rel * max(1, |want|) elementwise, with the same shape and dtype.
inline void expect_close_to_reference(const Array& got, const Array& want, const std::string& what,
                                      double rel) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  const std::vector<double> g = to_doubles(got), e = to_doubles(want);
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_LE(std::fabs(g[i] - e[i]), rel * std::max(1.0, std::fabs(e[i])))
        << what << "[" << i << "]: strata " << g[i] << ", reference " << e[i];
  }
}

}  // namespace strata::testing
