// A main() for the fuzz harnesses where there is no libFuzzer (the g++ presets): CI's smoke run.
//
//   <harness>_replay MUTATIONS PATH...
//
// Runs LLVMFuzzerTestOneInput on every file under the PATHs (folders or files; crash-* regression
// inputs included), then on MUTATIONS inputs made from them by a fixed-seed generator, so every
// run tests the same inputs.  A crash or sanitizer report fails the test; the input being run is
// then written to ./replay-crash (and its origin printed) so it can be replayed and kept.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// The input being run, for the crash handler (which may only use async-signal-safe calls).
const Bytes* g_current = nullptr;
char g_origin[512] = "";

void say(int fd, const void* p, size_t n) {
  if (::write(fd, p, n) < 0) return;  // nothing to do about it while crashing
}

void on_crash(int sig) {
  say(2, "replay: crashed on ", 19);
  say(2, g_origin, std::strlen(g_origin));
  say(2, "; input written to ./replay-crash\n", 34);
  if (g_current != nullptr) {
    const int fd = ::open("replay-crash", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      if (!g_current->empty()) say(fd, g_current->data(), g_current->size());
      ::close(fd);
    }
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void run(const Bytes& input, const std::string& origin) {
  g_current = &input;
  std::snprintf(g_origin, sizeof g_origin, "%s", origin.c_str());
  LLVMFuzzerTestOneInput(input.data(), input.size());
  g_current = nullptr;
}

// splitmix64: small, fast, and the same sequence everywhere.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

// Values that sit on the edges of the readers' checks: lengths, counts, offsets and dimensions.
uint64_t boundary_value(Rng& rng, size_t input_size, int bytes) {
  const uint64_t max = bytes == 8 ? UINT64_MAX : (uint64_t{1} << (8 * bytes)) - 1;
  const uint64_t values[] = {0,
                             1,
                             2,
                             7,
                             8,
                             64,
                             255,
                             max,
                             max - 1,
                             max >> 1,
                             (max >> 1) + 1,
                             input_size,
                             input_size - 1,
                             input_size + 1,
                             uint64_t{100'000'000},
                             uint64_t{100'000'001},
                             uint64_t{1} << 32,
                             rng.next()};
  return values[rng.below(std::size(values))] & max;
}

// One random edit; the mix follows libFuzzer's own mutators, plus a few aimed at text headers
// (JSON for safetensors, a Python dict literal for .npy).
void mutate_once(Bytes& b, Rng& rng, const std::vector<Bytes>& corpus) {
  static const char kTokens[] = "0123456789-+.,:;()[]{}'\"eE \n\\<>|TrueFalse";
  const size_t pos = rng.below(b.size() + 1);
  switch (rng.below(10)) {
    case 0:  // flip a bit
      if (!b.empty()) b[rng.below(b.size())] ^= uint8_t(1u << rng.below(8));
      break;
    case 1: {  // a byte to 0, 0xff, +-1 or anything
      if (b.empty()) break;
      uint8_t& c = b[rng.below(b.size())];
      const uint8_t choices[] = {0, 0xff, uint8_t(c + 1), uint8_t(c - 1), uint8_t(rng.next())};
      c = choices[rng.below(std::size(choices))];
      break;
    }
    case 2:  // truncate
      b.resize(rng.below(b.size() + 1));
      break;
    case 3: {  // duplicate a range somewhere
      if (b.empty()) break;
      const size_t from = rng.below(b.size()),
                   n = 1 + rng.below(std::min<size_t>(b.size() - from, 256));
      const Bytes range(b.begin() + from, b.begin() + from + n);
      b.insert(b.begin() + rng.below(b.size() + 1), range.begin(), range.end());
      break;
    }
    case 4: {  // insert random bytes
      const size_t n = 1 + rng.below(16);
      for (size_t i = 0; i < n; ++i) b.insert(b.begin() + pos, uint8_t(rng.next()));
      break;
    }
    case 5: {  // erase a range
      if (b.empty()) break;
      const size_t from = rng.below(b.size()),
                   n = 1 + rng.below(std::min<size_t>(b.size() - from, 64));
      b.erase(b.begin() + from, b.begin() + from + n);
      break;
    }
    case 6:
    case 7: {  // a little-endian u16/u32/u64 field set to a boundary value
      const int bytes = 2 << rng.below(3);
      if (b.size() < size_t(bytes)) break;
      // Aligned offsets half the time: the formats' binary fields mostly are.
      size_t at = rng.below(b.size() - bytes + 1);
      if (rng.below(2) != 0) at -= at % size_t(bytes);
      const uint64_t v = boundary_value(rng, b.size(), bytes);
      for (int i = 0; i < bytes; ++i) b[at + i] = uint8_t(v >> (8 * i));
      break;
    }
    case 8: {  // text: a token replaced or inserted, or a run of digits (huge numbers)
      const char t = kTokens[rng.below(sizeof kTokens - 1)];
      if (rng.below(3) == 0) {
        b.insert(b.begin() + pos, size_t(1 + rng.below(24)), uint8_t('0' + rng.below(10)));
      } else if (!b.empty() && rng.below(2) == 0) {
        b[rng.below(b.size())] = uint8_t(t);
      } else {
        b.insert(b.begin() + pos, uint8_t(t));
      }
      break;
    }
    case 9: {  // splice: a tail of another corpus input
      const Bytes& other = corpus[rng.below(corpus.size())];
      const size_t from = rng.below(other.size() + 1);
      b.resize(pos);
      b.insert(b.end(), other.begin() + from, other.end());
      break;
    }
  }
  constexpr size_t kMaxLen = 1 << 20;  // as -max_len bounds libFuzzer's inputs
  if (b.size() > kMaxLen) b.resize(kMaxLen);
}

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MUTATIONS PATH...\n", argv[0]);
    return 2;
  }
  const long mutations = std::strtol(argv[1], nullptr, 10);
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    if (fs::is_directory(argv[i])) {
      for (const auto& e : fs::recursive_directory_iterator(argv[i])) {
        if (e.is_regular_file() && e.path().extension() != ".md") files.push_back(e.path());
      }
    } else if (fs::is_regular_file(argv[i])) {
      files.emplace_back(argv[i]);
    } else {
      std::fprintf(stderr, "replay: %s is neither a file nor a folder\n", argv[i]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());  // directory order varies; the mutations must not
  if (files.empty()) {
    std::fprintf(stderr, "replay: no input files under the given paths\n");
    return 2;
  }
  for (const int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_crash);

  const auto start = std::chrono::steady_clock::now();
  std::vector<Bytes> corpus;
  for (const auto& f : files) {
    corpus.push_back(read_file(f));
    run(corpus.back(), f.string());
  }
  Rng rng{0x5eed};
  for (long i = 0; i < mutations; ++i) {
    const size_t seed = rng.below(corpus.size());
    Bytes input = corpus[seed];
    const size_t edits = 1 + rng.below(4);
    for (size_t k = 0; k < edits; ++k) mutate_once(input, rng, corpus);
    run(input, "mutation " + std::to_string(i) + " of " + files[seed].string());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("replay: %zu corpus files and %ld mutations, no crash, in %.2f s\n", files.size(),
              mutations, seconds);
  return 0;
}
