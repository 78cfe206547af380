#include "io/tensor_bytes.h"

#include <algorithm>

#include "strata/core/error.h"

namespace strata::io::detail {

void check_savable(const Array& a, const char* api, const std::string& key) {
  if (!a.valid()) fail(api, "cannot save `", key, "`: it is an empty Array handle");
  if (a.is_traced()) {
    fail(api, "cannot save `", key, "`: it is a traced ", a.dtype(), to_string(a.shape()),
         " (inside jit, grad, vmap or scan); save the concrete arrays the transform returns");
  }
}

Array dense_for_saving(const Array& a, const char* api, const std::string& key) {
  check_savable(a, api, key);
  return strata::detail::contiguous(a);
}

Array array_over_bytes(const std::shared_ptr<const MappedFile>& file, int64_t offset,
                       const Shape& shape, DType dtype) {
  uint8_t* p = file->mutable_data() + offset;
  const int64_t bytes = strata::detail::checked_nbytes(shape, dtype, "io");
  if (dtype == DType::Bool && std::any_of(p, p + bytes, [](uint8_t b) { return b > 1; })) {
    Array out = array_copy_of_bytes(p, shape, dtype);
    normalise_bool_bytes(strata::detail::mutable_data(out), bytes);
    return out;
  }
  if (reinterpret_cast<uintptr_t>(p) % static_cast<uintptr_t>(itemsize(dtype)) != 0 || bytes == 0) {
    return array_copy_of_bytes(p, shape, dtype);
  }
  auto impl = std::make_shared<strata::detail::ArrayImpl>();
  impl->shape = shape;
  impl->strides = strata::detail::row_major_strides(shape);
  impl->dtype = dtype;
  impl->buffer = Buffer::borrow(p, bytes, file);
  return Array(std::move(impl));
}

Array array_copy_of_bytes(const void* data, const Shape& shape, DType dtype) {
  return strata::detail::from_host(data, strata::detail::checked_size(shape, "io"), shape, dtype,
                                   "io");
}

void normalise_bool_bytes(void* data, int64_t count) {
  auto* p = static_cast<uint8_t*>(data);
  for (int64_t i = 0; i < count; ++i) p[i] = p[i] != 0;
}

void swap_bytes(void* data, int64_t count, int64_t itemsize) {
  auto* p = static_cast<uint8_t*>(data);
  for (int64_t i = 0; i < count; ++i, p += itemsize) std::reverse(p, p + itemsize);
}

}  // namespace strata::io::detail
