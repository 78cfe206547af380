// Materialising views: the one copy kernel (it also converts dtypes, for astype).
#include "backend/cpu/parallel.h"
#include "backend/cpu/strided.h"

namespace strata::cpu {

void copy_into(const Array& src, const Array& dst) {
  copy_into(StridedReader(src), dst);
}

void copy_into(const StridedReader& reader, const Array& dst) {
  visit_dtype(dst.dtype(), [&](auto tag) {
    using D = decltype(tag);
    D* out = static_cast<D*>(detail::mutable_data(dst));
    parallel_for(dst.size(), [&](int64_t begin, int64_t end) {
      reader.read<D>(begin, end - begin, out + begin);
    });
  });
}

Array contiguous_copy(const Array& a, DType dtype) {
  Array out = detail::empty(a.shape(), dtype);
  copy_into(a, out);
  return detail::with_weak_type(out, a.weak_type());
}

}  // namespace strata::cpu
