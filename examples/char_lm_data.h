// The data side of examples/char_lm.cpp: a text file read as lines of bytes, a byte-level
// vocabulary, a deterministic train / held-out split by line, random training windows and fixed
// evaluation windows.  Plain C++ apart from the window batches, which are strata arrays.
#pragma once

#include <strata/strata.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

namespace char_lm {

namespace st = strata;

// The split: the lines are put in a fixed pseudo-random order (the same for every --seed), and
// every `kHeldOutEvery`-th line of that order is held out, 5% of them.  Shuffling matters for a
// sorted word list: in file order each word follows its alphabetical neighbours, and a model
// learns to copy their prefixes, which held-out words (with other neighbours) do not allow.
inline constexpr int64_t kHeldOutEvery = 20;
inline constexpr int64_t kShuffleSeed = 2024;

// A text as two token streams.  Tokens are the distinct bytes of the file (a UTF-8 letter
// outside ASCII is two or three tokens); lines are joined with '\n', which the model predicts
// too (the end of a word).
struct Corpus {
  std::vector<unsigned char> alphabet;  // token -> byte, in byte order
  std::array<int32_t, 256> token_of{};  // byte -> token, -1 when absent
  std::vector<int32_t> train, held_out;
  std::unordered_set<std::string> train_lines;  // to tell generated words seen in training
  int64_t num_lines = 0, num_held_out_lines = 0;

  int64_t vocab_size() const { return static_cast<int64_t>(alphabet.size()); }
  // Baselines, in bits per character, measured on the training stream itself: the entropy of
  // its byte frequencies (the best a model ignoring the context can do), and the conditional
  // entropy of a byte given the previous one (the best of a model that sees one character back).
  double unigram_bits() const;
  double bigram_bits() const;
};

// Reads `path` and splits it; `min_stream` is the shortest stream usable for windows (context+1).
inline Corpus load_corpus(const std::string& path, int64_t min_stream);

// `count` windows of `length` tokens starting at uniform offsets drawn with `key` (a strata
// random key), as an int32 (count, length) array.
inline st::Array random_windows(const std::vector<int32_t>& stream, int64_t count, int64_t length,
                                const st::Array& key);

// Non-overlapping windows of `length` tokens (stride length - 1, so each token but the stream's
// first is predicted exactly once), at most `max_count` of them spread evenly over the stream,
// as int32 (n, length).
inline st::Array eval_windows(const std::vector<int32_t>& stream, int64_t length,
                              int64_t max_count);

// ---------------------------------------------------------------- implementation

inline double Corpus::unigram_bits() const {
  std::vector<double> counts(alphabet.size(), 0.0);
  for (int32_t t : train) counts[static_cast<size_t>(t)] += 1;
  double bits = 0;
  for (double c : counts) {
    if (c > 0) {
      const double p = c / static_cast<double>(train.size());
      bits -= p * std::log2(p);
    }
  }
  return bits;
}

// 0..n-1 sorted by random 32-bit keys from strata::random (ties by index): a permutation that is
// the same on every platform.
inline std::vector<size_t> shuffled_order(size_t n) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  if (n == 0) return order;
  const std::vector<uint32_t> keys =
      st::random::bits(st::random::key(kShuffleSeed), {static_cast<int64_t>(n)})
          .to_vector<uint32_t>();
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return keys[a] != keys[b] ? keys[a] < keys[b] : a < b; });
  return order;
}

inline double Corpus::bigram_bits() const {
  const size_t v = alphabet.size();
  std::vector<double> pairs(v * v, 0.0), firsts(v, 0.0);
  for (size_t i = 1; i < train.size(); ++i) {
    const auto a = static_cast<size_t>(train[i - 1]), b = static_cast<size_t>(train[i]);
    pairs[a * v + b] += 1;
    firsts[a] += 1;
  }
  const double n = static_cast<double>(train.size() - 1);
  double bits = 0;
  for (size_t a = 0; a < v; ++a) {
    for (size_t b = 0; b < v; ++b) {
      const double c = pairs[a * v + b];
      if (c > 0) bits -= c / n * std::log2(c / firsts[a]);
    }
  }
  return bits;
}

inline Corpus load_corpus(const std::string& path, int64_t min_stream) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw std::runtime_error("cannot open the text file `" + path +
                             "` (the default word list comes with Debian's wamerican package: "
                             "run scripts/setup, or pass --text FILE)");
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  Corpus c;
  c.num_lines = static_cast<int64_t>(lines.size());
  std::array<bool, 256> seen{};
  seen['\n'] = true;
  for (const std::string& line : lines) {
    for (char ch : line) seen[static_cast<unsigned char>(ch)] = true;
  }
  c.token_of.fill(-1);
  for (int b = 0; b < 256; ++b) {
    if (seen[static_cast<size_t>(b)]) {
      c.token_of[static_cast<size_t>(b)] = static_cast<int32_t>(c.alphabet.size());
      c.alphabet.push_back(static_cast<unsigned char>(b));
    }
  }
  const std::vector<size_t> order = shuffled_order(lines.size());
  for (size_t k = 0; k < order.size(); ++k) {
    const std::string& line = lines[order[k]];
    const bool held_out = static_cast<int64_t>(k) % kHeldOutEvery == kHeldOutEvery - 1;
    std::vector<int32_t>& stream = held_out ? c.held_out : c.train;
    for (char ch : line) stream.push_back(c.token_of[static_cast<unsigned char>(ch)]);
    stream.push_back(c.token_of['\n']);
    if (held_out) {
      ++c.num_held_out_lines;
    } else {
      c.train_lines.insert(line);
    }
  }
  const auto too_short = [&](const char* which, size_t size) {
    std::ostringstream m;
    m << "`" << path << "` gives a " << which << " stream of " << size
      << " characters, but windows of context + 1 = " << min_stream
      << " characters need at least that many (1 line in " << kHeldOutEvery
      << " is held out); pass a longer text or a smaller --context";
    throw std::runtime_error(m.str());
  };
  if (static_cast<int64_t>(c.train.size()) < min_stream) too_short("training", c.train.size());
  if (static_cast<int64_t>(c.held_out.size()) < min_stream) {
    too_short("held-out", c.held_out.size());
  }
  return c;
}

inline st::Array random_windows(const std::vector<int32_t>& stream, int64_t count, int64_t length,
                                const st::Array& key) {
  const uint64_t starts = stream.size() - static_cast<uint64_t>(length) + 1;
  const std::vector<uint32_t> draws = st::random::bits(key, {count}).to_vector<uint32_t>();
  std::vector<int32_t> tokens;
  tokens.reserve(static_cast<size_t>(count * length));
  for (uint32_t d : draws) {
    const auto begin = stream.begin() + static_cast<std::ptrdiff_t>(d % starts);
    tokens.insert(tokens.end(), begin, begin + length);
  }
  return st::array(tokens, {count, length});
}

inline st::Array eval_windows(const std::vector<int32_t>& stream, int64_t length,
                              int64_t max_count) {
  const int64_t stride = length - 1;
  const int64_t available = (static_cast<int64_t>(stream.size()) - 1) / stride;
  const int64_t n = std::min(available, max_count);
  std::vector<int32_t> tokens;
  tokens.reserve(static_cast<size_t>(n * length));
  for (int64_t k = 0; k < n; ++k) {
    const int64_t window = k * available / n;  // evenly spread when capped
    const auto begin = stream.begin() + static_cast<std::ptrdiff_t>(window * stride);
    tokens.insert(tokens.end(), begin, begin + length);
  }
  return st::array(tokens, {n, length});
}

}  // namespace char_lm
