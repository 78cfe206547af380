// Shared by the reader fuzz harnesses (safetensors_fuzzer.cpp, npy_fuzzer.cpp, npz_fuzzer.cpp).
//
// A harness hands the input to a reader as an in-memory file and catches strata::Error only:
// every other exception, crash, leak or sanitizer report escapes and is a finding.  What a reader
// accepts is then read back in full, so that views of the mapping are dereferenced (ASan sees any
// byte outside the file) and the invariants readers promise are checked.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "strata/core/array.h"
#include "strata/ops.h"

namespace strata::fuzz {

// A wrong result rather than a crash: abort, so that libFuzzer (or the replay driver) reports it.
[[noreturn]] inline void finding(const char* what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what);
  std::abort();
}

// Small inputs never need threads, and a thread pool only slows libFuzzer and muddies LSan.
inline void single_threaded() {
  static const bool once = (strata::set_num_threads(1), true);
  (void)once;
}

template <class T>
uint64_t sum_of(const Array& a) {
  uint64_t sum = 0;
  for (const T v : a.to_vector<T>()) {  // by value: vector<bool> yields proxies
    uint8_t bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    for (uint8_t b : bytes) sum += b;
  }
  return sum;
}

// The byte sum of `a` read as the first of Ts that is its dtype.
template <class... Ts>
uint64_t typed_sum(const Array& a) {
  uint64_t sum = 0;
  const bool known = ((a.dtype() == dtype_v<Ts> && (sum = sum_of<Ts>(a), true)) || ...);
  if (!known) finding("a reader returned an array of an unknown dtype");
  return sum;
}

// Every element, read twice: through to_vector of the array's own type (which walks its strides:
// fortran_order arrays are transposed views) and as the raw bytes of a dense copy.  The sums must
// agree, and bool arrays must hold only 0 and 1 (kernels rely on it).
inline void touch(const Array& a) {
  if (!a.valid()) finding("a reader returned an empty Array handle");
  const uint64_t typed = typed_sum<bool, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                                   uint32_t, uint64_t, float16_t, bfloat16_t, float, double>(a);
  uint64_t raw = 0;
  if (a.nbytes() > 0) {
    const Array dense = strata::detail::contiguous(a);
    const auto* p = static_cast<const uint8_t*>(dense.data());
    for (int64_t i = 0; i < dense.nbytes(); ++i) {
      if (a.dtype() == DType::Bool && p[i] > 1) finding("a bool array holds a byte other than 0/1");
      raw += p[i];
    }
  }
  if (raw != typed) finding("to_vector and the dense bytes of an array disagree");
}

// The dense bytes of an array, for comparing two reads of the same data.
inline std::vector<uint8_t> bytes_of(const Array& a) {
  if (a.nbytes() == 0) return {};
  const Array dense = strata::detail::contiguous(a);
  const auto* p = static_cast<const uint8_t*>(dense.data());
  return {p, p + dense.nbytes()};
}

}  // namespace strata::fuzz
