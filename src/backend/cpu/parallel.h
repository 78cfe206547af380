// Work splitting on the one OpenMP runtime strata shares with oneDNN.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "backend/cpu/threads.h"

namespace strata::cpu {

// Below this many elements a loop runs on the calling thread: forking costs more than it saves.
inline constexpr int64_t kParallelGrain = 1 << 15;

// How many chunks parallel_for splits n items of this cost into: one per thread, fewer for
// small work, 1 inside a parallel region.  `cost_per_item` scales the grain for expensive items
// (e.g. transcendental functions).
inline int64_t parallel_chunks(int64_t n, int64_t cost_per_item = 1) {
  const int64_t work = n * std::max<int64_t>(cost_per_item, 1);
  const int threads = omp_in_parallel() ? 1 : thread_count();
  return std::min<int64_t>(threads, std::max<int64_t>(work / kParallelGrain, 1));
}

// Calls fn(chunk, begin, end) for chunk = 0 .. chunks - 1 over [0, n) in contiguous chunks,
// statically scheduled (so results are deterministic for a given chunk count).  No two chunks
// run at once on one thread, and the chunk index is below `chunks`, so a kernel can give each
// chunk its own slice of scratch memory sized for parallel_chunks() beforehand.
template <typename Fn>
void parallel_for_chunks(int64_t n, int64_t chunks, Fn&& fn) {
  if (n <= 0) return;
  if (chunks <= 1) {
    fn(int64_t{0}, int64_t{0}, n);
    return;
  }
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static, 1)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t begin = n * c / chunks;
    const int64_t end = n * (c + 1) / chunks;
    fn(c, begin, end);
  }
}

// Calls fn(begin, end) over [0, n) in parallel_chunks(n, cost_per_item) chunks, one per thread.
template <typename Fn>
void parallel_for(int64_t n, Fn&& fn, int64_t cost_per_item = 1) {
  if (n <= 0) return;
  parallel_for_chunks(n, parallel_chunks(n, cost_per_item),
                      [&](int64_t, int64_t begin, int64_t end) { fn(begin, end); });
}

}  // namespace strata::cpu
