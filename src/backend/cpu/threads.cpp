#include "backend/cpu/threads.h"

#include <omp.h>

#include <atomic>
#include <cstdlib>

#include "strata/core/error.h"
#include "strata/ops.h"

namespace strata::cpu {

namespace {

int parse_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return 0;
  char* end = nullptr;
  const long n = std::strtol(value, &end, 10);
  if (*end != '\0' || n < 1 || n > 4096) {
    fail(name, "expected a positive integer thread count, found '", value,
         "'; unset it or set e.g. ", name, "=2");
  }
  return static_cast<int>(n);
}

int initial_thread_count() {
  if (int n = parse_env("STRATA_NUM_THREADS")) return n;
  if (int n = parse_env("OMP_NUM_THREADS")) return n;
  return omp_get_num_procs();
}

std::atomic<int>& configured() {
  static std::atomic<int> count{initial_thread_count()};
  return count;
}

}  // namespace

int thread_count() {
  return configured().load(std::memory_order_relaxed);
}

void set_thread_count(int n) {
  if (n < 1) fail("set_num_threads", "expected at least 1 thread, found ", n);
  configured().store(n, std::memory_order_relaxed);
  omp_set_num_threads(n);
}

void sync_omp_threads() {
  const int n = thread_count();
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
}

}  // namespace strata::cpu

namespace strata {

int num_threads() {
  return cpu::thread_count();
}

void set_num_threads(int n) {
  cpu::set_thread_count(n);
}

}  // namespace strata
