#include "strata/core/array.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <mutex>
#include <sstream>

#include "backend/cpu/strided.h"
#include "strata/ops.h"

namespace strata {

// ---------------------------------------------------------------- Buffer
namespace {

// Freed large blocks are kept for reuse: a fresh multi-megabyte allocation comes from mmap and
// costs a page fault per 4 KiB on first touch, which would dominate eager elementwise ops on big
// arrays.  Blocks are reused only for the same rounded size; the cache holds at most kCacheLimit
// bytes and gives back the oldest blocks beyond that.
constexpr size_t kCacheFrom = size_t{1} << 20;
constexpr size_t kCacheLimit = size_t{256} << 20;

size_t rounded_size(int64_t bytes) {
  // Keep at least one cache line so every array, even an empty one, has its own address; large
  // blocks round to 64 KiB so nearby sizes share cache entries.
  const size_t align = static_cast<size_t>(bytes) >= kCacheFrom ? (size_t{64} << 10) : 64;
  const size_t n = (static_cast<size_t>(bytes) + align - 1) / align * align;
  return n == 0 ? 64 : n;
}

class BlockCache {
 public:
  void* take(size_t size) {
    std::lock_guard lock(mutex_);
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->size == size) {
        void* p = it->data;
        held_ -= size;
        blocks_.erase(std::next(it).base());
        return p;
      }
    }
    return nullptr;
  }
  void give(void* p, size_t size) {
    std::lock_guard lock(mutex_);
    blocks_.push_back({p, size});
    held_ += size;
    while (held_ > kCacheLimit) {
      std::free(blocks_.front().data);
      held_ -= blocks_.front().size;
      blocks_.erase(blocks_.begin());
    }
  }
  ~BlockCache() {
    for (const Block& b : blocks_) std::free(b.data);
  }

 private:
  struct Block {
    void* data;
    size_t size;
  };
  std::mutex mutex_;
  std::vector<Block> blocks_;
  size_t held_ = 0;
};

BlockCache& block_cache() {
  static BlockCache* cache = new BlockCache();  // never destroyed: buffers may outlive statics
  return *cache;
}

}  // namespace

std::shared_ptr<Buffer> Buffer::allocate(int64_t bytes, std::string_view api,
                                         std::string_view what) {
  if (bytes < 0) fail(api, "cannot allocate a negative size (", bytes, " bytes)");
  const bool fits = static_cast<uint64_t>(bytes) <= (uint64_t{1} << 62);
  const size_t size = fits ? rounded_size(bytes) : 0;
  void* p = fits && size >= kCacheFrom ? block_cache().take(size) : nullptr;
  if (fits && p == nullptr) p = std::aligned_alloc(64, size);
  if (p == nullptr) {
    fail(api, "cannot allocate ", detail::format_bytes(bytes), what.empty() ? "" : " for ", what,
         ": the system has no block of that size; use smaller shapes or batches, fewer layers, "
         "or a checkpoint policy that saves less");
  }
  try {
    return std::shared_ptr<Buffer>(new Buffer(p, bytes));
  } catch (...) {
    std::free(p);
    throw;
  }
}

std::shared_ptr<Buffer> Buffer::borrow(void* data, int64_t bytes,
                                       std::shared_ptr<const void> owner) {
  if (bytes < 0 || (data == nullptr && bytes > 0) || owner == nullptr) {
    fail("Buffer::borrow", "expected memory with an owner, found ", bytes, " bytes at ", data,
         owner == nullptr ? " without an owner" : "");
  }
  return std::shared_ptr<Buffer>(new Buffer(data, bytes, std::move(owner)));
}

Buffer::~Buffer() {
  if (owner_ != nullptr) return;  // borrowed: released with its owner
  const size_t size = rounded_size(bytes_);
  if (size >= kCacheFrom) {
    block_cache().give(data_, size);
  } else {
    std::free(data_);
  }
}

// ---------------------------------------------------------------- shapes
std::string to_string(const Shape& shape) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) os << ",";
  os << ")";
  return os.str();
}

namespace detail {

int64_t shape_size(const Shape& shape) {
  return checked_size(shape, "shape");
}

int64_t checked_size(const Shape& shape, std::string_view api) {
  int64_t n = 1;
  bool overflow = false;
  for (int64_t d : shape) {
    if (d < 0) {
      fail(api, "shape ", to_string(shape), " has a negative dimension; sizes must be >= 0");
    }
    overflow = overflow || __builtin_mul_overflow(n, d, &n);
  }
  // A zero dimension anywhere makes the count 0, whatever the others multiply to.
  if (overflow && std::find(shape.begin(), shape.end(), 0) == shape.end()) {
    fail(api, "shape ", to_string(shape), " has more elements than an array can hold (2^63 - 1); ",
         "check the sizes (an uninitialised or overflowed dimension?)");
  }
  return overflow ? 0 : n;
}

int64_t checked_nbytes(const Shape& shape, DType dtype, std::string_view api) {
  int64_t bytes = 0;
  if (__builtin_mul_overflow(checked_size(shape, api), itemsize(dtype), &bytes)) {
    fail(api, "an array of ", dtype, " ", to_string(shape),
         " would take more than 2^63 - 1 bytes; check the sizes");
  }
  return bytes;
}

std::string format_bytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024.0 && unit + 1 < std::size(kUnits)) {
    v /= 1024.0;
    ++unit;
  }
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(unit == 0 ? 0 : 1);
  os << v << " " << kUnits[unit];
  return os.str();
}

Strides row_major_strides(const Shape& shape) {
  Strides strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

Array empty(const Shape& shape, DType dtype, std::string_view api) {
  const int64_t bytes = checked_nbytes(shape, dtype, api);
  auto impl = std::make_shared<ArrayImpl>();
  impl->shape = shape;
  impl->strides = row_major_strides(shape);
  impl->dtype = dtype;
  impl->buffer = Buffer::allocate(bytes, api, cat(dtype, " ", to_string(shape)));
  return Array(std::move(impl));
}

void* mutable_data(const Array& a) {
  const ArrayImpl& impl = a.impl();
  return static_cast<char*>(impl.buffer->data()) + impl.offset * itemsize(impl.dtype);
}

Array from_host(const void* data, int64_t count, const Shape& shape, DType dtype, const char* api) {
  const int64_t size = checked_size(shape, api);
  if (count != size) {
    fail(api, "got ", count, " values for shape ", to_string(shape), ", which holds ", size,
         "; pass exactly as many values as the shape has elements");
  }
  Array out = empty(shape, dtype, api);
  if (out.nbytes() > 0) std::memcpy(mutable_data(out), data, static_cast<size_t>(out.nbytes()));
  return out;
}

Array make_view(const Array& base, Shape shape, Strides strides, int64_t offset) {
  checked_size(shape, "view");
  auto impl = std::make_shared<ArrayImpl>(base.impl());
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  return Array(std::move(impl));
}

Array with_weak_type(const Array& a, bool weak) {
  if (a.weak_type() == weak) return a;
  auto impl = std::make_shared<ArrayImpl>(a.impl());
  impl->weak = weak;
  return Array(std::move(impl));
}

}  // namespace detail

Array weak_scalar(double value) {
  return detail::with_weak_type(scalar(value), true);
}
Array weak_scalar(int64_t value) {
  return detail::with_weak_type(scalar(value), true);
}

// ---------------------------------------------------------------- Array
const detail::ArrayImpl& Array::impl() const {
  if (!impl_) {
    fail("Array", "this Array is empty (default-constructed); assign an array to it before use");
  }
  return *impl_;
}

int64_t Array::shape(int axis) const {
  const int nd = ndim();
  if (axis < -nd || axis >= nd) {
    fail("Array::shape", "axis ", axis, " is out of range for an array of shape ",
         to_string(shape()), " (ndim ", nd, ")");
  }
  return impl().shape[static_cast<size_t>(axis < 0 ? axis + nd : axis)];
}

int64_t Array::size() const {
  return detail::shape_size(shape());
}

bool Array::is_contiguous() const {
  const detail::ArrayImpl& i = impl();
  int64_t expected = 1;
  for (size_t d = i.shape.size(); d-- > 0;) {
    if (i.shape[d] != 1 && i.strides[d] != expected) return false;
    expected *= i.shape[d];
  }
  return true;
}

void Array::check_concrete(const char* api) const {
  if (is_traced()) {
    fail(api, "this array (", strata::to_string(shape()), " ", dtype(),
         ") is a traced value inside jit / scan / trace: its contents do not exist while the "
         "function is being traced; return it from the traced function and read the result");
  }
}

const void* Array::data() const {
  check_concrete("Array::data");
  const detail::ArrayImpl& i = impl();
  return static_cast<const char*>(i.buffer->data()) + i.offset * strata::itemsize(i.dtype);
}

bool Array::shares_buffer_with(const Array& other) const {
  return !is_traced() && impl().buffer == other.impl().buffer;
}

Array Array::operator[](int64_t index) const {
  if (ndim() == 0) fail("Array::operator[]", "cannot index a 0-d array; it has no leading axis");
  const int64_t n = shape()[0];
  if (index < -n || index >= n) {
    fail("Array::operator[]", "index ", index, " is out of range for leading axis of size ", n,
         " (shape ", to_string(shape()), ")");
  }
  if (index < 0) index += n;
  if (is_traced()) {
    return as_api("Array::operator[]", [&] {
      return strata::squeeze(strata::slice(*this, {Slice{index, index + 1}}), {0});
    });
  }
  Shape shape(this->shape().begin() + 1, this->shape().end());
  Strides strides(this->strides().begin() + 1, this->strides().end());
  return detail::make_view(*this, std::move(shape), std::move(strides),
                           impl().offset + index * this->strides()[0]);
}

Array Array::slice(int64_t start, int64_t stop, int64_t step) const {
  if (ndim() == 0) fail("Array::slice", "cannot slice a 0-d array; it has no leading axis");
  return as_api("Array::slice", [&] { return strata::slice(*this, {Slice{start, stop, step}}); });
}

Array Array::astype(DType dtype) const {
  return strata::astype(*this, dtype);
}

void Array::check_dtype(DType expected, const char* api) const {
  if (dtype() != expected) {
    fail(api, "requested element type ", expected, " but the array has dtype ", dtype(),
         "; call astype(", expected, ") first or request ", dtype());
  }
}

Array detail::contiguous(const Array& a) {
  return cpu::contiguous(a);
}

std::vector<uint8_t> Array::dense_bytes() const {
  const Array dense = cpu::contiguous(*this);
  const auto* p = static_cast<const uint8_t*>(dense.data());
  return std::vector<uint8_t>(p, p + dense.nbytes());
}

}  // namespace strata
