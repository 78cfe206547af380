#include "strata/nn/optim.h"

namespace strata::optim::detail {

Array global_norm(const std::vector<Array>& leaves) {
  Array total;
  for (const Array& x : leaves) {
    const Array xs = x.dtype() == DType::Float64 ? x : astype(x, DType::Float32);
    const Array s = sum(square(xs));
    total = total.valid() ? total + s : s;
  }
  if (!total.valid()) return zeros({}, DType::Float32);
  return sqrt(total);
}

Array step_count_zero() {
  return zeros({}, DType::Int32);
}

}  // namespace strata::optim::detail
