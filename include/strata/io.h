// strata::io — saving and loading arrays: safetensors, NumPy's .npy and .npz.
//
// Checkpoints are exchanged with JAX, Flax, Haliax, PyTorch and NumPy through these formats:
//
//   io::save_safetensors("model.safetensors", nn::state_dict(model), {{"step", "1200"}});
//   auto tensors = io::load_safetensors("model.safetensors");     // a view of the mapped file
//   model = nn::load_state_dict(model, tensors);                    // strict: see nn/state_dict.h
//
// Saving is atomic: the bytes go to a temporary file in the destination's folder, which is flushed
// to disk (fsync) and then renamed over the destination, so a crash or an error mid-save leaves
// the previous file as it was.  Arrays are written in row-major order, little-endian; views are
// made dense first.  Traced arrays (inside jit, grad, vmap, scan) cannot be saved.
//
// Loading safetensors maps the file (mmap, copy-on-write): an array whose bytes are aligned for
// its dtype is a view of the mapping, so loading is near-instant and the memory is shared with the
// page cache; the mapping lives as long as any array using it.  Arrays whose bytes are not
// aligned are copied.  (Truncating a file while arrays still map it is undefined, as for any
// mapped file: write a new file and rename it, as the savers do.)
//
// Every reader validates the whole file before returning anything: a malformed, truncated or
// hostile file is a strata::Error naming the API, the file and what is wrong (byte offsets, key
// names, expected against found), never a crash, a partial result or an allocation sized by an
// unchecked number.
//
// dtypes: bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, bfloat16,
// float32, float64 (safetensors names BOOL, I8, I16, I32, I64, U8, U16, U32, U64, F16, BF16, F32,
// F64; .npy descrs such as '<f4', '>i2', '|b1').  npz does not know bfloat16 (NumPy has no such
// dtype): saving one to .npy/.npz is an error that says to cast it or use safetensors.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "strata/core/array.h"

namespace strata::io {

// ---------------------------------------------------------------- safetensors
// File: u64 little-endian header length N, N bytes of JSON {"name": {"dtype", "shape",
// "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}, then the data buffer.
// The writer pads the header with spaces to a multiple of 8 and places every tensor at an offset
// aligned for its dtype (larger dtypes first), so that a loaded file needs no copies.
void save_safetensors(const std::string& path, const std::map<std::string, Array>& tensors,
                      const std::map<std::string, std::string>& metadata = {});
std::map<std::string, Array> load_safetensors(const std::string& path);
// Only the "__metadata__" entry (empty when the file has none); the header is still fully
// validated.
std::map<std::string, std::string> load_safetensors_metadata(const std::string& path);

// ---------------------------------------------------------------- NumPy
// .npy versions 1.0, 2.0 and 3.0; little- and big-endian numeric descrs; fortran_order True is
// read as the transposed view it is.  Object and structured dtypes (which NumPy reads with
// pickle) are refused, never executed.  The writer emits version 1.0 (2.0 for headers too long
// for 1.0), little-endian, C order, with data at a multiple of 64 bytes.
void save_npy(const std::string& path, const Array& array);
Array load_npy(const std::string& path);

// .npz: a zip archive of .npy members named "<key>.npy".  The writer stores members uncompressed
// (as numpy.savez); the reader takes stored and deflated members (numpy.savez_compressed),
// checking every member's declared size against its header before inflating anything.
void save_npz(const std::string& path, const std::map<std::string, Array>& tensors);
std::map<std::string, Array> load_npz(const std::string& path);

// ---------------------------------------------------------------- converting key layouts
// One rule of map_keys: a key that matches `pattern` entirely (ECMAScript std::regex) becomes
// `replacement` ($1, $2 ... are the pattern's groups); with `transpose`, its array's last two
// axes are swapped as well (PyTorch's Linear `weight` (out, in) is Flax's `kernel` (in, out)).
struct KeyRule {
  std::string pattern;
  std::string replacement;
  bool transpose = false;
};

// Applies the first matching rule to every key (keys no rule matches are kept as they are).
// Two keys that end up with one name, a transposed array of fewer than two axes, or an invalid
// pattern are errors naming the keys and rules involved.
//
//   // PyTorch nn.Linear / nn.LayerNorm names into strata::nn (Flax) names:
//   auto flax = io::map_keys(io::load_safetensors("torch.safetensors"),
//                            {{R"((.*fc\d)\.weight)", "$1.kernel", true},
//                             {R"((.*norm)\.weight)", "$1.scale"}});
std::map<std::string, Array> map_keys(const std::map<std::string, Array>& tensors,
                                      const std::vector<KeyRule>& rules);

}  // namespace strata::io
