#include "strata/check_grads.h"

#include <cmath>
#include <random>

#include "primitives/primitive.h"

namespace strata::detail {

namespace {

Array random_normal(std::mt19937_64& rng, const Shape& shape) {
  std::normal_distribution<double> normal;
  std::vector<double> v(static_cast<size_t>(shape_size(shape)));
  for (double& x : v) x = normal(rng);
  return array<double>(v, shape);
}

// <u, y> over all floating-point output leaves, and the sum of |u_i y_i| (the scale of its
// rounding error).
std::pair<double, double> inner(const std::vector<Array>& u, const std::vector<Array>& y) {
  double dot = 0, scale = 0;
  for (size_t i = 0; i < u.size(); ++i) {
    if (!u[i].valid()) continue;
    const std::vector<double> a = astype(u[i], DType::Float64).to_vector<double>();
    const std::vector<double> b = astype(y[i], DType::Float64).to_vector<double>();
    for (size_t k = 0; k < a.size(); ++k) {
      dot += a[k] * b[k];
      scale += std::abs(a[k] * b[k]);
    }
  }
  return {dot, scale};
}

}  // namespace

void check_grads_leaves(const std::vector<Array>& inputs, const std::vector<std::string>& paths,
                        const GradLeafFn& fn, const CheckGradsOptions& options) {
  std::vector<bool> wanted(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    wanted[i] = is_floating(inputs[i].dtype());
    if (wanted[i] && inputs[i].dtype() != DType::Float64) {
      fail("check_grads", "leaf `", paths[i], "` is ", prim::to_string(prim::type_of(inputs[i])),
           "; finite differences need float64 inputs (astype(x, DType::Float64))");
    }
  }
  std::mt19937_64 rng(options.seed);
  for (int trial = 0; trial < options.directions; ++trial) {
    VjpLeaves v = vjp_leaves(inputs, wanted, fn);
    std::vector<Array> u(v.outputs.size());
    for (size_t j = 0; j < u.size(); ++j) {
      if (is_floating(v.outputs[j].dtype())) {
        u[j] = astype(random_normal(rng, v.outputs[j].shape()), v.outputs[j].dtype());
      }
    }
    const std::vector<Array> cts = v.pullback(u);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!wanted[i]) continue;
      const Array dir = random_normal(rng, inputs[i].shape());
      const double analytic = cts[i].valid() ? inner({cts[i]}, {dir}).first : 0.0;
      std::vector<Array> plus = inputs, minus = inputs;
      plus[i] = inputs[i] + dir * options.eps;
      minus[i] = inputs[i] - dir * options.eps;
      const auto [fp, sp] = inner(u, fn(plus));
      const auto [fm, sm] = inner(u, fn(minus));
      const double numeric = (fp - fm) / (2 * options.eps);
      const double err = std::abs(analytic - numeric);
      // The difference quotient loses about 1e-16 of each summed term per evaluation, amplified
      // by 1 / eps; allow 1e4 times that, plus the relative and absolute tolerances.
      const double rounding = 1e-12 * (sp + sm) / (2 * options.eps);
      const double tol =
          options.atol + rounding + options.rtol * std::max(std::abs(analytic), std::abs(numeric));
      if (!(err <= tol)) {
        fail("check_grads", "leaf `", paths[i], "`: the vjp gives a directional derivative of ",
             analytic, " but central finite differences give ", numeric, " (error ", err,
             ", tolerance ", tol, "); the vjp rule of some primitive on this path is wrong");
      }
    }
  }
}

}  // namespace strata::detail
