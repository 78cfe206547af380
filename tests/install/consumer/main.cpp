// The install test's consumer: a program outside the strata tree, built against the installed
// package only.  Checks a few numbers through the public header; prints OK or what went wrong.
#include <strata/strata.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace st = strata;

namespace {

int failures = 0;

void check_close(const char* what, const std::vector<float>& got, const std::vector<float>& want) {
  bool ok = got.size() == want.size();
  for (size_t i = 0; ok && i < got.size(); ++i) ok = std::fabs(got[i] - want[i]) <= 1e-5f;
  if (!ok) {
    std::printf("MISMATCH in %s: got [", what);
    for (float v : got) std::printf(" %g", static_cast<double>(v));
    std::printf(" ], want [");
    for (float v : want) std::printf(" %g", static_cast<double>(v));
    std::printf(" ]\n");
    ++failures;
  }
}

}  // namespace

int main() {
  try {
    // (2, 3) @ (3, 2) on oneDNN, then a broadcasting add and an elementwise op.
    const st::Array a = st::array<float>({1, 2, 3, 4, 5, 6}, {2, 3});
    const st::Array b = st::array<float>({7, 8, 9, 10, 11, 12}, {3, 2});
    const st::Array c = st::matmul(a, b);
    if (c.shape() != st::Shape{2, 2}) {
      std::printf("MISMATCH: matmul shape %s, want (2, 2)\n", st::to_string(c.shape()).c_str());
      ++failures;
    }
    check_close("matmul", c.to_vector<float>(), {58, 64, 139, 154});

    const st::Array bias = st::array<float>({1, -1});
    check_close("add", st::add(c, bias).to_vector<float>(), {59, 63, 140, 153});
    check_close("relu", st::relu(st::array<float>({-2, 0, 3})).to_vector<float>(), {0, 0, 3});
    check_close("sum", {st::sum(a).item<float>()}, {21});

    // Errors cross the library boundary as strata::Error naming the API.
    bool threw = false;
    try {
      (void)st::matmul(a, a);  // (2, 3) @ (2, 3): contraction sizes differ
    } catch (const st::Error& e) {
      threw = std::string(e.what()).rfind("[matmul]", 0) == 0;
      if (!threw) std::printf("MISMATCH: unexpected error message: %s\n", e.what());
    }
    if (!threw) {
      std::printf("MISMATCH: matmul of (2, 3) by (2, 3) did not throw strata::Error\n");
      ++failures;
    }
  } catch (const std::exception& e) {
    std::printf("FAILED: unexpected exception: %s\n", e.what());
    return 1;
  }
  if (failures != 0) {
    std::printf("FAILED: %d check(s)\n", failures);
    return 1;
  }
  std::printf("OK\n");
  return 0;
}
