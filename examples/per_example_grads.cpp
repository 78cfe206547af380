// Per-example gradients of a scanned MLP with vmap(grad): the model and loss are written for one
// example, vmap maps them over a batch while the stacked weights stay shared (never copied per
// example), and each example's gradient comes out with a leading batch axis.  Weights come from
// strata::random, bit-exact with jax.random.
#include <strata/strata.h>

#include <cmath>
#include <cstdio>

namespace st = strata;

struct Layer {
  st::Array W, b;
};
STRATA_TREE(Layer, W, b)

// y = relu(y W_i + b_i) over a stack of layers; x is one example: [F].
st::Array forward(const Layer& stack, const st::Array& x) {
  return st::fold(
      [](const st::Array& y, const Layer& l) { return st::relu(st::matmul(y, l.W) + l.b); }, x,
      stack);
}

int main() {
  const int64_t L = 8, F = 32, B = 4;
  const st::Array keys = st::random::split(st::random::key(0), 3);
  const Layer stack{st::random::normal(keys[0], {L, F, F}) * (1.0 / std::sqrt(double(F))),
                    st::zeros({L, F})};
  const st::Array xs = st::random::normal(keys[1], {B, F});
  const st::Array targets = st::random::uniform(keys[2], {B, F});

  auto loss = [](const Layer& s, const st::Array& x, const st::Array& t) {
    return st::mean(st::square(forward(s, x) - t));
  };
  // One call: every example's gradient, weights shared (st::none), examples mapped (axis 0).
  const Layer grads = st::jit(st::vmap(st::grad(loss), {st::none, 0, 0}))(stack, xs, targets);
  std::printf("per-example dW: %s\n", st::to_string(grads.W.shape()).c_str());
  for (int64_t i = 0; i < B; ++i) {
    const st::Array norm = st::sqrt(st::sum(st::square(grads.W[i])));
    std::printf("  example %lld: |dW| = %.5f\n", static_cast<long long>(i),
                static_cast<double>(norm.item<float>()));
  }
  // The mean of the per-example gradients is the batch gradient.
  auto batch_loss = [&](const Layer& s) {
    return st::mean(st::vmap(loss, {st::none, 0, 0})(s, xs, targets));
  };
  const Layer g = st::grad(batch_loss)(stack);
  const st::Array diff = st::max(st::abs(st::mean(grads.W, {0}) - g.W));
  std::printf("max |mean(per-example) - batch gradient| = %.2e\n",
              static_cast<double>(diff.item<float>()));
  return 0;
}
