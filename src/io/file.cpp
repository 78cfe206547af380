#include "io/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>

#include "strata/core/error.h"

namespace strata::io::detail {

namespace {

std::string folder_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Closes a descriptor on every path out of a scope.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

// ---------------------------------------------------------------- MappedFile
std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path, const char* api) {
  const Descriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    const int err = errno;
    fail(api, "cannot open '", path, "': ", std::strerror(err),
         err == ENOENT ? " (check the path and the working folder)" : "");
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) fail(api, "cannot stat '", path, "': ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(api, "'", path, "' is not a regular file");
  std::shared_ptr<MappedFile> out(new MappedFile());
  out->path_ = path;
  out->size_ = static_cast<int64_t>(st.st_size);
  if (out->size_ == 0) return out;
  void* p = ::mmap(nullptr, static_cast<size_t>(out->size_), PROT_READ | PROT_WRITE, MAP_PRIVATE,
                   file.fd, 0);
  if (p == MAP_FAILED) {
    fail(api, "cannot map '", path, "' (", out->size_, " bytes): ", std::strerror(errno));
  }
  out->data_ = static_cast<uint8_t*>(p);
  out->mapped_ = true;
  return out;
}

std::shared_ptr<const MappedFile> MappedFile::in_memory(std::string name, const void* data,
                                                        int64_t size) {
  std::shared_ptr<MappedFile> out(new MappedFile());
  out->path_ = std::move(name);
  out->size_ = size;
  if (size > 0) {
    // Over-aligned like a page, so that alignment behaves as for a real mapping.
    out->data_ =
        static_cast<uint8_t*>(::operator new[](static_cast<size_t>(size), std::align_val_t{64}));
    std::memcpy(out->data_, data, static_cast<size_t>(size));
  }
  return out;
}

MappedFile::~MappedFile() {
  if (data_ == nullptr) return;
  if (mapped_) {
    ::munmap(data_, static_cast<size_t>(size_));
  } else {
    ::operator delete[](data_, std::align_val_t{64});
  }
}

// ---------------------------------------------------------------- AtomicFile
AtomicFile::AtomicFile(std::string path, const char* api) : path_(std::move(path)), api_(api) {
  if (path_.empty()) fail(api_, "expected a file path, found an empty string");
  static std::atomic<uint64_t> counter{0};
  // Same folder as the destination, so the final rename never crosses file systems.
  temp_ = strata::detail::cat(path_, ".tmp-", ::getpid(), "-", counter.fetch_add(1));
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int err = errno;
    fail(api_, "cannot create '", temp_, "' to save '", path_, "': ", std::strerror(err),
         err == ENOENT ? " (does the folder '" + folder_of(path_) + "' exist?)" : std::string());
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::fail_io(const char* what, int err) const {
  fail(api_, "cannot save '", path_, "': ", what, " failed after ", written_,
       " bytes: ", std::strerror(err),
       err == ENOSPC || err == EDQUOT ? " (the disk is full; free space and save again)" : "",
       "; the previous file, if any, is untouched");
}

void AtomicFile::write(const void* data, int64_t bytes) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    // Large writes in chunks: Linux writes at most about 2 GiB per call.
    const size_t chunk = static_cast<size_t>(std::min<int64_t>(bytes, int64_t{1} << 30));
    const ssize_t n = ::write(fd_, p, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_io("write", errno);
    }
    if (n == 0) fail_io("write", EIO);
    p += n;
    bytes -= n;
    written_ += n;
  }
}

void AtomicFile::write_zeros(int64_t bytes) {
  static constexpr char kZeros[4096] = {};
  while (bytes > 0) {
    const int64_t n = std::min<int64_t>(bytes, sizeof kZeros);
    write(kZeros, n);
    bytes -= n;
  }
}

void AtomicFile::commit() {
  // Reopened by name: a library given temp_path() may have replaced the file there.
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail_io("reopen", errno);
  if (::fsync(fd_) != 0) fail_io("fsync", errno);
  ::close(fd_);
  fd_ = -1;
  if (::rename(temp_.c_str(), path_.c_str()) != 0) fail_io("rename", errno);
  committed_ = true;
  // The rename itself is durable once the folder is flushed too.
  const Descriptor folder{::open(folder_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (folder.fd >= 0) ::fsync(folder.fd);
}

}  // namespace strata::io::detail
