// Work splitting on the one OpenMP runtime strata shares with oneDNN.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "backend/cpu/threads.h"

namespace strata::cpu {

// Below this many elements a loop runs on the calling thread: forking costs more than it saves.
inline constexpr int64_t kParallelGrain = 1 << 15;

// Calls fn(begin, end) over [0, n) in contiguous chunks, one per thread, statically scheduled
// (so results are deterministic for a given thread count).  `cost_per_item` scales the grain for
// expensive items (e.g. transcendental functions).
template <typename Fn>
void parallel_for(int64_t n, Fn&& fn, int64_t cost_per_item = 1) {
  if (n <= 0) return;
  const int64_t work = n * std::max<int64_t>(cost_per_item, 1);
  const int threads = omp_in_parallel() ? 1 : thread_count();
  const int64_t chunks = std::min<int64_t>(threads, std::max<int64_t>(work / kParallelGrain, 1));
  if (chunks <= 1) {
    fn(int64_t{0}, n);
    return;
  }
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static, 1)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t begin = n * c / chunks;
    const int64_t end = n * (c + 1) / chunks;
    fn(begin, end);
  }
}

}  // namespace strata::cpu
