// io::save_safetensors / load_safetensors: round trips of every dtype and shape class, files
// written byte by byte from the format (as the reference writer lays them out, and unaligned),
// the writer's layout (padding, alignment), loading as a view of the mapping, atomic saves, and
// every malformed file the reader must reject.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "io_test_util.h"
#include "strata/io.h"
#include "test_util.h"

namespace strata::testing {
namespace {

// A safetensors file from a header text and a data buffer, as the format defines it.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return le_bytes<uint64_t>(header.size()) + header + data;
}

// Is [p, p + 1) inside a mapping of `path` (per /proc/self/maps)?
bool address_maps_file(const void* p, const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const auto address = reinterpret_cast<uintptr_t>(p);
  while (std::getline(maps, line)) {
    if (line.find(path) == std::string::npos) continue;
    uintptr_t begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &begin, &end) == 2 && address >= begin &&
        address < end) {
      return true;
    }
  }
  return false;
}

void expect_same_array(const Array& want, const Array& got) {
  EXPECT_EQ(got.dtype(), want.dtype());
  EXPECT_EQ(got.shape(), want.shape());
  EXPECT_EQ(to_doubles(got), to_doubles(want));
}

TEST(Safetensors, RoundTripsEveryDTypeAndShapeClass) {
  TempFolder dir;
  std::map<std::string, Array> tensors;
  uint32_t seed = 0;
  for (DType dt : kAllDTypes) {
    const std::string name(strata::name(dt));
    tensors[name + ".scalar"] = random_array({}, dt, ++seed, -100, 100);
    tensors[name + ".empty"] = random_array({0, 3}, dt, ++seed);
    tensors[name + ".matrix"] = random_array({3, 5}, dt, ++seed, -100, 100);
    // A transposed view is written in row-major order.
    tensors[name + ".view"] = transpose(random_array({4, 2, 3}, dt, ++seed, -100, 100));
  }
  tensors["large"] = random_array({1 << 20}, DType::Float32, ++seed);
  const std::string path = dir.file("all.safetensors");
  io::save_safetensors(path, tensors, {{"format", "strata"}, {"note", "\"quoted\"\n\\"}});
  const auto loaded = io::load_safetensors(path);
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& [key, a] : tensors) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(loaded.count(key));
    expect_same_array(a, loaded.at(key));
  }
  const auto metadata = io::load_safetensors_metadata(path);
  EXPECT_EQ(metadata,
            (std::map<std::string, std::string>{{"format", "strata"}, {"note", "\"quoted\"\n\\"}}));
}

TEST(Safetensors, WriterPadsTheHeaderAndAlignsEveryTensor) {
  TempFolder dir;
  const std::string path = dir.file("layout.safetensors");
  // Sizes chosen so that a naive order would misalign the f64 and i32 tensors.
  io::save_safetensors(path, {{"a_bool", astype(array({1.0, 0.0, 1.0}), DType::Bool)},
                              {"b_f64", array({1.5, 2.5})},
                              {"c_i8", astype(array({-3.0}), DType::Int8)},
                              {"d_i32", array({7, 8, 9})},
                              {"e_bf16", astype(array({1.0f, 2.0f, 3.0f}), DType::BFloat16)}});
  const std::string bytes = read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[static_cast<size_t>(i)]);
  EXPECT_EQ(n % 8, 0u);
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.find_last_not_of(' ') + 1, header.rfind('}') + 1);  // padded with spaces
  const auto json = nlohmann::json::parse(header);
  const std::map<std::string, int> item = {
      {"BOOL", 1}, {"F64", 8}, {"I8", 1}, {"I32", 4}, {"BF16", 2}};
  for (const auto& [key, entry] : json.items()) {
    const uint64_t begin = entry["data_offsets"][0];
    EXPECT_EQ((8 + n + begin) % static_cast<uint64_t>(item.at(entry["dtype"])), 0u) << key;
  }
  EXPECT_EQ(json["b_f64"]["dtype"], "F64");
  EXPECT_EQ(json["c_i8"]["shape"], nlohmann::json::array({1}));
  EXPECT_FALSE(json.contains("__metadata__"));  // none given, none written
  EXPECT_TRUE(io::load_safetensors_metadata(path).empty());
}

TEST(Safetensors, AlignedTensorsAreViewsOfTheMappingThatOutliveTheFile) {
  TempFolder dir;
  const std::string path = dir.file("mapped.safetensors");
  const Array w = random_array({64, 32}, DType::Float32, 1);
  io::save_safetensors(path, {{"w", w}, {"b", random_array({3}, DType::Float16, 2)}});
  Array loaded = io::load_safetensors(path).at("w");
  EXPECT_TRUE(address_maps_file(loaded.data(), path)) << "expected a view of the mapped file";
  std::filesystem::remove(path);  // the mapping keeps the bytes
  expect_same_array(w, loaded);
  // Ops on a mapped array work as on any other (and never write into the file's pages).
  expect_same_array(w * 2.0f, loaded * 2.0f);
}

TEST(Safetensors, ReadsFilesLaidOutByTheReferenceWriter) {
  // What safetensors.numpy.save_file({"weight": f32 (2, 2), "ids": i64 (3,), "flag": bool (2,)},
  // metadata={"format": "np"}) writes: entries sorted by dtype alignment then name, the header
  // padded with spaces to a multiple of 8, metadata first.
  std::string data;
  for (int64_t v : {4, -5, 6}) data += le_bytes<int64_t>(v);
  for (float f : {1.0f, -2.0f, 0.5f, 8.0f}) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    data += le_bytes<uint32_t>(u);
  }
  data += std::string("\x01\x00", 2);
  std::string header =
      R"({"__metadata__":{"format":"np"},"ids":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},)"
      R"("weight":{"dtype":"F32","shape":[2,2],"data_offsets":[24,40]},)"
      R"("flag":{"dtype":"BOOL","shape":[2],"data_offsets":[40,42]}})";
  header.resize((header.size() + 7) / 8 * 8, ' ');
  TempFolder dir;
  const std::string path = dir.file("reference.safetensors");
  write_bytes(path, safetensors_bytes(header, data));
  const auto t = io::load_safetensors(path);
  EXPECT_EQ(t.at("ids").to_vector<int64_t>(), (std::vector<int64_t>{4, -5, 6}));
  EXPECT_EQ(t.at("weight").shape(), (Shape{2, 2}));
  EXPECT_EQ(t.at("weight").to_vector<float>(), (std::vector<float>{1.0f, -2.0f, 0.5f, 8.0f}));
  EXPECT_EQ(t.at("flag").to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_EQ(io::load_safetensors_metadata(path).at("format"), "np");
}

// Written by the reference implementation itself (Python safetensors 0.8.0, numpy 2.4.6):
//   safetensors.numpy.save({"w": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
//                           "q": np.array([-128, 5, 127], np.int8), "h": np.array([-300, 2],
//                           np.int16), "b": np.array([True, False]), "d": np.array(2.5), "u":
//                           np.array([65535], np.uint16), "f16": np.array([0.5, -1], np.float16),
//                           "e": np.zeros((0, 2), np.int64)}, metadata={"format": "np"})
const char* const kReferenceFile =
    "d8010000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a226e70227d2c2265223a7b22"
    "6474797065223a22493634222c227368617065223a5b302c325d2c22646174615f6f666673657473223a5b302c30"
    "5d7d2c2264223a7b226474797065223a22463634222c227368617065223a5b5d2c22646174615f6f666673657473"
    "223a5b302c385d7d2c2277223a7b226474797065223a22463332222c227368617065223a5b322c335d2c22646174"
    "615f6f666673657473223a5b382c33325d7d2c22663136223a7b226474797065223a22463136222c227368617065"
    "223a5b325d2c22646174615f6f666673657473223a5b33322c33365d7d2c2275223a7b226474797065223a225531"
    "36222c227368617065223a5b315d2c22646174615f6f666673657473223a5b33362c33385d7d2c2268223a7b2264"
    "74797065223a22493136222c227368617065223a5b325d2c22646174615f6f666673657473223a5b33382c34325d"
    "7d2c2271223a7b226474797065223a224938222c227368617065223a5b335d2c22646174615f6f66667365747322"
    "3a5b34322c34355d7d2c2262223a7b226474797065223a22424f4f4c222c227368617065223a5b325d2c22646174"
    "615f6f666673657473223a5b34352c34375d7d7d0000000000000440000000000000803e0000003f0000403f0000"
    "803f0000a03f003800bcffffd4fe020080057f0100";

TEST(Safetensors, LoadsAFileWrittenByTheReferenceImplementation) {
  TempFolder dir;
  const std::string path = dir.file("reference.safetensors");
  write_bytes(path, unhex(kReferenceFile));
  const auto t = io::load_safetensors(path);
  ASSERT_EQ(t.size(), 8u);
  EXPECT_EQ(t.at("w").shape(), (Shape{2, 3}));
  EXPECT_EQ(to_doubles(t.at("w")), (std::vector<double>{0, 0.25, 0.5, 0.75, 1, 1.25}));
  EXPECT_EQ(t.at("q").to_vector<int8_t>(), (std::vector<int8_t>{-128, 5, 127}));
  EXPECT_EQ(t.at("h").to_vector<int16_t>(), (std::vector<int16_t>{-300, 2}));
  EXPECT_EQ(t.at("b").to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_EQ(t.at("d").item<double>(), 2.5);
  EXPECT_EQ(t.at("u").to_vector<uint16_t>(), std::vector<uint16_t>{65535});
  EXPECT_EQ(to_doubles(t.at("f16")), (std::vector<double>{0.5, -1}));
  EXPECT_EQ(t.at("e").shape(), (Shape{0, 2}));
  EXPECT_EQ(t.at("e").dtype(), DType::Int64);
  EXPECT_EQ(io::load_safetensors_metadata(path).at("format"), "np");
}

TEST(Safetensors, UnalignedAndUnpaddedFilesAreCopiedCorrectly) {
  // No padding (header of odd length), a u8 tensor of 3 bytes first: the f32 and f64 data start
  // at unaligned addresses and must be copied, not viewed.
  std::string data = "\x07\x08\x09";
  for (float f : {3.25f, -1.0f}) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    data += le_bytes<uint32_t>(u);
  }
  double d = 6.5;
  uint64_t du;
  std::memcpy(&du, &d, 8);
  data += le_bytes<uint64_t>(du);
  data += std::string("\x05\x00\x02", 3);  // a bool byte 2 reads as true
  const std::string header =
      R"({"u":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"f":{"dtype":"F32","shape":[2],)"
      R"("data_offsets":[3,11]},"d":{"dtype":"F64","shape":[],"data_offsets":[11,19]},)"
      R"("b":{"dtype":"BOOL","shape":[3],"data_offsets":[19,22]}})";
  TempFolder dir;
  const std::string path = dir.file("unaligned.safetensors");
  write_bytes(path, safetensors_bytes(header, data));
  const auto t = io::load_safetensors(path);
  EXPECT_EQ(t.at("u").to_vector<uint8_t>(), (std::vector<uint8_t>{7, 8, 9}));
  EXPECT_EQ(t.at("f").to_vector<float>(), (std::vector<float>{3.25f, -1.0f}));
  EXPECT_EQ(t.at("d").item<double>(), 6.5);
  EXPECT_EQ(to_doubles(t.at("b")), (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(to_doubles(sum(astype(t.at("b"), DType::Int32))), (std::vector<double>{2}));
}

TEST(Safetensors, AFailedSaveLeavesThePreviousFileAndNoTemporaryFile) {
  TempFolder dir;
  const std::string path = dir.file("keep.safetensors");
  io::save_safetensors(path, {{"w", array({1.0f, 2.0f})}});
  const std::string before = read_bytes(path);
  // A traced array cannot be saved: the error comes before the destination is touched.
  const std::string message = error_of([&] {
    jit([&](const Array& x) {
      io::save_safetensors(path, {{"w", x}});
      return x;
    })(array({3.0f}));
  });
  EXPECT_NE(message.find("[io.save_safetensors] cannot save `w`"), std::string::npos) << message;
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"keep.safetensors"});
  const std::string reserved = error_of([&] {
    io::save_safetensors(path, {{"__metadata__", array({1.0f})}});
  });
  EXPECT_NE(reserved.find("cannot be named `__metadata__`"), std::string::npos) << reserved;
  const std::string folder =
      error_of([&] { io::save_safetensors(dir.file("no/such/folder.st"), {}); });
  EXPECT_NE(folder.find("does the folder"), std::string::npos) << folder;
  EXPECT_EQ(read_bytes(path), before);
}

TEST(Safetensors, SavesAnEmptyStateAndOverwritesAtomically) {
  TempFolder dir;
  const std::string path = dir.file("s.safetensors");
  io::save_safetensors(path, {});
  EXPECT_TRUE(io::load_safetensors(path).empty());
  io::save_safetensors(path, {{"x", array({5})}});
  EXPECT_EQ(io::load_safetensors(path).at("x").to_vector<int32_t>(), std::vector<int32_t>{5});
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"s.safetensors"});
}

// ---------------------------------------------------------------- rejections
struct BadFile {
  const char* name;
  std::string bytes;
  const char* expected;  // a fragment of the message
};

std::string one_tensor(const std::string& entry, const std::string& data) {
  return safetensors_bytes(R"({"t":)" + entry + "}", data);
}

TEST(Safetensors, RejectsEveryMalformedFileWithAMessage) {
  const std::string f32x2 = std::string(8, '\0');
  const std::vector<BadFile> cases = {
      {"empty", "", "fewer than the 8 of the header length"},
      {"short", "abc", "fewer than the 8"},
      {"length past end", le_bytes<uint64_t>(100) + "{}", "header length is 100 bytes but only 2"},
      {"length huge", le_bytes<uint64_t>(uint64_t{1} << 62) + "{}", "above the limit of"},
      {"length 100MB+1", le_bytes<uint64_t>(100'000'001) + "{}", "above the limit of"},
      {"invalid json", safetensors_bytes("{\"t\":", ""), "invalid JSON"},
      {"not json", safetensors_bytes("hello", ""), "invalid JSON"},
      {"array header", safetensors_bytes("[1,2]", ""), "the header must be a JSON object"},
      {"string header", safetensors_bytes("\"x\"", ""), "the header must be a JSON object"},
      {"trailing json", safetensors_bytes("{} {}", ""), "invalid JSON"},
      {"bad utf8", safetensors_bytes("{\"\xff\":{}}", ""), "invalid JSON"},
      {"entry not object", safetensors_bytes(R"({"t":[1]})", ""),
       "value of `t` (expected an object)"},
      {"unknown dtype", one_tensor(R"({"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]})", "x"),
       "the dtype \"F8_E4M3\""},
      {"dtype not string", one_tensor(R"({"dtype":4,"shape":[1],"data_offsets":[0,4]})", "xxxx"),
       "as the dtype of `t`"},
      {"negative dim", one_tensor(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})", "xxxx"),
       "negative number -1"},
      {"float dim", one_tensor(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})", "xxxx"),
       "the number 1.5"},
      {"huge dim",
       one_tensor(R"({"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]})", "xxxx"),
       "expected an integer that fits in 64 bits"},
      {"overflowing shape",
       one_tensor(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]})",
                  "xxxx"),
       "overflows 64-bit sizes"},
      {"wrong byte count", one_tensor(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})", f32x2),
       "(12 bytes) but its data_offsets [0, 8] span 8 bytes"},
      {"end before begin", one_tensor(R"({"dtype":"F32","shape":[0],"data_offsets":[8,0]})", f32x2),
       "end before they begin"},
      {"past buffer", one_tensor(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})", f32x2),
       "past the end of the data buffer"},
      {"three offsets", one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8,8]})", f32x2),
       "more than two data_offsets"},
      {"one offset", one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})", f32x2),
       "with 1 numbers (expected [begin, end])"},
      {"missing shape", one_tensor(R"({"dtype":"F32","data_offsets":[0,8]})", f32x2),
       "without shape"},
      {"missing offsets", one_tensor(R"({"dtype":"F32","shape":[2]})", f32x2),
       "without data_offsets"},
      {"missing dtype", one_tensor(R"({"shape":[2],"data_offsets":[0,8]})", f32x2),
       "without dtype"},
      {"unknown field",
       one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1})", f32x2),
       "the field `x`"},
      {"duplicate field",
       one_tensor(R"({"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]})", f32x2),
       "the field `dtype` twice"},
      {"trailing bytes",
       one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", f32x2 + "zz"),
       "2 trailing bytes"},
      {"gap",
       safetensors_bytes(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                         R"("b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})",
                         "abcdef"),
       "bytes [2, 4) of the data buffer belong to no tensor"},
      {"overlap",
       safetensors_bytes(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
                         "abcdef"),
       "overlaps that of `a`"},
      {"duplicate key",
       safetensors_bytes(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                         R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                         "ab"),
       "the key `a` a second time"},
      {"metadata not strings", safetensors_bytes(R"({"__metadata__":{"k":1}})", ""),
       "__metadata__ value of `k` (expected a string)"},
      {"metadata duplicate", safetensors_bytes(R"({"__metadata__":{"k":"a","k":"b"}})", ""),
       "the __metadata__ key `k` a second time"},
      {"metadata array", safetensors_bytes(R"({"__metadata__":[]})", ""), "unexpected an array"},
      {"nested deep", safetensors_bytes(std::string(100000, '[') + std::string(100000, ']'), ""),
       "the header must be a JSON object"},
  };
  TempFolder dir;
  for (const BadFile& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = dir.file("bad.safetensors");
    write_bytes(path, c.bytes);
    const std::string message = error_of([&] { io::load_safetensors(path); });
    EXPECT_EQ(message.rfind("[io.load_safetensors] '" + path + "'", 0), 0u) << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
    // The metadata reader validates the same way.
    const std::string meta = error_of([&] { io::load_safetensors_metadata(path); });
    EXPECT_NE(meta.find(c.expected), std::string::npos) << meta;
  }
}

TEST(Safetensors, MissingFilesAndFoldersAreErrors) {
  TempFolder dir;
  const std::string missing = error_of([&] { io::load_safetensors(dir.file("nope")); });
  EXPECT_NE(missing.find("[io.load_safetensors] cannot open"), std::string::npos) << missing;
  EXPECT_NE(missing.find("No such file"), std::string::npos) << missing;
  const std::string folder = error_of([&] { io::load_safetensors(dir.file("")); });
  EXPECT_NE(folder.find("is not a regular file"), std::string::npos) << folder;
}

}  // namespace
}  // namespace strata::testing
