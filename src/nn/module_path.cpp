#include "strata/nn/module_path.h"

#include "strata/tree/tree.h"

namespace strata::nn {
namespace {
// The path of the module being built or called on this thread.
std::string& current() {
  thread_local std::string path;
  return path;
}
}  // namespace

ModuleScope::ModuleScope(std::string_view name) : saved_size_(current().size()) {
  tree::detail::append_name(current(), name);
}

ModuleScope::ModuleScope(std::string_view name, size_t index) : saved_size_(current().size()) {
  tree::detail::append_name(current(), name);
  tree::detail::append_index(current(), index);
}

ModuleScope::~ModuleScope() {
  current().resize(saved_size_);
}

const std::string& module_path() {
  return current();
}

std::string module_path_note(std::string_view what) {
  const std::string& path = current();
  if (path.empty()) return {};
  std::string note = " (";
  note += what;
  note += " at key path `";
  note += path;
  note += "`)";
  return note;
}

}  // namespace strata::nn
