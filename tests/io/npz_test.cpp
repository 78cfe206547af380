// io::save_npz / io::load_npz: round trips, archives written by NumPy (numpy.savez and
// numpy.savez_compressed, whose local headers carry zip64 extras), archives built byte by byte
// from the zip format (stored and deflated members), and every rejection: zip bombs refused before
// inflating, bad names, duplicates, encryption, other methods, damaged and truncated archives.
#include <zip.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "io/file.h"
#include "io/npy.h"
#include "io_test_util.h"
#include "test_util.h"

namespace strata {
namespace {

using testing::bytes_of;
using testing::random_array;
using testing::raw;
using testing::unhex;

// A .npy image (version 1.0) for a dict, as the format describes it.
std::string npy_image(const std::string& dict, const std::string& data) {
  const std::string header = dict + "\n";
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

// ---------------------------------------------------------------- zip archives by hand
uint32_t crc32_of(const std::string& bytes) {
  uint32_t crc = 0xffffffffu;
  for (const char c : bytes) {
    crc ^= static_cast<uint8_t>(c);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// A deflate stream made of one final "stored" block (RFC 1951, 3.2.4): valid input for any
// inflater, written without a compressor.
std::string deflate_stored(const std::string& bytes) {
  const auto n = static_cast<uint16_t>(bytes.size());
  std::string out = "\x01";
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>(n >> 8);
  out += static_cast<char>(~n & 0xff);
  out += static_cast<char>((~n >> 8) & 0xff);
  return out + bytes;
}

struct ZipMember {
  std::string name;
  std::string stored;   // the bytes as they are in the archive
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc = 0;
  uint32_t size = 0;  // declared uncompressed size
  uint16_t flags = 0;
};
ZipMember stored_member(const std::string& name, const std::string& data) {
  return {name, data, 0, crc32_of(data), static_cast<uint32_t>(data.size())};
}
ZipMember deflated_member(const std::string& name, const std::string& data) {
  return {name, deflate_stored(data), 8, crc32_of(data), static_cast<uint32_t>(data.size())};
}

void put16(std::string& s, uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void put32(std::string& s, uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}

// Local headers and data, the central directory, the end record (APPNOTE 4.3).
std::string zip_archive(const std::vector<ZipMember>& members) {
  std::string out, directory;
  for (const ZipMember& m : members) {
    const auto offset = static_cast<uint32_t>(out.size());
    std::string common;  // from "version needed" to "extra field length", shared by both headers
    put16(common, 20);
    put16(common, m.flags);
    put16(common, m.method);
    put16(common, 0);     // time
    put16(common, 0x21);  // date: 1980-01-01
    put32(common, m.crc);
    put32(common, static_cast<uint32_t>(m.stored.size()));
    put32(common, m.size);
    put16(common, static_cast<uint32_t>(m.name.size()));
    put16(common, 0);
    put32(out, 0x04034b50);
    out += common + m.name + m.stored;
    put32(directory, 0x02014b50);
    put16(directory, 20);  // version made by
    directory += common;
    put16(directory, 0);  // comment length
    put16(directory, 0);  // disk
    put16(directory, 0);  // internal attributes
    put32(directory, 0);  // external attributes
    put32(directory, offset);
    directory += m.name;
  }
  const auto directory_offset = static_cast<uint32_t>(out.size());
  out += directory;
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<uint32_t>(members.size()));
  put16(out, static_cast<uint32_t>(members.size()));
  put32(out, static_cast<uint32_t>(directory.size()));
  put32(out, directory_offset);
  put16(out, 0);
  return out;
}

// An archive written by libzip in memory, its members compressed with `method` (as
// numpy.savez_compressed does with ZIP_DEFLATED).
std::string libzip_archive(const std::vector<std::pair<std::string, std::string>>& members,
                           int32_t method) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(out);
  zip_t* za = zip_open_from_source(out, ZIP_TRUNCATE, &error);
  EXPECT_NE(za, nullptr);
  for (const auto& [name, data] : members) {
    zip_source_t* s = zip_source_buffer_create(data.data(), data.size(), 0, &error);
    const zip_int64_t i = zip_file_add(za, name.c_str(), s, 0);
    EXPECT_GE(i, 0);
    EXPECT_EQ(zip_set_file_compression(za, static_cast<zip_uint64_t>(i), method, 9), 0);
  }
  EXPECT_EQ(zip_close(za), 0);
  zip_stat_t st;
  EXPECT_EQ(zip_source_open(out), 0);
  EXPECT_EQ(zip_source_stat(out, &st), 0);
  std::string bytes(st.size, '\0');
  EXPECT_EQ(zip_source_read(out, bytes.data(), st.size), static_cast<zip_int64_t>(st.size));
  zip_source_close(out);
  zip_source_free(out);
  zip_error_fini(&error);
  return bytes;
}

// Saved by NumPy 2.4: np.savez_compressed(f, w=np.arange(6, dtype='<f4').reshape(2, 3),
// zeros=np.zeros(4000, dtype='<i2'), flag=np.array(True), big=np.array([1.5, -2.0], dtype='>f8'),
// fort=np.asfortranarray(np.arange(6, dtype='<u2').reshape(2, 3))).
const char* const kNumpyCompressed =
    "504b03042d0000000800000021004fe9002affffffffffffffff05001400772e6e707901001000980000000000"
    "000055000000000000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e9366a2aea3a09e965f54529498"
    "179f5f94920a12774bcc294e058a17672416a402f91a463a0ac69a3a0ab50a64032e063068b007120e4004c40d"
    "40bcc00100504b03042d000000080000002100e0e56aeaffffffffffffffff090014007a65726f732e6e707901"
    "001000c01f0000000000006a00000000000000edc8310ac2301840e1b87a8a6cbf4286204ec5b95b4b970e9d4a"
    "301185d29444ba484fe1854dafe0fcbeedbd6fdb37dd7050abfa880ff99ea4d2727b5dc46879c4f44e6e1e63f2"
    "61ffb59b72283f3fdd124a9faed65a73367ad3ff3a2a0000000000000000000000a07e504b03042d0000000800"
    "00002100822df8d3ffffffffffffffff08001400666c61672e6e70790100100081000000000000004300000000"
    "0000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a05e9364a8aea3a09e965f54529498179f5f94920a12"
    "774bcc294e058a17672416a402f91a9a3a0ab50a14012e4600504b03042d0000000800000021005703951fffff"
    "ffffffffffff070014006269672e6e70790100100090000000000000004d000000000000009bec17ea1b10c9c8"
    "50c650ad9e925a9c5ca46ea5a06e9766a1aea3a09e965f54529498179f5f94920a12774bcc294e058a17672416"
    "a402f91a463a9a3a0ab50a14002efb1f0c60700042310000504b03042d000000080000002100771d8f1fffffff"
    "ffffffffff08001400666f72742e6e7079010010008c0000000000000051000000000000009bec17ea1b10c9c8"
    "50c650ad9e925a9c5ca46ea5a06e536aa4aea3a09e965f54529498179f5f94920a120f292a4d050a17672416a4"
    "02b91a463a0ac69a3a0ab50ae4032e06066606460616062606560600504b01022d032d0000000800000021004f"
    "e9002a5500000098000000050000000000000000000000800100000000772e6e7079504b01022d032d00000008"
    "0000002100e0e56aea6a000000c01f000009000000000000000000000080018c0000007a65726f732e6e707950"
    "4b01022d032d000000080000002100822df8d34300000081000000080000000000000000000000800131010000"
    "666c61672e6e7079504b01022d032d0000000800000021005703951f4d00000090000000070000000000000000"
    "0000008001ae0100006269672e6e7079504b01022d032d000000080000002100771d8f1f510000008c00000008"
    "0000000000000000000000800134020000666f72742e6e7079504b050600000000050005000b010000bf020000"
    "0000";
// Saved by NumPy 2.4: np.savez(f, np.arange(3, dtype='i1'), x=np.float16(1.5)) (stored).
const char* const kNumpyStored =
    "504b03042d00000000000000210044796d5dffffffffffffffff05001400782e6e707901001000820000000000"
    "00008200000000000000934e554d5059010076007b276465736372273a20273c6632272c2027666f727472616e"
    "5f6f72646572273a2046616c73652c20277368617065273a2028292c207d202020202020202020202020202020"
    "202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020"
    "20200a003e504b03042d000000000000002100ac98ff33ffffffffffffffff090014006172725f302e6e707901"
    "00100083000000000000008300000000000000934e554d5059010076007b276465736372273a20277c6931272c"
    "2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d20202020"
    "202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020"
    "20202020202020202020200a000102504b01022d032d00000000000000210044796d5d82000000820000000500"
    "00000000000000000000800100000000782e6e7079504b01022d032d000000000000002100ac98ff3383000000"
    "830000000900000000000000000000008001b90000006172725f302e6e7079504b050600000000020002006a00"
    "0000770100000000";

const std::string kF4x2 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";

class Npz : public testing::FolderTest {
 protected:
  std::map<std::string, Array> load(const std::string& bytes) const {
    return io::load_npz(write("x.npz", bytes));
  }
};

// ---------------------------------------------------------------- round trips
TEST_F(Npz, RoundTripSeveralKeys) {
  const Array base = random_array({4, 6}, DType::UInt64, 1, 0, 1000);
  const std::map<std::string, Array> tensors = {
      {"w", random_array({3, 4}, DType::Float32, 2)},
      {"b", random_array({5}, DType::Int8, 3, -100, 100)},
      {"flag", scalar(true)},
      {"empty", zeros({0, 3}, DType::Float64)},
      {"blocks.0/mlp.kernel", transpose(base).slice(1, 5, 2)},  // a strided view; '/' is kept
      {"h\xc3\xa9", random_array({2, 2}, DType::Float16, 4)},
      {"i16", random_array({7}, DType::Int16, 5, -1000, 1000)}};
  io::save_npz(path("a.npz"), tensors);
  const auto loaded = io::load_npz(path("a.npz"));
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& [key, a] : tensors) {
    SCOPED_TRACE(key);
    ASSERT_EQ(loaded.count(key), 1u);
    EXPECT_EQ(loaded.at(key).dtype(), a.dtype());
    EXPECT_EQ(loaded.at(key).shape(), a.shape());
    EXPECT_EQ(bytes_of(loaded.at(key)), bytes_of(a));
  }
  // As numpy.savez: stored members named "<key>.npy", each a .npy image with data at 64.
  zip_t* za = zip_open(path("a.npz").c_str(), ZIP_RDONLY | ZIP_CHECKCONS, nullptr);
  ASSERT_NE(za, nullptr);
  ASSERT_EQ(zip_get_num_entries(za, 0), 7);
  for (zip_int64_t i = 0; i < 7; ++i) {
    zip_stat_t st;
    ASSERT_EQ(zip_stat_index(za, static_cast<zip_uint64_t>(i), 0, &st), 0);
    const std::string name = st.name;
    EXPECT_EQ(st.comp_method, ZIP_CM_STORE) << name;
    ASSERT_GT(name.size(), 4u);
    EXPECT_EQ(name.substr(name.size() - 4), ".npy");
    EXPECT_EQ(tensors.count(name.substr(0, name.size() - 4)), 1u) << name;
  }
  zip_discard(za);
  // Saving the same arrays again gives the same bytes (fixed member times).
  const std::string first = read(path("a.npz"));
  io::save_npz(path("a.npz"), tensors);
  EXPECT_EQ(read(path("a.npz")), first);
  EXPECT_EQ(files_in_dir(), 1u);
}

TEST_F(Npz, EveryDtypeAndALargeArray) {
  std::map<std::string, Array> tensors;
  uint32_t seed = 10;
  for (const DType dtype : kAllDTypes) {
    if (dtype != DType::BFloat16) {
      tensors[std::string(name(dtype))] = random_array({3, 2}, dtype, seed++, 0, 100);
    }
  }
  tensors["large"] = random_array({512, 1031}, DType::Float32, 99);
  io::save_npz(path("d.npz"), tensors);
  const auto loaded = io::load_npz(path("d.npz"));
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& [key, a] : tensors) {
    EXPECT_EQ(loaded.at(key).dtype(), a.dtype()) << key;
    EXPECT_EQ(bytes_of(loaded.at(key)), bytes_of(a)) << key;
  }
}

TEST_F(Npz, EmptyArchive) {
  io::save_npz(path("e.npz"), {});
  EXPECT_EQ(read(path("e.npz")).size(), 22u);  // what numpy.savez() writes: the end record alone
  EXPECT_TRUE(io::load_npz(path("e.npz")).empty());
}

// ---------------------------------------------------------------- saving errors
TEST_F(Npz, SaveErrorsKeepThePreviousFile) {
  io::save_npz(path("keep.npz"), {{"a", zeros({2})}});
  const std::string before = read(path("keep.npz"));
  EXPECT_IO_ERROR(
      io::save_npz(path("keep.npz"), {{"a", zeros({2})}, {"half", zeros({2}, DType::BFloat16)}}),
      "[io.save_npz]", "`half`", "keep.npz", "bfloat16", "save_safetensors");
  EXPECT_IO_ERROR(io::save_npz(path("keep.npz"), {{"", zeros({2})}}), "[io.save_npz]",
                  "a key is empty");
  EXPECT_IO_ERROR(io::save_npz(path("keep.npz"), {{std::string("a\0b", 3), zeros({2})}}),
                  "[io.save_npz]", "`a\\0...`", "NUL");
  EXPECT_IO_ERROR(trace(
                      [&](const Array& x) {
                        io::save_npz(path("keep.npz"), {{"x", x}});
                        return x;
                      },
                      zeros({2})),
                  "[io.save_npz]", "`x`", "traced");
  EXPECT_EQ(read(path("keep.npz")), before);
  EXPECT_EQ(files_in_dir(), 1u);
  EXPECT_IO_ERROR(io::save_npz(path("none/a.npz"), {{"a", zeros({2})}}), "[io.save_npz]",
                  "cannot create");
}

// ---------------------------------------------------------------- archives by other writers
TEST_F(Npz, ArchivesWrittenByNumpy) {
  const auto c = load(unhex(kNumpyCompressed));
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c.at("w").shape(), (Shape{2, 3}));
  EXPECT_EQ(c.at("w").to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(c.at("zeros").to_vector<int16_t>(), std::vector<int16_t>(4000, 0));
  EXPECT_EQ(c.at("flag").item<bool>(), true);
  EXPECT_EQ(c.at("big").to_vector<double>(), (std::vector<double>{1.5, -2.0}));
  EXPECT_EQ(c.at("fort").shape(), (Shape{2, 3}));
  EXPECT_EQ(c.at("fort").to_vector<uint16_t>(), (std::vector<uint16_t>{0, 1, 2, 3, 4, 5}));

  const auto s = load(unhex(kNumpyStored));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.at("arr_0").to_vector<int8_t>(), (std::vector<int8_t>{0, 1, 2}));
  EXPECT_EQ(static_cast<float>(s.at("x").item<float16_t>()), 1.5f);
}

TEST_F(Npz, HandBuiltStoredAndDeflatedMembers) {
  const std::string f = npy_image(kF4x2, raw(std::vector<float>{1.5f, -2}));
  const std::string i = npy_image("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }",
                                  std::string("\x01\x02\x03\x04", 4));
  const auto out = load(zip_archive({stored_member("a.npy", f), deflated_member("arr_0.npy", i)}));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out.at("a").to_vector<float>(), (std::vector<float>{1.5f, -2}));
  EXPECT_EQ(out.at("arr_0").to_vector<int32_t>(), (std::vector<int32_t>{0x01020304}));
}

TEST_F(Npz, RealDeflateIncludingRatiosAbove64) {
  // 4 MiB of zeros deflates about 1000 to 1, as numpy.savez_compressed of fresh optimiser
  // moments does; it must not be mistaken for a zip bomb.
  io::save_npy(path("z.npy"), zeros({1 << 20}));
  io::save_npy(path("r.npy"), random_array({300}, DType::Float64, 7));
  const std::string archive = libzip_archive(
      {{"zeros.npy", read(path("z.npy"))}, {"r.npy", read(path("r.npy"))}}, ZIP_CM_DEFLATE);
  ASSERT_LT(archive.size() * 64, size_t{4} << 20);
  const auto out = load(archive);
  EXPECT_EQ(bytes_of(out.at("zeros")), std::string(size_t{4} << 20, '\0'));
  EXPECT_EQ(bytes_of(out.at("r")), bytes_of(random_array({300}, DType::Float64, 7)));
}

// ---------------------------------------------------------------- rejections
TEST_F(Npz, DeclaredSizesAreCheckedBeforeInflating) {
  const std::string f = npy_image(kF4x2, raw(std::vector<float>{1, 2}));
  ZipMember bomb = deflated_member("bomb.npy", f);
  bomb.size = 1u << 30;  // 1 GiB declared from ~140 compressed bytes
  EXPECT_IO_ERROR(load(zip_archive({bomb})), "[io.load_npz]", "x.npz", "member 'bomb.npy'",
                  "declares 1073741824 uncompressed bytes", "before inflating");
  // Within what deflate could produce, but not what the member's .npy header describes.
  ZipMember lie = deflated_member("lie.npy", f);
  lie.size = 4000;
  EXPECT_IO_ERROR(load(zip_archive({lie})), "[io.load_npz]", "member 'lie.npy'",
                  "describes 76 bytes", "declares 4000");
  ZipMember small = deflated_member("small.npy", f);
  small.size -= 1;
  EXPECT_IO_ERROR(load(zip_archive({small})), "[io.load_npz]", "member 'small.npy'");
  ZipMember stored = stored_member("s.npy", f);
  stored.size += 8;
  EXPECT_IO_ERROR(load(zip_archive({stored})), "[io.load_npz]", "x.npz");
}

TEST_F(Npz, RejectsBadMembers) {
  const std::string f = npy_image(kF4x2, raw(std::vector<float>{1, 2}));
  EXPECT_IO_ERROR(load(zip_archive({stored_member("a.npy", f), stored_member("notes.txt", "hi")})),
                  "[io.load_npz]", "member 'notes.txt'", "'<key>.npy'");
  EXPECT_IO_ERROR(load(zip_archive({stored_member(".npy", f)})), "[io.load_npz]", "'<key>.npy'");
  EXPECT_IO_ERROR(load(zip_archive({stored_member("d/", "")})), "[io.load_npz]", "member 'd/'",
                  "folder");
  EXPECT_IO_ERROR(load(zip_archive({stored_member("a.npy", f), stored_member("a.npy", f)})),
                  "[io.load_npz]", "same name");
  ZipMember secret = stored_member("s.npy", f);
  secret.flags = 1;  // traditional PKWARE encryption
  EXPECT_IO_ERROR(load(zip_archive({secret})), "[io.load_npz]", "member 's.npy'", "encrypted");
  ZipMember bzip = stored_member("b.npy", f);
  bzip.method = 12;
  EXPECT_IO_ERROR(load(zip_archive({bzip})), "[io.load_npz]", "method 12", "stored (0)");
  EXPECT_IO_ERROR(load(zip_archive({stored_member(
                      "o.npy", npy_image("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
                                         std::string(8, '\0')))})),
                  "[io.load_npz]", "member 'o.npy'", "object dtype");
  // A version 1.0 header of one byte: the data would start inside the 12 bytes a version 2.0
  // prelude takes (found by fuzzing: the reader must not read past the 10-byte prelude).
  EXPECT_IO_ERROR(load(zip_archive({deflated_member(
                      "h.npy", std::string("\x93NUMPY\x01\x00\x01\x00\nxyz", 14))})),
                  "[io.load_npz]", "member 'h.npy'", "expected '{'");
  EXPECT_IO_ERROR(load(zip_archive({stored_member("t.npy", f.substr(0, f.size() - 1))})),
                  "[io.load_npz]", "member 't.npy'", "describes 76 bytes", "declares 75");
}

TEST_F(Npz, RejectsDamagedArchives) {
  const std::string f = npy_image(kF4x2, raw(std::vector<float>{1, 2}));
  const std::string good = zip_archive({stored_member("a.npy", f), deflated_member("b.npy", f)});
  ASSERT_EQ(load(good).size(), 2u);
  // One data byte changed in each member: the CRC-32 no longer matches.
  const size_t a_data = 30 + 5 + f.size() - 1;
  std::string bad = good;
  bad[a_data] ^= 0x40;
  EXPECT_IO_ERROR(load(bad), "[io.load_npz]", "member 'a.npy'", "CRC");
  bad = good;
  bad[good.find("b.npy") + 5 + 5 + f.size() - 1] ^= 0x40;
  EXPECT_IO_ERROR(load(bad), "[io.load_npz]", "member 'b.npy'", "CRC");
  // A broken deflate stream (a reserved block type).
  ZipMember broken = deflated_member("c.npy", f);
  broken.stored[0] = '\x07';
  EXPECT_IO_ERROR(load(zip_archive({broken})), "[io.load_npz]", "member 'c.npy'", "corrupt");
  // Truncated anywhere: an error, never a partial result.
  for (const size_t n :
       {size_t{0}, size_t{4}, size_t{30}, good.size() / 2, good.size() - 22, good.size() - 1}) {
    EXPECT_IO_ERROR(load(good.substr(0, n)), "[io.load_npz]", "x.npz");
  }
  EXPECT_IO_ERROR(load(""), "[io.load_npz]", "empty");
  EXPECT_IO_ERROR(load(f), "[io.load_npz]", "use io::load_npy");
  EXPECT_IO_ERROR(io::load_npz(path("missing.npz")), "[io.load_npz]", "cannot open");
}

// Every truncation and many one-byte changes of a valid archive either load or are a
// strata::Error: never a crash, never another exception (the sanitizer build checks reads).
TEST_F(Npz, DamagedArchivesAreErrorsNotCrashes) {
  const std::string f = npy_image("{'descr': '>u2', 'fortran_order': True, 'shape': (2, 2), }",
                                  std::string(8, '\x05'));
  const std::string good = zip_archive({stored_member("a.npy", f), deflated_member("b.npy", f)});
  const auto try_load = [](const std::string& bytes) {
    const auto file = io::detail::MappedFile::in_memory("fuzz.npz", bytes.data(),
                                                        static_cast<int64_t>(bytes.size()));
    try {
      for (const auto& [key, a] : io::detail::read_npz(file, "io.load_npz")) (void)bytes_of(a);
      return true;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("[io.load_npz] 'fuzz.npz'", 0), 0u) << e.what();
      return false;
    }
  };
  EXPECT_TRUE(try_load(good));
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(try_load(good.substr(0, n))) << n;
  std::mt19937 gen(3);
  for (size_t i = 0; i < good.size(); ++i) {
    for (int k = 0; k < 4; ++k) {
      std::string damaged = good;
      damaged[i] = static_cast<char>(gen());
      try_load(damaged);
    }
  }
}

}  // namespace
}  // namespace strata
