#include "strata/nn/optim.h"

#include <sstream>

#include "strata/jit.h"

namespace strata::optim::detail {

Array global_norm(const std::vector<Array>& leaves) {
  Array total;
  for (size_t i = 0; i < leaves.size(); ++i) {
    const Array& x = leaves[i];
    if (!x.valid()) {
      fail("optim.global_norm", "leaf ", i, " of the tree is an empty Array; give it a value");
    }
    const Array xs = x.dtype() == DType::Float64 ? x : astype(x, DType::Float32);
    const Array s = sum(square(xs));
    total = total.valid() ? total + s : s;
  }
  if (!total.valid()) return zeros({}, DType::Float32);
  return sqrt(total);
}

void check_leaves(std::string_view api, const std::vector<std::pair<std::string, Array>>& a,
                  const char* what_a, const std::vector<Array>& b, const char* what_b,
                  bool same_dtypes) {
  std::ostringstream differ;
  int count = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const Array& x = a[i].second;
    const Array& y = b[i];
    if (!y.valid()) {
      fail(api, "`", a[i].first, "` of ", what_b, " is an empty Array; pass ", what_b,
           " with a value for every leaf of ", what_a);
    }
    if (y.is_traced() && !strata::detail::is_tracing()) {
      fail(api, "`", a[i].first, "` of ", what_b,
           " is an array traced inside a jit / scan / trace that has ended (a leaked tracer); "
           "return it from the traced function instead of storing it outside");
    }
    if (!x.valid()) continue;  // an empty parameter: the update itself reports it
    if (x.shape() == y.shape() && (!same_dtypes || x.dtype() == y.dtype())) continue;
    if (count++ < 8) {
      differ << (count > 1 ? "; " : "") << "`" << a[i].first << "`: " << what_a << " " << x.dtype()
             << to_string(x.shape()) << ", " << what_b << " " << y.dtype() << to_string(y.shape());
    }
  }
  if (count > 0) {
    fail(api, count, " leaf/leaves of ", what_b, " differ in ",
         same_dtypes ? "shape or dtype" : "shape", " from ", what_a, " (", differ.str(),
         count > 8 ? "; ..." : "", "); pass ", what_b,
         " computed for these params (grad of a loss over exactly these params has their shapes "
         "and dtypes)");
  }
}

Array step_count_zero() {
  return zeros({}, DType::Int32);
}

}  // namespace strata::optim::detail
