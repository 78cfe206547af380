// Elementwise throughput against memory bandwidth over 16 M floats, in one run.  Each benchmark
// reports the bytes it moves (reads + writes) per second, so the rates compare directly:
//   memcpy            64 MiB read + 64 MiB written
//   add kernel        2 x 64 MiB read + 64 MiB written, into a preallocated output (fused-loop
//   cost) select kernel     3 inputs (pred is 16 MiB of bool) + 64 MiB written add, eager the same
//   add through ops.h, including allocating the 64 MiB result
#include <benchmark/benchmark.h>

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

BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AddKernel)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SelectKernel)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AddEager)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
