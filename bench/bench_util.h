// Shared by the W1 benchmarks (design §6): the layer pytree, He-scaled parameters, random inputs,
// and wall-clock medians.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "strata/strata.h"

namespace bench {

struct Layer {
  strata::Array w, b;
};
STRATA_TREE(Layer, w, b)

// W1's shape: a batch of 64 rows, 512 features.
inline constexpr int64_t kB = 64, kF = 512;

// W1: y = relu(y W_i + b_i) over the stacked layers, as one scan.  The same code serves a batch
// x: [B, F] and one example x: [F].
inline strata::Array w1_forward(const Layer& p, const strata::Array& x) {
  return strata::fold([](const strata::Array& y,
                         const Layer& l) { return strata::relu(strata::matmul(y, l.w) + l.b); },
                      x, p);
}

// Uniform floats in [-limit, limit), deterministic per seed.
inline strata::Array uniform(const strata::Shape& shape, float limit, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-limit, limit);
  std::vector<float> v(static_cast<size_t>(strata::detail::shape_size(shape)));
  for (float& e : v) e = dist(gen);
  return strata::array(v, shape);
}

// He-scaled uniform weights (variance 2/F): activations stay O(1), no denormals.
inline Layer params(int64_t L, int64_t F) {
  return {uniform({L, F, F}, std::sqrt(6.0f / static_cast<float>(F)), 1), uniform({L, F}, 0.1f, 2)};
}

inline double seconds(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline double median(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

inline double median_seconds(int reps, const std::function<void()>& fn) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) t.push_back(seconds(fn));
  return median(std::move(t));
}

// A field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"), or -1.
inline int64_t status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0) return std::atoll(line.c_str() + n);
  }
  return -1;
}

// Resets VmHWM to the current RSS (writing 5 to /proc/self/clear_refs); false where refused.
inline bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace bench
