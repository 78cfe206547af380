// NumPy's .npy format: a strict reader for the header grammar NumPy writes (a Python dict literal,
// parsed here by hand — nothing is ever evaluated), and the writer.
#include "io/npy.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "io/tensor_bytes.h"
#include "strata/core/error.h"
#include "strata/io.h"
#include "strata/ops.h"

namespace strata::io::detail {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr int64_t kMagicBytes = 6;
// NumPy (1.x and 2.x) shapes have at most 64 axes; more is a corrupt header.
constexpr size_t kMaxAxes = 64;

// Bytes of a header or a file as they may appear in a message: printable ASCII as it is, the rest
// as \xNN, cut after `max` bytes.
std::string printable(std::string_view s, size_t max = 160) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

// What messages call the image: an npz member's `what` names the member.
std::string_view noun(const std::string& what) {
  return what.find(" member '") != std::string::npos ? "member" : "file";
}

uint32_t read_le(const uint8_t* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

struct DescrInfo {
  DType dtype;
  bool big_endian;
};

// NumPy's descr strings for the numeric dtypes strata has: an optional byte-order character
// ('<' little, '>' big, '|' not applicable, '=' native, which is little here), a kind and a size.
// Everything else is refused by name, never interpreted.
DescrInfo parse_descr(const std::string& descr, const char* api, const std::string& what) {
  std::string_view d = descr;
  char order = '=';
  if (!d.empty() && std::string_view("<>|=").find(d.front()) != std::string_view::npos) {
    order = d.front();
    d.remove_prefix(1);
  }
  const char kind = d.empty() ? '\0' : d.front();
  const std::string_view size = d.empty() ? d : d.substr(1);
  const auto is = [&](char k, std::string_view s) { return kind == k && size == s; };
  DType dtype;
  if (is('b', "1")) {
    dtype = DType::Bool;
  } else if (is('i', "1")) {
    dtype = DType::Int8;
  } else if (is('i', "2")) {
    dtype = DType::Int16;
  } else if (is('i', "4")) {
    dtype = DType::Int32;
  } else if (is('i', "8")) {
    dtype = DType::Int64;
  } else if (is('u', "1")) {
    dtype = DType::UInt8;
  } else if (is('u', "2")) {
    dtype = DType::UInt16;
  } else if (is('u', "4")) {
    dtype = DType::UInt32;
  } else if (is('u', "8")) {
    dtype = DType::UInt64;
  } else if (is('f', "2")) {
    dtype = DType::Float16;
  } else if (is('f', "4")) {
    dtype = DType::Float32;
  } else if (is('f', "8")) {
    dtype = DType::Float64;
  } else {
    std::string why;
    if (kind == 'O') {
      why = "an object dtype (pickled Python objects), which strata never unpickles";
    } else if (kind == 'S' || kind == 'a' || kind == 'U') {
      why = "a string dtype";
    } else if (kind == 'V') {
      why = "a void (raw bytes or record) dtype";
    } else if (kind == 'M' || kind == 'm') {
      why = "a datetime/timedelta dtype";
    } else if (kind == 'c') {
      why = "a complex dtype";
    } else if (kind == 'f' && (size == "12" || size == "16")) {
      why = "long double (float96/float128), which has no portable layout";
    } else {
      why = "not a numeric dtype strata knows";
    }
    fail(api, what, ": descr '", printable(descr), "' is ", why,
         "; strata reads b1, i1, i2, i4, i8, u1, u2, u4, u8, f2, f4 and f8 (little- or "
         "big-endian): convert the array in NumPy (a.astype(np.float32), say) and save it again");
  }
  return {dtype, order == '>' && itemsize(dtype) > 1};
}

// The header dict, parsed strictly: '{', then "'key': value" pairs separated by commas (an
// optional trailing comma), '}', then whitespace up to the final '\n'.  Keys are exactly descr
// (a string), fortran_order (True or False) and shape (a tuple of non-negative integers).
class HeaderParser {
 public:
  HeaderParser(std::string_view text, int64_t base, const char* api, const std::string& what)
      : text_(text), base_(base), api_(api), what_(what) {}

  NpyHeader parse() {
    NpyHeader h;
    std::string descr;
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip_space();
    expect('{', "'{' opening the header dict");
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const size_t key_at = pos_;
      const std::string key = parse_string("a quoted key ('descr', 'fortran_order' or 'shape')");
      bool* seen = key == "descr"           ? &have_descr
                   : key == "fortran_order" ? &have_fortran
                   : key == "shape"         ? &have_shape
                                            : nullptr;
      if (seen == nullptr) {
        fail(api_, what_, ": the .npy header has an unknown key '", printable(key), "' at byte ",
             base_ + static_cast<int64_t>(key_at),
             "; expected exactly 'descr', 'fortran_order' and 'shape'; header: ", excerpt());
      }
      if (*seen) {
        fail(api_, what_, ": the .npy header has the key '", key, "' twice (again at byte ",
             base_ + static_cast<int64_t>(key_at), "); header: ", excerpt());
      }
      *seen = true;
      skip_space();
      expect(':', "':' after the key");
      skip_space();
      if (key == "descr") {
        if (peek() == '[' || peek() == '(' || peek() == '{') {
          fail(api_, what_, ": the .npy header's descr is a structured (record) or subarray dtype",
               " (a list or tuple, at byte ", base_ + static_cast<int64_t>(pos_),
               "), which strata does not read; save each field as its own array; header: ",
               excerpt());
        }
        descr = parse_string("a quoted descr such as '<f4'");
      } else if (key == "fortran_order") {
        h.fortran_order = parse_bool();
      } else {
        h.shape = parse_shape();
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') syntax_error("',' or '}' after a value");
    }
    ++pos_;  // '}'
    skip_space();
    if (pos_ != text_.size()) syntax_error("only spaces and the final '\\n' after '}'");
    if (!have_descr || !have_fortran || !have_shape) {
      fail(api_, what_, ": the .npy header lacks the key(s)", have_descr ? "" : " 'descr'",
           have_fortran ? "" : " 'fortran_order'", have_shape ? "" : " 'shape'",
           "; a .npy header has exactly 'descr', 'fortran_order' and 'shape'; header: ", excerpt());
    }
    const DescrInfo info = parse_descr(descr, api_, what_);
    h.descr = descr;
    h.dtype = info.dtype;
    h.big_endian = info.big_endian;
    // The byte count, with zero-sized axes left out of the product so that the strides of an
    // empty array cannot overflow either.
    int64_t bytes = itemsize(h.dtype);
    bool empty = false;
    for (int64_t dim : h.shape) {
      if (dim == 0) {
        empty = true;
      } else if (__builtin_mul_overflow(bytes, dim, &bytes)) {
        fail(api_, what_, ": the .npy shape ", to_string(h.shape), " of '", printable(descr),
             "' needs more than 2^63 - 1 bytes; the header is corrupt");
      }
    }
    h.data_bytes = empty ? 0 : bytes;
    strata::detail::checked_nbytes(h.shape, h.dtype, api_);  // the one shared shape check
    if (h.fortran_order) std::reverse(h.shape.begin(), h.shape.end());
    return h;
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() &&
           std::string_view(" \t\r\n").find(text_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
  }
  // (cat, not operator+: GCC 12 warns falsely about "x" + std::string at -O3.)
  std::string excerpt() const { return strata::detail::cat('"', printable(text_), '"'); }

  [[noreturn]] void syntax_error(std::string_view expected) const {
    const std::string found = pos_ < text_.size() ? "'" + printable(text_.substr(pos_, 1)) + "'"
                                                  : "the end of the header";
    fail(api_, what_, ": the .npy header is not the dict NumPy writes: expected ", expected,
         " at byte ", base_ + static_cast<int64_t>(pos_), ", found ", found,
         "; header: ", excerpt());
  }
  void expect(char c, std::string_view what) {
    if (peek() != c) syntax_error(what);
    ++pos_;
  }

  // 'text' or "text": no escapes or control characters (no valid descr or key has them).
  std::string parse_string(std::string_view what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') syntax_error(what);
    const size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '\\' || c < 0x20) syntax_error("a closing quote (no escapes or control characters)");
      ++pos_;
    }
    if (pos_ >= text_.size()) syntax_error("a closing quote");
    return std::string(text_.substr(start, pos_++ - start));
  }

  bool parse_bool() {
    for (const std::string_view word : {"True", "False"}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return word == "True";
      }
    }
    syntax_error("True or False for 'fortran_order'");
  }

  // A decimal integer as Python writes it (no sign, no leading zeros), with Python 2's optional
  // 'L' suffix, which NumPy's Python 2 writer put in shapes.
  int64_t parse_dim() {
    const size_t start = pos_;
    if (peek() == '-') {
      fail(api_, what_, ": the .npy shape has a negative dimension at byte ",
           base_ + static_cast<int64_t>(pos_), "; sizes are >= 0; header: ", excerpt());
    }
    if (peek() < '0' || peek() > '9') syntax_error("a dimension (a non-negative integer)");
    int64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, peek() - '0', &v)) {
        fail(api_, what_, ": the .npy shape has a dimension at byte ",
             base_ + static_cast<int64_t>(start),
             " larger than 2^63 - 1; the header is corrupt; header: ", excerpt());
      }
      ++pos_;
    }
    if (pos_ - start > 1 && text_[start] == '0') {
      pos_ = start;
      syntax_error("a dimension without leading zeros");
    }
    if (peek() == 'L') ++pos_;
    return v;
  }

  // (), (5,), (3, 4) and (3, 4,); (5) is an integer in Python, not a tuple.
  Shape parse_shape() {
    expect('(', "a shape tuple such as (3, 4)");
    Shape shape;
    skip_space();
    bool comma = true;
    while (peek() != ')') {
      if (!comma) syntax_error("',' between dimensions");
      if (shape.size() == kMaxAxes) {
        fail(api_, what_, ": the .npy shape has more than ", kMaxAxes,
             " axes (NumPy's limit); the header is corrupt; header: ", excerpt());
      }
      shape.push_back(parse_dim());
      skip_space();
      comma = peek() == ',';
      if (comma) ++pos_;
      skip_space();
    }
    if (shape.size() == 1 && !comma) syntax_error("',' after the only dimension, as in (5,)");
    ++pos_;  // ')'
    return shape;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int64_t base_;  // byte offset of text_ in the image, for messages
  const char* api_;
  const std::string& what_;
};

std::string descr_of(DType dtype, const char* api, const std::string& what) {
  switch (dtype) {
    case DType::Bool:
      return "|b1";
    case DType::Int8:
      return "|i1";
    case DType::UInt8:
      return "|u1";
    case DType::Int16:
      return "<i2";
    case DType::UInt16:
      return "<u2";
    case DType::Int32:
      return "<i4";
    case DType::UInt32:
      return "<u4";
    case DType::Int64:
      return "<i8";
    case DType::UInt64:
      return "<u8";
    case DType::Float16:
      return "<f2";
    case DType::Float32:
      return "<f4";
    case DType::Float64:
      return "<f8";
    case DType::BFloat16:
      break;
  }
  fail(api, "cannot save ", what, ": it is ", dtype,
       ", which .npy and .npz cannot hold (NumPy has no bfloat16 dtype); cast it first "
       "(a.astype(DType::Float32) is exact) or save it with io::save_safetensors, which stores "
       "BF16");
}

}  // namespace

int64_t npy_data_offset(const uint8_t* p, int64_t available, int64_t image_size, const char* api,
                        const std::string& what) {
  if (image_size == 0) {
    fail(api, what, ": is empty (0 bytes); expected .npy data starting with \"\\x93NUMPY\"");
  }
  const int64_t seen = std::min(available, image_size);
  if (seen < kMagicBytes || std::memcmp(p, kMagic, kMagicBytes) != 0) {
    const std::string start(reinterpret_cast<const char*>(p),
                            static_cast<size_t>(std::min<int64_t>(seen, 8)));
    fail(api, what, ": does not start with the .npy magic \"\\x93NUMPY\" (found \"",
         printable(start), "\")",
         start.rfind("PK", 0) == 0 ? "; it looks like a zip archive (.npz): use io::load_npz"
                                   : "; is it a .npy file?");
  }
  if (seen < 8) {
    fail(api, what, ": is truncated after the magic (", image_size,
         " bytes); .npy data has at least 10 bytes before its header");
  }
  const int major = p[6], minor = p[7];
  if (minor != 0 || major < 1 || major > 3) {
    fail(api, what, ": has .npy format version ", major, ".", minor,
         "; strata reads versions 1.0, 2.0 and 3.0 (re-save it with numpy.save)");
  }
  const int64_t prelude = major == 1 ? 10 : 12;
  if (seen < prelude) {
    fail(api, what, ": is truncated in its prelude: version ", major, ".0 needs ", prelude,
         " bytes before the header, the ", noun(what), " has ", image_size);
  }
  const int64_t header = read_le(p + 8, major == 1 ? 2 : 4);
  if (header > kNpyMaxHeaderBytes) {
    fail(api, what, ": declares a .npy header of ", header, " bytes (at byte 8), more than the ",
         kNpyMaxHeaderBytes,
         " strata accepts; headers of numeric arrays are a few hundred "
         "bytes, so the file is corrupt or not a numeric array");
  }
  if (prelude + header > image_size) {
    fail(api, what, ": declares a .npy header of ", header, " bytes, ending at byte ",
         prelude + header, ", but the ", noun(what), " has only ", image_size,
         " bytes; the file is truncated");
  }
  return prelude + header;
}

NpyHeader parse_npy_header(const uint8_t* p, int64_t data_offset, const char* api,
                           const std::string& what) {
  const int64_t prelude = p[6] == 1 ? 10 : 12;
  const std::string_view text(reinterpret_cast<const char*>(p + prelude),
                              static_cast<size_t>(data_offset - prelude));
  if (text.empty() || text.back() != '\n') {
    fail(api, what, ": the .npy header (bytes ", prelude, " to ", data_offset,
         ") does not end with '\\n'", text.empty() ? " (it is empty)" : "",
         "; the file is corrupt or not written by NumPy; header: \"", printable(text), "\"");
  }
  NpyHeader h = HeaderParser(text, prelude, api, what).parse();
  h.data_offset = data_offset;
  return h;
}

Array finish_npy(Array stored, const NpyHeader& h) {
  auto* bytes = static_cast<uint8_t*>(strata::detail::mutable_data(stored));
  if (h.big_endian) swap_bytes(bytes, stored.size(), stored.itemsize());
  if (h.dtype == DType::Bool) normalise_bool_bytes(bytes, h.data_bytes);
  return h.fortran_order && stored.ndim() > 1 ? transpose(stored) : stored;
}

Array read_npy(const std::shared_ptr<const MappedFile>& file, int64_t begin, int64_t size,
               const char* api, const std::string& what) {
  const uint8_t* p = file->data() + begin;
  const int64_t offset = npy_data_offset(p, size, size, api, what);
  const NpyHeader h = parse_npy_header(p, offset, api, what);
  const int64_t rest = size - offset;
  const auto layout = [&] {
    return strata::detail::cat(
        "the data of '", printable(h.descr), "' ",
        to_string(h.fortran_order ? Shape(h.shape.rbegin(), h.shape.rend()) : h.shape), " needs ",
        h.data_bytes, " bytes from byte ", offset);
  };
  if (rest < h.data_bytes) {
    fail(api, what, ": ", layout(), ", but the ", noun(what), " has only ", rest,
         " bytes after the header (", size, " in all); the file is truncated");
  }
  if (rest > h.data_bytes) {
    fail(api, what, ": has ", rest - h.data_bytes, " unexpected bytes after the data (", layout(),
         ", ending at byte ", offset + h.data_bytes, "; the ", noun(what), " has ", size,
         " bytes); the file is corrupt or the header's shape is wrong");
  }
  if (h.big_endian) {
    return finish_npy(array_copy_of_bytes(p + offset, h.shape, h.dtype), h);
  }
  // Little-endian: a view of the mapping when aligned (array_over_bytes copies otherwise and
  // normalises bool bytes itself).
  const Array stored = array_over_bytes(file, begin + offset, h.shape, h.dtype);
  return h.fortran_order && stored.ndim() > 1 ? transpose(stored) : stored;
}

std::string npy_header_for(DType dtype, const Shape& shape, const char* api,
                           const std::string& what) {
  std::string dict = "{'descr': '" + descr_of(dtype, api, what) + "', 'fortran_order': False, ";
  dict += "'shape': " + to_string(shape) + ", }";
  // Version 1.0 unless the padded header would not fit its u16 length (never for a numeric
  // array with at most a few dozen axes, but NumPy's rule).
  for (const int major : {1, 2}) {
    const int64_t prelude = major == 1 ? 10 : 12;
    const int64_t total = (prelude + static_cast<int64_t>(dict.size()) + 1 + 63) / 64 * 64;
    const int64_t header = total - prelude;
    if (major == 1 && header > 0xffff) continue;
    std::string out(kMagic, kMagicBytes);
    out += static_cast<char>(major);
    out += '\0';
    for (int i = 0; i < (major == 1 ? 2 : 4); ++i)
      out += static_cast<char>((header >> (8 * i)) & 0xff);
    out += dict;
    out.append(static_cast<size_t>(total - 1) - out.size(), ' ');
    out += '\n';
    return out;
  }
  fail(api, "cannot save ", what, ": the .npy header would exceed 4 GiB");
}

}  // namespace strata::io::detail

namespace strata::io {

void save_npy(const std::string& path, const Array& array) {
  constexpr const char* api = "io.save_npy";
  const std::string what = "'" + path + "'";
  // The dtype first: a bfloat16 view is refused before it would be copied.
  if (array.valid() && !array.is_traced()) detail::npy_header_for(array.dtype(), {}, api, what);
  const Array dense = detail::dense_for_saving(array, api, path);
  const std::string header = detail::npy_header_for(dense.dtype(), dense.shape(), api, what);
  detail::AtomicFile out(path, api);
  out.write(header.data(), static_cast<int64_t>(header.size()));
  if (dense.nbytes() > 0) out.write(dense.data(), dense.nbytes());
  out.commit();
}

Array load_npy(const std::string& path) {
  constexpr const char* api = "io.load_npy";
  const auto file = detail::MappedFile::open(path, api);
  return detail::read_npy(file, 0, file->size(), api, "'" + path + "'");
}

}  // namespace strata::io
