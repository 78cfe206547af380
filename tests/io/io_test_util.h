// Helpers for the io tests: a fresh folder per test, raw file bytes, and "this call fails with a
// message containing ...".
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "strata/strata.h"

namespace strata::testing {

// A new empty folder, removed with everything in it when the object goes.
class TempFolder {
 public:
  TempFolder() {
    static int counter = 0;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("strata_io_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
             (info ? info->name() : "test"));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Names of the entries of the folder (to check that no temporary file is left behind).
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Little-endian bytes of a value.
template <class T>
std::string le_bytes(T v) {
  std::string out(sizeof(T), '\0');
  for (size_t i = 0; i < sizeof(T); ++i) {
    out[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  }
  return out;
}

// The message of the strata::Error fn throws ("" and a test failure when it does not throw).
template <class F>
std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a strata::Error";
  return "";
}

// The bytes a hex string spells ("0a1b" -> "\x0a\x1b").
inline std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

// Asserts that `expr` throws strata::Error whose message starts with `prefix` and contains every
// fragment.
#define EXPECT_IO_ERROR(expr, prefix, ...)                               \
  do {                                                                   \
    try {                                                                \
      (void)(expr);                                                      \
      ADD_FAILURE() << "expected strata::Error from " #expr;             \
    } catch (const ::strata::Error& e) {                                 \
      const std::string message = e.what();                              \
      EXPECT_EQ(message.rfind(prefix, 0), 0u) << "message: " << message; \
      for (const char* fragment : {__VA_ARGS__}) {                       \
        EXPECT_NE(message.find(fragment), std::string::npos)             \
            << "message: " << message << "\nmissing: " << fragment;      \
      }                                                                  \
    }                                                                    \
  } while (0)

// The row-major bytes of an array.
inline std::string bytes_of(const Array& a) {
  const Array dense = detail::contiguous(a);
  return std::string(static_cast<const char*>(dense.data()), static_cast<size_t>(dense.nbytes()));
}

// The bytes of host values, as they are in memory (little-endian).
template <class T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// A test with its own folder: files written into it, read back, counted.
class FolderTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return folder_.file(name); }
  std::string write(const std::string& name, const std::string& bytes) const {
    write_bytes(path(name), bytes);
    return path(name);
  }
  static std::string read(const std::string& file) { return read_bytes(file); }
  size_t files_in_dir() const { return folder_.entries().size(); }

 private:
  TempFolder folder_;
};

}  // namespace strata::testing
