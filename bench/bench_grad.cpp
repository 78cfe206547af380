// Gradients and rematerialisation (issue 4): forward + backward of W1 and W2 (design §6) through
// jit(value_and_grad(loss)), per checkpoint policy.  A plain program that prints four tables, each
// measured side by side in one run (medians of interleaved rounds; absolute times are context):
//   1. W1 fwd+bwd step time at L in {8, 32, 96}: scan (save_all, carries_only, nested) vs the
//      unrolled loop over per-layer weight arrays (goal <= 1.05x), vs the same 3L GEMMs as direct
//      dnnl_sgemm calls (goal >= 0.85 of that throughput), recompute cost carries_only/save_all;
//   2. W1 planned peak (CompileStats::planned_peak_bytes) per policy and L;
//   3. measured process peak vs the plan: each (workload, policy, L) case runs in a fresh child
//      process (this program re-run with --mem-child); peak = VmHWM after the first call minus
//      VmRSS once the inputs exist (the HWM is reset there through /proc/self/clear_refs), less
//      the arrays the call returns (loss and gradients: the caller's, not the plan's); L = 1
//      rows give the fixed cost no plan covers;
//   4. W2 (pre-LN transformer blocks, scanned) fwd+bwd step time and planned peak per policy at
//      L in {12, 48}.
// Threads: STRATA_NUM_THREADS / OMP_NUM_THREADS (default: all cores).  With one thread, steps are
// timed by the thread's CPU time (see g_cpu_clock), which is what makes a shared machine usable.
// About 3 minutes with one thread on the 2-core box.  Flags: --reps-scale X (more or fewer
// rounds), --skip-memory, --skip-w1, --skip-w2, --long (adds W1 L = 256, W2 L = 48 to the memory
// table and W2 L = 96), --clock auto|cpu|wall.  Diagnostics: --print-jaxpr w1|w2 POLICY (the
// traced fwd+bwd graph), --repeat w1|w2 fwd|unrolled|POLICY L N (one case N times, for perf).
#include <dnnl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <tuple>

#include <vector>

#include "bench_util.h"
#include "strata/strata.h"

namespace st = strata;
using st::Array;

namespace {

// ---------------------------------------------------------------- helpers
// With one thread, steps are timed by the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID):
// all the work then runs on that thread, and time it spends preempted by other processes on the
// shared machine is left out.  Wall-clock medians are kept too.  With several threads only the
// wall clock is meaningful (CPU time would count threads spinning at barriers).
bool g_cpu_clock = false;

double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double now() {
  return g_cpu_clock ? cpu_now() : wall_now();
}

using bench::median;
using bench::reset_peak;
using bench::status_kib;

double g_reps_scale = 1.0;
int reps(int n) {
  return std::max(1, static_cast<int>(std::lround(n * g_reps_scale)) | 1);
}

struct Variant {
  std::string name;
  std::function<void()> run;
  std::vector<double> wall = {}, cpu = {};
  double median() const { return ::median(g_cpu_clock ? cpu : wall); }  // the table's clock
  double median_wall() const { return ::median(wall); }
};

// Interleaved rounds: every round runs each variant once, starting at a rotating position, so
// drift in the (shared) machine's speed hits all variants alike.
void interleave(std::vector<Variant>& vs, int rounds) {
  for (Variant& v : vs) v.run();  // warm-up (the first call also compiles)
  for (int r = 0; r < rounds; ++r) {
    for (size_t k = 0; k < vs.size(); ++k) {
      Variant& v = vs[(k + static_cast<size_t>(r)) % vs.size()];
      const double w0 = wall_now(), c0 = cpu_now();
      v.run();
      v.cpu.push_back(cpu_now() - c0);
      v.wall.push_back(wall_now() - w0);
    }
  }
}

Array normal(const st::Shape& shape, float stddev, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(static_cast<size_t>(st::detail::shape_size(shape)));
  for (float& e : v) e = dist(gen);
  return st::array(v, shape);
}

Array uniform(const st::Shape& shape, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(st::detail::shape_size(shape)));
  for (float& e : v) e = dist(gen);
  return st::array(v, shape);
}

double max_rel_diff(const Array& a, const Array& b) {
  const auto va = a.to_vector<float>(), vb = b.to_vector<float>();
  double err = 0, scale = 1e-30;
  for (size_t i = 0; i < va.size(); ++i) {
    err = std::max(err, static_cast<double>(std::fabs(va[i] - vb[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(vb[i])));
  }
  return err / scale;
}

double mib(int64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

const char* policy_name(int p) {
  static const char* names[] = {"save_all", "carries_only", "nested"};
  return names[p];
}
st::CheckpointPolicy policy_of(int p) {
  switch (p) {
    case 0:
      return st::CheckpointPolicy::save_all();
    case 1:
      return st::CheckpointPolicy::carries_only();
    default:
      return st::CheckpointPolicy::nested();
  }
}
int policy_index(const std::string& name) {
  for (int p = 0; p < 3; ++p) {
    if (name == policy_name(p)) return p;
  }
  std::fprintf(stderr, "unknown policy %s\n", name.c_str());
  std::exit(2);
}

// ---------------------------------------------------------------- W1: deep MLP
constexpr int64_t kB = 64, kF = 512;

struct Layer {
  Array w, b;
};
STRATA_TREE(Layer, w, b)

struct W1Body {
  Array operator()(const Array& y, const Layer& l) const {
    return st::relu(st::matmul(y, l.w) + l.b);
  }
};

// loss(W, b, x) = sum(fold(relu(y W_i + b_i))^2), the layers scanned with `policy`.
struct W1ScanLoss {
  st::CheckpointPolicy policy;
  Array operator()(const Array& W, const Array& b, const Array& x) const {
    return st::sum(st::square(st::fold(W1Body{}, x, Layer{W, b}, {.checkpoint = policy})));
  }
};

// The same model as an unrolled C++ loop over per-layer arrays (one op group per layer).
struct W1UnrolledLoss {
  Array operator()(const std::vector<Array>& W, const std::vector<Array>& b, const Array& x) const {
    Array y = x;
    for (size_t i = 0; i < W.size(); ++i) y = st::relu(st::matmul(y, W[i]) + b[i]);
    return st::sum(st::square(y));
  }
};

struct W1Data {
  Array W, b, x;
  std::vector<Array> Ws, bs;  // per-layer views of W and b
};

// He-normal weights (stddev sqrt(2/F)): relu activations keep their scale, no denormals.
W1Data w1_data(int64_t L) {
  W1Data d;
  d.W = normal({L, kF, kF}, std::sqrt(2.0f / static_cast<float>(kF)), 1);
  d.b = uniform({L, kF}, -0.1f, 0.1f, 2);
  d.x = uniform({kB, kF}, -1.0f, 1.0f, 3);
  for (int64_t i = 0; i < L; ++i) {
    d.Ws.push_back(d.W[i]);
    d.bs.push_back(d.b[i]);
  }
  return d;
}

auto w1_scan_grad(int policy) {
  return st::jit(st::value_and_grad(W1ScanLoss{policy_of(policy)}, st::argnums<0, 1>));
}
auto w1_unrolled_grad() {
  return st::jit(st::value_and_grad(W1UnrolledLoss{}, st::argnums<0, 1>));
}

// The GEMM-only reference: the 3L GEMMs of W1's forward + backward as direct dnnl_sgemm calls on
// the same shapes (forward y W, dX = g W^T, dW = y^T g per layer), on O(1) data with no
// elementwise work between them.  `nn_dx` computes dX against pre-transposed weights (a row-major
// W^T, the transposition not timed): sgemm's fastest form, a ceiling for the N,T call.
struct GemmReference {
  int64_t L;
  const float* w;
  std::vector<float> act, out, g, dx, dw, wt;
  double t_fwd = 0, t_dx = 0, t_dw = 0;
  std::vector<double> fwd_t, dx_t, dw_t;

  GemmReference(int64_t layers, const Array& W) : L(layers), w(W.data<float>()) {
    const auto n_act = static_cast<size_t>(L * kB * kF);
    act = uniform({L, kB, kF}, 0.0f, 1.0f, 7).to_vector<float>();
    g = uniform({L, kB, kF}, -1.0f, 1.0f, 8).to_vector<float>();
    out.resize(n_act);
    dx.resize(static_cast<size_t>(kB * kF));
    dw.resize(static_cast<size_t>(L * kF * kF));
    wt.resize(dw.size());
    for (int64_t l = 0; l < L; ++l) {
      for (int64_t i = 0; i < kF; ++i) {
        for (int64_t j = 0; j < kF; ++j)
          wt[idx(l * kF * kF + j * kF + i)] = w[l * kF * kF + i * kF + j];
      }
    }
  }
  static size_t idx(int64_t i) { return static_cast<size_t>(i); }

  void run(bool nn_dx) {
    const double t0 = now();
    for (int64_t l = 0; l < L; ++l) {
      dnnl_sgemm('N', 'N', kB, kF, kF, 1.0f, &act[idx(l * kB * kF)], kF, w + l * kF * kF, kF, 0.0f,
                 &out[idx(l * kB * kF)], kF);
    }
    const double t1 = now();
    double dx_s = 0, dw_s = 0;
    for (int64_t l = L - 1; l >= 0; --l) {
      const float* gl = &g[idx(l * kB * kF)];
      const double a = now();
      if (nn_dx) {
        dnnl_sgemm('N', 'N', kB, kF, kF, 1.0f, gl, kF, &wt[idx(l * kF * kF)], kF, 0.0f, dx.data(),
                   kF);
      } else {
        dnnl_sgemm('N', 'T', kB, kF, kF, 1.0f, gl, kF, w + l * kF * kF, kF, 0.0f, dx.data(), kF);
      }
      const double b = now();
      dnnl_sgemm('T', 'N', kF, kF, kB, 1.0f, &act[idx(l * kB * kF)], kF, gl, kF, 0.0f,
                 &dw[idx(l * kF * kF)], kF);
      const double c = now();
      dx_s += b - a;
      dw_s += c - b;
    }
    if (!nn_dx) {
      fwd_t.push_back(t1 - t0);
      dx_t.push_back(dx_s);
      dw_t.push_back(dw_s);
    }
  }
};

void w1_step_table(const std::vector<int64_t>& lengths) {
  std::printf(
      "\n1. W1 fwd+bwd step time: jit(value_and_grad(loss, argnums<W, b>)), B=%lld F=%lld\n"
      "   medians of interleaved rounds; 'gemm' = the 3L GEMMs as dnnl_sgemm (dX as N,T),\n"
      "   'gemm_nn' = the same with dX against a pre-transposed W (sgemm's best form)\n",
      static_cast<long long>(kB), static_cast<long long>(kF));
  std::printf("%5s %9s %9s %9s %9s %8s %8s %8s | %8s %8s %8s %8s %8s %8s\n", "L", "save_all",
              "carries", "nested", "unrolled", "gemm", "gemm_nn", "scanfwd", "all/unr", "gemm/all",
              "gnn/all", "car/all", "nest/all", "fwd/all");
  std::printf("%5s %9s %9s %9s %9s %8s %8s %8s |\n", "", "ms", "ms", "ms", "ms", "ms", "ms", "ms");
  for (int64_t L : lengths) {
    const W1Data d = w1_data(L);
    auto f_all = w1_scan_grad(0), f_car = w1_scan_grad(1), f_nest = w1_scan_grad(2);
    auto f_unr = w1_unrolled_grad();
    auto f_fwd = st::jit(W1ScanLoss{st::CheckpointPolicy::save_all()});
    GemmReference gemm(L, d.W);
    std::vector<Variant> vs;
    vs.push_back({"save_all", [&] { f_all(d.W, d.b, d.x); }, {}});
    vs.push_back({"carries_only", [&] { f_car(d.W, d.b, d.x); }, {}});
    vs.push_back({"nested", [&] { f_nest(d.W, d.b, d.x); }, {}});
    vs.push_back({"unrolled", [&] { f_unr(d.Ws, d.bs, d.x); }, {}});
    vs.push_back({"gemm", [&] { gemm.run(false); }, {}});
    vs.push_back({"gemm_nn", [&] { gemm.run(true); }, {}});
    vs.push_back({"scan fwd", [&] { f_fwd(d.W, d.b, d.x); }, {}});
    interleave(vs, reps(L >= 96 ? 11 : 21));
    const double t_all = vs[0].median(), t_car = vs[1].median(), t_nest = vs[2].median();
    const double t_unr = vs[3].median(), t_gemm = vs[4].median(), t_gnn = vs[5].median();
    const double t_fwd = vs[6].median();
    std::printf(
        "%5lld %9.2f %9.2f %9.2f %9.2f %8.2f %8.2f %8.2f | %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f\n",
        static_cast<long long>(L), t_all * 1e3, t_car * 1e3, t_nest * 1e3, t_unr * 1e3,
        t_gemm * 1e3, t_gnn * 1e3, t_fwd * 1e3, t_all / t_unr, t_gemm / t_all, t_gnn / t_all,
        t_car / t_all, t_nest / t_all, t_fwd / t_all);
    if (g_cpu_clock) {
      std::printf(
          "      wall clock: save_all %.2f ms; all/unr %.3f, gemm/all %.3f, gnn/all %.3f, "
          "car/all %.3f, nest/all %.3f, fwd/all %.3f\n",
          vs[0].median_wall() * 1e3, vs[0].median_wall() / vs[3].median_wall(),
          vs[4].median_wall() / vs[0].median_wall(), vs[5].median_wall() / vs[0].median_wall(),
          vs[1].median_wall() / vs[0].median_wall(), vs[2].median_wall() / vs[0].median_wall(),
          vs[6].median_wall() / vs[0].median_wall());
    }
    const double flops = 3 * 2.0 * static_cast<double>(L * kB * kF * kF);
    std::printf(
        "      GFLOP/s (3L GEMMs' flops / time): save_all %.0f, unrolled %.0f, gemm %.0f, "
        "gemm_nn %.0f;  gemm split: fwd %.2f ms, dX %.2f ms, dW %.2f ms\n",
        flops / t_all * 1e-9, flops / t_unr * 1e-9, flops / t_gemm * 1e-9, flops / t_gnn * 1e-9,
        median(gemm.fwd_t) * 1e3, median(gemm.dx_t) * 1e3, median(gemm.dw_t) * 1e3);
    // Same numbers every way (a benchmark that computes the wrong thing is worthless).
    const auto [v_all, g_all] = f_all(d.W, d.b, d.x);
    const auto [v_unr, g_unr] = f_unr(d.Ws, d.bs, d.x);
    double err = max_rel_diff(v_all, v_unr);
    for (int p = 1; p < 3; ++p) {
      const auto [v_p, g_p] = (p == 1 ? f_car : f_nest)(d.W, d.b, d.x);
      err = std::max({err, max_rel_diff(v_p, v_all),
                      max_rel_diff(std::get<0>(g_p), std::get<0>(g_all)),
                      max_rel_diff(std::get<1>(g_p), std::get<1>(g_all))});
    }
    for (int64_t i = 0; i < L; ++i) {
      err = std::max(
          {err, max_rel_diff(std::get<0>(g_all)[i], std::get<0>(g_unr)[static_cast<size_t>(i)]),
           max_rel_diff(std::get<1>(g_all)[i], std::get<1>(g_unr)[static_cast<size_t>(i)])});
    }
    std::printf(
        "      loss %.4g; max difference (relative to the largest entry) across "
        "policies and unrolled: %.2g%s\n",
        static_cast<double>(v_all.item<float>()), err, err > 1e-3 ? "  WARNING" : "");
  }
}

// ---------------------------------------------------------------- W1 planned peaks
void w1_plan_table(const std::vector<int64_t>& lengths) {
  std::printf(
      "\n2. W1 fwd+bwd planned peak (CompileStats::planned_peak_bytes: working memory the\n"
      "   executable owns; the inputs and the returned gradients excluded), MiB\n");
  std::printf("%6s %10s %10s %10s %10s %10s | %12s %12s\n", "L", "save_all", "carries", "nested",
              "unrolled", "fwd only", "carry MiB", "dW MiB");
  for (int64_t L : lengths) {
    // Only types matter for compiling: broadcast views of one layer stand for L layers.
    const Array w1 = st::zeros({1, kF, kF}), b1 = st::zeros({1, kF});
    const Array W = st::broadcast_to(w1, {L, kF, kF}), b = st::broadcast_to(b1, {L, kF});
    const Array x = st::zeros({kB, kF});
    std::vector<Array> Ws(static_cast<size_t>(L), w1[0]), bs(static_cast<size_t>(L), b1[0]);
    int64_t plan[3];
    for (int p = 0; p < 3; ++p) {
      plan[p] = w1_scan_grad(p).lower(W, b, x).compile().stats().planned_peak_bytes;
    }
    const int64_t unr = w1_unrolled_grad().lower(Ws, bs, x).compile().stats().planned_peak_bytes;
    const int64_t fwd = st::jit(W1ScanLoss{st::CheckpointPolicy::save_all()})
                            .lower(W, b, x)
                            .compile()
                            .stats()
                            .planned_peak_bytes;
    std::printf("%6lld %10.2f %10.2f %10.2f %10.2f %10.2f | %12.3f %12.1f\n",
                static_cast<long long>(L), mib(plan[0]), mib(plan[1]), mib(plan[2]), mib(unr),
                mib(fwd), mib(kB * kF * 4), mib(L * kF * kF * 4));
  }
}

// ---------------------------------------------------------------- W2: transformer blocks
constexpr int64_t kBatch = 8, kSeq = 128, kD = 256, kHeads = 4, kDh = kD / kHeads,
                  kN = kBatch * kSeq;

struct Block {
  Array ln1_g, ln1_b, wq, bq, wk, bk, wv, bv, wo, bo, ln2_g, ln2_b, w1, b1, w2, b2;
};
STRATA_TREE(Block, ln1_g, ln1_b, wq, bq, wk, bk, wv, bv, wo, bo, ln2_g, ln2_b, w1, b1, w2, b2)

Array layer_norm(const Array& x, const Array& g, const Array& b) {
  const st::MeanVar mv = st::mean_var(x, {-1});
  return (x - mv.mean) * st::rsqrt(mv.var + 1e-5) * g + b;
}

// (N, d) -> (batch, heads, seq, dh)
Array heads(const Array& t) {
  return st::transpose(st::reshape(t, {kBatch, kSeq, kHeads, kDh}), {0, 2, 1, 3});
}

// One pre-LN block on the residual stream h (N = batch * seq rows, d columns).
struct W2Body {
  Array operator()(const Array& h, const Block& p) const {
    const Array a = layer_norm(h, p.ln1_g, p.ln1_b);
    const Array q = heads(st::matmul(a, p.wq) + p.bq);
    const Array k = heads(st::matmul(a, p.wk) + p.bk);
    const Array v = heads(st::matmul(a, p.wv) + p.bv);
    const Array scores =
        st::matmul(q, st::swapaxes(k, -1, -2)) * (1.0 / std::sqrt(static_cast<double>(kDh)));
    // Causal mask from iota comparisons (query i sees keys j <= i), applied as an additive bias
    // of 0 / -1e9 (select has no vjp rule yet, so where(mask, scores, -inf) cannot be
    // differentiated; the bias is built from constants only and folds away).
    const Array causal =
        st::iota(st::DType::Int32, {kSeq, kSeq}, 0) >= st::iota(st::DType::Int32, {kSeq, kSeq}, 1);
    const Array bias = (st::astype(causal, st::DType::Float32) - 1.0) * 1e9;
    const Array probs = st::softmax(scores + bias, -1);  // float32
    const Array att = st::reshape(st::transpose(st::matmul(probs, v), {0, 2, 1, 3}), {kN, kD});
    const Array h1 = h + st::matmul(att, p.wo) + p.bo;
    const Array m = layer_norm(h1, p.ln2_g, p.ln2_b);
    return h1 + st::matmul(st::gelu(st::matmul(m, p.w1) + p.b1), p.w2) + p.b2;
  }
};

struct W2ScanLoss {
  st::CheckpointPolicy policy;
  Array operator()(const Block& params, const Array& x) const {
    const Array h = st::fold(W2Body{}, st::reshape(x, {kN, kD}), params, {.checkpoint = policy});
    return st::sum(st::square(h)) * (1.0 / static_cast<double>(kN));
  }
};

Block w2_params(int64_t L) {
  const float s = 1.0f / std::sqrt(static_cast<float>(kD));
  const float s_out = s / std::sqrt(2.0f * static_cast<float>(L));  // residual branches
  Block p;
  p.ln1_g = st::ones({L, kD});
  p.ln1_b = st::zeros({L, kD});
  p.wq = normal({L, kD, kD}, s, 11);
  p.wk = normal({L, kD, kD}, s, 12);
  p.wv = normal({L, kD, kD}, s, 13);
  p.bq = uniform({L, kD}, -0.02f, 0.02f, 14);
  p.bk = uniform({L, kD}, -0.02f, 0.02f, 15);
  p.bv = uniform({L, kD}, -0.02f, 0.02f, 16);
  p.wo = normal({L, kD, kD}, s_out, 17);
  p.bo = st::zeros({L, kD});
  p.ln2_g = st::ones({L, kD});
  p.ln2_b = st::zeros({L, kD});
  p.w1 = normal({L, kD, 4 * kD}, s, 18);
  p.b1 = uniform({L, 4 * kD}, -0.02f, 0.02f, 19);
  p.w2 = normal({L, 4 * kD, kD}, s_out / 2.0f, 20);
  p.b2 = st::zeros({L, kD});
  return p;
}

Array w2_input() {
  return normal({kBatch, kSeq, kD}, 1.0f, 21);
}

auto w2_scan_grad(int policy) {
  return st::jit(st::value_and_grad(W2ScanLoss{policy_of(policy)}, st::argnums<0>));
}

// Per layer, forward: q, k, v, o (4 N d^2), MLP (2 * 4 N d^2), scores and probs @ v (full S x S,
// 2 B H S^2 dh), two flops per multiply-add; fwd+bwd is three times that.
double w2_layer_flops() {
  const double n = kN, d = kD;
  return 2.0 * (4 * n * d * d + 8 * n * d * d + 2.0 * kBatch * kHeads * kSeq * kSeq * kDh);
}

void w2_table(const std::vector<int64_t>& lengths) {
  std::printf(
      "\n4. W2 fwd+bwd (pre-LN blocks, d=%lld, %lld heads, MLP 4d gelu, seq %lld, batch %lld,\n"
      "   causal softmax attention; params stacked on a leading axis and scanned), medians of\n"
      "   interleaved rounds; plan = planned_peak_bytes\n",
      static_cast<long long>(kD), static_cast<long long>(kHeads), static_cast<long long>(kSeq),
      static_cast<long long>(kBatch));
  std::printf("%5s %13s %10s %8s %9s %10s %10s | %11s %8s\n", "L", "policy", "step ms", "vs all",
              "GFLOP/s", "plan MiB", "MiB/layer", "scan fwd ms", "fwd/all");
  for (int64_t L : lengths) {
    const Block p = w2_params(L);
    const Array x = w2_input();
    std::vector<decltype(w2_scan_grad(0))> fs;
    for (int k = 0; k < 3; ++k) fs.push_back(w2_scan_grad(k));
    auto f_fwd = st::jit(W2ScanLoss{st::CheckpointPolicy::save_all()});
    // The last result of each policy is kept for the cross-check (no extra multi-second calls).
    std::vector<std::pair<Array, Block>> results(3);
    std::vector<Variant> vs;
    for (int k = 0; k < 3; ++k) {
      const auto kk = static_cast<size_t>(k);
      vs.push_back({policy_name(k), [&, kk] { results[kk] = fs[kk](p, x); }, {}});
    }
    vs.push_back({"scan fwd", [&] { f_fwd(p, x); }, {}});
    interleave(vs, reps(L >= 48 ? 1 : 3));
    const double t_all = vs[0].median(), t_fwd = vs[3].median();
    const double flops = 3 * w2_layer_flops() * static_cast<double>(L);
    for (int k = 0; k < 3; ++k) {
      const int64_t plan =
          fs[static_cast<size_t>(k)].lower(p, x).compile().stats().planned_peak_bytes;
      const double t = vs[static_cast<size_t>(k)].median();
      std::printf("%5lld %13s %10.1f %8.3f %9.0f %10.1f %10.2f", static_cast<long long>(L),
                  policy_name(k), t * 1e3, t / t_all, flops / t * 1e-9, mib(plan),
                  mib(plan) / static_cast<double>(L));
      if (k == 0) {
        std::printf(" | %11.1f %8.3f\n", t_fwd * 1e3, t_fwd / t_all);
      } else {
        std::printf(" |\n");
      }
    }
    if (g_cpu_clock) {
      std::printf("      wall clock: save_all %.1f ms; car/all %.3f, nest/all %.3f, fwd/all %.3f\n",
                  vs[0].median_wall() * 1e3, vs[1].median_wall() / vs[0].median_wall(),
                  vs[2].median_wall() / vs[0].median_wall(),
                  vs[3].median_wall() / vs[0].median_wall());
    }
    const auto& [v0, g0] = results[0];
    double err = 0;
    for (size_t k = 1; k < 3; ++k) {
      const auto& [vk, gk] = results[k];
      err = std::max(err, max_rel_diff(vk, v0));
      const auto l0 = st::tree::leaves(g0), lk = st::tree::leaves(gk);
      for (size_t i = 0; i < l0.size(); ++i) err = std::max(err, max_rel_diff(lk[i], l0[i]));
    }
    std::printf("      loss %.4g; max difference between policies (relative): %.2g%s\n",
                static_cast<double>(v0.item<float>()), err, err > 1e-3 ? "  WARNING" : "");
  }
}

// ---------------------------------------------------------------- measured peak memory
// Child: build the inputs, reset the peak, compile + run once, print what the call added.
int memory_child(const std::string& workload, const std::string& policy_spec, int64_t L) {
  const int policy = policy_index(policy_spec);
  // glibc's mmap threshold, fixed at its initial 128 KiB before anything is built.  By default
  // freeing a large block raises it (up to 32 MiB), and building the inputs frees large staging
  // vectors, so the call's blocks of up to that size would come from the brk heap, interleaved
  // with the free space the per-layer set-up left there: touching it raised the peak by 4-15 MiB
  // in W2 at L >= 4 (growing with L through the set-up, absent at L = 1), while the bytes in use
  // did not change.  Fixed, large blocks are mapped and unmapped as the call allocates and
  // frees them, and the peak counts what the call holds rather than how this program's set-up
  // left the allocator (MALLOC_MMAP_THRESHOLD_=131072 in the environment does the same).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  // Start the OpenMP pool first (its thread stacks are not the plan's).
  {
    const Array warm = st::ones({64}) + st::ones({64});
    (void)warm;
  }
  auto measure = [&](auto& fn, const auto&... args) {
    // Building the inputs freed temporaries that glibc keeps resident for reuse; give them back
    // first, or the run would reuse them unseen and read below its true need.
    malloc_trim(0);
    const bool reset = reset_peak();
    const int64_t base = status_kib("VmRSS:") * 1024;
    int64_t out_bytes = 0, peak = 0;
    {
      const auto result = fn(args...);
      peak = status_kib("VmHWM:") * 1024;
      for (const Array& a : st::tree::leaves(result)) out_bytes += a.nbytes();
    }
    const int64_t rss_after = status_kib("VmRSS:") * 1024;
    const int64_t plan = fn.lower(args...).compile().stats().planned_peak_bytes;
    std::printf("MEMCHILD %lld %lld %lld %lld %lld %d\n", static_cast<long long>(base),
                static_cast<long long>(peak), static_cast<long long>(out_bytes),
                static_cast<long long>(plan), static_cast<long long>(rss_after), reset ? 1 : 0);
  };
  if (workload == "w1") {
    const W1Data d = w1_data(L);
    auto fn = w1_scan_grad(policy);
    measure(fn, d.W, d.b, d.x);
  } else {
    const Block p = w2_params(L);
    const Array x = w2_input();
    auto fn = w2_scan_grad(policy);
    measure(fn, p, x);
  }
  return 0;
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  return buf;
}

struct MemoryCase {
  bool ok = false;
  long long base = 0, peak = 0, out = 0, plan = 0;
  long long measured() const { return peak - base - out; }
};

MemoryCase run_memory_child(const std::string& workload, int policy, int64_t L) {
  // (Built with append: GCC 12 reports a false -Wrestrict for chained std::string operator+.)
  std::string cmd = "'";
  cmd.append(self_exe()).append("' --mem-child ").append(workload).append(" ");
  cmd.append(policy_name(policy)).append(" ").append(std::to_string(L));
  MemoryCase c;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return c;
  char line[512];
  long long after = 0;
  int reset = 0;
  while (std::fgets(line, sizeof(line), pipe) != nullptr) {
    if (std::sscanf(line, "MEMCHILD %lld %lld %lld %lld %lld %d", &c.base, &c.peak, &c.out, &c.plan,
                    &after, &reset) == 6) {
      c.ok = reset == 1;  // without the reset the HWM would date from before the inputs
    }
  }
  if (pclose(pipe) != 0) c.ok = false;
  return c;
}

// For each workload, L = 1 first: its `other` (measured - plan) is the fixed cost of the first
// call that no plan covers (oneDNN's first-use state: JIT-generated kernels, sgemm's internal
// buffers, ...), subtracted in the last column.
void memory_table(const std::vector<std::pair<std::string, std::vector<int64_t>>>& cases) {
  std::printf(
      "\n3. Measured process peak vs plan, fwd+bwd, one fresh child process per row (MiB).\n"
      "   peak = VmHWM after the first call (compile + run) - VmRSS once the inputs exist (the\n"
      "   HWM is reset there); outputs = the loss and gradients the call returns (the caller's\n"
      "   arrays); measured = peak - outputs; other = measured - plan; fixed = other at L=1 (same\n"
      "   workload and policy: costs independent of L that no plan covers)\n");
  std::printf("%4s %5s %13s %9s %9s %9s %9s %8s %10s %12s\n", "", "L", "policy", "peak", "outputs",
              "measured", "plan", "other", "meas/plan", "(m-fix)/plan");
  for (const auto& [workload, lengths] : cases) {
    long long fixed[3] = {0, 0, 0};
    std::vector<int64_t> ls{1};
    ls.insert(ls.end(), lengths.begin(), lengths.end());
    for (int64_t L : ls) {
      for (int p = 0; p < 3; ++p) {
        const MemoryCase c = run_memory_child(workload, p, L);
        if (!c.ok) {
          std::printf("%4s %5lld %13s  child failed\n", workload.c_str(), static_cast<long long>(L),
                      policy_name(p));
          continue;
        }
        const long long other = c.measured() - c.plan;
        if (L == 1) fixed[p] = other;
        std::printf("%4s %5lld %13s %9.1f %9.1f %9.1f %9.1f %8.1f %10.3f", workload.c_str(),
                    static_cast<long long>(L), policy_name(p), mib(c.peak - c.base), mib(c.out),
                    mib(c.measured()), mib(c.plan), mib(other),
                    static_cast<double>(c.measured()) / static_cast<double>(c.plan));
        if (L == 1) {
          std::printf(" %12s\n", "(fixed)");
        } else {
          std::printf(" %12.3f\n",
                      static_cast<double>(c.measured() - fixed[p]) / static_cast<double>(c.plan));
        }
      }
    }
  }
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  bool skip_memory = false, skip_w1 = false, skip_w2 = false, long_run = false;
  std::string clock_arg = "auto";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--print-jaxpr" && i + 2 < argc) {  // the traced fwd+bwd graph of one case
      const int p = policy_index(argv[i + 2]);
      if (std::string(argv[i + 1]) == "w1") {
        const W1Data d = w1_data(8);
        std::cout << st::trace(st::value_and_grad(W1ScanLoss{policy_of(p)}, st::argnums<0, 1>), d.W,
                               d.b, d.x);
      } else {
        std::cout << st::trace(st::value_and_grad(W2ScanLoss{policy_of(p)}, st::argnums<0>),
                               w2_params(4), w2_input());
      }
      return 0;
    } else if (a == "--repeat" && i + 4 < argc) {  // for profilers: one case, n calls, timed
      const std::string w = argv[i + 1], mode = argv[i + 2];
      const int64_t L = std::atoll(argv[i + 3]);
      const int n = std::atoi(argv[i + 4]);
      std::function<void()> call;
      if (w == "w1") {
        auto d = std::make_shared<W1Data>(w1_data(L));
        if (mode == "fwd") {
          call = [d, f = st::jit(W1ScanLoss{})] { f(d->W, d->b, d->x); };
        } else if (mode == "unrolled") {
          call = [d, f = w1_unrolled_grad()] { f(d->Ws, d->bs, d->x); };
        } else {
          call = [d, f = w1_scan_grad(policy_index(mode))] { f(d->W, d->b, d->x); };
        }
      } else {
        auto p = std::make_shared<Block>(w2_params(L));
        const Array x = w2_input();
        if (mode == "fwd") {
          call = [p, x, f = st::jit(W2ScanLoss{})] { f(*p, x); };
        } else {
          call = [p, x, f = w2_scan_grad(policy_index(mode))] { f(*p, x); };
        }
      }
      call();
      std::vector<double> t;
      for (int k = 0; k < n; ++k) {
        const double t0 = wall_now();
        call();
        t.push_back(wall_now() - t0);
      }
      std::printf("%s %s L=%lld: median %.2f ms over %d calls\n", w.c_str(), mode.c_str(),
                  static_cast<long long>(L), median(t) * 1e3, n);
      return 0;
    } else if (a == "--mem-child" && i + 3 < argc) {
      return memory_child(argv[i + 1], argv[i + 2], std::atoll(argv[i + 3]));
    } else if (a == "--reps-scale" && i + 1 < argc) {
      g_reps_scale = std::atof(argv[++i]);
    } else if (a == "--skip-memory") {
      skip_memory = true;
    } else if (a == "--skip-w1") {
      skip_w1 = true;
    } else if (a == "--skip-w2") {
      skip_w2 = true;
    } else if (a == "--clock" && i + 1 < argc) {
      clock_arg = argv[++i];
    } else if (a == "--long") {
      long_run = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--reps-scale X] [--skip-memory] [--skip-w1] [--skip-w2] [--long] "
                   "[--clock auto|cpu|wall]\n",
                   argv[0]);
      return 2;
    }
  }
  g_cpu_clock = clock_arg == "cpu" || (clock_arg == "auto" && st::num_threads() == 1);
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  std::printf(
      "strata gradient / remat benchmark, %d threads, OMP_WAIT_POLICY=%s, load average %s\n"
      "step times: %s\n",
      st::num_threads(), wait_policy ? wait_policy : "(unset)", load_average().c_str(),
      g_cpu_clock ? "CPU time of the calling thread (one thread; wall-clock ratios on the lines "
                    "below)"
                  : "wall clock");
  std::vector<int64_t> w1_lengths{8, 32, 96};
  if (long_run) w1_lengths.push_back(256);
  if (!skip_w1) {
    w1_step_table(w1_lengths);
    std::printf("   load average: %s\n", load_average().c_str());
    w1_plan_table({8, 32, 96, 256});
  }
  if (!skip_memory) {
    std::vector<std::pair<std::string, std::vector<int64_t>>> cases{{"w1", {96, 384}},
                                                                    {"w2", {12}}};
    if (long_run) cases[1].second.push_back(48);
    memory_table(cases);
    std::printf("   load average: %s\n", load_average().c_str());
  }
  if (!skip_w2) {
    std::vector<int64_t> w2_lengths{12, 48};
    if (long_run) w2_lengths.push_back(96);
    w2_table(w2_lengths);
    std::printf("   load average: %s\n", load_average().c_str());
  }
  return 0;
}
