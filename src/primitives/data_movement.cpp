#include "primitives/data_movement.h"

#include <algorithm>

#include "backend/cpu/data_movement.h"
#include "backend/cpu/dispatch.h"
#include "backend/cpu/strided.h"
#include "compile/working_memory.h"
#include "primitives/layout.h"
#include "strata/ops.h"

namespace strata::prim {

namespace {

// dynamic_slice / dynamic_update_slice take their start indices as 0-d integer operands (so they
// can be traced values, e.g. a scan's loop counter), starting at operand `first`.
void check_start_indices(const char* name, const std::vector<ValueType>& in, size_t first) {
  for (size_t i = first; i < in.size(); ++i) {
    if (!in[i].shape.empty() || !is_integer(in[i].dtype)) {
      fail(name, "start index ", i - first, " must be a 0-d integer array, found ",
           to_string(in[i]));
    }
  }
}

// Starts as XLA computes them: a negative index wraps once (JAX's _dynamic_slice_indices), then
// each is clamped into [0, dim - size] so the window always fits.
cpu::SmallVector<int64_t> clamped_starts(const std::vector<Array>& in, size_t first,
                                         const Shape& dims, const Shape& sizes) {
  cpu::SmallVector<int64_t> starts(dims.size(), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t s = 0;
    cpu::read_indices(in[first + i], &s);
    if (s < 0) s += dims[i];
    // An empty window starts at 0, so views of it never point past the operand's storage.
    starts[i] = sizes[i] == 0 ? 0 : std::clamp<int64_t>(s, 0, dims[i] - sizes[i]);
  }
  return starts;
}

// Rows as Gather and ScatterAdd address them: a negative index wraps once, then what is still
// out of range is clamped into [0, n) (XLA's rule for traced indices).  n must be positive.
std::vector<int64_t> clamped_rows(const Array& indices, int64_t n) {
  std::vector<int64_t> rows = cpu::read_indices(indices);
  for (int64_t& r : rows) {
    if (r < 0) r += n;
    r = std::clamp<int64_t>(r, 0, n - 1);
  }
  return rows;
}

// Zeros shaped like `a` (a broadcast view of one element): the canvas transposes write into.
Array zeros_shaped_like(const Array& a) {
  return broadcast_to(zeros({}, a.dtype()), a.shape());
}

// The start-index operands of dynamic_slice / dynamic_update_slice, from `first` on.
std::vector<Array> start_operands(const std::vector<Array>& primals, size_t first) {
  return std::vector<Array>(primals.begin() + static_cast<std::ptrdiff_t>(first), primals.end());
}

}  // namespace

// ---------------------------------------------------------------- concatenate
std::vector<ValueType> Concatenate::infer(const std::vector<ValueType>& in) const {
  if (in.empty()) fail(name(), "expected at least one operand, found none");
  const ValueType& first = in[0];
  const int nd = static_cast<int>(first.shape.size());
  if (axis_ < 0 || axis_ >= nd) {
    fail(name(), "dimension ", axis_, " is out of range for operands of rank ", nd,
         " (0-d operands cannot be concatenated)");
  }
  ValueType out = first;
  for (size_t i = 1; i < in.size(); ++i) {
    const ValueType& t = in[i];
    if (t.dtype != first.dtype) {
      fail(name(), "operands must share one dtype: operand 0 is ", to_string(first), ", operand ",
           i, " is ", to_string(t), " (promote first, as strata::concatenate does)");
    }
    bool same = t.shape.size() == first.shape.size();
    for (int d = 0; same && d < nd; ++d) {
      same = d == axis_ || t.shape[static_cast<size_t>(d)] == first.shape[static_cast<size_t>(d)];
    }
    if (!same) {
      fail(name(), "operand shapes must agree except along dimension ", axis_, ": operand 0 is ",
           to_string(first), ", operand ", i, " is ", to_string(t));
    }
    out.shape[static_cast<size_t>(axis_)] += t.shape[static_cast<size_t>(axis_)];
    out.weak = out.weak && t.weak;
  }
  return {out};
}

void Concatenate::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::concatenate(in, axis_, out[0]);
}

Primitive::Kernel Concatenate::prepare(const std::vector<Array>& in,
                                       const std::vector<ValueType>& out) const {
  std::vector<Array> staging(in.size());
  bool any = false;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!cpu::window_needs_staging(in[i], out[0].shape)) continue;
    staging[i] = compile::working_array(in[i].shape(), in[i].dtype());
    any = true;
  }
  if (!any) return Primitive::prepare(in, out);
  return [axis = axis_, staging](const std::vector<Array>& args, const std::vector<Array>& outs) {
    cpu::concatenate(args, axis, outs[0], &staging);
  };
}

// Each operand's cotangent is its window of ct along the axis.
std::vector<Array> Concatenate::vjp(const VjpArgs& args) const {
  const Array& ct = args.cotangents[0];
  const auto axis = static_cast<size_t>(axis_);
  std::vector<Array> cts(args.primals.size());
  std::vector<int64_t> starts(ct.shape().size(), 0), steps(ct.shape().size(), 1);
  int64_t offset = 0;
  for (size_t i = 0; i < cts.size(); ++i) {
    const Shape& shape = args.primals[i].shape();
    if (args.wanted[i]) {
      starts[axis] = shape[axis] == 0 ? 0 : offset;
      cts[i] = bind1(make<StaticSlice>(starts, shape, steps), {ct});
    }
    offset += shape[axis];
  }
  return cts;
}

std::string Concatenate::params() const {
  return detail::cat("dimension=", axis_);
}

// ---------------------------------------------------------------- iota
std::vector<ValueType> Iota::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 0);
  if (dtype_ == DType::Bool) fail(name(), "dtype must be numeric, found bool");
  const int nd = static_cast<int>(shape_.size());
  if (dimension_ < 0 || dimension_ >= nd) {
    fail(name(), "dimension ", dimension_, " is out of range for shape ", strata::to_string(shape_),
         " (valid: 0 to ", nd - 1, ")");
  }
  for (int64_t d : shape_) {
    if (d < 0) fail(name(), "shape ", strata::to_string(shape_), " has a negative dimension");
  }
  return {ValueType{shape_, dtype_, false}};
}

void Iota::eval_cpu(const std::vector<Array>&, const std::vector<Array>& out) const {
  cpu::iota(dimension_, out[0]);
}

// No operands, so nothing to return a cotangent for.
std::vector<Array> Iota::vjp(const VjpArgs& /*args*/) const {
  return {};
}

std::string Iota::params() const {
  return detail::cat("dtype=", dtype_, " shape=", strata::to_string(shape_),
                     " dimension=", dimension_);
}

// ---------------------------------------------------------------- gather (take)
std::vector<ValueType> Gather::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 2);
  const ValueType& operand = in[0];
  const ValueType& indices = in[1];
  if (operand.shape.empty()) {
    fail(api_, "cannot index a 0-d array: it has no leading axis to take rows from");
  }
  if (!is_integer(indices.dtype)) {
    fail(api_, "indices must have an integer dtype (int32, uint32 or int64), found ",
         to_string(indices), "; convert them with astype(int32)");
  }
  Shape shape = indices.shape;
  shape.insert(shape.end(), operand.shape.begin() + 1, operand.shape.end());
  return {ValueType{shape, operand.dtype, operand.weak}};
}

namespace {

// Gather's evaluation with the row buffer given (as many rows as indices).
void gather(const std::vector<Array>& in, const std::vector<Array>& out,
            std::vector<int64_t>& rows) {
  const int64_t n = in[0].shape()[0];
  if (n == 0) {
    // Nothing to clamp into: the result is all zeros (only reachable with traced indices).
    std::memset(detail::mutable_data(out[0]), 0, static_cast<size_t>(out[0].nbytes()));
    return;
  }
  cpu::read_indices(in[1], rows.data());
  for (int64_t& r : rows) {
    if (r < 0) r += n;
    r = std::clamp<int64_t>(r, 0, n - 1);
  }
  cpu::gather_rows(in[0], rows, out[0]);
}

}  // namespace

void Gather::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  std::vector<int64_t> rows(static_cast<size_t>(in[1].size()));
  gather(in, out, rows);
}

Primitive::Kernel Gather::prepare(const std::vector<Array>& in,
                                  const std::vector<ValueType>& /*out*/) const {
  auto rows = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(in[1].size()));
  compile::report_working_memory(static_cast<int64_t>(rows->size() * sizeof(int64_t)));
  return [rows](const std::vector<Array>& args, const std::vector<Array>& outs) {
    gather(args, outs, *rows);
  };
}

// ---------------------------------------------------------------- check_index
std::vector<ValueType> CheckIndex::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  if (!is_integer(in[0].dtype)) {
    fail(api_, "indices must have an integer dtype (int32, uint32 or int64), found ",
         to_string(in[0]));
  }
  return {in[0]};
}

void CheckIndex::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::copy_into(in[0], out[0]);
  const int64_t count = out[0].size();
  if (count == 0) return;
  // Read back from the dense copy, one element at a time: no allocation, whatever the dtype.
  int64_t bad = 0;
  int64_t at = -1;
  cpu::visit_dtype(out[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      const T* p = static_cast<const T*>(out[0].data());
      for (int64_t i = 0; i < count && at < 0; ++i) {
        const auto v = static_cast<int64_t>(p[i]);
        const bool above = std::is_unsigned_v<T>
                               ? static_cast<uint64_t>(p[i]) >= static_cast<uint64_t>(size_)
                               : v >= size_;
        if (above || v < -size_) bad = v, at = i;
      }
    }
  });
  if (at >= 0) {
    fail(api_, "index ", bad, " (element ", at, " of the indices) is out of range for an axis of ",
         "size ", size_, "; valid indices are ", -size_, " to ", size_ - 1,
         " (take with IndexMode::Clip or IndexMode::Fill gives JAX's out-of-range behaviour)");
  }
}

std::string CheckIndex::params() const {
  return detail::cat("size=", size_);
}

// Each gathered row's cotangent is added back to the row it came from (repeated indices
// accumulate): scatter_add into zeros.  The integer indices get none.
std::vector<Array> Gather::vjp(const VjpArgs& args) const {
  const Array& operand = args.primals[0];
  const Array& indices = args.primals[1];
  return {bind1(make<ScatterAdd>(), {zeros_shaped_like(operand), indices, args.cotangents[0]}),
          Array()};
}

// ---------------------------------------------------------------- scatter_add
std::vector<ValueType> ScatterAdd::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 3);
  const ValueType& operand = in[0];
  const ValueType& indices = in[1];
  const ValueType& updates = in[2];
  if (operand.shape.empty()) {
    fail(name(), "expected an operand with a leading axis to add rows into, found ",
         to_string(operand));
  }
  if (operand.dtype == DType::Bool) {
    fail(name(), "expected a numeric operand, found ", to_string(operand));
  }
  if (!is_integer(indices.dtype)) {
    fail(name(), "indices must have an integer dtype (int32, uint32 or int64), found ",
         to_string(indices));
  }
  Shape want = indices.shape;
  want.insert(want.end(), operand.shape.begin() + 1, operand.shape.end());
  if (updates.dtype != operand.dtype || updates.shape != want) {
    fail(name(), "expected updates of type ", to_string(ValueType{want, operand.dtype, false}),
         " (indices.shape + operand.shape[1:], the operand's dtype), found ", to_string(updates));
  }
  return {ValueType{operand.shape, operand.dtype, operand.weak && updates.weak}};
}

void ScatterAdd::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::copy_into(in[0], out[0]);
  const int64_t n = in[0].shape()[0];
  if (n == 0) return;  // no rows to add into (the result is empty)
  cpu::scatter_add_rows(in[2], clamped_rows(in[1], n), out[0]);
}

// scatter_add is linear in the operand (identity) and in the updates (a gather of ct at the same
// clamped rows); the indices get no cotangent.
std::vector<Array> ScatterAdd::vjp(const VjpArgs& args) const {
  const Array& ct = args.cotangents[0];
  Array updates_ct;
  if (args.wanted[2]) updates_ct = bind1(make<Gather>(), {ct, args.primals[1]});
  return {args.wanted[0] ? ct : Array(), Array(), updates_ct};
}

// ---------------------------------------------------------------- dynamic_slice
std::vector<ValueType> DynamicSlice::infer(const std::vector<ValueType>& in) const {
  if (in.empty()) fail(name(), "expected the operand and its start indices, found no operands");
  const Shape& dims = in[0].shape;
  if (sizes_.size() != dims.size() || in.size() != dims.size() + 1) {
    fail(name(), "expected one slice size and one start index per axis of ", to_string(in[0]),
         ", found ", sizes_.size(), " sizes ", axes_to_string(sizes_), " and ", in.size() - 1,
         " start indices");
  }
  check_start_indices(name(), in, 1);
  for (size_t i = 0; i < dims.size(); ++i) {
    if (sizes_[i] < 0 || sizes_[i] > dims[i]) {
      fail(name(), "slice size ", sizes_[i], " on axis ", i, " does not fit in ", to_string(in[0]),
           " (sizes must be between 0 and the axis size)");
    }
  }
  return {ValueType{sizes_, in[0].dtype, in[0].weak}};
}

std::vector<Array> DynamicSlice::eval_eager(const std::vector<Array>& in) const {
  std::vector<ValueType> types;
  for (const Array& a : in) types.push_back(type_of(a));
  infer(types);
  const Array& x = in[0];
  const cpu::SmallVector<int64_t> starts = clamped_starts(in, 1, x.shape(), sizes_);
  int64_t offset = x.impl().offset;
  for (size_t i = 0; i < starts.size(); ++i) offset += starts[i] * x.strides()[i];
  return {detail::make_view(x, sizes_, x.strides(), offset)};
}

void DynamicSlice::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  // The window as a reader over x's storage (eval_eager's view, without making an Array).
  const Array& x = in[0];
  const cpu::SmallVector<int64_t> starts = clamped_starts(in, 1, x.shape(), sizes_);
  int64_t offset = 0;
  for (size_t i = 0; i < starts.size(); ++i) offset += starts[i] * x.strides()[i];
  const void* first = static_cast<const char*>(x.data()) + offset * x.itemsize();
  cpu::copy_into(cpu::StridedReader(sizes_, x.strides(), x.dtype(), first), out[0]);
}

// The cotangent written into zeros at the same (wrapped, clamped) starts.
std::vector<Array> DynamicSlice::vjp(const VjpArgs& args) const {
  std::vector<Array> operands{zeros_shaped_like(args.primals[0]), args.cotangents[0]};
  for (const Array& s : start_operands(args.primals, 1)) operands.push_back(s);
  std::vector<Array> cts(args.primals.size());
  cts[0] = bind1(make<DynamicUpdateSlice>(), operands);
  return cts;
}

std::string DynamicSlice::params() const {
  return "slice_sizes=" + axes_to_string(sizes_);
}

// ---------------------------------------------------------------- dynamic_update_slice
std::vector<ValueType> DynamicUpdateSlice::infer(const std::vector<ValueType>& in) const {
  if (in.size() < 2) {
    fail(name(), "expected the operand, the update and start indices, found ", in.size(),
         " operands");
  }
  const ValueType& operand = in[0];
  const ValueType& update = in[1];
  const size_t nd = operand.shape.size();
  if (in.size() != nd + 2) {
    fail(name(), "expected one start index per axis of ", to_string(operand), ", found ",
         in.size() - 2);
  }
  if (update.dtype != operand.dtype || update.shape.size() != nd) {
    fail(name(), "the update must have the operand's dtype and rank: operand ", to_string(operand),
         ", update ", to_string(update));
  }
  for (size_t i = 0; i < nd; ++i) {
    if (update.shape[i] > operand.shape[i]) {
      fail(name(), "the update ", to_string(update), " is larger than the operand ",
           to_string(operand), " on axis ", i);
    }
  }
  check_start_indices(name(), in, 2);
  return {operand};
}

void DynamicUpdateSlice::eval_cpu(const std::vector<Array>& in,
                                  const std::vector<Array>& out) const {
  run(in, out, nullptr);
}

Primitive::Kernel DynamicUpdateSlice::prepare(const std::vector<Array>& in,
                                              const std::vector<ValueType>& out) const {
  if (!cpu::window_needs_staging(in[1], out[0].shape)) return Primitive::prepare(in, out);
  const Array staging = compile::working_array(in[1].shape(), in[1].dtype());
  return [this, staging](const std::vector<Array>& args, const std::vector<Array>& outs) {
    run(args, outs, &staging);
  };
}

void DynamicUpdateSlice::run(const std::vector<Array>& in, const std::vector<Array>& out,
                             const Array* staging) const {
  const Array& operand = in[0];
  // A compiled plan may hand the operand's own buffer as the output (an in-place update): then
  // the copy is already done.
  if (!(operand.is_contiguous() && operand.data() == out[0].data())) {
    cpu::copy_into(operand, out[0]);
  }
  cpu::write_window(in[1], out[0], clamped_starts(in, 2, operand.shape(), in[1].shape()), staging);
}

// The operand's cotangent is ct with the overwritten window zeroed; the update's is that window
// of ct.  Both use the same starts, so they clamp exactly as the forward did.
std::vector<Array> DynamicUpdateSlice::vjp(const VjpArgs& args) const {
  const Array& update = args.primals[1];
  const Array& ct = args.cotangents[0];
  const std::vector<Array> starts = start_operands(args.primals, 2);
  std::vector<Array> cts(args.primals.size());
  if (args.wanted[0]) {
    std::vector<Array> operands{ct, zeros_shaped_like(update)};
    operands.insert(operands.end(), starts.begin(), starts.end());
    cts[0] = bind1(make<DynamicUpdateSlice>(), operands);
  }
  if (args.wanted[1]) {
    std::vector<Array> operands{ct};
    operands.insert(operands.end(), starts.begin(), starts.end());
    cts[1] = bind1(make<DynamicSlice>(update.shape()), operands);
  }
  return cts;
}

}  // namespace strata::prim
