// strata's side of the peers benchmark (issue 16; bench/peers/ holds JAX's and PyTorch's, and
// scripts/bench-peers runs all three interleaved and prints the ratios).  One case per process:
//   bench_peers w1|w2 scan|unrolled L [--compile-only] [--reps N]
//   bench_peers train scan 16
// and one JSON line on stdout, the format every peer script prints:
//   {"system": "strata", "workload": "w1", "variant": "scan", "L": 8, "compile_s": ...,
//    "step_ms": ..., "peak_mib": ..., "steady_mib": ...}
// Workloads (design §6), identical in every system: W1 fwd+bwd, x (64, 512), L layers
// relu(y W_i + b_i), loss sum(y^2), gradients of every W_i and b_i; W2 fwd+bwd, pre-LN causal
// transformer blocks d = 256, 4 heads, MLP 1024 (tanh gelu), batch 8 x 128 tokens, loss
// mean(y^2), gradients of every parameter; train: the demo's step (examples/char_lm_model.h:
// 16 blocks of width 128, 4 heads, context 32, batch 32, vocabulary 64; cross-entropy, gradients,
// clip_by_global_norm(1) + AdamW).
// compile_s: trace + compile to a ready executable (jit(...).lower(...).compile()).  step_ms: the
// median of the timed calls after two warm-up calls.  peak_mib: the process's peak RSS from just
// before compiling to the end, less the RSS there (inputs and parameters excluded); steady_mib: the
// same peak over the timed steps only (the peak was reset after warm-up), less the same base.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_util.h"
#include "char_lm_model.h"
#include "strata/nn/nn.h"
#include "strata/strata.h"

namespace st = strata;
namespace nn = strata::nn;
using st::Array;

namespace {

struct Result {
  double compile_s = 0, step_ms = 0, peak_mib = 0, steady_mib = 0;
};

double mib_since(int64_t base_kib, const char* field) {
  return static_cast<double>(bench::status_kib(field) - base_kib) / 1024.0;
}

// Compiles with `compile`, then times `step` (two warm-up calls, then `reps` timed ones).
template <class Compile, class Step>
Result measure(int reps, bool compile_only, Compile compile, Step step) {
  Result r;
  bench::reset_peak();
  const int64_t base = bench::status_kib("VmRSS:");
  r.compile_s = bench::seconds(compile);
  if (!compile_only) {
    step();
    step();
    r.peak_mib = mib_since(base, "VmHWM:");
    bench::reset_peak();
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) t.push_back(bench::seconds(step) * 1e3);
    r.step_ms = bench::median(t);
    r.steady_mib = mib_since(base, "VmHWM:");
    r.peak_mib = std::max(r.peak_mib, r.steady_mib);
  }
  return r;
}

// ---------------------------------------------------------------- W1
Array w1_loss_scan(const bench::Layer& p, const Array& x) {
  const Array y = bench::w1_forward(p, x);
  return st::sum(y * y);
}
Array w1_loss_unrolled(const std::vector<bench::Layer>& layers, const Array& x) {
  Array y = x;
  for (const bench::Layer& l : layers) y = st::relu(st::matmul(y, l.w) + l.b);
  return st::sum(y * y);
}

Result w1(const std::string& variant, int64_t L, int reps, bool compile_only) {
  const bench::Layer p = bench::params(L, bench::kF);
  const Array x = bench::uniform({bench::kB, bench::kF}, 1.0f, 3);
  if (variant == "scan") {
    auto f = st::jit(st::value_and_grad(w1_loss_scan));
    return measure(
        reps, compile_only, [&] { (void)f.lower(p, x).compile(); },
        [&] { std::get<0>(f(p, x)).item<float>(); });
  }
  std::vector<bench::Layer> layers;
  for (int64_t i = 0; i < L; ++i)
    layers.push_back({p.w[i], p.b[i]});
  auto f = st::jit(st::value_and_grad(w1_loss_unrolled));
  return measure(
      reps, compile_only, [&] { (void)f.lower(layers, x).compile(); },
      [&] { std::get<0>(f(layers, x)).item<float>(); });
}

// ---------------------------------------------------------------- W2
using Blocks = nn::Stacked<nn::TransformerBlock>;
constexpr int64_t kD = 256, kHeads = 4, kBatch = 8, kSeq = 128;

Array mean_square(const Array& y) {
  return st::mean(y * y);
}

Result w2(const std::string& variant, int64_t L, int reps, bool compile_only) {
  nn::Rngs rngs(0);
  const Blocks blocks =
      Blocks::init(L)(kD, kHeads, 4 * kD, rngs, nn::TransformerOptions{.causal = true});
  const Array x = st::random::normal(st::random::key(1), {kBatch, kSeq, kD});
  if (variant == "scan") {
    auto f = st::jit(
        st::value_and_grad([](const Blocks& b, const Array& h) { return mean_square(b.fold(h)); }));
    return measure(
        reps, compile_only, [&] { (void)f.lower(blocks, x).compile(); },
        [&] { std::get<0>(f(blocks, x)).item<float>(); });
  }
  const std::vector<nn::TransformerBlock> layers = blocks.unstacked();
  auto f = st::jit(st::value_and_grad([](const std::vector<nn::TransformerBlock>& ls, Array h) {
    for (const nn::TransformerBlock& l : ls) h = l(h);
    return mean_square(h);
  }));
  return measure(
      reps, compile_only, [&] { (void)f.lower(layers, x).compile(); },
      [&] { std::get<0>(f(layers, x)).item<float>(); });
}

// ---------------------------------------------------------------- the demo's training step
Result train(int64_t layers, int reps, bool compile_only) {
  const char_lm::ModelConfig config{
      .vocab = 64, .context = 32, .layers = layers, .width = 128, .heads = 4};
  nn::Rngs rngs(0);
  const char_lm::CharLM model(config, rngs);
  const auto opt = char_lm::make_optimizer(1e-3);
  nn::State params = nn::split(model).first;
  char_lm::OptState state = opt.init(params);
  const Array windows = st::astype(
      st::floor(st::random::uniform(st::random::key(2), {32, config.context + 1}) * 64.0),
      st::int32);
  auto step = char_lm::make_train_step(model, opt);
  return measure(
      reps, compile_only, [&] { (void)step.lower(params, state, windows).compile(); },
      [&] {
        auto [p, s, loss] = step(params, state, windows);
        params = std::move(p);
        state = std::move(s);
        loss.item<float>();
      });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s w1|w2|train VARIANT L [--compile-only] [--reps N]\n", argv[0]);
    return 2;
  }
  const std::string workload = argv[1], variant = argv[2];
  const int64_t L = std::atoll(argv[3]);
  bool compile_only = false;
  int reps = 10;
  for (int i = 4; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--compile-only") compile_only = true;
    if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
  }
  Result r;
  if (workload == "w1") {
    r = w1(variant, L, reps, compile_only);
  } else if (workload == "w2") {
    r = w2(variant, L, reps, compile_only);
  } else {
    r = train(L, reps, compile_only);
  }
  std::printf(
      "{\"system\": \"strata\", \"workload\": \"%s\", \"variant\": \"%s\", \"L\": %lld, "
      "\"compile_s\": %.6f, \"step_ms\": %.4f, \"peak_mib\": %.1f, \"steady_mib\": %.1f}\n",
      workload.c_str(), variant.c_str(), static_cast<long long>(L), r.compile_s, r.step_ms,
      r.peak_mib, r.steady_mib);
}
