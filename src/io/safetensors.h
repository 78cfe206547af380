// The safetensors reader's entry point over bytes already in memory (load_safetensors maps the
// file; the fuzzer and tests hand it bytes).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "io/file.h"
#include "strata/core/array.h"

namespace strata::io::detail {

struct SafetensorsContents {
  std::map<std::string, Array> tensors;
  std::map<std::string, std::string> metadata;
};

// Validates the whole file (header and the layout of the data buffer); builds the arrays only
// when `with_tensors`.  Errors start "[api] '<path>': ".
SafetensorsContents read_safetensors(const std::shared_ptr<const MappedFile>& file, const char* api,
                                     bool with_tensors);

}  // namespace strata::io::detail
