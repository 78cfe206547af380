// Reading any strided view (transposed, sliced, broadcast with zero strides) in row-major order.
//
// Kernels work on contiguous tiles: a StridedReader copies elements [begin, begin + n) of a view,
// in row-major order, into a dense buffer of the kernel's compute type.  Adjacent axes that are
// laid out contiguously with respect to each other are merged first, so a dense array reads with
// one memcpy-like loop and a row-broadcast array with one inner loop per row.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "backend/cpu/dispatch.h"
#include "backend/cpu/small_vector.h"
#include "strata/core/array.h"

namespace strata::cpu {

// A shape seen as [outer, n, inner] around one axis: the kernels that work along a single axis
// (argmax / argmin, argsort) address element (o, j, i) of a dense array at (o * n + j) * inner + i.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
inline AxisSplit split_at_axis(const Shape& shape, int axis) {
  AxisSplit s;
  const auto ax = static_cast<size_t>(axis);
  s.n = shape[ax];
  for (size_t i = 0; i < ax; ++i) s.outer *= shape[i];
  for (size_t i = ax + 1; i < shape.size(); ++i) s.inner *= shape[i];
  return s;
}

class StridedReader {
 public:
  explicit StridedReader(const Array& a)
      : StridedReader(a.shape(), a.strides(), a.dtype(), a.data()) {}
  // A reader of the view (shape, strides) of `dtype` elements whose first element is at `base`.
  // Kernels prepared for a fixed layout make it once, without data, and rebase() it every run.
  StridedReader(std::span<const int64_t> shape, std::span<const int64_t> strides, DType dtype,
                const void* base = nullptr)
      : base_(base), dtype_(dtype) {
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 1) continue;  // size-1 axes never move the cursor
      if (!dims_.empty() && strides_.back() == strides[i] * shape[i]) {
        dims_.back() *= shape[i];  // merge with the previous axis
        strides_.back() = strides[i];
      } else {
        dims_.push_back(shape[i]);
        strides_.push_back(strides[i]);
      }
    }
  }

  // True when the view is one dense run (after merging), so data() can be used directly.
  bool dense() const { return dims_.empty() || (dims_.size() == 1 && strides_[0] == 1); }
  DType dtype() const { return dtype_; }
  const void* base() const { return base_; }
  void rebase(const void* base) { base_ = base; }

  // Copies elements [begin, begin + n) in row-major order into out[0, n), converting to C.
  template <typename C>
  void read(int64_t begin, int64_t n, C* out) const {
    visit_dtype(dtype_, [&](auto tag) {
      using S = decltype(tag);
      read_as<S, C>(begin, n, out);
    });
  }

 private:
  template <typename S, typename C>
  void read_as(int64_t begin, int64_t n, C* out) const {
    const S* base = static_cast<const S*>(base_);
    if (dims_.empty()) {  // a single element repeated (0-d or all size-1 / broadcast axes)
      const C v = convert<C>(base[0]);
      for (int64_t i = 0; i < n; ++i) out[i] = v;
      return;
    }
    const int nd = static_cast<int>(dims_.size());
    // Multi-index of `begin` and the matching storage offset.
    SmallVector<int64_t> index(static_cast<size_t>(nd), 0);
    int64_t offset = 0;
    int64_t rest = begin;
    for (int d = nd - 1; d >= 0; --d) {
      index[d] = rest % dims_[d];
      rest /= dims_[d];
      offset += index[d] * strides_[d];
    }
    const int64_t inner = dims_[nd - 1];
    const int64_t inner_stride = strides_[nd - 1];
    int64_t done = 0;
    while (done < n) {
      const int64_t run = std::min(inner - index[nd - 1], n - done);
      const S* src = base + offset;
      C* dst = out + done;
      if (inner_stride == 1) {
        if constexpr (std::is_same_v<S, C>) {
          std::memcpy(dst, src, static_cast<size_t>(run) * sizeof(C));
        } else {
          for (int64_t i = 0; i < run; ++i) dst[i] = convert<C>(src[i]);
        }
      } else if (inner_stride == 0) {
        const C v = convert<C>(src[0]);
        for (int64_t i = 0; i < run; ++i) dst[i] = v;
      } else {
        for (int64_t i = 0; i < run; ++i) dst[i] = convert<C>(src[i * inner_stride]);
      }
      done += run;
      // Advance the odometer by `run` along the inner axis, carrying into outer axes.
      offset += run * inner_stride;
      index[nd - 1] += run;
      for (int d = nd - 1; d > 0 && index[d] == dims_[d]; --d) {
        offset -= dims_[d] * strides_[d];
        index[d] = 0;
        ++index[d - 1];
        offset += strides_[d - 1];
      }
    }
  }

  const void* base_;
  DType dtype_;
  SmallVector<int64_t> dims_;  // merged axes: no allocation up to kInlineAxes of them
  SmallVector<int64_t> strides_;
};

// Stores a dense run of compute-type values into a dense output of storage type S.
template <typename S, typename C>
void write_converted(const C* src, int64_t n, S* dst) {
  if constexpr (std::is_same_v<S, C>) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(C));
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = convert<S>(src[i]);
  }
}

// Copies (and converts) any view `src` into the dense array `dst` of the same shape, in parallel.
void copy_into(const Array& src, const Array& dst);
// The same from a reader (prepared kernels keep one per strided operand and rebase it): every
// element it reads, in row-major order, into the dense `dst` of as many elements.
void copy_into(const StridedReader& src, const Array& dst);
// Materialises any view as a fresh contiguous array of the same (or another) dtype.
Array contiguous_copy(const Array& a, DType dtype);
inline Array contiguous(const Array& a) {
  return a.is_contiguous() ? a : contiguous_copy(a, a.dtype());
}

}  // namespace strata::cpu
