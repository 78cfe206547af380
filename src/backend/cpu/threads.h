// The thread count shared by strata's kernels and oneDNN (both run on GNU OpenMP).
#pragma once

namespace strata::cpu {

// Threads for parallel regions: STRATA_NUM_THREADS, else OMP_NUM_THREADS, else all cores; or
// whatever set_num_threads() chose last.
int thread_count();

void set_thread_count(int n);

// OpenMP's thread-count setting is per calling thread; call this before handing work to oneDNN
// from a thread that may not have seen set_num_threads() (cheap when already in sync).
void sync_omp_threads();

}  // namespace strata::cpu
