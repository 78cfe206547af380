// Arrays to and from the bytes of a file, shared by the safetensors, npy and npz code.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <string>

#include "io/file.h"
#include "strata/core/array.h"

namespace strata::io::detail {

static_assert(std::endian::native == std::endian::little,
              "strata::io writes and maps little-endian data as it is in memory");

// "[api] cannot save `key`: ..." for a traced array or an empty handle.
void check_savable(const Array& a, const char* api, const std::string& key);
// The array to write for `a`: checked as above, and dense (row-major).
Array dense_for_saving(const Array& a, const char* api, const std::string& key);

// An array of `shape` and `dtype` over the bytes at `offset` of `file`, which the caller has
// checked lie inside it: a view that keeps the file mapped when the bytes are aligned for the
// dtype, else a copy.  Bool bytes other than 0 and 1 read as true (as NumPy does) in a copy, so
// that kernels only ever see 0 and 1.
Array array_over_bytes(const std::shared_ptr<const MappedFile>& file, int64_t offset,
                       const Shape& shape, DType dtype);

// A fresh array holding a copy of `bytes` bytes at `data` (exactly the shape's size).
Array array_copy_of_bytes(const void* data, const Shape& shape, DType dtype);

// Bool bytes other than 0 read as 1 (as NumPy does), in place: kernels only ever see 0 and 1.
void normalise_bool_bytes(void* data, int64_t count);

// Reverses the byte order of each of `count` items of `itemsize` bytes (big-endian files).
void swap_bytes(void* data, int64_t count, int64_t itemsize);

}  // namespace strata::io::detail
