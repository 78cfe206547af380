// The seed programs of examples/seeds/: shapes, stacked == unrolled, and per-layer independence
// of the parameters (the stacked-layer seeds).
#include <gtest/gtest.h>

#include "seeds/composed_lifts_forward.h"
#include "seeds/lax_scan_in_module.h"
#include "seeds/scan_apply_layers.h"
#include "seeds/scan_layers_forward.h"
#include "test_util.h"

namespace strata::testing {
namespace {

// Every pair of the n slices along axis 0 of `a` differs.
void expect_layers_differ(const Array& a, const char* what) {
  for (int64_t i = 0; i < a.shape(0); ++i) {
    for (int64_t j = i + 1; j < a.shape(0); ++j) {
      EXPECT_NE(to_doubles(a[i]), to_doubles(a[j])) << what << ": layers " << i << ", " << j;
    }
  }
}

TEST(Seeds, ScanApplyLayers) {
  const Array weights = array<float>({1, 0, 0, 1, 0, 1, 1, 0}, {2, 2, 2});
  EXPECT_EQ(to_doubles(seeds::scan_apply_layers(weights, array<float>({3, 4}, {2}))),
            (std::vector<double>{4, 3}));
  const Array deep = random_array({7, 5, 5}, DType::Float64, 1);
  const Array x = random_array({5}, DType::Float64, 2);
  Array want = x;
  for (int64_t i = 0; i < 7; ++i) want = matmul(deep[i], want);
  const Array y = seeds::scan_apply_layers(deep, x);
  EXPECT_EQ(y.shape(), (Shape{5}));
  expect_all_close(to_doubles(y), to_doubles(want), 1e-12, 1e-12, "scan vs loop");
}

TEST(Seeds, ScanLayersForward) {
  const int64_t seed = 3, n = 5, f = 6;
  const Array x = random_array({f}, DType::Float32, 4);
  const Array out = seeds::scan_layers_forward(seed, x, n, f);
  EXPECT_EQ(out.shape(), (Shape{f}));
  const nn::Linear blocks = seeds::make_blocks(seed, n, f);
  EXPECT_EQ(blocks.kernel.shape(), (Shape{n, f, f}));
  EXPECT_EQ(blocks.bias->shape(), (Shape{n, f}));
  expect_layers_differ(blocks.kernel, "kernel");
  // Unrolled: layer i is the nnx.Linear built from the i-th split key.
  const Array keys = random::split(random::fold_in(random::key(seed), 0), n);
  Array want = x;
  for (int64_t i = 0; i < n; ++i) {
    nn::Rngs layer_rngs(keys[i]);
    const nn::Linear layer(f, f, layer_rngs);
    expect_all_close(to_doubles(blocks.kernel.value[i]), to_doubles(layer.kernel), 0, 0, "kernel");
    want = nn::relu(layer(want));
  }
  expect_all_close(to_doubles(out), to_doubles(want), 1e-6, 1e-6, "scan vs loop");
}

TEST(Seeds, ComposedLiftsForward) {
  const int64_t seed = 1, n = 3, f = 4, b = 3;
  const Array x = random_array({b, f}, DType::Float32, 5);
  const Array out = seeds::composed_lifts_forward(seed, x, n, f);
  EXPECT_EQ(out.shape(), (Shape{b * f}));
  const auto model = seeds::make_composed_model(seed, n, f);
  const Array& kernel = model.module.layers.dense.kernel.value;
  const Array& bias = model.module.layers.dense.bias->value;
  EXPECT_EQ(kernel.shape(), (Shape{n, f, f}));  // per layer, shared across the batch
  expect_layers_differ(kernel, "kernel");
  for (int64_t e = 0; e < b; ++e) {
    Array h = x[e];
    for (int64_t i = 0; i < n; ++i) h = nn::relu(add(matmul(h, kernel[i]), bias[i]));
    expect_all_close(to_doubles(slice(out, {Slice{e * f, (e + 1) * f, 1}})), to_doubles(h), 1e-6,
                     1e-6, "example");
  }
  EXPECT_STRATA_ERROR(seeds::composed_lifts_forward(seed, ones({b, f + 1}), n, f),
                      "[composed_lifts_forward]", "(3, 5)");
}

TEST(Seeds, LaxScanInModule) {
  const int64_t seed = 2, hidden = 5, steps = 6;
  const Array x = random_array({hidden}, DType::Float32, 6);
  const Array out = seeds::lax_scan_in_module(seed, x, hidden, steps);
  EXPECT_EQ(out.shape(), (Shape{hidden}));
  const seeds::LaxScanModule model(hidden, steps, random::key(seed));
  EXPECT_EQ(model.W.shape(), (Shape{hidden, hidden}));
  // W = lecun_normal from Linen's key for the root scope's first draw: fold_in of the first
  // four bytes of SHA-1("\x01") = bf8b4530... (live Flax: tests/parity/seeds_parity_test.cpp).
  const Array w_want = nn::init::lecun_normal()(random::fold_in(random::key(seed), 0xbf8b4530u),
                                                {hidden, hidden}, DType::Float32);
  EXPECT_EQ(to_doubles(model.W), to_doubles(w_want));
  Array h = tanh(matmul(x, model.W));
  for (int64_t t = 0; t < steps; ++t) h = tanh(matmul(h, model.W));
  expect_all_close(to_doubles(out), to_doubles(h), 1e-6, 1e-6, "scan vs loop");
}

}  // namespace
}  // namespace strata::testing
