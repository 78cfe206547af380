// strata::optim against golden values from live optax (parity/gen_optim.py): three steps of
// chain(clip_by_global_norm(1), adamw(1e-2)) (the clip acting), adam(1e-2) and sgd(0.1, momentum
// 0.9) on a parameter tree with given gradients; parameters after every step.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "strata/io.h"
#include "strata/nn/nn.h"
#include "test_util.h"

namespace strata::testing {
namespace {

const std::map<std::string, Array>& optim_golden() {
  static const auto* tensors = new std::map<std::string, Array>(io::load_safetensors(
      (std::filesystem::path(__FILE__).parent_path() / "golden" / "optim.safetensors").string()));
  return *tensors;
}

// The entries `<prefix>.a` and `<prefix>.b` as a parameter tree.
nn::State tree(const std::string& prefix) {
  return {{"a", optim_golden().at(prefix + ".a")}, {"b", optim_golden().at(prefix + ".b")}};
}

template <class Opt>
void expect_steps_match(const std::string& name, const Opt& opt, double rel) {
  nn::State params = tree("params");
  auto state = opt.init(params);
  for (int step = 0; step < 3; ++step) {
    const auto [updates, next] = opt.update(tree("grads" + std::to_string(step)), state, params);
    state = next;
    params = optim::apply_updates(params, updates);
    const nn::State want = tree(name + ".step" + std::to_string(step));
    for (const auto& [key, w] : want) {
      const std::vector<double> g = to_doubles(params.at(key)), e = to_doubles(w);
      ASSERT_EQ(g.size(), e.size());
      for (size_t i = 0; i < g.size(); ++i) {
        EXPECT_LE(std::fabs(g[i] - e[i]), rel * std::max(1.0, std::fabs(e[i])))
            << name << " step " << step << " " << key << "[" << i << "]: strata " << g[i]
            << ", optax " << e[i];
      }
    }
  }
}

TEST(OptimParity, AdamwWithGlobalNormClippingWithin1e6Rel) {
  expect_steps_match("adamw_clip",
                     optim::chain(optim::clip_by_global_norm(1.0), optim::adamw(1e-2)), 1e-6);
}

TEST(OptimParity, AdamWithin1e6Rel) {
  expect_steps_match("adam", optim::adam(1e-2), 1e-6);
}

TEST(OptimParity, SgdWithMomentumWithin1e6Rel) {
  expect_steps_match("sgd_momentum", optim::sgd(0.1, {.momentum = 0.9}), 1e-6);
}

}  // namespace
}  // namespace strata::testing
