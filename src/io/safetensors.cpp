// safetensors: u64 little-endian header length N, N bytes of JSON, then the data buffer.
//
// The header is read with nlohmann::json's SAX interface, so the reader never builds a JSON tree
// it has not checked: a small state machine accepts exactly the safetensors grammar (an object of
// tensor entries {"dtype", "shape", "data_offsets"} and an optional "__metadata__" object of
// strings) and stops at the first thing outside it, with the byte offset.
#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "io/tensor_bytes.h"
#include "strata/core/error.h"
#include "strata/io.h"

namespace strata::io {

namespace detail {

namespace {

constexpr int64_t kMaxHeaderBytes = 100'000'000;  // as the reference implementation
constexpr int64_t kMaxRank = 64;

struct DTypeName {
  DType dtype;
  const char* name;
};
constexpr DTypeName kDTypeNames[] = {
    {DType::Bool, "BOOL"},     {DType::UInt8, "U8"},    {DType::Int8, "I8"},
    {DType::Int16, "I16"},     {DType::UInt16, "U16"},  {DType::Float16, "F16"},
    {DType::BFloat16, "BF16"}, {DType::Int32, "I32"},   {DType::UInt32, "U32"},
    {DType::Float32, "F32"},   {DType::Float64, "F64"}, {DType::Int64, "I64"},
    {DType::UInt64, "U64"}};

const char* safetensors_name(DType d) {
  for (const auto& [dtype, name] : kDTypeNames) {
    if (dtype == d) return name;
  }
  return "?";
}

struct Entry {
  std::string key;
  std::string dtype_name;
  DType dtype = DType::Float32;
  Shape shape;
  std::vector<uint64_t> offsets;
  bool has_dtype = false, has_shape = false, has_offsets = false;
};

// Accepts exactly the safetensors header grammar; anything else sets `error` and stops the parse.
class HeaderReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
  std::string error;
  size_t error_position = 0;

  bool null() override { return unexpected("null"); }
  bool boolean(bool) override { return unexpected("a boolean"); }
  bool number_integer(number_integer_t v) override {
    return v < 0 ? bad("a negative number " + std::to_string(v)) : number(uint64_t(v));
  }
  bool number_unsigned(number_unsigned_t v) override { return number(v); }
  bool number_float(number_float_t, const string_t& s) override {
    return bad("the number " + s + " (expected an integer that fits in 64 bits)");
  }
  bool binary(binary_t&) override { return unexpected("binary data"); }
  bool string(string_t& s) override {
    if (state_ == State::MetadataValue) {
      metadata[key_] = s;
      state_ = State::Metadata;
      return true;
    }
    if (state_ == State::EntryValue && field_ == "dtype") {
      entries.back().dtype_name = s;
      entries.back().has_dtype = true;
      state_ = State::Entry;
      return true;
    }
    return unexpected("a string");
  }
  bool start_object(std::size_t) override {
    switch (state_) {
      case State::Start:
        state_ = State::Top;
        return true;
      case State::TopValue:
        if (key_ == "__metadata__") {
          state_ = State::Metadata;
        } else {
          entries.emplace_back().key = key_;
          fields_.clear();
          state_ = State::Entry;
        }
        return true;
      default:
        return unexpected("an object");
    }
  }
  bool key(string_t& k) override {
    switch (state_) {
      case State::Top:
        if (!top_keys_.insert(k).second) return bad("the key `" + k + "` a second time");
        key_ = k;
        state_ = State::TopValue;
        return true;
      case State::Metadata:
        if (!metadata_keys_.insert(k).second) {
          return bad("the __metadata__ key `" + k + "` a second time");
        }
        key_ = k;
        state_ = State::MetadataValue;
        return true;
      case State::Entry:
        if (k != "dtype" && k != "shape" && k != "data_offsets") {
          return bad("the field `" + k + "` in the entry of `" + key_ +
                     "` (expected only dtype, shape and data_offsets)");
        }
        if (!fields_.insert(k).second) {
          return bad("the field `" + k + "` twice in the entry of `" + key_ + "`");
        }
        field_ = k;
        state_ = State::EntryValue;
        return true;
      default:
        return unexpected("a key");
    }
  }
  bool end_object() override {
    switch (state_) {
      case State::Top:
        state_ = State::Done;
        return true;
      case State::Metadata:
        state_ = State::Top;
        return true;
      case State::Entry: {
        const Entry& e = entries.back();
        if (!e.has_dtype || !e.has_shape || !e.has_offsets) {
          return bad("an entry for `" + e.key + "` without " +
                     (!e.has_dtype   ? "dtype"
                      : !e.has_shape ? "shape"
                                     : "data_offsets"));
        }
        state_ = State::Top;
        return true;
      }
      default:
        return unexpected("the end of an object");
    }
  }
  bool start_array(std::size_t) override {
    if (state_ == State::EntryValue && (field_ == "shape" || field_ == "data_offsets")) {
      state_ = State::Numbers;
      return true;
    }
    return unexpected("an array");
  }
  bool end_array() override {
    if (state_ != State::Numbers) return unexpected("the end of an array");
    Entry& e = entries.back();
    if (field_ == "shape") {
      e.has_shape = true;
    } else {
      if (e.offsets.size() != 2) {
        return bad("data_offsets of `" + e.key + "` with " + std::to_string(e.offsets.size()) +
                   " numbers (expected [begin, end])");
      }
      e.has_offsets = true;
    }
    state_ = State::Entry;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error_position = position;
    error = std::string("invalid JSON: ") + ex.what();
    return false;
  }

  bool finished() const { return state_ == State::Done; }

 private:
  enum class State {
    Start,
    Top,
    TopValue,
    Metadata,
    MetadataValue,
    Entry,
    EntryValue,
    Numbers,
    Done
  };

  bool number(uint64_t v) {
    if (state_ != State::Numbers) return unexpected("a number");
    Entry& e = entries.back();
    if (field_ == "shape") {
      if (static_cast<int64_t>(e.shape.size()) >= kMaxRank) {
        return bad("a shape of `" + e.key + "` with more than " + std::to_string(kMaxRank) +
                   " axes");
      }
      if (v > static_cast<uint64_t>(INT64_MAX)) {
        return bad("the dimension " + std::to_string(v) + " in the shape of `" + e.key + "`");
      }
      e.shape.push_back(static_cast<int64_t>(v));
    } else {
      if (e.offsets.size() >= 2) return bad("more than two data_offsets for `" + e.key + "`");
      e.offsets.push_back(v);
    }
    return true;
  }
  bool unexpected(const std::string& what) {
    std::string where;
    switch (state_) {
      case State::Start:
        where = " (the header must be a JSON object)";
        break;
      case State::TopValue:
        where = " as the value of `" + key_ + "` (expected an object)";
        break;
      case State::MetadataValue:
        where = " as the __metadata__ value of `" + key_ + "` (expected a string)";
        break;
      case State::EntryValue:
        where = " as the " + field_ + " of `" + key_ + "` (expected " +
                (field_ == "dtype" ? "a string" : "an array of integers") + ")";
        break;
      case State::Numbers:
        where = " in the " + field_ + " of `" + key_ + "` (expected integers)";
        break;
      default:
        break;
    }
    return bad(what + where);
  }
  bool bad(const std::string& what) {
    error = "unexpected " + what;
    return false;
  }

  State state_ = State::Start;
  std::string key_, field_;
  std::set<std::string> top_keys_, metadata_keys_, fields_;
};

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// A JSON string literal (keys and metadata are written by us, so escaping is ours too).
void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

// True when s is well-formed UTF-8 (JSON text must be).
bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t n = b < 0x80           ? 1
                     : (b >> 5) == 0x6  ? 2
                     : (b >> 4) == 0xE  ? 3
                     : (b >> 3) == 0x1E ? 4
                                        : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

SafetensorsContents read_safetensors(const std::shared_ptr<const MappedFile>& file, const char* api,
                                     bool with_tensors) {
  const std::string& path = file->path();
  const int64_t size = file->size();
  auto bad_file = [&](auto&&... parts) {
    fail(api, "'", path, "' is not a valid safetensors file: ", parts...);
  };
  if (size < 8) {
    bad_file("it has ", size, " bytes, fewer than the 8 of the header length");
  }
  const uint64_t header_length = read_u64_le(file->data());
  if (header_length > static_cast<uint64_t>(kMaxHeaderBytes)) {
    bad_file("the header length (the first 8 bytes, little-endian) is ", header_length,
             ", above the limit of ", kMaxHeaderBytes, " bytes");
  }
  if (static_cast<int64_t>(header_length) > size - 8) {
    bad_file("the header length is ", header_length, " bytes but only ", size - 8,
             " bytes follow the first 8 (the file is truncated, or not safetensors)");
  }
  const auto* header = reinterpret_cast<const char*>(file->data() + 8);
  HeaderReader reader;
  const bool parsed = nlohmann::json::sax_parse(header, header + header_length, &reader,
                                                nlohmann::json::input_format_t::json, true);
  if (!parsed || !reader.finished()) {
    if (reader.error.empty()) reader.error = "the header ended early";
    bad_file(reader.error, reader.error_position ? strata::detail::cat(" (at header byte ",
                                                                       reader.error_position, ")")
                                                 : "");
  }

  // The data buffer: every tensor's [begin, end) must tile it exactly, in some order.
  const int64_t data_start = 8 + static_cast<int64_t>(header_length);
  const uint64_t buffer_size = static_cast<uint64_t>(size - data_start);
  std::vector<const Entry*> order;
  for (Entry& e : reader.entries) {
    const auto known = std::find_if(std::begin(kDTypeNames), std::end(kDTypeNames),
                                    [&](const DTypeName& d) { return e.dtype_name == d.name; });
    if (known == std::end(kDTypeNames)) {
      bad_file("`", e.key, "` has the dtype \"", e.dtype_name,
               "\", which strata does not have (it reads BOOL, U8, I8, U16, I16, F16, BF16, U32, "
               "I32, F32, U64, I64, F64); convert it before saving");
    }
    e.dtype = known->dtype;
    int64_t nbytes = itemsize(e.dtype);
    for (int64_t d : e.shape) {
      if (d != 0 && nbytes > INT64_MAX / d) {
        bad_file("the shape ", to_string(e.shape), " of `", e.key, "` overflows 64-bit sizes");
      }
      nbytes *= d;
    }
    const uint64_t begin = e.offsets[0], end = e.offsets[1];
    if (end < begin) {
      bad_file("`", e.key, "` has data_offsets [", begin, ", ", end,
               "] that end before they begin");
    }
    if (end - begin != static_cast<uint64_t>(nbytes)) {
      bad_file("`", e.key, "` is ", e.dtype_name, " ", to_string(e.shape), " (", nbytes,
               " bytes) but its data_offsets [", begin, ", ", end, "] span ", end - begin,
               " bytes");
    }
    if (end > buffer_size) {
      bad_file("`", e.key, "` has data_offsets [", begin, ", ", end,
               "] past the end of the data buffer (", buffer_size, " bytes from file offset ",
               data_start, "; the file is truncated?)");
    }
    order.push_back(&e);
  }
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return a->offsets != b->offsets ? a->offsets < b->offsets : a->key < b->key;
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : order) {
    if (e->offsets[0] < covered) {
      bad_file("the data of `", e->key, "` [", e->offsets[0], ", ", e->offsets[1],
               ") overlaps that of `", previous->key, "` [", previous->offsets[0], ", ",
               previous->offsets[1], ")");
    }
    if (e->offsets[0] > covered) {
      bad_file("bytes [", covered, ", ", e->offsets[0],
               ") of the data buffer belong to no tensor (a gap before `", e->key, "`)");
    }
    covered = e->offsets[1];
    previous = e;
  }
  if (covered != buffer_size) {
    bad_file(buffer_size - covered, " trailing bytes after the last tensor's data (the buffer has ",
             buffer_size, " bytes, the tensors cover ", covered, ")");
  }

  SafetensorsContents out;
  out.metadata = std::move(reader.metadata);
  if (!with_tensors) return out;
  for (const Entry& e : reader.entries) {
    out.tensors.emplace(
        e.key,
        array_over_bytes(file, data_start + static_cast<int64_t>(e.offsets[0]), e.shape, e.dtype));
  }
  return out;
}

}  // namespace detail

void save_safetensors(const std::string& path, const std::map<std::string, Array>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  constexpr const char* kApi = "io.save_safetensors";
  // Larger items first: each tensor then starts at a multiple of its own item size.
  std::vector<std::pair<std::string, Array>> order;
  for (const auto& [key, a] : tensors) {
    if (key == "__metadata__") {
      fail(kApi, "a tensor cannot be named `__metadata__` (the format reserves it for metadata)");
    }
    if (!detail::valid_utf8(key)) fail(kApi, "the key `", key, "` is not valid UTF-8");
    detail::check_savable(a, kApi, key);
    order.emplace_back(key, a);
  }
  for (const auto& [k, v] : metadata) {
    if (!detail::valid_utf8(k) || !detail::valid_utf8(v)) {
      fail(kApi, "the metadata entry `", k, "` is not valid UTF-8");
    }
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return itemsize(a.second.dtype()) > itemsize(b.second.dtype());
  });

  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (auto it = metadata.begin(); it != metadata.end(); ++it) {
      if (it != metadata.begin()) header += ',';
      detail::append_json_string(header, it->first);
      header += ':';
      detail::append_json_string(header, it->second);
    }
    header += '}';
  }
  int64_t offset = 0;
  for (const auto& [key, a] : order) {
    if (header.size() > 1) header += ',';
    detail::append_json_string(header, key);
    header += strata::detail::cat(":{\"dtype\":\"", detail::safetensors_name(a.dtype()),
                                  "\",\"shape\":[");
    for (int i = 0; i < a.ndim(); ++i) header += strata::detail::cat(i ? "," : "", a.shape(i));
    header += strata::detail::cat("],\"data_offsets\":[", offset, ",", offset + a.nbytes(), "]}");
    offset += a.nbytes();
  }
  header += '}';
  header.resize((header.size() + 7) / 8 * 8, ' ');  // the data buffer starts 8-byte aligned
  if (static_cast<int64_t>(header.size()) > detail::kMaxHeaderBytes) {
    fail(kApi, "the header of ", tensors.size(), " tensors would take ", header.size(),
         " bytes, above the format's limit of ", detail::kMaxHeaderBytes,
         "; split the state over several files");
  }

  detail::AtomicFile out(path, kApi);
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(uint64_t(header.size()) >> (8 * i));
  out.write(length, 8);
  out.write(header.data(), static_cast<int64_t>(header.size()));
  for (const auto& [key, a] : order) {
    const Array dense = detail::dense_for_saving(a, kApi, key);  // one copy at a time, if any
    if (dense.nbytes() > 0) out.write(dense.data(), dense.nbytes());
  }
  out.commit();
}

std::map<std::string, Array> load_safetensors(const std::string& path) {
  constexpr const char* kApi = "io.load_safetensors";
  return detail::read_safetensors(detail::MappedFile::open(path, kApi), kApi, true).tensors;
}

std::map<std::string, std::string> load_safetensors_metadata(const std::string& path) {
  constexpr const char* kApi = "io.load_safetensors_metadata";
  return detail::read_safetensors(detail::MappedFile::open(path, kApi), kApi, false).metadata;
}

}  // namespace strata::io
