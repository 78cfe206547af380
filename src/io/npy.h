// NumPy's .npy format (one array) and .npz (a zip of .npy members): the readers' entry points over
// bytes already mapped or in memory (load_npy / load_npz map the file; fuzzers and tests hand them
// bytes through MappedFile::in_memory), and the pieces the npy and npz writers share.
//
// A .npy image: the magic "\x93NUMPY", a version byte pair (1.0, 2.0 or 3.0), the header length
// (u16 little-endian for 1.0, u32 for 2.0 and 3.0), the header — a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with spaces and ended by
// '\n' — and then the data, exactly the shape's bytes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "io/file.h"
#include "strata/core/array.h"

namespace strata::io::detail {

// What a .npy header says.  `shape` is the shape of the bytes as stored, in C order: for
// fortran_order True it is the array's shape reversed, and the array is its transpose.
struct NpyHeader {
  std::string descr;  // as written, for messages
  DType dtype = DType::Float32;
  bool big_endian = false;  // '>' with an itemsize above 1: the data must be byte-swapped
  bool fortran_order = false;
  Shape shape;
  int64_t data_offset = 0;  // from the start of the image: magic + version + length + header
  int64_t data_bytes = 0;   // the shape's byte size, checked against overflow
};

// The prelude (magic, version, header length) is at most this long.
inline constexpr int64_t kNpyPreludeBytes = 12;
// Headers of numeric arrays are a few hundred bytes; a longer one is refused before anything is
// read or allocated from it (NumPy itself refuses headers above 10000 bytes by default).
inline constexpr int64_t kNpyMaxHeaderBytes = int64_t{1} << 20;

// From the first `available` bytes of an image of `image_size` bytes: the offset of the data
// (magic, version, length and header together).  Checks the magic, the version and that the
// header fits in the image.  Errors start "[api] <what>: ".
int64_t npy_data_offset(const uint8_t* p, int64_t available, int64_t image_size, const char* api,
                        const std::string& what);

// Parses the first `data_offset` bytes of an image (as returned by npy_data_offset).
NpyHeader parse_npy_header(const uint8_t* p, int64_t data_offset, const char* api,
                           const std::string& what);

// The array a .npy image holds, given a fresh array of `header.shape` and `header.dtype` that
// owns the stored bytes (strata::detail::empty, filled): byte-swapped and bool-normalised in
// place, then transposed for fortran_order.
Array finish_npy(Array stored, const NpyHeader& header);

// Reads the whole .npy image at [begin, begin + size) of `file` (a file, or a member of an npz
// held in memory): validates everything, then returns a view of the mapping when the data is
// little-endian and aligned for its dtype, else a copy.
Array read_npy(const std::shared_ptr<const MappedFile>& file, int64_t begin, int64_t size,
               const char* api, const std::string& what);

// The prelude and header NumPy writes for a C-order, little-endian array of `dtype` and `shape`,
// padded with spaces and '\n' so that the data starts at a multiple of 64 bytes.  Errors (a
// bfloat16 array, which .npy cannot hold) name `what`.
std::string npy_header_for(DType dtype, const Shape& shape, const char* api,
                           const std::string& what);

// Reads a whole .npz archive from `file` (mapped, or in memory): every member, checked (names,
// compression, declared sizes against the file's size and against each member's .npy header,
// CRC-32) before it is returned.  Keys are member names without ".npy".
std::map<std::string, Array> read_npz(const std::shared_ptr<const MappedFile>& file,
                                      const char* api);

}  // namespace strata::io::detail
