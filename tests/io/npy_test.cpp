// io::save_npy / io::load_npy: round trips for every dtype and shape class, files written byte by
// byte from NumPy's format description (versions 1.0, 2.0 and 3.0, big-endian data, Fortran order,
// the header dict's spellings), every rejection, and the atomic writer.

#include <cstring>
#include <filesystem>
#include <limits>
#include <random>

#include "io/file.h"
#include "io/npy.h"
#include "io_test_util.h"
#include "test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::bytes_of;
using testing::random_array;
using testing::raw;

// A .npy image as the format describes it: magic, version, little-endian header length, header
// (the dict text, then `pad` spaces and '\n'), data.
std::string npy_image(int major, const std::string& dict, const std::string& data, int pad = 0) {
  const std::string header = dict + std::string(static_cast<size_t>(pad), ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const uint32_t n = static_cast<uint32_t>(header.size());
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

class Npy : public testing::FolderTest {
 protected:
  // Loads an image written to a file.
  Array load(const std::string& bytes) const { return io::load_npy(write("x.npy", bytes)); }
};

// ---------------------------------------------------------------- round trips
TEST_F(Npy, RoundTripEveryDtype) {
  const std::map<DType, std::string> descr = {
      {DType::Bool, "|b1"},    {DType::Int8, "|i1"},    {DType::Int16, "<i2"},
      {DType::Int32, "<i4"},   {DType::Int64, "<i8"},   {DType::UInt8, "|u1"},
      {DType::UInt16, "<u2"},  {DType::UInt32, "<u4"},  {DType::UInt64, "<u8"},
      {DType::Float16, "<f2"}, {DType::Float32, "<f4"}, {DType::Float64, "<f8"}};
  uint32_t seed = 1;
  for (const DType dtype : kAllDTypes) {
    if (dtype == DType::BFloat16) continue;
    SCOPED_TRACE(std::string(name(dtype)));
    const Array a = random_array({3, 5}, dtype, seed++, 0, 100);
    io::save_npy(path("a.npy"), a);
    const std::string file = read(path("a.npy"));
    const std::string dict =
        "{'descr': '" + descr.at(dtype) + "', 'fortran_order': False, 'shape': (3, 5), }";
    // 10 bytes of prelude, the dict, spaces and '\n' up to byte 128, the next multiple of 64.
    ASSERT_EQ(file.substr(0, 10), std::string("\x93NUMPY\x01\x00\x76\x00", 10));
    EXPECT_EQ(file.substr(10, dict.size()), dict);
    EXPECT_EQ(file.substr(10 + dict.size(), 128 - 11 - dict.size()),
              std::string(128 - 11 - dict.size(), ' '));
    EXPECT_EQ(file[127], '\n');
    EXPECT_EQ(file.substr(128), bytes_of(a));

    const Array b = io::load_npy(path("a.npy"));
    EXPECT_EQ(b.dtype(), dtype);
    EXPECT_EQ(b.shape(), (Shape{3, 5}));
    EXPECT_EQ(bytes_of(b), bytes_of(a));
  }
}

TEST_F(Npy, ExtremeValuesAreBitExact) {
  const auto trip = [&](const Array& a) {
    io::save_npy(path("e.npy"), a);
    const Array b = io::load_npy(path("e.npy"));
    EXPECT_EQ(b.dtype(), a.dtype());
    EXPECT_EQ(bytes_of(b), bytes_of(a)) << a;
  };
  trip(array<int8_t>({-128, 127, 0}));
  trip(array<int16_t>({-32768, 32767, 1}));
  trip(array<int64_t>({std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}));
  trip(array<uint64_t>({0, std::numeric_limits<uint64_t>::max()}));
  trip(array<uint16_t>({0, 65535}));
  const double inf = std::numeric_limits<double>::infinity();
  trip(array<double>({-0.0, inf, -inf, std::numeric_limits<double>::quiet_NaN(), 5e-324}));
  trip(array<float>({-0.0f, std::numeric_limits<float>::quiet_NaN(), 1e-45f}));
  trip(array(
      {float16_t::from_bits(0x7c00), float16_t::from_bits(0x0001), float16_t::from_bits(0x7e00)}));
}

TEST_F(Npy, ZeroDEmptyAndOneD) {
  io::save_npy(path("s.npy"), scalar(2.5f));
  EXPECT_NE(read(path("s.npy")).find("'shape': (), }"), std::string::npos);
  const Array s = io::load_npy(path("s.npy"));
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_EQ(s.item<float>(), 2.5f);

  io::save_npy(path("e.npy"), zeros({0, 3}, DType::Float64));
  const Array e = io::load_npy(path("e.npy"));
  EXPECT_EQ(e.shape(), (Shape{0, 3}));
  EXPECT_EQ(e.dtype(), DType::Float64);
  EXPECT_EQ(read(path("e.npy")).size(), 128u);

  io::save_npy(path("v.npy"), array<int32_t>({1, 2, 3, 4, 5}));
  EXPECT_NE(read(path("v.npy")).find("'shape': (5,), }"), std::string::npos);
  EXPECT_EQ(io::load_npy(path("v.npy")).to_vector<int32_t>(),
            (std::vector<int32_t>{1, 2, 3, 4, 5}));
}

TEST_F(Npy, NonContiguousViewsAreSavedDense) {
  const Array a = random_array({4, 6}, DType::Float32, 3);
  const Array view = transpose(a).slice(1, 5, 2);  // (2, 4), strided
  ASSERT_FALSE(view.is_contiguous());
  io::save_npy(path("v.npy"), view);
  const Array b = io::load_npy(path("v.npy"));
  EXPECT_EQ(b.shape(), (Shape{2, 4}));
  EXPECT_EQ(bytes_of(b), bytes_of(view));
}

TEST_F(Npy, LargeArray) {
  const Array a = random_array({1024, 1031}, DType::Float32, 4);
  io::save_npy(path("big.npy"), a);
  EXPECT_EQ(fs::file_size(path("big.npy")), 128u + 4u * 1024 * 1031);
  const Array b = io::load_npy(path("big.npy"));
  EXPECT_TRUE(b.is_contiguous());
  EXPECT_EQ(bytes_of(b), bytes_of(a));
  // The file may be removed while the array maps it.
  fs::remove(path("big.npy"));
  EXPECT_EQ(bytes_of(b), bytes_of(a));
}

TEST_F(Npy, WriterAlignsDataTo64AndUsesVersion1) {
  for (const Shape& shape :
       {Shape{}, Shape{7}, Shape{2, 3, 4, 5, 6, 7, 8, 9, 10}, Shape(40, 1), Shape{1000000007, 0}}) {
    const Array a = zeros(shape, DType::UInt8);
    io::save_npy(path("h.npy"), a);
    const std::string file = read(path("h.npy"));
    const size_t offset = 10 + static_cast<uint8_t>(file[8]) + 256u * static_cast<uint8_t>(file[9]);
    EXPECT_EQ(file[6], 1);
    EXPECT_EQ(offset % 64, 0u) << to_string(shape);
    EXPECT_EQ(file[offset - 1], '\n');
    EXPECT_EQ(file.size(), offset + static_cast<size_t>(a.nbytes()));
    EXPECT_EQ(io::load_npy(path("h.npy")).shape(), shape);
  }
}

// ---------------------------------------------------------------- saving errors
TEST_F(Npy, BFloat16IsRefusedAndThePreviousFileKept) {
  io::save_npy(path("keep.npy"), array<int32_t>({1, 2, 3}));
  const std::string before = read(path("keep.npy"));
  EXPECT_IO_ERROR(io::save_npy(path("keep.npy"), astype(array<float>({1, 2}), DType::BFloat16)),
                  "[io.save_npy]", "keep.npy", "bfloat16", "astype(DType::Float32)",
                  "save_safetensors");
  EXPECT_EQ(read(path("keep.npy")), before);
  EXPECT_EQ(files_in_dir(), 1u);  // no temporary file left behind
}

TEST_F(Npy, TracedArraysAndEmptyHandlesAreRefused) {
  io::save_npy(path("keep.npy"), array<int32_t>({1, 2, 3}));
  const std::string before = read(path("keep.npy"));
  EXPECT_IO_ERROR(trace(
                      [&](const Array& x) {
                        io::save_npy(path("keep.npy"), x);
                        return x;
                      },
                      zeros({2})),
                  "[io.save_npy]", "traced");
  EXPECT_IO_ERROR(io::save_npy(path("keep.npy"), Array()), "[io.save_npy]", "empty Array handle");
  EXPECT_EQ(read(path("keep.npy")), before);
  EXPECT_EQ(files_in_dir(), 1u);
  EXPECT_IO_ERROR(io::save_npy(path("no/such/folder/a.npy"), zeros({2})), "[io.save_npy]",
                  "cannot create", "does the folder");
}

// ---------------------------------------------------------------- files written by hand
TEST_F(Npy, Versions1And2And3) {
  const std::vector<float> f = {1.5f, -2, 3, 4.25f};
  const Array a =
      load(npy_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", raw(f), 5));
  EXPECT_EQ(a.shape(), (Shape{2, 2}));
  EXPECT_EQ(a.to_vector<float>(), f);

  const std::vector<int64_t> i = {-1, 1LL << 40, 7};
  const Array b =
      load(npy_image(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", raw(i), 3));
  EXPECT_EQ(b.to_vector<int64_t>(), i);

  const std::vector<uint16_t> u = {1, 65535};
  const Array c =
      load(npy_image(3, "{\"descr\": \"<u2\", \"fortran_order\": False, \"shape\": (2,)}", raw(u)));
  EXPECT_EQ(c.to_vector<uint16_t>(), u);
}

TEST_F(Npy, BigEndianDataIsSwapped) {
  const auto big = [](auto value) {
    std::string s(reinterpret_cast<const char*>(&value), sizeof value);
    return std::string(s.rbegin(), s.rend());
  };
  const Array d = load(npy_image(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }",
                                 big(1.25) + big(-3e300)));
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_EQ(d.to_vector<double>(), (std::vector<double>{1.25, -3e300}));
  const Array i = load(npy_image(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }",
                                 big(int32_t{-2}) + big(int32_t{0x01020304}) + big(int32_t{7})));
  EXPECT_EQ(i.to_vector<int32_t>(), (std::vector<int32_t>{-2, 0x01020304, 7}));
  const Array u = load(npy_image(1, "{'descr': '>u2', 'fortran_order': False, 'shape': (1, 2), }",
                                 big(uint16_t{0x1234}) + big(uint16_t{65535})));
  EXPECT_EQ(u.shape(), (Shape{1, 2}));
  EXPECT_EQ(u.to_vector<uint16_t>(), (std::vector<uint16_t>{0x1234, 65535}));
  // One-byte types have no byte order: '>u1' and '|i1' read as they are.
  const Array b =
      load(npy_image(1, "{'descr': '>u1', 'fortran_order': False, 'shape': (2,), }", "\x01\xff"));
  EXPECT_EQ(b.to_vector<uint8_t>(), (std::vector<uint8_t>{1, 255}));
}

TEST_F(Npy, FortranOrderIsReadAsTheTransposedView) {
  // A (2, 3) array [[0, 1, 2], [3, 4, 5]] in column-major order: 0 3 1 4 2 5.
  const std::vector<int32_t> columns = {0, 3, 1, 4, 2, 5};
  const Array a = load(
      npy_image(1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", raw(columns)));
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(a.to_vector<int32_t>(), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  // Three axes, big-endian: element (i, j, k) of a (2, 3, 4) array is at i + 2j + 6k.
  std::string data;
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) {
        const auto v = static_cast<uint16_t>(100 * i + 10 * j + k);
        data += static_cast<char>(v >> 8);
        data += static_cast<char>(v & 0xff);
      }
  const Array b =
      load(npy_image(1, "{'descr': '>u2', 'fortran_order': True, 'shape': (2, 3, 4), }", data));
  ASSERT_EQ(b.shape(), (Shape{2, 3, 4}));
  const std::vector<uint16_t> v = b.to_vector<uint16_t>();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        EXPECT_EQ(v[static_cast<size_t>(12 * i + 4 * j + k)], 100 * i + 10 * j + k);
  // One axis: Fortran and C order are the same.
  const Array c = load(npy_image(1, "{'descr': '<i4', 'fortran_order': True, 'shape': (3,), }",
                                 raw(std::vector<int32_t>{7, 8, 9})));
  EXPECT_EQ(c.to_vector<int32_t>(), (std::vector<int32_t>{7, 8, 9}));
}

TEST_F(Npy, BoolBytesOtherThanOneReadAsTrue) {
  const Array b = load(npy_image(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }",
                                 std::string("\x00\x01\x02\xff", 4)));
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{false, true, true, true}));
  // The stored bytes are 0 and 1, so kernels that read the bytes agree.
  EXPECT_EQ(astype(b, DType::UInt8).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 1, 1}));
  EXPECT_EQ(bytes_of(b), std::string("\x00\x01\x01\x01", 4));
}

TEST_F(Npy, HeaderSpellings) {
  const std::string d = raw(std::vector<float>{1, 2});
  const std::vector<std::string> dicts = {
      "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
      "{\"fortran_order\": False, \"descr\": \"<f4\", \"shape\": (2,), }",
      "{ 'descr' : '<f4' ,\t'fortran_order':False,'shape':( 2 , ) }",
      "{'descr': '=f4', 'fortran_order': False, 'shape': (2L,)}",  // Python 2's long suffix
      "{'descr': 'f4', 'fortran_order': False, 'shape': (2,)}",
      "{'descr': '|f4', 'fortran_order': False, 'shape': (1, 2,), }",
  };
  for (const std::string& dict : dicts) {
    SCOPED_TRACE(dict);
    const Array a = load(npy_image(1, dict, d, 17));
    EXPECT_EQ(a.dtype(), DType::Float32);
    EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 2}));
  }
}

TEST_F(Npy, UnalignedDataIsCopied) {
  // The header ends at byte 10 + 27 = 37: float64 data there cannot be a view.
  const std::string dict = "{'descr':'<f8','fortran_order':False,'shape':(2,)}";
  const std::string image = npy_image(1, dict, raw(std::vector<double>{0.5, -8}));
  ASSERT_NE((image.size() - 16) % 8, 0u);
  EXPECT_EQ(load(image).to_vector<double>(), (std::vector<double>{0.5, -8}));
}

// ---------------------------------------------------------------- rejections
TEST_F(Npy, RejectsBadPreludes) {
  const std::string good = npy_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
                                     raw(std::vector<float>{1}));
  EXPECT_IO_ERROR(io::load_npy(path("missing.npy")), "[io.load_npy]", "missing.npy", "cannot open",
                  "No such file");
  EXPECT_IO_ERROR(load(""), "[io.load_npy]", "x.npy", "empty");
  EXPECT_IO_ERROR(load("NUMPY" + good.substr(6)), "[io.load_npy]", "magic", "found \"NUMPY");
  EXPECT_IO_ERROR(load(std::string("PK\x03\x04", 4) + good), "[io.load_npy]", "load_npz");
  EXPECT_IO_ERROR(load(good.substr(0, 7)), "[io.load_npy]", "truncated");
  std::string v = good;
  v[6] = 4;
  EXPECT_IO_ERROR(load(v), "[io.load_npy]", "version 4.0", "1.0, 2.0 and 3.0");
  v[6] = 1, v[7] = 1;
  EXPECT_IO_ERROR(load(v), "[io.load_npy]", "version 1.1");
  EXPECT_IO_ERROR(load(good.substr(0, 9)), "[io.load_npy]", "truncated", "prelude");
  std::string past = good;
  past[8] = static_cast<char>(0xff);  // header length 0x00ff + ...
  EXPECT_IO_ERROR(load(past), "[io.load_npy]", "header of 255 bytes", "ending at byte 265",
                  "truncated");
  std::string absurd = npy_image(2, "{}", "");
  absurd[8] = absurd[9] = absurd[10] = static_cast<char>(0xff), absurd[11] = 0x7f;
  EXPECT_IO_ERROR(load(absurd), "[io.load_npy]", "2147483647 bytes", "more than the 1048576");
}

TEST_F(Npy, RejectsBadHeaders) {
  const auto bad = [&](const std::string& dict, const std::string& data = "") {
    return load(npy_image(1, dict, data));
  };
  EXPECT_IO_ERROR(load(std::string("\x93NUMPY\x01\x00\x04\x00{}  ", 14)), "[io.load_npy]",
                  "does not end with '\\n'");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'shape': (1,)}", "abcd"), "[io.load_npy]",
                  "lacks the key(s) 'fortran_order'");
  EXPECT_IO_ERROR(bad("{}"), "[io.load_npy]", "lacks the key(s) 'descr' 'fortran_order' 'shape'");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}"),
                  "[io.load_npy]", "key 'descr' twice");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"),
                  "[io.load_npy]", "unknown key 'x'");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'fortran_order': 1, 'shape': ()}"), "[io.load_npy]",
                  "True or False");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (5)}"), "[io.load_npy]",
                  "as in (5,)");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'fortran_order': False, 'shape': [5]}"), "[io.load_npy]",
                  "shape tuple");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (05,)}"), "[io.load_npy]",
                  "leading zeros");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}"),
                  "[io.load_npy]", "negative dimension");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
                  "[io.load_npy]", "larger than 2^63 - 1");
  EXPECT_IO_ERROR(
      bad("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4)}"),
      "[io.load_npy]", "(4611686018427387904, 4)", "more than 2^63 - 1 bytes");
  // A zero-sized axis does not excuse the others from overflowing (the strides would).
  EXPECT_IO_ERROR(
      bad("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4611686018427387904, 4)}"),
      "[io.load_npy]", "more than 2^63 - 1 bytes");
  std::string many = "(";
  for (int i = 0; i < 65; ++i) many += "1,";
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'fortran_order': False, 'shape': " + many + ")}"),
                  "[io.load_npy]", "more than 64 axes");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", "abcd"),
                  "[io.load_npy]", "after '}'", "found 'x'");
  EXPECT_IO_ERROR(bad("{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}"), "[io.load_npy]",
                  "expected ',' or '}'", "at byte 26");
  EXPECT_IO_ERROR(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "), "[io.load_npy]",
                  "the end of the header");
  EXPECT_IO_ERROR(bad("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (1,)}"),
                  "[io.load_npy]", "no escapes");
  EXPECT_IO_ERROR(bad("{descr: '<f4', 'fortran_order': False, 'shape': (1,)}"), "[io.load_npy]",
                  "a quoted key");
  EXPECT_IO_ERROR(bad("{,}"), "[io.load_npy]", "a quoted key");
}

TEST_F(Npy, RefusesDtypesItDoesNotRead) {
  const auto with = [&](const std::string& descr) {
    return load(npy_image(1, "{'descr': " + descr + ", 'fortran_order': False, 'shape': (1,)}",
                          "abcdefgh"));
  };
  EXPECT_IO_ERROR(with("'|O'"), "[io.load_npy]", "'|O'", "object dtype", "never unpickles");
  EXPECT_IO_ERROR(with("'O'"), "[io.load_npy]", "object dtype");
  EXPECT_IO_ERROR(with("[('a', '<f4'), ('b', '<i4')]"), "[io.load_npy]", "structured (record)");
  EXPECT_IO_ERROR(with("('<f4', (2,))"), "[io.load_npy]", "subarray");
  EXPECT_IO_ERROR(with("'<U2'"), "[io.load_npy]", "string dtype");
  EXPECT_IO_ERROR(with("'|S8'"), "[io.load_npy]", "string dtype");
  EXPECT_IO_ERROR(with("'|V8'"), "[io.load_npy]", "void");
  EXPECT_IO_ERROR(with("'<M8[ns]'"), "[io.load_npy]", "datetime");
  EXPECT_IO_ERROR(with("'<m8[s]'"), "[io.load_npy]", "datetime");
  EXPECT_IO_ERROR(with("'<c8'"), "[io.load_npy]", "complex");
  EXPECT_IO_ERROR(with("'<c16'"), "[io.load_npy]", "complex");
  EXPECT_IO_ERROR(with("'<f16'"), "[io.load_npy]", "long double");
  EXPECT_IO_ERROR(with("'<f12'"), "[io.load_npy]", "long double");
  EXPECT_IO_ERROR(with("'<i3'"), "[io.load_npy]", "'<i3'", "not a numeric dtype strata knows");
  EXPECT_IO_ERROR(with("''"), "[io.load_npy]", "descr ''");
  EXPECT_IO_ERROR(with("'float32'"), "[io.load_npy]", "'float32'", "f4");
}

TEST_F(Npy, RejectsDataOfTheWrongSize) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const std::string data = raw(std::vector<float>(6, 1.0f));
  EXPECT_IO_ERROR(load(npy_image(1, dict, data.substr(0, 23), 5)), "[io.load_npy]", "x.npy",
                  "needs 24 bytes from byte 75", "only 23", "truncated");
  EXPECT_IO_ERROR(load(npy_image(1, dict, data + "!", 5)), "[io.load_npy]",
                  "1 unexpected bytes after the data", "ending at byte 99");
  EXPECT_IO_ERROR(load(npy_image(1, dict, "", 5)), "[io.load_npy]", "only 0 bytes");
}

// Every truncation and every one-byte change of a valid image either loads or is a strata::Error:
// never a crash (the sanitizer build checks reads), never another exception.
TEST_F(Npy, DamagedImagesAreErrorsNotCrashes) {
  std::string image = npy_image(1, "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }",
                                std::string(12, '\x07'), 3);
  const auto try_load = [](const std::string& bytes) {
    const auto file = io::detail::MappedFile::in_memory("fuzz.npy", bytes.data(),
                                                        static_cast<int64_t>(bytes.size()));
    try {
      const Array a = io::detail::read_npy(file, 0, file->size(), "io.load_npy", "'fuzz.npy'");
      (void)bytes_of(a);
      return true;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("[io.load_npy] 'fuzz.npy': ", 0), 0u) << e.what();
      return false;
    }
  };
  EXPECT_TRUE(try_load(image));
  for (size_t n = 0; n < image.size(); ++n) EXPECT_FALSE(try_load(image.substr(0, n))) << n;
  std::mt19937 gen(5);
  for (size_t i = 0; i < image.size(); ++i) {
    for (int k = 0; k < 8; ++k) {
      std::string damaged = image;
      damaged[i] = static_cast<char>(gen());
      try_load(damaged);
    }
  }
  // An image inside a larger buffer (an npz member): only [begin, begin + size) is read.
  const std::string padded = "xyz" + image + "trailing";
  const auto file =
      io::detail::MappedFile::in_memory("p", padded.data(), static_cast<int64_t>(padded.size()));
  EXPECT_EQ(
      io::detail::read_npy(file, 3, static_cast<int64_t>(image.size()), "io.load_npy", "p").shape(),
      (Shape{2, 3}));
}

}  // namespace
}  // namespace strata
