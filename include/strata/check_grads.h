// check_grads: verifies a function's reverse-mode derivatives against central finite differences
// in float64 (jax.test_util.check_grads for order 1, mode "rev").
//
//   st::check_grads([](const Array& x, const Array& W) { return st::tanh(st::matmul(x, W)); },
//                   x, W);   // x, W float64; throws strata::Error("[check_grads] ...") on a
//                   mismatch
//
// For each floating-point input leaf i it draws a random direction v_i and a random cotangent u
// of the outputs, and compares <vjp(u)_i, v_i> with (<u, f(x + eps v_i)> - <u, f(x - eps v_i)>)
// / (2 eps).  Every differentiated leaf must be float64 (finite differences in lower precision
// cannot check a rule); integer and boolean leaves are held fixed.
#pragma once

#include <cstdint>
#include <functional>
#include <tuple>
#include <vector>

#include "strata/grad.h"

namespace strata {

struct CheckGradsOptions {
  double eps = 1e-6;
  double rtol = 1e-5;  // relative to the larger of the two directional derivatives
  double atol = 1e-9;  // plus this (and an allowance for the quotient's rounding error)
  uint64_t seed = 0;
  int directions = 2;  // random directions per leaf
};

namespace detail {
void check_grads_leaves(const std::vector<Array>& inputs, const std::vector<std::string>& paths,
                        const GradLeafFn& fn, const CheckGradsOptions& options);
}

template <class F, class... Args>
void check_grads_with(const CheckGradsOptions& options, const F& f, const Args&... args) {
  const detail::FlatArgs<Args...> flat(args...);
  detail::check_grads_leaves(
      flat.leaves, flat.paths,
      [&](const std::vector<Array>& leaves) {
        return tree::leaves(std::apply(f, flat.unflatten(leaves)));
      },
      options);
}

template <class F, class... Args>
void check_grads(const F& f, const Args&... args) {
  check_grads_with(CheckGradsOptions{}, f, args...);
}

}  // namespace strata
