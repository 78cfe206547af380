// Plain reference loops for the reduction tests: every element of the input visited in row-major
// order and grouped by its output position, then folded in long double.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "strata/core/array.h"

namespace strata::testing {

// Groups the elements of a row-major array of `shape` by the position they reduce into when
// `axes` (normalised, any order) are reduced; groups are in row-major order of the kept axes.
inline std::vector<std::vector<double>> group_by_output(const Shape& shape,
                                                        const std::vector<double>& values,
                                                        const std::vector<int>& axes) {
  std::vector<bool> reduced(shape.size(), false);
  for (int a : axes) reduced[static_cast<size_t>(a)] = true;
  int64_t outputs = 1;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (!reduced[k]) outputs *= shape[k];
  }
  std::vector<std::vector<double>> groups(static_cast<size_t>(outputs));
  std::vector<int64_t> index(shape.size(), 0);  // row-major odometer over the input
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t out = 0;
    for (size_t k = 0; k < shape.size(); ++k) {
      if (!reduced[k]) out = out * shape[k] + index[k];
    }
    groups[static_cast<size_t>(out)].push_back(values[i]);
    for (size_t k = shape.size(); k-- > 0 && ++index[k] == shape[k];) index[k] = 0;
  }
  return groups;
}

template <typename Fold>
std::vector<double> reference_reduce(const Shape& shape, const std::vector<double>& values,
                                     const std::vector<int>& axes, Fold fold) {
  std::vector<double> out;
  for (const std::vector<double>& g : group_by_output(shape, values, axes)) out.push_back(fold(g));
  return out;
}

inline bool any_nan(const std::vector<double>& g) {
  return std::any_of(g.begin(), g.end(), [](double v) { return std::isnan(v); });
}

inline double ref_sum(const std::vector<double>& g) {
  long double s = 0;
  for (double v : g) s += v;
  return static_cast<double>(s);
}
inline double ref_mean(const std::vector<double>& g) {
  return ref_sum(g) / static_cast<double>(g.size());
}
inline double ref_max(const std::vector<double>& g) {
  if (any_nan(g)) return std::nan("");
  return *std::max_element(g.begin(), g.end());
}
inline double ref_min(const std::vector<double>& g) {
  if (any_nan(g)) return std::nan("");
  return *std::min_element(g.begin(), g.end());
}
inline double ref_var(const std::vector<double>& g, int64_t ddof = 0) {
  const long double m = ref_mean(g);
  long double s = 0;
  for (double v : g) s += (v - m) * (v - m);
  return static_cast<double>(s / static_cast<long double>(static_cast<int64_t>(g.size()) - ddof));
}
inline double ref_logsumexp(const std::vector<double>& g) {
  if (any_nan(g)) return std::nan("");
  const double inf = std::numeric_limits<double>::infinity();
  double m = -inf;
  for (double v : g) m = std::max(m, v);
  if (std::isinf(m)) return m;  // all -inf (or empty): -inf; any +inf: +inf
  long double s = 0;
  for (double v : g) s += std::exp(static_cast<long double>(v - m));
  return m + static_cast<double>(std::log(s));
}
// Index of the first maximum (or minimum); the first NaN wins.
inline double ref_argext(const std::vector<double>& g, bool is_max) {
  size_t best = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(g[i])) return static_cast<double>(i);
    if (is_max ? g[i] > g[best] : g[i] < g[best]) best = i;
  }
  return static_cast<double>(best);
}

// softmax / log_softmax along `axis` of a row-major array of `shape`, in long double.
inline std::vector<double> ref_softmax(const Shape& shape, const std::vector<double>& values,
                                       int axis, bool log) {
  std::vector<double> out(values.size());
  int64_t inner = 1;
  for (size_t k = static_cast<size_t>(axis) + 1; k < shape.size(); ++k) inner *= shape[k];
  const int64_t n = shape[static_cast<size_t>(axis)];
  const int64_t outer = n == 0 ? 0 : static_cast<int64_t>(values.size()) / (n * inner);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      auto at = [&](int64_t i) { return static_cast<size_t>((o * n + i) * inner + j); };
      long double m = -std::numeric_limits<long double>::infinity();
      for (int64_t i = 0; i < n; ++i) m = std::max<long double>(m, values[at(i)]);
      long double s = 0;
      for (int64_t i = 0; i < n; ++i) s += std::exp(values[at(i)] - m);
      for (int64_t i = 0; i < n; ++i) {
        const long double shifted = values[at(i)] - m;
        out[at(i)] = static_cast<double>(log ? shifted - std::log(s) : std::exp(shifted) / s);
      }
    }
  }
  return out;
}

// Every subset of the axes of an `ndim`-array (as normalised axes), the empty one included.
inline std::vector<std::vector<int>> axis_subsets(int ndim) {
  std::vector<std::vector<int>> out;
  for (int mask = 0; mask < (1 << ndim); ++mask) {
    std::vector<int> s;
    for (int a = 0; a < ndim; ++a) {
      if (mask & (1 << a)) s.push_back(a);
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace strata::testing
