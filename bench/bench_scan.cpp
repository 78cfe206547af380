// scan over layers vs an unrolled Python-style loop, on W1 (design §6): y = relu(y W_i + b_i),
// x (64 x 512), He-scaled weights.  Prints three tables, each measured side by side in one run:
//   1. compile time (trace + optimise + plan + oneDNN primitives, to a ready executable) of the
//      W1 forward, scan vs unrolled, for L in {1, 8, 32, 96, 256, 1024}
//      (goals: unrolled/scan >= 30x at L=96; scan at L=1024 <= 1.2x scan at L=1);
//   2. forward step time, scan vs unrolled (goal <= 1.05x) and vs the same GEMMs called directly
//      with dnnl_sgemm plus a bias+relu loop (goal: scan >= 0.85 of that throughput);
//   3. per-iteration overhead of a scan with a tiny body (F = 8; goal <= 2 us).
// Threads: STRATA_NUM_THREADS / OMP_NUM_THREADS (default: all cores).  Medians of repeated runs.
#include <dnnl.h>

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
using bench::median_seconds;
using bench::params;
using bench::seconds;
using bench::uniform;
using bench::w1_forward;

Array unrolled_forward(const Layer& p, const Array& x) {
  Array y = x;
  for (int64_t i = 0; i < p.w.shape(0); ++i) y = st::relu(st::matmul(y, p.w[i]) + p.b[i]);
  return y;
}

void compile_time_table() {
  std::printf("\n1. W1 forward compile time (trace + compile), B=%lld F=%lld\n",
              static_cast<long long>(kB), static_cast<long long>(kF));
  std::printf("%6s %12s %14s %10s %10s %12s\n", "L", "scan ms", "unrolled ms", "unr/scan",
              "scan ops", "unrolled ops");
  const Array x = st::zeros({kB, kF});
  const Layer one = params(1, kF);
  double scan_l1 = 0;
  for (int64_t L : {1, 8, 32, 96, 256, 1024}) {
    // Only types matter for compiling: broadcast views of one layer stand for L layers.
    const Layer p{st::broadcast_to(one.w, {L, kF, kF}), st::broadcast_to(one.b, {L, kF})};
    st::CompileStats s_scan, s_unr;
    const double ts =
        median_seconds(21, [&] { s_scan = st::jit(w1_forward).lower(p, x).compile().stats(); });
    const double tu = median_seconds(
        L >= 256 ? 1 : 3, [&] { s_unr = st::jit(unrolled_forward).lower(p, x).compile().stats(); });
    if (L == 1) scan_l1 = ts;
    std::printf("%6lld %12.3f %14.3f %10.1f %10lld %12lld   (scan/scan@L=1: %.2f)\n",
                static_cast<long long>(L), ts * 1e3, tu * 1e3, tu / ts,
                static_cast<long long>(s_scan.num_ops_total),
                static_cast<long long>(s_unr.num_ops_total), ts / scan_l1);
  }
}

void step_time_table() {
  std::printf("\n2. W1 forward step time, B=%lld F=%lld (medians)\n", static_cast<long long>(kB),
              static_cast<long long>(kF));
  std::printf("%6s %10s %12s %12s %10s %12s %14s\n", "L", "scan ms", "unrolled ms", "sgemm ms",
              "scan/unr", "sgemm/scan", "scan GFLOP/s");
  for (int64_t L : {8, 32, 96}) {
    const Layer p = params(L, kF);
    const Array x = uniform({kB, kF}, 1.0f, 3);
    auto scan_fn = st::jit(w1_forward);
    auto unrolled_fn = st::jit(unrolled_forward);
    const Array ys = scan_fn(p, x), yu = unrolled_fn(p, x);  // compile (and warm up)
    // The GEMM-only reference: dnnl_sgemm per layer, then bias + relu in one loop.
    std::vector<float> a(static_cast<size_t>(kB * kF)), c(a.size());
    const float* w = p.w.data<float>();
    const float* b = p.b.data<float>();
    auto gemm_only = [&] {
      std::copy_n(x.data<float>(), a.size(), a.data());
      for (int64_t l = 0; l < L; ++l) {
        dnnl_sgemm('N', 'N', kB, kF, kF, 1.0f, a.data(), kF, w + l * kF * kF, kF, 0.0f, c.data(),
                   kF);
        const float* bl = b + l * kF;
#pragma omp parallel for
        for (int64_t r = 0; r < kB; ++r) {
          for (int64_t j = 0; j < kF; ++j) {
            a[static_cast<size_t>(r * kF + j)] =
                std::max(c[static_cast<size_t>(r * kF + j)] + bl[j], 0.0f);
          }
        }
      }
    };
    // Interleaved rounds, so drift in the machine's speed hits all three alike.
    std::vector<double> vs_t, vu_t, vg_t;
    for (int rep = 0; rep < 41; ++rep) {
      vs_t.push_back(seconds([&] { scan_fn(p, x); }));
      vu_t.push_back(seconds([&] { unrolled_fn(p, x); }));
      vg_t.push_back(seconds(gemm_only));
    }
    const double ts = median(vs_t), tu = median(vu_t), tg = median(vg_t);
    const double flops = 2.0 * static_cast<double>(L * kB * kF * kF);
    std::printf("%6lld %10.3f %12.3f %12.3f %10.3f %12.3f %14.1f\n", static_cast<long long>(L),
                ts * 1e3, tu * 1e3, tg * 1e3, ts / tu, tg / ts, flops / ts * 1e-9);
    // Same numbers both ways (a benchmark that computes the wrong thing is worthless).
    const auto vs = ys.to_vector<float>(), vu = yu.to_vector<float>();
    double err = 0;
    for (size_t i = 0; i < vs.size(); ++i) err = std::max(err, double(std::fabs(vs[i] - vu[i])));
    if (err > 1e-3) std::printf("  WARNING: scan and unrolled differ by %g\n", err);
  }
}

void overhead_table() {
  std::printf("\n3. scan per-iteration overhead, tiny body (F=8, B=1)\n");
  const int64_t F = 8;
  auto f = st::jit(w1_forward);
  const Array x = uniform({1, F}, 1.0f, 4);
  const int64_t long_len = 20000;
  const Layer p1 = params(1, F), pl = params(long_len, F);
  f(p1, x);
  f(pl, x);
  const double t1 = median_seconds(51, [&] { f(p1, x); });
  const double tl = median_seconds(11, [&] { f(pl, x); });
  std::printf("  L=1: %.2f us per call;  L=%lld: %.3f ms;  per iteration: %.3f us\n", t1 * 1e6,
              static_cast<long long>(long_len), tl * 1e3,
              (tl - t1) / static_cast<double>(long_len - 1) * 1e6);
}

}  // namespace

int main() {
  std::printf("strata scan benchmark, %d threads\n", st::num_threads());
  compile_time_table();
  step_time_table();
  overhead_table();
  return 0;
}
