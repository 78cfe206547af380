// NumPy's .npz: a zip archive of .npy members, read and written through libzip.
//
// Reading: every member is read through libzip, which checks its CRC-32, straight into the
// array that will hold it (members sit at arbitrary offsets in a zip, so a view of the mapping
// would rarely be aligned, and would skip the CRC).  Nothing is allocated from a declared size
// before it is checked: the archive's declared sizes against what deflate can produce from the
// file's bytes (zip bombs), and each member's declared size against its own .npy header, which is
// inflated first.
//
// Writing: stored members "<key>.npy", as numpy.savez; each member is a libzip source over two
// fragments, the header string and the dense array's own bytes, so no array is copied.
#include <zip.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "io/npy.h"
#include "io/tensor_bytes.h"
#include "strata/core/error.h"
#include "strata/io.h"

namespace strata::io::detail {

namespace {

// Deflate cannot expand more than about 1032:1 (a 258-byte match per 2 bits).  A declared size
// above that is a lie, refused before anything is inflated.  (A smaller factor would refuse real
// files: numpy.savez_compressed of zeros — fresh optimiser moments, biases — reaches ~1000:1.)
constexpr int64_t kMaxDeflateRatio = 1032;
constexpr int64_t kRatioSlack = 1 << 20;

// Closes what libzip opened on every path out of a scope.
struct Archive {
  zip_t* za;
  ~Archive() {
    if (za != nullptr) zip_discard(za);
  }
};
struct Member {
  zip_file_t* zf;
  ~Member() {
    if (zf != nullptr) zip_fclose(zf);
  }
};

std::string error_text(zip_error_t* error) {
  std::string text = zip_error_strerror(error);
  zip_error_fini(error);
  return text;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

struct Entry {
  zip_uint64_t index;
  std::string name, key;
  int64_t size;  // declared, uncompressed
  bool deflated;
};

// Lists the members and checks their names, methods and declared sizes; reads nothing.
std::vector<Entry> list_members(zip_t* za, int64_t file_size, const char* api,
                                const std::string& what) {
  const zip_int64_t count = zip_get_num_entries(za, 0);
  std::vector<Entry> entries;
  std::map<std::string, std::string> names;  // key -> member name
  int64_t total = 0;
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za, static_cast<zip_uint64_t>(i), 0, &st) != 0) {
      fail(api, what, ": cannot read the directory entry of member ", i, ": ", zip_strerror(za),
           "; the archive is corrupt");
    }
    constexpr zip_uint64_t kNeeded = ZIP_STAT_NAME | ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE |
                                     ZIP_STAT_COMP_METHOD | ZIP_STAT_ENCRYPTION_METHOD;
    if ((st.valid & kNeeded) != kNeeded) {
      fail(api, what, ": member ", i, " lacks its name, sizes or methods in the zip directory");
    }
    const std::string name = st.name;
    const std::string member = "member '" + name + "'";
    if (name.empty() || name.back() == '/') {
      fail(api, what, ": ", member, " is a folder; an .npz holds only .npy members");
    }
    if (!ends_with(name, ".npy") || name.size() == 4) {
      fail(api, what, ": ", member, " is not named '<key>.npy'; an .npz holds only .npy ",
           "members (numpy.savez names them 'arr_0.npy' or '<keyword>.npy')");
    }
    if (st.encryption_method != ZIP_EM_NONE) {
      fail(api, what, ": ", member, " is encrypted (method ", st.encryption_method,
           "); strata reads unencrypted archives only");
    }
    if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE) {
      fail(api, what, ": ", member, " uses zip compression method ", st.comp_method,
           "; strata reads stored (0) and deflated (8) members, as numpy.savez and "
           "numpy.savez_compressed write them");
    }
    std::string key = name.substr(0, name.size() - 4);
    if (const auto [it, fresh] = names.emplace(key, name); !fresh) {
      fail(api, what, ": two members have the same name '", name,
           "'; keys must be unique (the archive was not written by numpy.savez)");
    }
    if (st.comp_size > static_cast<zip_uint64_t>(file_size)) {
      fail(api, what, ": ", member, " declares ", st.comp_size, " compressed bytes, but the ",
           "archive has only ", file_size, "; the file is truncated or corrupt");
    }
    const auto compressed = static_cast<int64_t>(st.comp_size);
    const bool deflated = st.comp_method == ZIP_CM_DEFLATE;
    if (!deflated && st.size != st.comp_size) {
      fail(api, what, ": ", member, " is stored (uncompressed) but declares ", st.size,
           " bytes and occupies ", st.comp_size, "; the archive is corrupt");
    }
    if (deflated && st.size > static_cast<zip_uint64_t>(compressed * kMaxDeflateRatio + 1024)) {
      fail(api, what, ": ", member, " declares ", st.size, " uncompressed bytes from ",
           st.comp_size, " deflated bytes, more than deflate can produce (about 1032 to 1); ",
           "refused before inflating (a zip bomb or a corrupt archive)");
    }
    const auto size = static_cast<int64_t>(st.size);
    // Members may share compressed bytes (overlapping zip bombs): the sum is bounded too.
    const int64_t bound = file_size * kMaxDeflateRatio + kRatioSlack;
    if (__builtin_add_overflow(total, size, &total) || total > bound) {
      fail(api, what, ": its members declare over ", bound, " uncompressed bytes in all (with ",
           member, "), more than deflate can produce from the archive's ", file_size,
           " bytes; refused before inflating (a zip bomb or a corrupt archive)");
    }
    entries.push_back({static_cast<zip_uint64_t>(i), name, std::move(key), size, deflated});
  }
  return entries;
}

// Reads one member: its .npy header first (bounded), then, once the header's shape accounts for
// exactly the declared size, the data straight into the array's storage.
Array read_member(zip_t* za, const Entry& e, const char* api, const std::string& file_what) {
  const std::string what = file_what + " member '" + e.name + "'";
  const Member member{zip_fopen_index(za, e.index, 0)};
  if (member.zf == nullptr) {
    fail(api, what, ": cannot open it: ", zip_strerror(za), "; the archive is corrupt");
  }
  const auto read = [&](void* to, int64_t bytes, int64_t at) {
    int64_t done = 0;
    while (done < bytes) {
      const zip_int64_t n = zip_fread(member.zf, static_cast<uint8_t*>(to) + done,
                                      static_cast<zip_uint64_t>(bytes - done));
      if (n < 0) {
        fail(api, what, ": reading byte ", at + done, " failed: ", zip_file_strerror(member.zf),
             e.deflated ? " (the compressed data is corrupt)" : "", "; the archive is corrupt");
      }
      if (n == 0) break;
      done += n;
    }
    return done;
  };
  // The prelude: 10 bytes for version 1.0, 12 for 2.0 and 3.0, never read past (the data may
  // follow at once).
  const auto read_all = [&](uint8_t* to, int64_t bytes, int64_t at) {
    if (const int64_t n = read(to, bytes, at); n != bytes) {
      fail(api, what, ": inflates to ", at + n, " bytes, fewer than its declared ", e.size,
           "; the archive is corrupt");
    }
  };
  uint8_t prelude[kNpyPreludeBytes];
  int64_t got = std::min<int64_t>(10, e.size);
  read_all(prelude, got, 0);
  if (got == 10 && (prelude[6] == 2 || prelude[6] == 3) && e.size >= 12) {
    read_all(prelude + 10, 2, 10);
    got = 12;
  }
  const int64_t offset = npy_data_offset(prelude, got, e.size, api, what);  // >= got
  std::vector<uint8_t> header(static_cast<size_t>(offset));  // <= 12 bytes + 1 MiB, <= size
  std::memcpy(header.data(), prelude, static_cast<size_t>(got));
  read_all(header.data() + got, offset - got, got);
  const NpyHeader h = parse_npy_header(header.data(), offset, api, what);
  if (offset + h.data_bytes != e.size) {
    fail(api, what, ": its .npy header (", offset, " bytes, '", h.descr, "' ", to_string(h.shape),
         h.fortran_order ? " reversed, fortran_order" : "", ") describes ", offset + h.data_bytes,
         " bytes, but the zip directory declares ", e.size, "; the archive is corrupt");
  }
  Array stored = strata::detail::empty(h.shape, h.dtype, api);
  read_all(static_cast<uint8_t*>(strata::detail::mutable_data(stored)), h.data_bytes, offset);
  // Reading past the end checks the CRC-32 and that nothing follows the declared bytes.
  uint8_t extra;
  if (read(&extra, 1, e.size) != 0) {
    fail(api, what, ": inflates to more than its declared ", e.size,
         " bytes; the archive is corrupt");
  }
  return finish_npy(std::move(stored), h);
}

}  // namespace

std::map<std::string, Array> read_npz(const std::shared_ptr<const MappedFile>& file,
                                      const char* api) {
  const std::string what = "'" + file->path() + "'";
  if (file->size() == 0) {
    fail(api, what, ": is empty (0 bytes); expected an .npz (a zip archive of .npy files)");
  }
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source =
      zip_source_buffer_create(file->data(), static_cast<zip_uint64_t>(file->size()), 0, &error);
  if (source == nullptr) fail(api, what, ": cannot read it: ", error_text(&error));
  const Archive archive{zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error)};
  if (archive.za == nullptr) {
    zip_source_free(source);
    const int code = zip_error_code_zip(&error);
    const std::string text = error_text(&error);
    const bool npy = file->size() >= 6 && std::memcmp(file->data(), "\x93NUMPY", 6) == 0;
    fail(api, what, ": is not a valid zip archive (", text, ")",
         npy                     ? "; it is a .npy file: use io::load_npy"
         : code == ZIP_ER_NOZIP  ? "; an .npz is a zip of .npy files: is the file truncated?"
         : code == ZIP_ER_EXISTS ? "; two members have the same name"
         : code == ZIP_ER_INCONS ? "; its directory and its members disagree: the file is "
                                   "truncated or corrupt"
                                 : "; the file is corrupt");
  }
  std::map<std::string, Array> out;
  for (const Entry& e : list_members(archive.za, file->size(), api, what)) {
    out.emplace(e.key, read_member(archive.za, e, api, what));
  }
  return out;
}

}  // namespace strata::io::detail

namespace strata::io {

void save_npz(const std::string& path, const std::map<std::string, Array>& tensors) {
  constexpr const char* api = "io.save_npz";
  struct Member {
    std::string name, header;
    Array dense;
  };
  // Everything is checked and made dense before the disk is touched.
  std::vector<Member> members;
  for (const auto& [key, array] : tensors) {
    if (key.empty()) {
      fail(api, "cannot save to '", path, "': a key is empty; an .npz member is named ",
           "'<key>.npy', so keys must be non-empty");
    }
    if (const size_t nul = key.find('\0'); nul != std::string::npos) {
      fail(api, "cannot save to '", path, "': the key `", key.substr(0, nul),
           "\\0...` contains a NUL byte, which a zip member name cannot hold");
    }
    const std::string what = "`" + key + "` to '" + path + "'";
    if (array.valid() && !array.is_traced()) detail::npy_header_for(array.dtype(), {}, api, what);
    Array dense = detail::dense_for_saving(array, api, key);
    std::string header = detail::npy_header_for(dense.dtype(), dense.shape(), api, what);
    members.push_back({key + ".npy", std::move(header), std::move(dense)});
  }
  detail::AtomicFile out(path, api);
  if (members.empty()) {
    // libzip deletes an archive without members on close; numpy.savez() writes this: an empty
    // zip, just the end-of-central-directory record.
    static constexpr uint8_t kEmptyZip[22] = {'P', 'K', 5, 6};
    out.write(kEmptyZip, sizeof kEmptyZip);
    out.commit();
    return;
  }
  int code = 0;
  // libzip writes its own temporary file next to temp_path() and renames it there on zip_close;
  // AtomicFile then renames that over `path`.
  detail::Archive archive{zip_open(out.temp_path().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code)};
  const auto fail_zip = [&](const std::string& doing) {
    std::string text;
    if (archive.za != nullptr) {
      text = zip_strerror(archive.za);
    } else {
      zip_error_t error;
      zip_error_init_with_code(&error, code);
      text = detail::error_text(&error);
    }
    fail(api, "cannot save '", path, "': ", doing, " failed: ", text,
         "; the previous file, if any, is untouched");
  };
  if (archive.za == nullptr) fail_zip("creating the zip archive");
  for (const Member& m : members) {
    // The fragments point at the header string and the array's storage, which `members` keeps
    // alive until zip_close has written them.
    zip_buffer_fragment_t parts[2] = {
        {reinterpret_cast<zip_uint8_t*>(const_cast<char*>(m.header.data())), m.header.size()},
        {static_cast<zip_uint8_t*>(const_cast<void*>(m.dense.data())),
         static_cast<zip_uint64_t>(m.dense.nbytes())}};
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source =
        zip_source_buffer_fragment_create(parts, m.dense.nbytes() > 0 ? 2 : 1, 0, &error);
    if (source == nullptr) fail_zip("adding '" + m.name + "' (" + detail::error_text(&error) + ")");
    zip_error_fini(&error);
    const zip_int64_t index = zip_file_add(archive.za, m.name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      fail_zip("adding '" + m.name + "'");
    }
    // Stored, as numpy.savez; a fixed time (1980-01-01, the zip epoch) so that saving the same
    // arrays twice gives the same bytes.
    if (zip_set_file_compression(archive.za, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) !=
            0 ||
        zip_file_set_dostime(archive.za, static_cast<zip_uint64_t>(index), 0,
                             (0 << 9) | (1 << 5) | 1, 0) != 0) {
      fail_zip("setting up '" + m.name + "'");
    }
  }
  if (zip_close(archive.za) != 0) fail_zip("writing the zip archive");
  archive.za = nullptr;  // closed: nothing to discard
  out.commit();
}

std::map<std::string, Array> load_npz(const std::string& path) {
  constexpr const char* api = "io.load_npz";
  return detail::read_npz(detail::MappedFile::open(path, api), api);
}

}  // namespace strata::io
