// The catalogue of bad inputs: checkpoint files (safetensors, npy, npz), state dicts, key maps.
// See catalogue.h for how the cases run.  Malformed files byte by byte: tests/io/.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "errors/catalogue.h"
#include "strata/nn/nn.h"

namespace {

namespace st = strata;
namespace nn = strata::nn;
namespace io = strata::io;
using st::Array;
using st::testing::errors::Cases;
using st::testing::errors::leaked_tracer;

// A path in /tmp unique to this (forked) process; savers that fail never create it.
std::string scratch_path() {
  return "/tmp/strata_bad_io_" + std::to_string(::getpid());
}
// Calls load(path) on a file holding `bytes`, removed afterwards even when load throws.
template <class Load>
void with_file(const std::string& bytes, Load&& load) {
  const std::string path = scratch_path();
  std::ofstream(path, std::ios::binary) << bytes;
  try {
    load(path);
  } catch (...) {
    std::remove(path.c_str());
    throw;
  }
  std::remove(path.c_str());
}
const std::string kMissing = "/tmp/strata_no_such_dir/x";

Cases io_cases() {
  return {
      {"save_safetensors.missing_folder", "[io.save_safetensors]",
       [] {
         io::save_safetensors(kMissing, {{"a", st::zeros({2})}});
       }},
      {"save_safetensors.empty_path", "[io.save_safetensors]",
       [] {
         io::save_safetensors("", {{"a", st::zeros({2})}});
       }},
      {"save_safetensors.leaked_tracer", "[io.save_safetensors]",
       [] {
         io::save_safetensors(scratch_path(), {{"a", leaked_tracer()}});
       }},
      {"save_safetensors.empty_handle", "[io.save_safetensors]",
       [] {
         io::save_safetensors(scratch_path(), {{"a", Array()}});
       }},
      {"save_safetensors.reserved_key", "[io.save_safetensors]",
       [] {
         io::save_safetensors(scratch_path(), {{"__metadata__", st::zeros({1})}});
       }},
      {"save_safetensors.invalid_utf8_key", "[io.save_safetensors]",
       [] {
         io::save_safetensors(scratch_path(), {{"\xff", st::zeros({1})}});
       }},
      {"load_safetensors.missing", "[io.load_safetensors]", [] { io::load_safetensors(kMissing); }},
      {"load_safetensors.folder", "[io.load_safetensors]", [] { io::load_safetensors("/tmp"); }},
      {"load_safetensors.text_file", "[io.load_safetensors]",
       [] { with_file("hello, world: not a checkpoint\n", io::load_safetensors); }},
      {"load_safetensors_metadata.empty_file", "[io.load_safetensors_metadata]",
       [] { with_file("", io::load_safetensors_metadata); }},
      {"save_npy.bfloat16", "[io.save_npy]",
       [] { io::save_npy(scratch_path(), st::astype(st::zeros({2}), st::DType::BFloat16)); }},
      {"save_npy.leaked_tracer", "[io.save_npy]",
       [] { io::save_npy(scratch_path(), leaked_tracer()); }},
      {"load_npy.missing", "[io.load_npy]", [] { io::load_npy(kMissing); }},
      {"load_npy.not_npy", "[io.load_npy]", [] { with_file("PK\x03\x04 zip", io::load_npy); }},
      {"save_npz.empty_key", "[io.save_npz]",
       [] {
         io::save_npz(scratch_path(), {{"", st::zeros({1})}});
       }},
      {"load_npz.missing", "[io.load_npz]", [] { io::load_npz(kMissing); }},
      {"load_npz.not_zip", "[io.load_npz]", [] { with_file("\x93NUMPY", io::load_npz); }},
      {"map_keys.bad_pattern", "[io.map_keys]",
       [] {
         io::map_keys({{"a", st::zeros({1})}}, {{"[", "b"}});
       }},
      {"map_keys.collision", "[io.map_keys]",
       [] {
         io::map_keys({{"a", st::zeros({1})}, {"b", st::zeros({1})}}, {{".", "c"}});
       }},
      {"load_state_dict.missing_key", "[nn.load_state_dict]",
       [] {
         nn::Rngs r(0);
         (void)nn::load_state_dict(nn::Linear(3, 2, r), {{"kernel", st::zeros({3, 2})}});
       }},
      {"load_state_dict.wrong_dtype", "[nn.load_state_dict]",
       [] {
         nn::Rngs r(0);
         (void)nn::load_state_dict(
             nn::Linear(3, 2, r),
             {{"kernel", st::zeros({3, 2}, st::DType::Float64)}, {"bias", st::zeros({2})}});
       }},
      {"load_tree_state.extra_key", "[nn.load_tree_state]",
       [] {
         (void)nn::load_tree_state(std::vector<Array>{st::zeros({1})},
                                   {{"[0]", st::zeros({1})}, {"[1]", st::zeros({1})}});
       }},
      {"stack_state.gap", "[nn.stack_state]",
       [] {
         nn::stack_state({{"b.0.w", st::zeros({1})}, {"b.2.w", st::zeros({1})}}, "b");
       }},
      {"stack_state.empty_prefix", "[nn.stack_state]", [] { nn::stack_state({}, ""); }},
      {"unstack_state.no_key", "[nn.unstack_state]",
       [] {
         nn::unstack_state({{"a", st::zeros({2})}}, "b");
       }},
  };
}
BAD_INPUTS_GROUP("IO", io_cases);

BAD_INPUTS_TEST(IO)

}  // namespace
