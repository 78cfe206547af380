// Thread-count configuration: environment variables, set_num_threads, determinism.
#include <cstdlib>

#include "test_util.h"

namespace strata {
namespace {

// Run by ctest with STRATA_NUM_THREADS / OMP_NUM_THREADS set (tests/CMakeLists.txt) and the count
// the library must pick in STRATA_EXPECT_THREADS; a plain run of the suite skips it.
TEST(ThreadsEnv, EnvironmentSetsTheThreadCount) {
  const char* expected = std::getenv("STRATA_EXPECT_THREADS");
  if (expected == nullptr) GTEST_SKIP() << "run through ctest's threads_env_* tests";
  EXPECT_EQ(num_threads(), std::atoi(expected));
}

TEST(Threads, SetNumThreadsChangesTheCountAndResultsRepeatExactly) {
  const int before = num_threads();
  const Array a = testing::random_array({512, 512}, DType::Float32, 1);
  const Array b = testing::random_array({512, 512}, DType::Float32, 2);
  for (int n : {1, 2}) {
    set_num_threads(n);
    EXPECT_EQ(num_threads(), n);
    const auto first = testing::to_doubles(tanh(a) * b + a);
    const auto again = testing::to_doubles(tanh(a) * b + a);
    EXPECT_EQ(first, again);
  }
  set_num_threads(before);
}

TEST(Threads, RejectsNonPositiveCounts) {
  EXPECT_STRATA_ERROR(set_num_threads(0), "[set_num_threads]", "at least 1");
}

}  // namespace
}  // namespace strata
