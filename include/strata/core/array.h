// strata::Array — an immutable n-dimensional value with shared ownership of its storage.
//
// Copies are cheap (a reference count).  Storage is a 64-byte-aligned Buffer; an Array is a view
// onto it (shape, strides in elements, offset), so indexing or slicing the leading axis,
// transposing or broadcasting makes a new view without copying.  Element order is row-major.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/core/dtype.h"
#include "strata/core/error.h"

namespace strata {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;  // in elements, may be zero (broadcast) or negative

std::string to_string(const Shape& shape);  // "(2, 3)", like NumPy's shape tuple

// A 64-byte-aligned block of bytes.  Arrays share it; it is freed with the last one.
class Buffer {
 public:
  // Throws "[api] cannot allocate <size> for <what>: ..." (never std::bad_alloc) when the memory
  // is not there; `what` describes the array ("float32 (1024, 1024)").
  static std::shared_ptr<Buffer> allocate(int64_t bytes, std::string_view api = "Buffer",
                                          std::string_view what = {});
  // Memory the Buffer does not own (a memory-mapped file, say): `data` stays valid while `owner`
  // lives, and the Buffer keeps `owner` alive.  `data` need only be aligned for the element type
  // stored there.  strata never writes through a Buffer an array still refers to.
  static std::shared_ptr<Buffer> borrow(void* data, int64_t bytes,
                                        std::shared_ptr<const void> owner);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* data() const { return data_; }
  int64_t bytes() const { return bytes_; }

 private:
  Buffer(void* data, int64_t bytes, std::shared_ptr<const void> owner = nullptr)
      : data_(data), bytes_(bytes), owner_(std::move(owner)) {}
  void* data_;
  int64_t bytes_;
  std::shared_ptr<const void> owner_;  // set for borrowed memory, which is never freed here
};

namespace detail {
struct TraceFrame;  // src/trace/frame.h: the graph a traced array belongs to
struct ArrayImpl {
  Shape shape;
  Strides strides;
  int64_t offset = 0;  // in elements, from buffer->data()
  DType dtype = DType::Float32;
  bool weak = false;  // weakly typed (came from a C++ scalar): see promote_types
  std::shared_ptr<Buffer> buffer;
  // Traced arrays (inside jit, scan bodies, trace) have no buffer: they name value `value` of the
  // graph being recorded by `frame`.
  std::shared_ptr<TraceFrame> frame;
  int32_t value = -1;
};
}  // namespace detail

class Array {
 public:
  Array() = default;  // an empty handle; every query on it throws strata::Error
  explicit Array(std::shared_ptr<const detail::ArrayImpl> impl) : impl_(std::move(impl)) {}

  bool valid() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int64_t shape(int axis) const;  // negative axes count from the end
  const Strides& strides() const { return impl().strides; }
  int ndim() const { return static_cast<int>(impl().shape.size()); }
  int64_t size() const;
  DType dtype() const { return impl().dtype; }
  int64_t itemsize() const { return strata::itemsize(dtype()); }
  int64_t nbytes() const { return size() * itemsize(); }
  bool weak_type() const { return impl().weak; }
  bool is_contiguous() const;  // row-major dense, so data() addresses size() consecutive items
  // A traced array stands for a value of a graph being recorded (inside jit, a scan body, trace):
  // it has a shape and dtype but no contents yet.  Reading it (item, to_vector, data) throws.
  bool is_traced() const { return impl().frame != nullptr; }

  // Leading-axis views (no copy).  operator[] accepts negative indices like Python.
  Array operator[](int64_t index) const;
  Array slice(int64_t start, int64_t stop, int64_t step = 1) const;

  // Read-back.  item() needs a one-element array; T must match dtype() exactly.
  template <Element T>
  T item() const;
  template <Element T>
  std::vector<T> to_vector() const;

  Array astype(DType dtype) const;

  // Address of the first element (of the view).  Elements follow strides(), not necessarily
  // contiguously: use to_vector(), or contiguous() first, for a dense copy.
  const void* data() const;
  template <Element T>
  const T* data() const {
    check_dtype(dtype_v<T>, "Array::data");
    return static_cast<const T*>(data());
  }

  // Shares the underlying buffer (a view or the same array): used to test views.
  bool shares_buffer_with(const Array& other) const;
  const std::shared_ptr<const detail::ArrayImpl>& impl_ptr() const { return impl_; }
  const detail::ArrayImpl& impl() const;

 private:
  void check_dtype(DType expected, const char* api) const;
  void check_concrete(const char* api) const;  // throws on traced arrays
  std::vector<uint8_t> dense_bytes() const;    // elements in row-major order, packed
  std::shared_ptr<const detail::ArrayImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Array& a);  // NumPy repr style
std::string to_string(const Array& a);

// ---------------------------------------------------------------- creation from host data
namespace detail {
// Copies `count` host elements into a new array of `shape`; throws if count != shape's size.
Array from_host(const void* data, int64_t count, const Shape& shape, DType dtype, const char* api);
// A fresh contiguous array whose storage the caller fills (kernels and creation functions only).
Array empty(const Shape& shape, DType dtype, std::string_view api = "empty");
void* mutable_data(const Array& a);  // only on arrays fresh from empty()
// `a` itself when it is contiguous (row-major, dense), else a contiguous copy of it.
Array contiguous(const Array& a);
Array make_view(const Array& base, Shape shape, Strides strides, int64_t offset);
Array with_weak_type(const Array& a, bool weak);
Strides row_major_strides(const Shape& shape);
// The number of elements of `shape`.  Every shape an array or a traced value gets is checked
// with checked_size first, so this never overflows (it checks anyway, naming "shape").
int64_t shape_size(const Shape& shape);
// The number of elements, or "[api] ..." when a dimension is negative or the count does not fit
// in int64 (2^63 - 1): the one check every shape computation goes through.
int64_t checked_size(const Shape& shape, std::string_view api);
// The byte size of an array of `shape` and `dtype`, checked the same way.
int64_t checked_nbytes(const Shape& shape, DType dtype, std::string_view api);
// "4.0 TiB", "12.5 MiB", "64 B": a byte count for messages.
std::string format_bytes(int64_t bytes);
}  // namespace detail

template <Element T>
Array array(const std::vector<T>& values, const Shape& shape) {
  if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> is packed: widen to one byte each
    std::vector<uint8_t> bytes(values.begin(), values.end());
    return detail::from_host(bytes.data(), static_cast<int64_t>(bytes.size()), shape, DType::Bool,
                             "array");
  } else {
    return detail::from_host(values.data(), static_cast<int64_t>(values.size()), shape, dtype_v<T>,
                             "array");
  }
}
template <Element T>
Array array(const std::vector<T>& values) {
  return array(values, Shape{static_cast<int64_t>(values.size())});
}
template <Element T>
Array array(std::initializer_list<T> values, const Shape& shape) {
  return array(std::vector<T>(values), shape);
}
template <Element T>
Array array(std::initializer_list<T> values) {
  return array(std::vector<T>(values));
}
// A 0-d array.  scalar(2.0) is float64, scalar(2.0f) float32: strongly typed, like np.float32(2).
template <Element T>
Array scalar(T value) {
  return detail::from_host(&value, 1, Shape{}, dtype_v<T>, "scalar");
}
// A weakly typed 0-d array, as JAX makes from a Python scalar: it adopts the dtype of the array
// it meets (x_f16 * weak_scalar(2.0) stays float16).
Array weak_scalar(double value);
Array weak_scalar(int64_t value);

// ---------------------------------------------------------------- template definitions
template <Element T>
T Array::item() const {
  check_concrete("Array::item");
  check_dtype(dtype_v<T>, "Array::item");
  if (size() != 1) {
    fail("Array::item", "expected an array with exactly one element, found shape ",
         to_string(shape()), " (", size(), " elements); index or reduce it first");
  }
  T value;
  std::memcpy(&value, data(), sizeof(T));
  return value;
}

template <Element T>
std::vector<T> Array::to_vector() const {
  check_concrete("Array::to_vector");
  check_dtype(dtype_v<T>, "Array::to_vector");
  std::vector<uint8_t> bytes = dense_bytes();
  if constexpr (std::is_same_v<T, bool>) {
    return std::vector<bool>(bytes.begin(), bytes.end());
  } else {
    std::vector<T> out(static_cast<size_t>(size()));
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
}

}  // namespace strata
