// Files for strata::io: read-only mappings that arrays can borrow, and atomic replacement.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace strata::io::detail {

// A whole file mapped copy-on-write (MAP_PRIVATE, readable and writable, so a stray write can
// never reach the file).  Arrays borrow it through Buffer::borrow and keep it alive; an empty
// file has size() == 0 and no mapping.
class MappedFile {
 public:
  // "[api] cannot open '<path>': <reason>" when the file is missing, unreadable, not a regular
  // file, or cannot be mapped.
  static std::shared_ptr<const MappedFile> open(const std::string& path, const char* api);
  // The same interface over a copy of bytes in memory (tests and fuzzers); `name` stands for the
  // path in messages.
  static std::shared_ptr<const MappedFile> in_memory(std::string name, const void* data,
                                                     int64_t size);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint8_t* mutable_data() const { return data_; }  // private pages: for Buffer::borrow only
  int64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  uint8_t* data_ = nullptr;
  int64_t size_ = 0;
  bool mapped_ = false;  // munmap on destruction; otherwise data_ is from new[]
  std::string path_;
};

// Writes a file that replaces `path` only once it is complete: the bytes go to a new temporary
// file in the same folder; commit() flushes it to disk, renames it over `path` and flushes the
// folder.  If commit() is not reached (an error, an exception), the destructor removes the
// temporary file and `path` keeps its previous contents.
class AtomicFile {
 public:
  AtomicFile(std::string path, const char* api);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, int64_t bytes);
  void write_zeros(int64_t bytes);  // padding
  int64_t written() const { return written_; }
  void commit();
  // The temporary file's path, for writers that hand the file to a library: the library may
  // replace the file at that path; commit() reopens it by name.
  const std::string& temp_path() const { return temp_; }

 private:
  [[noreturn]] void fail_io(const char* what, int err) const;
  std::string path_, temp_;
  const char* api_;
  int fd_ = -1;
  int64_t written_ = 0;
  bool committed_ = false;
};

}  // namespace strata::io::detail
