// Seed 000's walkthrough of Haliax's ArrayStacked in C++: a stack of 4 blocks whose weights are
// one (4, 8) array, run with fold_via (a per-layer scale sliced, a mask shared), scan_via (inputs
// sliced per layer, per-layer carries stacked), get_layer, unstacked, vmap_via and a
// gradient-checkpointing policy, checked against the unrolled twin nn::Sequential.
// tests/nn/stacked_test.cpp (StackedExample) runs the same steps with assertions.
#include <strata/nn/nn.h>
#include <strata/strata.h>

#include <cstdio>

namespace st = strata;
namespace nn = strata::nn;

// One layer: carry + weight * layer_scale + sum(mask).
struct Block {
  nn::Param weight;  // (width,) per layer; (num_layers, width) in the stack

  explicit Block(const st::Array& w) : weight(w) {}
  st::Array operator()(const st::Array& carry, const st::Array& layer_scale,
                       const st::Array& mask) const {
    return carry + weight.value * layer_scale + st::sum(mask);
  }
  STRATA_TREE_MEMBERS(weight)
};

void print(const char* label, const st::Array& a) {
  std::printf("%-28s %s\n", label, st::to_string(a).c_str());
}

int main() {
  const int64_t num_layers = 4, width = 8;
  const st::Array weights = st::random::normal(st::random::key(0), {num_layers, width});

  // init is curried: the weights' leading size is num_layers, so each layer gets one row.
  // "recompute" (Haliax's remat=True): the backward pass keeps each layer's input carry only.
  const auto stack =
      nn::ArrayStacked<Block>::init(num_layers, {.gradient_checkpointing = "recompute"})(weights);
  std::printf("stacked weight: %s\n", st::to_string(stack.layers.weight.shape()).c_str());

  // fold_via with in_axes = (0, none): layer_scale is sliced per layer, mask is shared.
  const st::Array carry0 = st::zeros({width});
  const st::Array layer_scale = st::array<float>({1, 2, 3, 4});
  const st::Array mask = st::ones({16, 16});
  auto call = [](const Block& b, const st::Array& c, const st::Array& s, const st::Array& m) {
    return b(c, s, m);
  };
  const st::Array carry = stack.fold_via(call, {0, st::none})(carry0, layer_scale, mask);
  print("fold_via carry:", carry);

  // scan_via with in_axes = 0: every argument after the carry is sliced; ys are stacked.
  auto block_scan = [](const Block& layer, const st::Array& c, const st::Array& x) {
    st::Array next = c + layer.weight.value * x;
    return std::pair{next, next};
  };
  const auto [last, per_layer] =
      stack.scan_via(block_scan, 0)(st::zeros({width}), st::ones({num_layers, width}));
  std::printf("scan_via per-layer carries: %s\n", st::to_string(per_layer.shape()).c_str());

  // get_layer / unstacked: plain Blocks.
  const Block second = stack.get_layer(1);
  const Block last_layer = stack.get_layer(-1);
  print("get_layer(1).weight:", second.weight.value);
  print("get_layer(-1).weight:", last_layer.weight.value);
  std::printf("unstacked(): %zu blocks\n", stack.unstacked().size());

  // vmap_via: each layer on its own (independently), outputs stacked along axis 0.
  const st::Array norms = stack.vmap_via(
      [](const Block& b, const st::Array& scale) {
        return st::sum(st::square(b.weight.value)) * scale;
      },
      0)(layer_scale);
  print("vmap_via |w_i|^2 * s_i:", norms);

  // The checkpointing policy reaches the scan: same gradient, less saved per layer.
  auto loss = [&](const nn::ArrayStacked<Block>& s) {
    return st::sum(s.fold_via(call, {0, st::none})(carry0, layer_scale, mask));
  };
  const auto grads = st::grad(loss)(stack);
  print("d loss / d weight (row i = s_i):", grads.layers.weight.value);

  // The unrolled twin, built from the same arguments, gives the same numbers.
  const auto unrolled = nn::Sequential<Block>::init(num_layers)(weights);
  const st::Array same = unrolled.fold_via(call, {0, st::none})(carry0, layer_scale, mask);
  std::printf("max |stacked - unrolled| = %g\n",
              static_cast<double>(st::max(st::abs(carry - same)).item<float>()));
  return 0;
}
