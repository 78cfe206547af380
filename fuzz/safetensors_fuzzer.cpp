// libFuzzer harness for the safetensors reader (io::load_safetensors and
// io::load_safetensors_metadata over bytes in memory).  See harness.h.
#include <cstddef>
#include <cstdint>

#include "harness.h"
#include "io/safetensors.h"
#include "strata/core/error.h"

namespace {

using strata::io::detail::MappedFile;
using strata::io::detail::read_safetensors;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::single_threaded();
  const auto file = MappedFile::in_memory("fuzz.safetensors", data, static_cast<int64_t>(size));
  // Both entry points validate the same way: they must accept and refuse the same files, and
  // agree on the metadata.
  bool full_ok = false, metadata_ok = false;
  strata::io::detail::SafetensorsContents full, metadata_only;
  try {
    full = read_safetensors(file, "io.load_safetensors", true);
    full_ok = true;
  } catch (const strata::Error&) {
  }
  try {
    metadata_only = read_safetensors(file, "io.load_safetensors_metadata", false);
    metadata_ok = true;
  } catch (const strata::Error&) {
  }
  if (full_ok != metadata_ok) {
    strata::fuzz::finding("load_safetensors and load_safetensors_metadata disagree on validity");
  }
  if (!full_ok) return 0;
  if (full.metadata != metadata_only.metadata || !metadata_only.tensors.empty()) {
    strata::fuzz::finding("load_safetensors_metadata differs from load_safetensors");
  }
  for (const auto& [key, array] : full.tensors) strata::fuzz::touch(array);
  return 0;
}
