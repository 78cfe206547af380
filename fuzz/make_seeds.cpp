// Writes the seeds of fuzz/corpus/ that strata's own writers make (run once, by hand):
//   cmake --build --preset release --target fuzz_make_seeds && build/release/fuzz/fuzz_make_seeds
//   fuzz/corpus
// The seeds in the layout of the reference writers (numpy, safetensors) and the invalid ones are
// made by fuzz/make_seeds.py.
#include <cstdio>
#include <string>

#include "strata/strata.h"

using namespace strata;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const Array f32 = array<float>({1.5f, -2.f, 0.f, 3.25f, 1e30f, -0.f}, {2, 3});
  const Array i64_empty = zeros({0, 3}, DType::Int64);
  const Array b0 = scalar(true);
  const Array u8 = array<uint8_t>({0, 1, 127, 128, 254, 255}, {3, 2, 1});
  const Array f16 = array<float>({1.f, 0.5f, -65504.f, 6e-8f}).astype(DType::Float16);
  const Array i8 = array<int8_t>({-128, 0, 127});
  const Array i16 = array<int16_t>({-32768, 1, 32767, 0}, {2, 2});
  const Array u64 = array<uint64_t>({0, ~0ull});
  const Array f64_t = array<double>({1, 2, 3, 4, 5, 6}, {2, 3});

  io::save_safetensors(dir + "/safetensors/own-f32.safetensors", {{"w", f32}},
                       {{"format", "pt"}, {"step", "12"}});
  io::save_safetensors(dir + "/safetensors/own-mixed.safetensors",
                       {{"a.f32", f32},
                        {"b.i64_empty", i64_empty},
                        {"c.bool0d", b0},
                        {"d.u8", u8},
                        {"e.f16", f16},
                        {"f.bf16", f32.astype(DType::BFloat16)},
                        {"g.i8", i8},
                        {"h.i16", i16},
                        {"i.u64", u64},
                        {"j.u16", u8.astype(DType::UInt16)},
                        {"k.u32", u8.astype(DType::UInt32)},
                        {"l.i32", u8.astype(DType::Int32)},
                        {"m.f64", f64_t}});
  io::save_safetensors(dir + "/safetensors/own-empty.safetensors", {});

  io::save_npy(dir + "/npy/own-f32-2x3.npy", f32);
  io::save_npy(dir + "/npy/own-bool-0d.npy", b0);
  io::save_npy(dir + "/npy/own-i64-0x3.npy", i64_empty);
  io::save_npy(dir + "/npy/own-u8-3x2x1.npy", u8);
  io::save_npy(dir + "/npy/own-f16.npy", f16);
  io::save_npy(dir + "/npy/own-i8.npy", i8);
  io::save_npy(dir + "/npy/own-i16-2x2.npy", i16);
  io::save_npy(dir + "/npy/own-u64.npy", u64);
  io::save_npy(dir + "/npy/own-f64-transposed.npy", transpose(f64_t));

  io::save_npz(dir + "/npz/own-two.npz", {{"w", f32}, {"b", b0}, {"e", i64_empty}});
  io::save_npz(dir + "/npz/own-ints.npz", {{"i8", i8}, {"i16", i16}, {"u64", u64}});
  io::save_npz(dir + "/npz/own-empty.npz", {});
  return 0;
}
