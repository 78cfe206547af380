// matmul throughput on the W1 (deep MLP, B = 64, F = 512) shapes against this machine's GEMM
// ceiling: oneDNN's own dnnl_sgemm on the same data, in the same run.
//   fwd   y  = x (64x512) . W (512x512)
//   dx    dx = dy (64x512) . W^T        (W^T a transposed view: strides, no copy)
//   dW    dW = x^T (512x64 view) . dy   (x^T a transposed view)
// For each shape three benchmarks:
//   strata  strata::matmul, eager: checks, primitive, plan-cache lookup, output allocation
//   plan    the cached MatmulPlan executed directly into a preallocated output (what a compiled
//           executable pays), so strata - plan is the eager overhead
//   sgemm   dnnl_sgemm (C API, row-major), the ceiling
// Each reports GFLOP/s (counter "GFLOPS"); the program ends with a table of medians and the ratios
// strata / sgemm and plan / sgemm (goal >= 0.97).  Threads: OMP_NUM_THREADS (or
// STRATA_NUM_THREADS).
#include <benchmark/benchmark.h>
#include <dnnl.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/matmul.h"
#include "primitives/dot_general.h"
#include "strata/strata.h"

namespace {

using strata::Array;

constexpr int64_t kB = 64, kF = 512;

Array random_matrix(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(rows * cols));
  for (float& x : v) x = dist(gen);
  return strata::array(v, {rows, cols});
}

// One W1 product: the strata operands (views where the backward pass has them) and the same
// buffers as dnnl_sgemm arguments.
struct Case {
  std::string name;
  Array a, b;
  char transa, transb;
  int64_t m, n, k, lda, ldb;
  double flops() const { return 2.0 * static_cast<double>(m * n * k); }
};

std::vector<Case>& cases() {
  static std::vector<Case> all = [] {
    const Array x = random_matrix(kB, kF, 1), w = random_matrix(kF, kF, 2),
                dy = random_matrix(kB, kF, 3);
    return std::vector<Case>{
        {"fwd", x, w, 'N', 'N', kB, kF, kF, kF, kF},
        {"dx", dy, strata::transpose(w), 'N', 'T', kB, kF, kF, kF, kF},
        {"dW", strata::transpose(x), dy, 'T', 'N', kF, kF, kB, kF, kF},
        // Tiny: the per-call overhead of each path, the arithmetic being negligible.
        {"8x8x8", random_matrix(8, 8, 4), random_matrix(8, 8, 5), 'N', 'N', 8, 8, 8, 8, 8},
    };
  }();
  return all;
}

void set_flops(benchmark::State& state, const Case& c) {
  state.counters["GFLOPS"] =
      benchmark::Counter(c.flops() / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_strata(benchmark::State& state, const Case* c) {
  for (auto _ : state) {
    Array y = strata::matmul(c->a, c->b);
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, *c);
}

void bm_plan(benchmark::State& state, const Case* c) {
  namespace cpu = strata::cpu;
  const strata::DotDims dims{{1}, {0}, {}, {}};
  const strata::prim::DotGeneralLayout layout =
      strata::prim::plan_dot_general(c->a.shape(), c->a.strides(), c->b.shape(), c->b.strides(),
                                     dims, strata::DType::Float32, strata::DType::Float32);
  if (layout.copy_lhs || layout.copy_rhs) {
    state.SkipWithError("operand would be copied: the W1 views should map to strides");
    return;
  }
  const cpu::MatmulPlan plan = cpu::cached_matmul_plan(layout.problem);
  const Array out = strata::detail::empty({c->m, c->n}, strata::DType::Float32);
  const std::shared_ptr<strata::Buffer> scratch =
      strata::Buffer::allocate(std::max<int64_t>(plan.scratch_bytes(), 1));
  state.SetLabel(plan.implementation());
  for (auto _ : state) {
    plan.execute(c->a.data(), c->b.data(), strata::detail::mutable_data(out), scratch->data());
    benchmark::DoNotOptimize(out.data());
  }
  set_flops(state, *c);
}

void bm_sgemm(benchmark::State& state, const Case* c) {
  std::vector<float> out(static_cast<size_t>(c->m * c->n));
  const auto* a = static_cast<const float*>(c->a.data());
  const auto* b = static_cast<const float*>(c->b.data());
  for (auto _ : state) {
    dnnl_sgemm(c->transa, c->transb, c->m, c->n, c->k, 1.f, a, c->lda, b, c->ldb, 0.f, out.data(),
               c->n);
    benchmark::DoNotOptimize(out.data());
  }
  set_flops(state, *c);
}

// Prints as usual and keeps each benchmark's median GFLOP/s for the closing table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      const bool single = r.run_type == Run::RT_Iteration && r.repetitions <= 1;
      if ((median || single) && r.counters.count("GFLOPS")) {
        gflops_[r.run_name.function_name] = r.counters.at("GFLOPS").value;
      }
    }
  }
  void print_ratios() const {
    std::printf("\nW1 matmul, %d thread(s), median GFLOP/s (goal: strata/sgemm >= 0.97)\n",
                strata::num_threads());
    std::printf("%-6s %10s %10s %10s %14s %12s\n", "shape", "strata", "plan", "sgemm",
                "strata/sgemm", "plan/sgemm");
    for (const Case& c : cases()) {
      auto get = [&](const char* kind) {
        auto it = gflops_.find(std::string(kind) + "/" + c.name);
        return it == gflops_.end() ? 0.0 : it->second;
      };
      const double s = get("strata"), p = get("plan"), g = get("sgemm");
      std::printf("%-6s %10.1f %10.1f %10.1f %14.3f %12.3f\n", c.name.c_str(), s, p, g,
                  g > 0 ? s / g : 0.0, g > 0 ? p / g : 0.0);
    }
  }

 private:
  std::map<std::string, double> gflops_;
};

}  // namespace

int main(int argc, char** argv) {
  for (const Case& c : cases()) {
    // Adjacent in the run, so the three see the same machine state.
    for (auto [kind, fn] : {std::pair{"strata", &bm_strata}, std::pair{"plan", &bm_plan},
                            std::pair{"sgemm", &bm_sgemm}}) {
      benchmark::RegisterBenchmark((std::string(kind) + "/" + c.name).c_str(), fn, &c)
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime()
          ->MinTime(0.2)
          ->Repetitions(10)
          ->ReportAggregatesOnly(true);
    }
  }
  // Repetitions of different benchmarks run in random interleaved order unless told otherwise, so
  // a change in machine load during the run does not favour one side of a ratio.
  std::vector<char*> args(argv, argv + argc);
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  bool given = false;
  for (char* a : args) given = given || std::string(a).rfind("--benchmark_enable_random", 0) == 0;
  if (!given) args.push_back(interleave.data());
  argc = static_cast<int>(args.size());
  argv = args.data();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
