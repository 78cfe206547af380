// libFuzzer harness for the .npy reader (io::load_npy over bytes in memory).  See harness.h.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "harness.h"
#include "io/npy.h"
#include "strata/core/error.h"

namespace {

using strata::io::detail::MappedFile;

// The image at offset `begin` of a file (as an npz member would be), or nothing if refused.
std::optional<strata::Array> read_at(const uint8_t* data, size_t size, int64_t begin) {
  std::vector<uint8_t> bytes(static_cast<size_t>(begin), 0);
  bytes.insert(bytes.end(), data, data + size);
  const auto file =
      MappedFile::in_memory("fuzz.npy", bytes.data(), static_cast<int64_t>(bytes.size()));
  try {
    return strata::io::detail::read_npy(file, begin, static_cast<int64_t>(size), "io.load_npy",
                                        "'fuzz.npy'");
  } catch (const strata::Error&) {
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::single_threaded();
  // At offset 0 the data of a well-formed file is aligned and becomes a view of the mapping; one
  // byte further it is copied.  The two paths must accept the same images and give the same array.
  const auto aligned = read_at(data, size, 0);
  const auto shifted = read_at(data, size, 1);
  if (aligned.has_value() != shifted.has_value()) {
    strata::fuzz::finding("an .npy image is accepted at one offset and refused at another");
  }
  if (!aligned) return 0;
  strata::fuzz::touch(*aligned);
  strata::fuzz::touch(*shifted);
  if (aligned->dtype() != shifted->dtype() || aligned->shape() != shifted->shape() ||
      strata::fuzz::bytes_of(*aligned) != strata::fuzz::bytes_of(*shifted)) {
    strata::fuzz::finding("the view and the copy of an .npy image differ");
  }
  return 0;
}
