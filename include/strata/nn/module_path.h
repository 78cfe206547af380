// strata::nn module key paths in error messages: which module of a model failed.
//
// A composite module names each child while it builds or calls it, with an nn::ModuleScope.
// The scopes form a per-thread stack, so a layer's error names the failing module by its key
// path inside the outermost module, the path nn::split gives its arrays (module
// `blocks[0].attn.query`, parameter `blocks[0].attn.query.kernel`).  The library's composites
// (MLP, MultiHeadAttention, TransformerBlock) do this; a user composite does the same:
//
//   struct Encoder {
//     std::vector<nn::TransformerBlock> blocks;
//     STRATA_TREE_MEMBERS(blocks)
//
//     Encoder(int64_t depth, nn::Rngs& rngs) {
//       for (int64_t i = 0; i < depth; ++i) {
//         nn::ModuleScope scope("blocks", i);     // an initialiser error names blocks[i]...
//         blocks.emplace_back(64, 4, 256, rngs);
//       }
//     }
//     Array operator()(Array x) const {
//       for (size_t i = 0; i < blocks.size(); ++i) {
//         nn::ModuleScope scope("blocks", i);
//         x = blocks[i](x);
//       }
//       return x;
//     }
//   };
//   // Encoder(2, rngs)(ones({8, 32})) throws "[nn.LayerNorm] expected an input whose last axis
//   // has 64 features (module at key path `blocks[0].ln1`), found shape (8, 32); ...".
//
// A scope pushes its name when constructed and pops it when destroyed (also while an exception
// unwinds).  Scopes cost a string append, and work the same eagerly and while jit, grad, vmap or
// scan trace the module (they trace on the calling thread).  A module's own checks report
// `module_path_note()`; user modules can use it in their errors too.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace strata::nn {

class ModuleScope {
 public:
  // Appends `.name` to the current path (no dot at the start).
  explicit ModuleScope(std::string_view name);
  // Appends `.name[index]`: element `index` of a std::vector (or std::array) field `name`.
  ModuleScope(std::string_view name, size_t index);
  ~ModuleScope();
  ModuleScope(const ModuleScope&) = delete;
  ModuleScope& operator=(const ModuleScope&) = delete;

 private:
  size_t saved_size_;
};

// The current key path ("" outside every scope).
const std::string& module_path();
// For error messages: " (<what> at key path `<path>`)", or "" when the path is empty (a module
// called on its own needs no path).
std::string module_path_note(std::string_view what = "module");

}  // namespace strata::nn
