// strata::optim against golden values from live optax (parity/gen_optim.py): three steps of
// chain(clip_by_global_norm(1), adamw(1e-2)) (the clip acting), adam(1e-2) and sgd(0.1, momentum
// 0.9) on a parameter tree with given gradients; parameters after every step.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "parity/parity_util.h"
#include "strata/nn/nn.h"

namespace strata::testing {
namespace {

// The entries `<prefix>.a` and `<prefix>.b` as a parameter tree.
nn::State tree(const std::string& prefix) {
  return {{"a", golden_array("optim", prefix + ".a")}, {"b", golden_array("optim", prefix + ".b")}};
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
      expect_close_to_reference(params.at(key), w,
                                name + " step " + std::to_string(step) + " " + key, rel);
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
