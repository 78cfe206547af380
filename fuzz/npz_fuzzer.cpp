// libFuzzer harness for the .npz reader (io::load_npz over bytes in memory, through libzip).
// See harness.h.  libzip itself is the system's, not instrumented: its bugs surface only as
// crashes or as ASan reports on the memory it reads and writes through strata's buffers.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "harness.h"
#include "io/npy.h"
#include "strata/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::single_threaded();
  const auto file =
      strata::io::detail::MappedFile::in_memory("fuzz.npz", data, static_cast<int64_t>(size));
  std::map<std::string, strata::Array> arrays;
  try {
    arrays = strata::io::detail::read_npz(file, "io.load_npz");
  } catch (const strata::Error&) {
    return 0;
  }
  // Outside the try: an Error from reading back an accepted array is a finding too.
  for (const auto& [key, array] : arrays) strata::fuzz::touch(array);
  return 0;
}
