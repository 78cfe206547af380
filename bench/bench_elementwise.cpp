// Elementwise throughput against memory bandwidth over 16 M floats, in one run.  Each benchmark
// reports the bytes it moves (reads + writes) per second, so the rates compare directly:
//   memcpy            64 MiB read + 64 MiB written
//   add kernel        2 x 64 MiB read + 64 MiB written, into a preallocated output (fused-loop
//   cost) select kernel     3 inputs (pred is 16 MiB of bool) + 64 MiB written add, eager the same
//   add through ops.h, including allocating the 64 MiB result
// and the transcendental unary kernels (tanh, logistic, exp) over 1 M float32 inputs spread over
// [-5, 5], reported as elements per second (these are compute-bound, not memory-bound).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/elementwise.h"
#include "strata/strata.h"

namespace {

constexpr int64_t kN = 16 << 20;
constexpr int64_t kBytes = kN * 4;

strata::Array dense(double value) {
  return strata::full({kN}, value) * 1.0f;
}  // no zero strides

void BM_Memcpy(benchmark::State& state) {
  std::vector<float> src(kN, 1.f), dst(kN);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), static_cast<size_t>(kBytes));
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * kBytes);
}

void BM_AddKernel(benchmark::State& state) {
  const strata::Array a = dense(1), b = dense(2);
  const strata::Array out = strata::detail::empty({kN}, strata::DType::Float32);
  for (auto _ : state) {
    strata::cpu::binary(strata::cpu::BinaryOp::Add, a, b, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * 3 * kBytes);
}

void BM_SelectKernel(benchmark::State& state) {
  const strata::Array pred = dense(1) > 0.5f, a = dense(1), b = dense(2);
  const strata::Array out = strata::detail::empty({kN}, strata::DType::Float32);
  for (auto _ : state) {
    strata::cpu::select(pred, a, b, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * (3 * kBytes + kN));
}

void BM_AddEager(benchmark::State& state) {
  const strata::Array a = dense(1), b = dense(2);
  for (auto _ : state) {
    strata::Array y = a + b;
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * 3 * kBytes);
}

// Inputs in [-5, 5] (a ramp, so every branch of a kernel is exercised as in real activations).
void BM_Unary(benchmark::State& state, strata::cpu::UnaryOp op) {
  constexpr int64_t n = 1 << 20;
  const strata::Array x = strata::arange(-5.0, 5.0, 10.0 / n, strata::DType::Float32);
  const strata::Array out = strata::detail::empty({n}, strata::DType::Float32);
  for (auto _ : state) {
    strata::cpu::unary(op, x, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

// The scalar libm loops the float32 tanh / logistic kernels ran before vector_math.h (the same
// data, one plain loop, no tiling): the before/after reference for those two rows.
void BM_LibmTanh(benchmark::State& state) {
  constexpr int64_t n = 1 << 20;
  const std::vector<float> x = strata::arange(-5.0, 5.0, 10.0 / n).to_vector<float>();
  std::vector<float> y(n);
  for (auto _ : state) {
    for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_LibmLogistic(benchmark::State& state) {
  constexpr int64_t n = 1 << 20;
  const std::vector<float> x = strata::arange(-5.0, 5.0, 10.0 / n).to_vector<float>();
  std::vector<float> y(n);
  for (auto _ : state) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      y[i] = v >= 0 ? 1 / (1 + std::exp(-v)) : std::exp(v) / (1 + std::exp(v));
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AddKernel)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SelectKernel)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AddEager)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Unary, tanh, strata::cpu::UnaryOp::Tanh)->UseRealTime();
BENCHMARK_CAPTURE(BM_Unary, logistic, strata::cpu::UnaryOp::Logistic)->UseRealTime();
BENCHMARK_CAPTURE(BM_Unary, exp, strata::cpu::UnaryOp::Exp)->UseRealTime();
BENCHMARK(BM_LibmTanh)->UseRealTime();
BENCHMARK(BM_LibmLogistic)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
