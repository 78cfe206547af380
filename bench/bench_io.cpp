// Checkpoint I/O against the plain system calls on the same bytes, in the same run (issue 15):
// a 1 GiB state (64 float32 tensors of 16 MiB, plus small ones) saved with io::save_safetensors
// against write() + fsync() of the same buffers to one file, and loaded with
// io::load_safetensors (a mapping: near-instant) and then read through (every byte read)
// against read() into fresh buffers.  Reported as GB/s and as ratios to the plain calls.
//
// Both savers flush to disk (fsync): a checkpoint that is not on disk when save returns is not a
// checkpoint.  The plain write without fsync is printed too, as the page-cache ceiling.  Reads
// come from the page cache (the file was just written), for strata and the plain read alike.
//
// Usage: bench_io [folder] [repeats]      (default: /tmp, 5; the best of the repeats is kept)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "bench_util.h"

namespace st = strata;

namespace {

constexpr int64_t kTensors = 64;
constexpr int64_t kFloatsPerTensor = int64_t{4} << 20;  // 16 MiB each: 1 GiB in all

void check(bool ok, const char* what) {
  if (!ok) {
    std::perror(what);
    std::exit(1);
  }
}

void plain_write(const std::string& path, const std::map<std::string, st::Array>& state,
                 bool flush) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  check(fd >= 0, "open");
  for (const auto& [key, a] : state) {
    const char* p = static_cast<const char*>(a.data());
    for (int64_t left = a.nbytes(); left > 0;) {
      const ssize_t n = ::write(fd, p, static_cast<size_t>(left));
      check(n > 0, "write");
      p += n;
      left -= n;
    }
  }
  if (flush) check(::fsync(fd) == 0, "fsync");
  ::close(fd);
}

// Reads the file into one fresh buffer per tensor (as a loader that copies would); returns a
// checksum so that the reads cannot be optimised away.
double plain_read(const std::string& path, const std::map<std::string, st::Array>& state) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  check(fd >= 0, "open");
  double checksum = 0;
  for (const auto& [key, a] : state) {
    std::vector<float> buffer(static_cast<size_t>(a.size()));
    char* p = reinterpret_cast<char*>(buffer.data());
    for (int64_t left = a.nbytes(); left > 0;) {
      const ssize_t n = ::read(fd, p, static_cast<size_t>(left));
      check(n > 0, "read");
      p += n;
      left -= n;
    }
    checksum += buffer[0] + buffer.back();
  }
  ::close(fd);
  return checksum;
}

// Reads every byte of every loaded tensor (an xor of all 32-bit words): the mapping's
// read-through, page faults included.
double read_through(const std::map<std::string, st::Array>& loaded) {
  uint32_t checksum = 0;
  for (const auto& [key, a] : loaded) {
    const auto* p = static_cast<const uint32_t*>(a.data());
    const int64_t n = a.size();  // hoisted: Array::size() is an out-of-line call
    for (int64_t i = 0; i < n; ++i) checksum ^= p[i];
  }
  return checksum;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string folder = argc > 1 ? argv[1] : "/tmp";
  const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  std::map<std::string, st::Array> state;
  for (int64_t i = 0; i < kTensors; ++i) {
    char key[64];
    std::snprintf(key, sizeof key, "blocks.%02lld.kernel", static_cast<long long>(i));
    state[key] = bench::uniform({kFloatsPerTensor}, 1.0f, static_cast<uint32_t>(i));
  }
  int64_t bytes = 0;
  for (const auto& [key, a] : state) bytes += a.nbytes();
  const double gb = static_cast<double>(bytes) / 1e9;
  const std::string st_path = folder + "/bench_io.safetensors", raw_path = folder + "/bench_io.raw";

  // Interleaved, so that drift in the disk's speed hits strata and the plain calls alike.
  double write_cached = 1e30, write_synced = 1e30, save = 1e30, read = 1e30, load = 1e30,
         load_read = 1e30, sink = 0;
  for (int r = 0; r < repeats; ++r) {
    // The two flushed saves alternate which goes first: the page cache's reclaim, which
    // occasionally stalls a write of 1 GiB, then hits each of them as often.
    auto plain_synced = [&] {
      write_synced =
          std::min(write_synced, bench::seconds([&] { plain_write(raw_path, state, true); }));
    };
    auto strata_save = [&] {
      save = std::min(save, bench::seconds([&] { st::io::save_safetensors(st_path, state); }));
    };
    if (r % 2 == 0) {
      plain_synced();
      strata_save();
    } else {
      strata_save();
      plain_synced();
    }
    read = std::min(read, bench::seconds([&] { sink += plain_read(raw_path, state); }));
    load =
        std::min(load, bench::seconds([&] { sink += st::io::load_safetensors(st_path).size(); }));
    load_read =
        std::min(load_read,
                 bench::seconds([&] { sink += read_through(st::io::load_safetensors(st_path)); }));
    write_cached =
        std::min(write_cached, bench::seconds([&] { plain_write(raw_path, state, false); }));
  }
  std::remove(st_path.c_str());
  std::remove(raw_path.c_str());

  std::printf("checkpoint I/O, %.2f GB in %lld tensors, folder %s, best of %d (checksum %g)\n", gb,
              static_cast<long long>(kTensors), folder.c_str(), repeats, sink);
  std::printf("  %-40s %8.3f s %7.2f GB/s\n", "plain write (page cache, no fsync)", write_cached,
              gb / write_cached);
  std::printf("  %-40s %8.3f s %7.2f GB/s\n", "plain write + fsync", write_synced,
              gb / write_synced);
  std::printf("  %-40s %8.3f s %7.2f GB/s  %.2fx plain write + fsync\n",
              "io::save_safetensors (atomic, fsync)", save, gb / save, write_synced / save);
  std::printf("  %-40s %8.3f s %7.2f GB/s\n", "plain read into fresh buffers", read, gb / read);
  std::printf("  %-40s %8.4f s %7.0f GB/s  %.0fx faster than plain read\n",
              "io::load_safetensors (maps)", load, gb / load, read / load);
  std::printf("  %-40s %8.3f s %7.2f GB/s  %.2fx plain read\n",
              "io::load_safetensors + read-through", load_read, gb / load_read, read / load_read);
  return 0;
}
