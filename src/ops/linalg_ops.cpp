// Linear-algebra ops of ops.h: matmul (numpy.matmul semantics) and dot_general, both on the
// dot_general primitive.
//
// Operands are promoted with JAX's rules (weak types included), but never broadcast along the
// contracted axes.  Batch axes broadcast NumPy-style, except that a weight without batch axes is
// not broadcast at all: x[..., M, K] @ W[K, N] contracts W directly, so the kernel sees one large
// GEMM (M = prod(...) * M) and a traced graph holds no broadcast of W.
#include <string>

#include "ops/helpers.h"
#include "primitives/dot_general.h"

namespace strata {

namespace {

// Both operands in one dtype.  bool multiplies as int32, as jnp.matmul does (a sum of products
// is a count, not a truth value).
std::pair<Array, Array> promote_operands(const Array& a, const Array& b) {
  PromotedType t = promote_types(a.dtype(), a.weak_type(), b.dtype(), b.weak_type());
  if (t.dtype == DType::Bool) t = {DType::Int32, false};
  return {ops::convert(a, t.dtype, t.weak && a.weak_type()),
          ops::convert(b, t.dtype, t.weak && b.weak_type())};
}

std::string inner_description(const Array& x, bool lhs) {
  if (x.ndim() == 1)
    return detail::cat("shape ", to_string(x.shape()), " with ", x.shape(0), " elements");
  return lhs ? detail::cat("shape ", to_string(x.shape()), " with ", x.shape(-1), " columns")
             : detail::cat("shape ", to_string(x.shape()), " with ", x.shape(-2), " rows");
}

Shape batch_shape(const Array& x) {
  return x.ndim() > 2 ? Shape(x.shape().begin(), x.shape().end() - 2) : Shape{};
}

// NumPy broadcasting of the batch shapes, with an error that shows both full operand shapes.
Shape broadcast_batch(const Array& a, const Array& b) {
  const Shape sa = batch_shape(a), sb = batch_shape(b);
  if (std::optional<Shape> out = ops::try_broadcast_shapes(sa, sb)) return *out;
  fail("matmul", "batch dimensions cannot be broadcast: a has shape ", to_string(a.shape()),
       " (batch ", to_string(sa), "), b has shape ", to_string(b.shape()), " (batch ",
       to_string(sb), "); leading dimensions must be equal or 1 (NumPy broadcasting)");
}

Array dot(const Array& a, const Array& b, DotDims dims) {
  return prim::bind1(prim::make<prim::DotGeneral>(std::move(dims)), {a, b});
}

}  // namespace

Array matmul(const Array& a, const Array& b) {
  ops::check_valid("matmul", a, "a");
  ops::check_valid("matmul", b, "b");
  if (a.ndim() == 0 || b.ndim() == 0) {
    fail("matmul", "operands must be at least 1-D, found a with shape ", to_string(a.shape()),
         " and b with shape ", to_string(b.shape()),
         "; to scale by a 0-d array use multiply (as numpy.matmul requires)");
  }
  const int64_t k_a = a.shape(-1);
  const int64_t k_b = b.ndim() == 1 ? b.shape(0) : b.shape(-2);
  if (k_a != k_b) {
    fail("matmul", "inner dimensions differ: a has ", inner_description(a, true), ", b has ",
         inner_description(b, false), "; the last axis of a must match the ",
         b.ndim() == 1 ? "only" : "second-to-last", " axis of b (transpose or reshape an operand)");
  }
  const auto [pa, pb] = promote_operands(a, b);
  const int na = a.ndim(), nb = b.ndim();
  if (nb <= 2) {
    // b has no batch axes: contract it directly; a's leading axes (if any) stay free, so a 1-D a
    // gives the 1-D result numpy gets by removing the promoted axis, and x[..., M, K] @ W[K, N]
    // is one GEMM with W not broadcast.
    return dot(pa, pb, DotDims{{na - 1}, {0}, {}, {}});
  }
  if (na == 1) {  // (K,) @ (..., K, N) -> (..., N): b's batch axes are free axes here
    return dot(pa, pb, DotDims{{0}, {nb - 2}, {}, {}});
  }
  // Both carry matrices and b has batch axes: broadcast the batch axes (zero strides, no copy; the
  // kernel hands oneDNN a batch broadcast) and batch over them.
  const Shape batch = broadcast_batch(a, b);
  Shape sa = batch, sb = batch;
  sa.insert(sa.end(), {a.shape(-2), k_a});
  sb.insert(sb.end(), {k_b, b.shape(-1)});
  const int n = static_cast<int>(batch.size());
  Axes batch_axes(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) batch_axes[static_cast<size_t>(i)] = i;
  return dot(ops::broadcast_to_shape(pa, sa), ops::broadcast_to_shape(pb, sb),
             DotDims{{n + 1}, {n}, batch_axes, batch_axes});
}

Array dot_general(const Array& a, const Array& b, const DotDims& dims) {
  ops::check_valid("dot_general", a, "lhs");
  ops::check_valid("dot_general", b, "rhs");
  // Negative axes count from the end, as in lax; the primitive checks the rest.
  auto normalize = [](const Axes& axes, const Array& x, const char* what) {
    Axes out;
    const int nd = x.ndim();
    for (int ax : axes) {
      if (ax < -nd || ax >= nd) {
        fail("dot_general", what, " dimension ", ax, " is out of range for ",
             what[0] == 'l' ? "lhs" : "rhs", " shape ", to_string(x.shape()), " (valid: ", -nd,
             " to ", nd - 1, ")");
      }
      out.push_back(ax < 0 ? ax + nd : ax);
    }
    return out;
  };
  DotDims d{normalize(dims.lhs_contract, a, "lhs contracting"),
            normalize(dims.rhs_contract, b, "rhs contracting"),
            normalize(dims.lhs_batch, a, "lhs batch"), normalize(dims.rhs_batch, b, "rhs batch")};
  const auto [pa, pb] = promote_operands(a, b);
  return dot(pa, pb, std::move(d));
}

}  // namespace strata
