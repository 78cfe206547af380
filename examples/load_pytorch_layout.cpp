// load_pytorch_layout — loads a checkpoint saved in PyTorch's layout into a strata::nn model.
//
// PyTorch names and shapes parameters differently from Flax / strata::nn: a Linear layer has a
// `weight` of shape (out, in) (applied as x @ weight.T), where nn::Linear has a `kernel` of shape
// (in, out); a LayerNorm's `weight` is nn::LayerNorm's `scale`; nn.Sequential numbers its
// children.  io::map_keys renames the entries by pattern (and transposes the Linear weights), then
// nn::load_state_dict checks every key, shape and dtype against the model.
//
//   # in Python:  torch.nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.LayerNorm(8), nn.Linear(8, 2))
//   #             safetensors.torch.save_file(model.state_dict(), "torch_mlp.safetensors")
//   build/release/examples/load_pytorch_layout torch_mlp.safetensors
//
// Without an argument it first writes such a file itself (random values, PyTorch's keys and
// shapes), then loads it and checks the strata model against the same layers computed directly
// in PyTorch's layout.
#include <strata/nn/nn.h>
#include <unistd.h>
#include <strata/strata.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <string>

namespace st = strata;
namespace nn = strata::nn;
namespace io = strata::io;

// The strata twin of the PyTorch Sequential above (PyTorch's LayerNorm epsilon is 1e-5, Flax's
// 1e-6: a static setting, not in the file, so the model must say it).
struct Mlp {
  nn::Linear fc1;
  nn::LayerNorm norm;
  nn::Linear fc2;
  explicit Mlp(nn::Rngs& rngs)
      : fc1(4, 8, rngs), norm(8, rngs, {.epsilon = 1e-5}), fc2(8, 2, rngs) {}
  st::Array operator()(const st::Array& x) const { return fc2(norm(nn::relu(fc1(x)))); }
  STRATA_TREE_MEMBERS(fc1, norm, fc2)
};

// PyTorch's state_dict of Sequential(Linear(4, 8), ReLU(), LayerNorm(8), Linear(8, 2)).
std::map<std::string, st::Array> torch_style_state(const st::Array& key) {
  const auto keys = st::random::split(key, 4);
  return {{"0.weight", st::random::normal(keys[0], {8, 4})},
          {"0.bias", st::random::normal(keys[1], {8})},
          {"2.weight", st::random::uniform(keys[2], {8}, st::DType::Float32, 0.5, 1.5)},
          {"2.bias", st::zeros({8})},
          {"3.weight", st::random::normal(keys[3], {2, 8})},
          {"3.bias", st::array({0.1f, -0.1f})}};
}

int main(int argc, char** argv) {
  try {
    const bool own_file = argc <= 1;
    const std::string path =
        own_file ? "/tmp/strata_torch_mlp_" + std::to_string(getpid()) + ".safetensors" : argv[1];
    if (own_file) io::save_safetensors(path, torch_style_state(st::random::key(0)));
    const auto torch = io::load_safetensors(path);  // maps the file: removing it is fine
    if (own_file) std::remove(path.c_str());

    // PyTorch -> strata::nn names; transpose the Linear weights.
    const auto renamed = io::map_keys(torch, {{R"(0\.weight)", "fc1.kernel", true},
                                              {R"(0\.bias)", "fc1.bias"},
                                              {R"(2\.weight)", "norm.scale"},
                                              {R"(2\.bias)", "norm.bias"},
                                              {R"(3\.weight)", "fc2.kernel", true},
                                              {R"(3\.bias)", "fc2.bias"}});
    nn::Rngs rngs(0);
    const Mlp model = nn::load_state_dict(Mlp(rngs), renamed);

    // The same network computed directly in PyTorch's layout: x @ W.T + b.
    const st::Array x = st::random::normal(st::random::key(1), {3, 4});
    auto linear = [&](const st::Array& h, const std::string& name) {
      return st::matmul(h, st::transpose(torch.at(name + ".weight"))) + torch.at(name + ".bias");
    };
    const st::Array h = nn::relu(linear(x, "0"));
    const st::Array mean = st::mean(h, {-1}, true);
    const st::Array var = st::mean(st::square(h - mean), {-1}, true);
    const st::Array normed =
        (h - mean) * st::rsqrt(var + 1e-5f) * torch.at("2.weight") + torch.at("2.bias");
    const st::Array reference = linear(normed, "3");

    const st::Array out = model(x);
    const double max_diff = st::max(st::abs(out - reference)).item<float>();
    std::printf("loaded %zu PyTorch tensors from %s into strata::nn\n", torch.size(), path.c_str());
    std::printf("fc1.kernel %s (PyTorch 0.weight %s)\n",
                st::to_string(model.fc1.kernel.shape()).c_str(),
                st::to_string(torch.at("0.weight").shape()).c_str());
    std::cout << "outputs:\n" << out << "\n";
    std::printf("max |strata - PyTorch layout| = %.3g\n", max_diff);
    return max_diff < 1e-5 ? 0 : 1;
  } catch (const st::Error& e) {
    std::fprintf(stderr, "load_pytorch_layout: %s\n", e.what());
    return 1;
  }
}
