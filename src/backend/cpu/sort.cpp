#include "backend/cpu/sort.h"

#include <algorithm>
#include <bit>
#include <type_traits>

#include "backend/cpu/dispatch.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/threads.h"

namespace strata::cpu {

namespace {

// An unsigned integer whose order is the order argsort sorts by: sign-flipped integers, and
// floats' bit patterns turned into IEEE total order (negative values have their bits inverted,
// the others get the sign bit set), so one integer comparison sorts every dtype.
template <typename U>
uint64_t total_order(U bits) {
  constexpr U sign = U{1} << (sizeof(U) * 8 - 1);
  return (bits & sign) != 0 ? static_cast<U>(~bits) : static_cast<U>(bits | sign);
}

template <typename T>
uint64_t order_key(T v) {
  if constexpr (std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>) {
    return total_order(v.bits);
  } else if constexpr (std::is_same_v<T, float>) {
    return total_order(std::bit_cast<uint32_t>(v));
  } else if constexpr (std::is_same_v<T, double>) {
    return total_order(std::bit_cast<uint64_t>(v));
  } else if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) {
    return static_cast<uint64_t>(v);
  } else {  // signed integers: flipping the sign bit of the 64-bit value keeps the order
    return static_cast<uint64_t>(static_cast<int64_t>(v)) ^ (uint64_t{1} << 63);
  }
}

// Sorting (key, index) pairs lexicographically gives the stable order without std::stable_sort's
// temporary buffer: the indices are distinct, so equal keys fall back on their positions.
bool before(const ArgsortKernel::Entry& a, const ArgsortKernel::Entry& b) {
  return a.key != b.key ? a.key < b.key : a.index < b.index;
}

template <typename T>
void argsort_dense(const T* x, int64_t outer, int64_t n, int64_t inner, int32_t* out,
                   std::vector<std::vector<ArgsortKernel::Entry>>& scratch) {
  const int64_t lines = outer * inner;
  const int64_t chunks =
      std::min<int64_t>(parallel_chunks(lines, n * 16), static_cast<int64_t>(scratch.size()));
  parallel_for_chunks(lines, chunks, [&](int64_t chunk, int64_t begin, int64_t end) {
    std::vector<ArgsortKernel::Entry>& row = scratch[static_cast<size_t>(chunk)];
    for (int64_t line = begin; line < end; ++line) {
      const int64_t o = line / inner, i = line % inner;
      const T* src = x + o * n * inner + i;
      for (int64_t j = 0; j < n; ++j) {
        row[static_cast<size_t>(j)] = {order_key(src[j * inner]), static_cast<int32_t>(j)};
      }
      std::sort(row.begin(), row.end(), before);
      int32_t* dst = out + o * n * inner + i;
      for (int64_t j = 0; j < n; ++j) dst[j * inner] = row[static_cast<size_t>(j)].index;
    }
  });
}

}  // namespace

ArgsortKernel::ArgsortKernel(const Array& layout, int axis, const Array& staging) : axis_(axis) {
  if (!layout.is_contiguous()) {
    staging_ = staging.valid() ? staging : detail::empty(layout.shape(), layout.dtype());
  }
  const auto n = static_cast<size_t>(layout.shape()[static_cast<size_t>(axis)]);
  scratch_.assign(static_cast<size_t>(std::max(thread_count(), 1)), std::vector<Entry>(n));
}

void ArgsortKernel::run(const Array& x, const Array& out) {
  if (out.size() == 0) return;
  Array src = x;
  if (staging_.valid()) {
    copy_into(x, staging_);
    src = staging_;
  }
  const AxisSplit s = split_at_axis(x.shape(), axis_);
  auto* dst = static_cast<int32_t*>(detail::mutable_data(out));
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    argsort_dense(static_cast<const T*>(src.data()), s.outer, s.n, s.inner, dst, scratch_);
  });
}

void argsort(const Array& x, int axis, const Array& out) {
  ArgsortKernel(x, axis).run(x, out);
}

}  // namespace strata::cpu
