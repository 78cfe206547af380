// vmap vs native batching on W1 (design §6): y = relu(y W_i + b_i) over L scanned layers, F = 512.
// The model is written for one example x: [F] and vmapped over a batch of B = 64, against the
// same model written for a batch x: [B, F], both jitted and timed side by side in interleaved
// rounds (goal: vmapped / native <= 1.05x; batching must produce the same GEMMs).  A second
// table does the same for per-example gradients (vmap(grad)) against B separate grad calls.
// Threads: STRATA_NUM_THREADS / OMP_NUM_THREADS (default: all cores).  Medians of repeated runs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "bench_util.h"
#include "strata/strata.h"

namespace st = strata;
using st::Array;

namespace {

using bench::kB;
using bench::kF;
using bench::Layer;
using bench::median;
using bench::params;
using bench::seconds;
using bench::uniform;
using bench::w1_forward;

double max_abs_diff(const Array& a, const Array& b) {
  const auto va = a.to_vector<float>(), vb = b.to_vector<float>();
  double err = 0;
  for (size_t i = 0; i < va.size(); ++i) err = std::max(err, double(std::fabs(va[i] - vb[i])));
  return err;
}

void forward_table() {
  std::printf(
      "1. W1 w1_forward, B=%lld F=%lld: vmap over one-example code vs native batch (medians)\n",
      static_cast<long long>(kB), static_cast<long long>(kF));
  std::printf("%6s %12s %12s %14s\n", "L", "native ms", "vmap ms", "vmap/native");
  for (int64_t L : {8, 32, 96}) {
    const Layer p = params(L, kF);
    const Array x = uniform({kB, kF}, 1.0f, 3);
    auto native = st::jit(w1_forward);
    auto mapped = st::jit(st::vmap(w1_forward, {st::none, 0}));
    const Array yn = native(p, x), ym = mapped(p, x);  // compile and warm up
    std::vector<double> tn, tm;
    for (int rep = 0; rep < 31; ++rep) {
      tn.push_back(seconds([&] { native(p, x); }));
      tm.push_back(seconds([&] { mapped(p, x); }));
    }
    std::printf("%6lld %12.3f %12.3f %14.3f\n", static_cast<long long>(L), median(tn) * 1e3,
                median(tm) * 1e3, median(tm) / median(tn));
    if (max_abs_diff(yn, ym) > 1e-4) std::printf("  WARNING: vmap and native differ\n");
  }
}

void per_example_grad_table() {
  const int64_t L = 8, B = 16;
  std::printf("\n2. per-example gradients of W1, L=%lld B=%lld: vmap(grad) vs %lld grad calls\n",
              static_cast<long long>(L), static_cast<long long>(B), static_cast<long long>(B));
  const Layer p = params(L, kF);
  const Array x = uniform({B, kF}, 1.0f, 4);
  auto loss = [](const Layer& q, const Array& xi) {
    return st::sum(st::square(w1_forward(q, xi)));
  };
  auto mapped = st::jit(st::vmap(st::grad(loss), {st::none, 0}));
  auto single = st::jit(st::grad(loss));
  const Layer gm = mapped(p, x);
  const Layer g0 = single(p, x[0]);
  std::vector<Array> rows(static_cast<size_t>(B));
  for (int64_t i = 0; i < B; ++i) rows[static_cast<size_t>(i)] = x[i];
  std::vector<double> tm, tl;
  for (int rep = 0; rep < 11; ++rep) {
    tm.push_back(seconds([&] { mapped(p, x); }));
    tl.push_back(seconds([&] {
      for (const Array& r : rows) single(p, r);
    }));
  }
  std::printf("%12s %14s %14s\n", "vmap ms", "loop ms", "loop/vmap");
  std::printf("%12.3f %14.3f %14.3f\n", median(tm) * 1e3, median(tl) * 1e3,
              median(tl) / median(tm));
  if (max_abs_diff(gm.w[0], g0.w) > 1e-3 * (1 + max_abs_diff(g0.w, st::zeros_like(g0.w)))) {
    std::printf("  WARNING: vmap(grad) and grad differ\n");
  }
}

}  // namespace

int main() {
  forward_table();
  per_example_grad_table();
  return 0;
}
