#include "backend/cpu/pad.h"

#include <algorithm>
#include <memory>

#include "backend/cpu/parallel.h"
#include "backend/cpu/strided.h"

namespace strata::cpu {

void pad(const Array& operand, const Array& value, const std::vector<int64_t>& low,
         const std::vector<int64_t>& interior, const Array& out) {
  const StridedReader src(operand);
  const StridedReader fill(value);
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* to = static_cast<T*>(detail::mutable_data(out));
    T v{};
    fill.read<T>(0, 1, &v);
    parallel_for(out.size(),
                 [&](int64_t begin, int64_t end) { std::fill(to + begin, to + end, v); });
    if (operand.size() == 0) return;
    if (operand.ndim() == 0) {
      src.read<T>(0, 1, to);
      return;
    }
    // One operand row (its last axis) at a time: the row's output position comes from its index
    // over the leading axes; its elements then land `interior + 1` apart.
    const Shape& shape = operand.shape();
    const int last = operand.ndim() - 1;
    const Strides out_strides = detail::row_major_strides(out.shape());
    const int64_t inner = shape[static_cast<size_t>(last)];
    const int64_t step = interior[static_cast<size_t>(last)] + 1;
    const int64_t rows = operand.size() / inner;
    parallel_for(
        rows,
        [&](int64_t begin, int64_t end) {
          // A buffer of T, not std::vector<T>: vector<bool> has no data().
          const std::unique_ptr<T[]> row(step == 1 ? nullptr : new T[static_cast<size_t>(inner)]);
          for (int64_t r = begin; r < end; ++r) {
            int64_t offset = low[static_cast<size_t>(last)];
            int64_t rest = r;
            for (int d = last - 1; d >= 0; --d) {
              const auto du = static_cast<size_t>(d);
              offset += (low[du] + (rest % shape[du]) * (interior[du] + 1)) * out_strides[du];
              rest /= shape[du];
            }
            if (step == 1) {
              src.read<T>(r * inner, inner, to + offset);
            } else {
              src.read<T>(r * inner, inner, row.get());
              for (int64_t i = 0; i < inner; ++i)
                to[offset + i * step] = row[static_cast<size_t>(i)];
            }
          }
        },
        inner);
  });
}

}  // namespace strata::cpu
