// Determinism (issue 14): the same inputs give bit-identical gradients on every run, from a fresh
// jit object as from a cached one, eagerly as under jit, and at 1, 2 and 4 threads — the static
// work split of strata's loops and oneDNN's matmuls does not depend on timing, and no reduction
// is split by thread count.
#include <cstring>

#include "strata/nn/nn.h"
#include "test_util.h"

namespace strata {
namespace {

// The exact bit patterns of every leaf, so NaN payloads and -0.0 count too.
template <class Tree>
std::vector<std::vector<uint8_t>> bits(const Tree& t) {
  std::vector<std::vector<uint8_t>> out;
  for (const Array& leaf : tree::leaves(t)) {
    std::vector<uint8_t> b(static_cast<size_t>(leaf.nbytes()));
    cpu::visit_dtype(leaf.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (!std::is_same_v<T, bool>) {
        const std::vector<T> v = leaf.to_vector<T>();  // dense, whatever the layout
        if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
      }
    });
    out.push_back(std::move(b));
  }
  return out;
}

// Runs `make_step()(args...)` at 1, 2 and 4 threads, twice each from a fresh jit object and once
// more from the cached one, and expects the same bits every time.
template <class MakeStep, class... Args>
void expect_deterministic(const char* what, const MakeStep& make_step, const Args&... args) {
  const int before = num_threads();
  std::optional<std::vector<std::vector<uint8_t>>> first;
  for (int threads : {1, 2, 4}) {
    set_num_threads(threads);
    for (int fresh = 0; fresh < 2; ++fresh) {
      auto step = make_step();
      for (int call = 0; call < 2; ++call) {
        const auto got = bits(step(args...));
        if (!first) first = got;
        EXPECT_TRUE(got == *first) << what << ": differs at " << threads << " threads, jit object "
                                   << fresh << ", call " << call;
      }
    }
  }
  set_num_threads(before);
}

struct Layer {
  Array w, b;
  STRATA_TREE_MEMBERS(w, b)
};

TEST(Determinism, W1GradientsAreBitIdenticalAcrossRunsJitObjectsAndThreadCounts) {
  const int64_t L = 6, B = 64, F = 256;
  const Layer p{testing::random_array({L, F, F}, DType::Float32, 1, -0.1, 0.1),
                testing::random_array({L, F}, DType::Float32, 2, -0.1, 0.1)};
  const Array x = testing::random_array({B, F}, DType::Float32, 3);
  auto loss = [](const Layer& p, const Array& x) {
    const Array y =
        fold([](const Array& h, const Layer& l) { return relu(matmul(h, l.w) + l.b); }, x, p);
    return sum(square(y));
  };
  expect_deterministic(
      "W1 jit(grad)", [&] { return jit(grad(loss)); }, p, x);
  expect_deterministic(
      "W1 eager grad", [&] { return grad(loss); }, p, x);
  const auto policy = CheckpointPolicy::carries_only();
  auto remat_loss = [&](const Layer& p, const Array& x) {
    auto [y, unused] = scan(
        [](const Array& h, const Layer& l) {
          return std::pair{relu(matmul(h, l.w) + l.b), None{}};
        },
        x, p, {.checkpoint = policy});
    return sum(square(y));
  };
  expect_deterministic(
      "W1 carries_only", [&] { return jit(grad(remat_loss)); }, p, x);
}

TEST(Determinism, TransformerBlockGradientsAreBitIdentical) {
  nn::Rngs rngs(0);
  const nn::TransformerBlock block(64, 4, 256, rngs);
  const Array x = testing::random_array({4, 32, 64}, DType::Float32, 7);
  auto loss = [](const nn::TransformerBlock& b, const Array& x) { return sum(square(b(x))); };
  expect_deterministic(
      "transformer block jit(grad)", [&] { return jit(grad(loss)); }, block, x);
  // Large reductions and softmax over long rows, where a thread-count-dependent split would show.
  const Array big = testing::random_array({3, 70000}, DType::Float32, 8);
  auto reduce = [](const Array& v) { return sum(softmax(v, -1) * v) + mean(exp(v)); };
  expect_deterministic(
      "reductions jit(grad)", [&] { return jit(grad(reduce)); }, big);
  expect_deterministic(
      "reductions eager grad", [&] { return grad(reduce); }, big);
}

}  // namespace
}  // namespace strata
