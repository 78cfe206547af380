// The main demo (scripts/demo): seed 002's worked example, then a deep MLP forward pass with
// timing.  Later issues grow it into a scanned, trained model.
#include <strata/strata.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

namespace st = strata;

// Seed 002: apply N dense layers held in one (N, d, d) array.  Until `scan` lands this walks the
// leading axis with views (weights[i] copies nothing).
st::Array scan_apply_layers(const st::Array& weights, const st::Array& x) {
  st::Array y = x;
  for (int64_t i = 0; i < weights.shape(0); ++i) y = st::matmul(weights[i], y);
  return y;
}

// He-normal weights, stacked along a leading layer axis: (L, F, F).
st::Array he_normal_stack(int64_t layers, int64_t features, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.f, std::sqrt(2.f / static_cast<float>(features)));
  std::vector<float> w(static_cast<size_t>(layers * features * features));
  for (float& v : w) v = dist(gen);
  return st::array(w, {layers, features, features});
}

int main() {
  std::cout << "strata demo (" << st::num_threads() << " threads)\n\n";

  // ---- seed 002: identity then swap
  const st::Array weights = st::array<float>({1, 0, 0, 1, 0, 1, 1, 0}, {2, 2, 2});
  const st::Array x = st::array<float>({3, 4});
  std::cout << "seed 002: scan_apply_layers(weights, [3, 4]) = " << scan_apply_layers(weights, x)
            << "   (expected [4, 3])\n\n";

  // ---- W1-style deep MLP forward: y = relu(y W_i + b_i), B=64, F=512
  const int64_t batch = 64, features = 512, layers = 32;
  const st::Array w = he_normal_stack(layers, features, 0);
  const st::Array b = st::zeros({layers, features});
  const st::Array input = st::ones({batch, features});
  auto forward = [&] {
    st::Array y = input;
    for (int64_t i = 0; i < layers; ++i) y = st::relu(st::matmul(y, w[i]) + b[i]);
    return y;
  };
  forward();  // warm-up: first-touch pages, oneDNN kernels
  const int reps = 10;
  const auto start = std::chrono::steady_clock::now();
  st::Array y;
  for (int r = 0; r < reps; ++r) y = forward();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps;
  const double flops = 2.0 * batch * features * features * layers;
  std::printf("deep MLP forward: B=%lld F=%lld L=%lld  %.3f ms/pass  %.1f GFLOP/s\n",
              static_cast<long long>(batch), static_cast<long long>(features),
              static_cast<long long>(layers), seconds * 1e3, flops / seconds * 1e-9);
  std::cout << "mean activation after " << layers << " layers: " << st::mean(y) << "\n";
  return 0;
}
