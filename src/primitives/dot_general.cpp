// dot_general: the shape rule, the lowering of dimension numbers and operand views onto one
// strided batched GEMM (plan_dot_general), and evaluation through the kernel's cached plans.
#include "primitives/dot_general.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <optional>

#include "backend/cpu/strided.h"
#include "compile/working_memory.h"
#include "transforms/batching.h"

namespace strata::prim {

namespace {

// Checks one operand's axis lists: in range, and no axis named twice across both lists.
void check_axes(const char* name, const char* side, const Shape& shape, const Axes& contract,
                const Axes& batch) {
  const int nd = static_cast<int>(shape.size());
  std::vector<int> seen(shape.size(), 0);
  for (const auto* list : {&contract, &batch}) {
    const char* what = list == &contract ? "contracting" : "batch";
    for (int ax : *list) {
      if (ax < 0 || ax >= nd) {
        fail(name, side, " ", what, " dimension ", ax, " is out of range for ", side, " shape ",
             strata::to_string(shape), " (valid: 0 to ", nd - 1, "); contracting ",
             axes_to_string(contract), ", batch ", axes_to_string(batch));
      }
      if (seen[static_cast<size_t>(ax)]++) {
        fail(name, side, " dimension ", ax, " is named more than once (contracting ",
             axes_to_string(contract), ", batch ", axes_to_string(batch), "; ", side, " shape ",
             strata::to_string(shape), "); each axis may be contracted or batched once");
      }
    }
  }
}

// A dense copy of `x` with its axes laid out in `order`, returned as a view in x's own axis order
// (so the same dimension numbers apply).
Array materialize(const Array& x, const std::vector<int>& order) {
  Shape shape;
  Strides strides;
  for (int ax : order) {
    shape.push_back(x.shape()[ax]);
    strides.push_back(x.strides()[ax]);
  }
  const Array dense = cpu::contiguous_copy(
      detail::make_view(x, shape, std::move(strides), x.impl().offset), x.dtype());
  const Strides dense_strides = detail::row_major_strides(shape);
  Strides back(order.size());
  for (size_t i = 0; i < order.size(); ++i) back[order[i]] = dense_strides[i];
  return detail::make_view(dense, x.shape(), std::move(back), dense.impl().offset);
}

}  // namespace

std::vector<ValueType> DotGeneral::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 2);
  const ValueType& lhs = in[0];
  const ValueType& rhs = in[1];
  if (lhs.dtype != rhs.dtype) {
    fail(name(), "operands must have one dtype, found lhs ", to_string(lhs), " and rhs ",
         to_string(rhs), "; convert one (ops.h matmul / dot_general promote automatically)");
  }
  if (dims_.lhs_contract.size() != dims_.rhs_contract.size()) {
    fail(name(), "lhs contracting dimensions ", axes_to_string(dims_.lhs_contract), " and rhs ",
         axes_to_string(dims_.rhs_contract), " must pair up one to one (found ",
         dims_.lhs_contract.size(), " and ", dims_.rhs_contract.size(), ")");
  }
  if (dims_.lhs_batch.size() != dims_.rhs_batch.size()) {
    fail(name(), "lhs batch dimensions ", axes_to_string(dims_.lhs_batch), " and rhs ",
         axes_to_string(dims_.rhs_batch), " must pair up one to one (found ",
         dims_.lhs_batch.size(), " and ", dims_.rhs_batch.size(), ")");
  }
  check_axes(name(), "lhs", lhs.shape, dims_.lhs_contract, dims_.lhs_batch);
  check_axes(name(), "rhs", rhs.shape, dims_.rhs_contract, dims_.rhs_batch);
  auto check_sizes = [&](const char* what, const Axes& l, const Axes& r) {
    for (size_t i = 0; i < l.size(); ++i) {
      const int64_t ls = lhs.shape[static_cast<size_t>(l[i])];
      const int64_t rs = rhs.shape[static_cast<size_t>(r[i])];
      if (ls != rs) {
        fail(name(), what, " dimension sizes differ: lhs axis ", l[i], " has size ", ls,
             ", rhs axis ", r[i], " has size ", rs, " (lhs shape ", strata::to_string(lhs.shape),
             ", rhs shape ", strata::to_string(rhs.shape), "); paired axes must have equal sizes");
      }
    }
  };
  check_sizes("contracting", dims_.lhs_contract, dims_.rhs_contract);
  check_sizes("batch", dims_.lhs_batch, dims_.rhs_batch);

  DType out_dtype = lhs.dtype;
  if (preferred_ && *preferred_ != lhs.dtype) {
    const bool widening = *preferred_ == DType::Float32 &&
                          (lhs.dtype == DType::Float16 || lhs.dtype == DType::BFloat16);
    if (!widening) {
      fail(name(), "preferred_element_type ", *preferred_, " is not supported for ", lhs.dtype,
           " operands; use the operand dtype, or float32 with float16/bfloat16 operands");
    }
    out_dtype = *preferred_;
  }

  Shape shape;
  for (int ax : dims_.lhs_batch) shape.push_back(lhs.shape[static_cast<size_t>(ax)]);
  auto append_free = [&](const Shape& s, const Axes& contract, const Axes& batch) {
    for (int ax = 0; ax < static_cast<int>(s.size()); ++ax) {
      if (std::find(contract.begin(), contract.end(), ax) == contract.end() &&
          std::find(batch.begin(), batch.end(), ax) == batch.end()) {
        shape.push_back(s[static_cast<size_t>(ax)]);
      }
    }
  };
  append_free(lhs.shape, dims_.lhs_contract, dims_.lhs_batch);
  append_free(rhs.shape, dims_.rhs_contract, dims_.rhs_batch);
  const bool weak = lhs.weak && rhs.weak && out_dtype == lhs.dtype;
  return {ValueType{std::move(shape), out_dtype, weak}};
}

// The batch axis becomes a batch dimension of the product when both operands have one, or else
// stays a free axis of the batched operand (its examples turn into more rows / columns of the
// same GEMM): one product for the whole batch either way, the axis moved nowhere.
Primitive::Batched DotGeneral::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  const int ld = args.dims[0], rd = args.dims[1];
  auto shift = [](const Axes& axes, int d) {
    Axes out;
    for (int a : axes)
      out.push_back(d == transforms::kNotBatched ? a : transforms::batched_axis(a, d));
    return out;
  };
  DotDims dims{shift(dims_.lhs_contract, ld), shift(dims_.rhs_contract, rd),
               shift(dims_.lhs_batch, ld), shift(dims_.rhs_batch, rd)};
  auto free_before = [](const Axes& contract, const Axes& batch, int end) {
    int n = 0;
    for (int a = 0; a < end; ++a) {
      const bool used = std::find(contract.begin(), contract.end(), a) != contract.end() ||
                        std::find(batch.begin(), batch.end(), a) != batch.end();
      n += used ? 0 : 1;
    }
    return n;
  };
  const int num_batch = static_cast<int>(dims.lhs_batch.size());
  int out_dim = 0;
  if (ld != transforms::kNotBatched && rd != transforms::kNotBatched) {
    dims.lhs_batch.insert(dims.lhs_batch.begin(), ld);
    dims.rhs_batch.insert(dims.rhs_batch.begin(), rd);
  } else if (ld != transforms::kNotBatched) {
    out_dim = num_batch + free_before(dims.lhs_contract, dims.lhs_batch, ld);
  } else {
    const int lhs_rank = args.operands[0].ndim();
    const int lhs_free = lhs_rank - num_batch - static_cast<int>(dims.lhs_contract.size());
    out_dim = num_batch + lhs_free + free_before(dims.rhs_contract, dims.rhs_batch, rd);
  }
  return {{bind1(make<DotGeneral>(dims, preferred_), args.operands)}, {out_dim}};
}

void DotGeneral::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& outs) const {
  run_dot_general(in[0], in[1], outs[0], dims_);
}

Primitive::Kernel DotGeneral::prepare(const std::vector<Array>& in,
                                      const std::vector<ValueType>& out) const {
  return prepare_dot_general(in, dims_, out[0].dtype, {}, Primitive::prepare(in, out));
}

namespace {

// The bias as the kernels want it: n dense elements.
Array dense_bias(const Array* bias) {
  if (bias == nullptr) fail("dot_general", "internal: a bias epilogue without a bias operand");
  return cpu::contiguous(*bias);
}

// Rows of C for the epilogue: out viewed as [rows, n] with n its last axis.
int64_t epilogue_rows(const Array& out) {
  const int64_t n = out.shape().empty() ? 1 : out.shape().back();
  return n == 0 ? 0 : out.size() / n;
}

}  // namespace

void run_dot_general(const Array& lhs, const Array& rhs, const Array& out, const DotDims& dims,
                     const cpu::MatmulEpilogue& epilogue, const Array* bias) {
  if (out.size() == 0) return;
  const Array b = epilogue.bias ? dense_bias(bias) : Array();
  const void* b_data = epilogue.bias ? b.data() : nullptr;
  for (int ax : dims.lhs_contract) {
    if (lhs.shape()[ax] == 0) {  // an empty sum: zeros, then the epilogue
      std::memset(detail::mutable_data(out), 0, static_cast<size_t>(out.nbytes()));
      cpu::apply_matmul_epilogue(epilogue, out.dtype(), epilogue_rows(out),
                                 out.shape().empty() ? 1 : out.shape().back(),
                                 detail::mutable_data(out), b_data);
      return;
    }
  }
  Array l = lhs, r = rhs;
  bool l_copied = false, r_copied = false;
  // Views go to the kernel as strides; an operand is copied only when its layout cannot be
  // expressed (or oneDNN has only its slow reference kernel for it).  At most three rounds: each
  // copies at least one operand, and a dense operand never needs a copy.
  for (;;) {
    DotGeneralLayout layout = plan_dot_general(l.shape(), l.strides(), r.shape(), r.strides(), dims,
                                               l.dtype(), out.dtype());
    if (!layout.copy_lhs && !layout.copy_rhs) {
      const cpu::MatmulPlan plan = cpu::cached_matmul_plan(layout.problem, epilogue);
      if (!plan.is_slow() || (l_copied && r_copied)) {
        if (epilogue.empty()) {
          plan.execute(l.data(), r.data(), detail::mutable_data(out));
        } else {  // the per-thread scratch form takes no bias: scratch for this call only
          const std::shared_ptr<Buffer> scratch =
              plan.scratch_bytes() > 0 ? Buffer::allocate(plan.scratch_bytes()) : nullptr;
          plan.execute(l.data(), r.data(), detail::mutable_data(out),
                       scratch ? scratch->data() : nullptr, b_data);
        }
        return;
      }
      layout.copy_lhs = !l_copied;  // oneDNN found no fast kernel for these strides
      layout.copy_rhs = !r_copied;
    }
    if (layout.copy_lhs) {
      if (l_copied) fail("dot_general", "internal: dense lhs still needs a copy");
      l = materialize(l, layout.lhs_order);
      l_copied = true;
    }
    if (layout.copy_rhs) {
      if (r_copied) fail("dot_general", "internal: dense rhs still needs a copy");
      r = materialize(r, layout.rhs_order);
      r_copied = true;
    }
  }
}

namespace {

// An operand of a prepared product: read in place, or copied before every run into a dense
// staging array allocated at prepare time and counted in the executable's planned peak (laid out
// as planning asks, so the copy is exactly what the eager path's materialize makes).
struct Operand {
  Shape shape;
  Strides strides;  // as the GEMM reads it: x's own, or the staging array's in x's axis order
  std::optional<cpu::StridedReader> reader;  // staged: reads x in the staging array's order
  Array dense;

  explicit Operand(const Array& x) : shape(x.shape()), strides(x.strides()) {}
  void stage(const Array& x, const std::vector<int>& order) {
    Shape s;
    Strides st;
    for (int ax : order) {
      s.push_back(x.shape()[ax]);
      st.push_back(x.strides()[ax]);
    }
    reader.emplace(s, st, x.dtype());
    dense = compile::working_array(s, x.dtype());
    const Strides dense_strides = detail::row_major_strides(s);
    for (size_t i = 0; i < order.size(); ++i) strides[order[i]] = dense_strides[i];
  }
  const void* data(const Array& x) {
    if (!reader) return x.data();
    reader->rebase(x.data());
    cpu::copy_into(*reader, dense);
    return dense.data();
  }
};

struct PreparedDot {
  std::optional<cpu::BoundMatmul> matmul;
  std::vector<Operand> operands;  // lhs, rhs, and the bias when the epilogue has one
};

}  // namespace

Primitive::Kernel prepare_dot_general(const std::vector<Array>& in, const DotDims& dims,
                                      DType out_dtype, const cpu::MatmulEpilogue& epilogue,
                                      Primitive::Kernel fallback) {
  const Array &lhs = in[0], &rhs = in[1];
  // Empty products are trivial and plan_dot_general wants non-zero dimensions.
  if (lhs.size() == 0 || rhs.size() == 0) return fallback;
  auto p = std::make_shared<PreparedDot>();
  p->operands.reserve(3);
  Operand& l = p->operands.emplace_back(lhs);
  Operand& r = p->operands.emplace_back(rhs);
  // run_dot_general's rounds, on layouts only: stage an operand whose view the GEMM cannot
  // read, or both when oneDNN has only its slow reference kernel for the strides.
  for (;;) {
    DotGeneralLayout layout =
        plan_dot_general(l.shape, l.strides, r.shape, r.strides, dims, lhs.dtype(), out_dtype);
    if (!layout.copy_lhs && !layout.copy_rhs) {
      // Plans are immutable and keyed by (problem, epilogue, threads), so products of one shape
      // share one: an unrolled loop of L equal layers asks oneDNN for one primitive descriptor,
      // not L of them (its primitive cache does not cover descriptor creation, the larger cost).
      cpu::MatmulPlan plan = cpu::cached_matmul_plan(layout.problem, epilogue);
      if (!plan.is_slow() || (l.reader && r.reader)) {
        p->matmul.emplace(std::move(plan));
        // The float32 copies a 16-bit product stages through.  oneDNN's scratchpad is not
        // counted: it is the library's workspace, like the one dnnl_sgemm allocates inside itself
        // on every call (which nothing here sees), so counting it would make the planned peak
        // depend on which of its kernels oneDNN picked for a product.
        compile::report_working_memory(p->matmul->plan().staging_bytes());
        break;
      }
      layout.copy_lhs = !l.reader;
      layout.copy_rhs = !r.reader;
    }
    if ((layout.copy_lhs && l.reader) || (layout.copy_rhs && r.reader)) {
      fail("dot_general", "internal: a dense operand still needs a copy");
    }
    if (layout.copy_lhs) l.stage(lhs, layout.lhs_order);
    if (layout.copy_rhs) r.stage(rhs, layout.rhs_order);
  }
  if (epilogue.bias) {
    p->operands.emplace_back(in[2]);
    if (!in[2].is_contiguous()) p->operands.back().stage(in[2], {0});
  }
  return [p](const std::vector<Array>& args, const std::vector<Array>& outs) {
    std::vector<Operand>& ops = p->operands;
    const void* bias = ops.size() > 2 ? ops[2].data(args[2]) : nullptr;
    p->matmul->execute(ops[0].data(args[0]), ops[1].data(args[1]), detail::mutable_data(outs[0]),
                       bias);
  };
}

namespace {

// The cotangent of one operand of dot_general (JAX's _dot_general_transpose_lhs, written for
// either side): contract the result's cotangent with the other operand over the other side's
// free axes, batching over the batch axes, then put the axes back in this operand's order.
// `mine` / `other` describe this operand's and the other operand's axes in `dims`.
Array dot_general_operand_ct(const Array& ct, const Array& operand, const Array& other,
                             const Axes& my_contract, const Axes& my_batch,
                             const Axes& other_contract, const Axes& other_batch,
                             bool operand_is_lhs) {
  const int nb = static_cast<int>(my_batch.size());
  auto free_axes = [](size_t rank, const Axes& contract, const Axes& batch) {
    Axes free;
    for (int a = 0; a < static_cast<int>(rank); ++a) {
      if (std::find(contract.begin(), contract.end(), a) == contract.end() &&
          std::find(batch.begin(), batch.end(), a) == batch.end()) {
        free.push_back(a);
      }
    }
    return free;
  };
  const Axes my_free = free_axes(operand.ndim(), my_contract, my_batch);
  const Axes other_free = free_axes(other.ndim(), other_contract, other_batch);
  // The cotangent's axes: batch, lhs free, rhs free; the other operand's free axes are
  // contracted away.
  const int other_free_start = operand_is_lhs ? nb + static_cast<int>(my_free.size()) : nb;
  DotDims d;
  for (int k = 0; k < static_cast<int>(other_free.size()); ++k) {
    d.lhs_contract.push_back(other_free_start + k);
    d.rhs_contract.push_back(other_free[static_cast<size_t>(k)]);
  }
  for (int k = 0; k < nb; ++k) {
    d.lhs_batch.push_back(k);
    d.rhs_batch.push_back(other_batch[static_cast<size_t>(k)]);
  }
  // Other's remaining axes in the product are its contract axes, in other's axis order; each
  // stands for the paired axis of this operand.
  Axes other_contract_sorted = other_contract;
  std::sort(other_contract_sorted.begin(), other_contract_sorted.end());
  const Array ct_in = ct.dtype() == operand.dtype() ? ct : astype(ct, operand.dtype());
  // The product in either operand order: [batch, ct's free (my free), other's remaining] or
  // [batch, other's remaining, my free].  The order that needs no transpose back wins (for a
  // matmul's weight gradient that is x^T . ct rather than (ct^T . x)^T).
  auto perm_for = [&](bool ct_first) {
    Axes perm(operand.ndim());
    const int free_at = ct_first ? nb : nb + static_cast<int>(my_contract.size());
    const int contract_at = ct_first ? nb + static_cast<int>(my_free.size()) : nb;
    for (int k = 0; k < nb; ++k) perm[static_cast<size_t>(my_batch[static_cast<size_t>(k)])] = k;
    for (size_t k = 0; k < my_free.size(); ++k) {
      perm[static_cast<size_t>(my_free[k])] = free_at + static_cast<int>(k);
    }
    for (size_t k = 0; k < my_contract.size(); ++k) {
      const auto pos =
          std::find(other_contract_sorted.begin(), other_contract_sorted.end(), other_contract[k]) -
          other_contract_sorted.begin();
      perm[static_cast<size_t>(my_contract[k])] = contract_at + static_cast<int>(pos);
    }
    return perm;
  };
  auto is_identity = [](const Axes& perm) {
    for (size_t i = 0; i < perm.size(); ++i) {
      if (perm[i] != static_cast<int>(i)) return false;
    }
    return true;
  };
  Axes perm = perm_for(true);
  Array product;
  if (!is_identity(perm) && is_identity(perm_for(false))) {
    DotDims swapped{d.rhs_contract, d.lhs_contract, d.rhs_batch, d.lhs_batch};
    product = dot_general(other, ct_in, swapped);
    perm = perm_for(false);
  } else {
    product = dot_general(ct_in, other, d);
  }
  if (product.dtype() != operand.dtype()) product = astype(product, operand.dtype());
  return is_identity(perm) ? product : transpose(product, perm);
}

}  // namespace

std::vector<Array> DotGeneral::vjp(const VjpArgs& args) const {
  const Array& lhs = args.primals[0];
  const Array& rhs = args.primals[1];
  const Array& ct = args.cotangents[0];
  Array ct_lhs, ct_rhs;
  if (args.wanted[0]) {
    ct_lhs = dot_general_operand_ct(ct, lhs, rhs, dims_.lhs_contract, dims_.lhs_batch,
                                    dims_.rhs_contract, dims_.rhs_batch, true);
  }
  if (args.wanted[1]) {
    ct_rhs = dot_general_operand_ct(ct, rhs, lhs, dims_.rhs_contract, dims_.rhs_batch,
                                    dims_.lhs_contract, dims_.lhs_batch, false);
  }
  return {ct_lhs, ct_rhs};
}

std::string DotGeneral::params() const {
  std::string s =
      detail::cat("dimension_numbers=((", axes_to_string(dims_.lhs_contract), ", ",
                  axes_to_string(dims_.rhs_contract), "), (", axes_to_string(dims_.lhs_batch), ", ",
                  axes_to_string(dims_.rhs_batch), "))");
  if (preferred_) s += detail::cat(" preferred_element_type=", *preferred_);
  return s;
}

// ---------------------------------------------------------------- lowering to one GEMM
namespace {

// One axis of the canonical batch: its size and the strides of A, B and C along it.
struct BatchAxis {
  int64_t size, a, b, c;
};

// True when `axes` (outermost first, size-1 axes ignored) merge into one axis of stride
// strides[innermost]; `inner_stride` receives that stride (1 if all axes have size 1).
bool merge_axes(const std::vector<int>& axes, const Shape& shape, const Strides& strides,
                int64_t* inner_stride) {
  bool any = false;
  int64_t prev = 0;
  for (int ax : axes) {
    if (shape[ax] == 1) continue;
    if (any && prev != strides[ax] * shape[ax]) return false;
    prev = strides[ax];
    any = true;
  }
  if (inner_stride != nullptr) *inner_stride = any ? prev : 1;
  return true;
}

// Strides of a size-1 matrix axis are meaningless; pick the ones that make the matrix read as
// row-major or transposed with a valid leading dimension, so equal problems compare equal.
void canonical_matrix_strides(int64_t rows, int64_t& row_stride, int64_t cols,
                              int64_t& col_stride) {
  if (cols == 1) col_stride = (row_stride == 1 && rows > 1) ? rows : 1;
  if (rows == 1) row_stride = col_stride == 1 ? cols : 1;
}

// oneDNN's fast paths: one axis of stride 1, the other a leading dimension >= the matrix width.
bool gemm_addressable(int64_t rows, int64_t row_stride, int64_t cols, int64_t col_stride) {
  if (row_stride <= 0 || col_stride <= 0) return false;
  return (col_stride == 1 && row_stride >= cols) || (row_stride == 1 && col_stride >= rows);
}

// oneDNN builds a strided memory descriptor only for a layout whose elements do not overlap:
// ordered by stride, each axis must step over the whole extent of the axes inside it (a batch
// stride of 5 over 2 x 3-strided columns is refused).  Broadcast (stride 0) and size-1 axes are
// left out, as oneDNN sees them with size 1.
bool onednn_describable(const std::vector<int64_t>& batch,
                        const std::vector<int64_t>& batch_strides, int64_t rows, int64_t row_stride,
                        int64_t cols, int64_t col_stride) {
  std::vector<std::pair<int64_t, int64_t>> axes;  // (stride, size)
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i] > 1 && batch_strides[i] != 0) axes.emplace_back(batch_strides[i], batch[i]);
  }
  if (rows > 1) axes.emplace_back(row_stride, rows);
  if (cols > 1) axes.emplace_back(col_stride, cols);
  std::sort(axes.begin(), axes.end());
  for (size_t i = 1; i < axes.size(); ++i) {
    if (axes[i].first < axes[i - 1].first * axes[i - 1].second) return false;
  }
  return true;
}

}  // namespace

DotGeneralLayout plan_dot_general(const Shape& ls, const Strides& lst, const Shape& rs,
                                  const Strides& rst, const DotDims& dims, DType dtype,
                                  DType out_dtype) {
  using cpu::MatmulBackend;
  const MatmulBackend backend = cpu::matmul_backend(dtype, out_dtype);
  // Only oneDNN itself constrains strides; the reference loop and the float32 staging read any.
  const bool strict = backend == MatmulBackend::OneDnn;
  DotGeneralLayout out;
  auto free_axes = [](size_t ndim, const Axes& contract, const Axes& batch) {
    std::vector<int> f;
    for (int ax = 0; ax < static_cast<int>(ndim); ++ax) {
      if (std::find(contract.begin(), contract.end(), ax) == contract.end() &&
          std::find(batch.begin(), batch.end(), ax) == batch.end()) {
        f.push_back(ax);
      }
    }
    return f;
  };
  const std::vector<int> lf = free_axes(ls.size(), dims.lhs_contract, dims.lhs_batch);
  const std::vector<int> rf = free_axes(rs.size(), dims.rhs_contract, dims.rhs_batch);

  // Contracting pairs may be summed in any order: pick one in which both operands' axes merge
  // into a single K axis (largest stride first), trying the lhs's order, then the rhs's.
  const size_t nc = dims.lhs_contract.size();
  auto order_by = [&](const Axes& axes, const Strides& st) {
    std::vector<size_t> order(nc);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return std::abs(st[axes[x]]) > std::abs(st[axes[y]]);
    });
    return order;
  };
  auto pick = [&](const std::vector<size_t>& order, const Axes& axes) {
    std::vector<int> picked;
    for (size_t i : order) picked.push_back(axes[i]);
    return picked;
  };
  std::vector<size_t> order = order_by(dims.lhs_contract, lst);
  int64_t a_k = 1, b_k = 1;
  bool lk = merge_axes(pick(order, dims.lhs_contract), ls, lst, &a_k);
  bool rk = merge_axes(pick(order, dims.rhs_contract), rs, rst, &b_k);
  if (!lk || !rk) {
    const std::vector<size_t> by_rhs = order_by(dims.rhs_contract, rst);
    int64_t a2 = 1, b2 = 1;
    const bool lk2 = merge_axes(pick(by_rhs, dims.lhs_contract), ls, lst, &a2);
    const bool rk2 = merge_axes(pick(by_rhs, dims.rhs_contract), rs, rst, &b2);
    if ((lk2 && rk2) || (!lk && rk2)) {
      order = by_rhs, lk = lk2, rk = rk2, a_k = a2, b_k = b2;
    }
  }
  const std::vector<int> lc = pick(order, dims.lhs_contract);
  const std::vector<int> rc = pick(order, dims.rhs_contract);
  out.copy_lhs = !lk;
  out.copy_rhs = !rk;

  // A dense copy is laid out (batch, free, contract) for the lhs and (batch, contract, free) for
  // the rhs: a row-major A and a row-major B.
  out.lhs_order = dims.lhs_batch;
  out.lhs_order.insert(out.lhs_order.end(), lf.begin(), lf.end());
  out.lhs_order.insert(out.lhs_order.end(), lc.begin(), lc.end());
  out.rhs_order = dims.rhs_batch;
  out.rhs_order.insert(out.rhs_order.end(), rc.begin(), rc.end());
  out.rhs_order.insert(out.rhs_order.end(), rf.begin(), rf.end());

  cpu::MatmulProblem& p = out.problem;
  p.dtype = dtype;
  p.out_dtype = out_dtype;
  auto product = [](const std::vector<int>& axes, const Shape& shape) {
    int64_t n = 1;
    for (int ax : axes) n *= shape[ax];
    return n;
  };
  p.k = product(lc, ls);
  p.n = product(rf, rs);
  p.a_k = a_k, p.b_k = b_k;
  // The rhs free axes must merge into N: C's layout puts them innermost.
  if (!merge_axes(rf, rs, rst, &p.b_n)) out.copy_rhs = true;

  // C is dense [batch..., lhs free..., rhs free...].
  int64_t c_stride = p.n;
  std::vector<BatchAxis> axes;
  // The lhs free axes merge into groups; the innermost group is M, and outer groups become batch
  // axes along which B is broadcast (a sliced x[:, :64, :] · W needs no copy).
  std::vector<BatchAxis> m_groups;
  for (size_t i = lf.size(); i-- > 0;) {
    const int ax = lf[i];
    if (ls[ax] == 1) continue;
    if (!m_groups.empty() && m_groups.back().a * m_groups.back().size == lst[ax]) {
      m_groups.back().size *= ls[ax];  // merges with the inner group: keep its inner strides
    } else {
      m_groups.push_back({ls[ax], lst[ax], 0, c_stride});
    }
    c_stride *= ls[ax];
  }
  p.m = m_groups.empty() ? 1 : m_groups.front().size;
  p.a_m = m_groups.empty() ? 1 : m_groups.front().a;
  for (size_t g = m_groups.size(); g-- > 1;) axes.push_back(m_groups[g]);  // outermost first
  // True batch axes are outermost in C.
  std::vector<BatchAxis> batch_axes;
  for (size_t i = dims.lhs_batch.size(); i-- > 0;) {
    const int64_t size = ls[dims.lhs_batch[i]];
    if (size != 1) {
      batch_axes.push_back({size, lst[dims.lhs_batch[i]], rst[dims.rhs_batch[i]], c_stride});
    }
    c_stride *= size;
  }
  axes.insert(axes.begin(), batch_axes.rbegin(), batch_axes.rend());
  // Merge adjacent batch axes whose three strides all line up.
  std::vector<BatchAxis> merged;
  for (const BatchAxis& ax : axes) {
    if (!merged.empty()) {
      BatchAxis& o = merged.back();
      if (o.a == ax.a * ax.size && o.b == ax.b * ax.size && o.c == ax.c * ax.size) {
        o = {o.size * ax.size, ax.a, ax.b, ax.c};
        continue;
      }
    }
    merged.push_back(ax);
  }
  for (const BatchAxis& ax : merged) {
    p.batch.push_back(ax.size);
    p.a_batch.push_back(ax.a);
    p.b_batch.push_back(ax.b);
    if (backend != MatmulBackend::Reference && ax.a == 0 && ax.b == 0) out.copy_lhs = true;
    if (strict && ax.a < 0) out.copy_lhs = true;
    if (strict && ax.b < 0) out.copy_rhs = true;
  }
  if (backend != MatmulBackend::Reference && p.batch.size() > cpu::kMaxMatmulBatchAxes) {
    out.copy_lhs = out.copy_rhs = true;  // dense copies merge their batch axes into one
  }
  canonical_matrix_strides(p.m, p.a_m, p.k, p.a_k);
  canonical_matrix_strides(p.k, p.b_k, p.n, p.b_n);
  if (strict && !gemm_addressable(p.m, p.a_m, p.k, p.a_k)) out.copy_lhs = true;
  if (strict && !gemm_addressable(p.k, p.b_k, p.n, p.b_n)) out.copy_rhs = true;
  if (strict && !onednn_describable(p.batch, p.a_batch, p.m, p.a_m, p.k, p.a_k)) {
    out.copy_lhs = true;
  }
  if (strict && !onednn_describable(p.batch, p.b_batch, p.k, p.b_k, p.n, p.b_n)) {
    out.copy_rhs = true;
  }
  return out;
}

}  // namespace strata::prim
