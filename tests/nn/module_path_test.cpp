// Errors name the failing module's key path (nn::ModuleScope): library composites, user
// composites (fields and vector elements), initialisers, and the optimisers' structure checks.
#include <gtest/gtest.h>

#include <vector>

#include "nn/nn_test_util.h"

namespace strata::testing {
namespace {

TEST(NnModulePath, ScopesNestIndexAndUnwind) {
  EXPECT_EQ(nn::module_path(), "");
  EXPECT_EQ(nn::module_path_note(), "");
  {
    const nn::ModuleScope a("blocks", 3);
    const nn::ModuleScope b("attn");
    EXPECT_EQ(nn::module_path(), "blocks[3].attn");
    EXPECT_EQ(nn::module_path_note(), " (module at key path `blocks[3].attn`)");
    {
      const nn::ModuleScope c("kernel");
      EXPECT_EQ(nn::module_path_note("parameter"),
                " (parameter at key path `blocks[3].attn.kernel`)");
    }
    EXPECT_EQ(nn::module_path(), "blocks[3].attn");
  }
  EXPECT_EQ(nn::module_path(), "");
  // An error thrown inside scopes leaves the path empty again.
  nn::Rngs rngs(0);
  const nn::MLP mlp(5, 8, 2, rngs);
  EXPECT_STRATA_ERROR(mlp(zeros({4, 6})), "[nn.Linear]");
  EXPECT_EQ(nn::module_path(), "");
}

TEST(NnModulePath, LibraryCompositesNameTheirChildren) {
  nn::Rngs rngs(0);
  const nn::MLP mlp(5, 8, 2, rngs);
  EXPECT_STRATA_ERROR(mlp(zeros({4, 6})), "[nn.Linear]", "module at key path `fc1`", "(4, 6)");
  const nn::TransformerBlock block(8, 2, 16, rngs);
  EXPECT_STRATA_ERROR(block(zeros({3, 5})), "[nn.LayerNorm]", "module at key path `ln1`");
  EXPECT_STRATA_ERROR(block(zeros({2, 3, 8}), ones({2, 2}, DType::Bool)),
                      "[nn.dot_product_attention]", "module at key path `attn`", "(2, 2)");
  // Called on its own, a layer has no path to report.
  try {
    block.mlp.fc2(zeros({3, 8}));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("key path"), std::string::npos) << e.what();
  }
  // Constructor errors of children too.
  EXPECT_STRATA_ERROR(nn::MLP(5, 0, 2, rngs), "[nn.Linear]", "out_features > 0",
                      "module at key path `fc1`");
}

// A user composite: named fields and a vector of layers, each call in its scope.
struct Net {
  nn::Embedding embed;
  std::vector<nn::Linear> layers;
  nn::LinearGeneral heads;
  nn::RMSNorm norm;
  nn::BatchNorm bn;
  nn::Dropout drop;
  std::vector<nn::TransformerBlock> blocks;
  STRATA_TREE_MEMBERS(embed, layers, heads, norm, bn, blocks)

  explicit Net(nn::Rngs& rngs, double rate = 0.1) {
    auto scoped = [](const char* name, auto make) {
      const nn::ModuleScope scope(name);
      return make();
    };
    embed = scoped("embed", [&] { return nn::Embedding(10, 4, rngs); });
    const int64_t sizes[] = {4, 5};  // the second layer does not fit the first's output
    for (size_t i = 0; i < 2; ++i) {
      const nn::ModuleScope scope("layers", i);
      layers.emplace_back(sizes[i], 4, rngs);
    }
    heads = scoped("heads", [&] { return nn::LinearGeneral(3, {2, 2}, rngs); });
    norm = scoped("norm", [&] { return nn::RMSNorm(3, rngs); });
    bn = scoped("bn", [&] { return nn::BatchNorm(3, rngs); });
    drop = scoped("drop", [&] { return nn::Dropout(rate); });
    for (size_t i = 0; i < 2; ++i) {
      const nn::ModuleScope scope("blocks", i);
      blocks.emplace_back(4, 2, 8, rngs);
    }
  }
  Array embed_ids(const Array& ids) const {
    const nn::ModuleScope scope("embed");
    return embed(ids);
  }
  Array run_layers(Array x) const {
    for (size_t i = 0; i < layers.size(); ++i) {
      const nn::ModuleScope scope("layers", i);
      x = layers[i](x);
    }
    return x;
  }
  template <class M, class... A>
  static Array call(const char* name, M& m, const A&... a) {
    const nn::ModuleScope scope(name);
    return m(a...);
  }
  Array run_blocks(Array x, const std::optional<Array>& mask) const {
    for (size_t i = 0; i < blocks.size(); ++i) {
      const nn::ModuleScope scope("blocks", i);
      x = blocks[i](x, mask);
    }
    return x;
  }
};

TEST(NnModulePath, UserCompositesNameFieldsAndElements) {
  nn::Rngs rngs(0);
  Net net(rngs);
  EXPECT_STRATA_ERROR(net.embed_ids(zeros({3})), "[nn.Embedding]", "integer",
                      "module at key path `embed`");
  EXPECT_STRATA_ERROR(net.embed_ids(array<int32_t>({1, 12})), "[nn.Embedding]", "found 12",
                      "module at key path `embed`");
  EXPECT_STRATA_ERROR(net.run_layers(zeros({2, 4})), "[nn.Linear]", "5 input features",
                      "module at key path `layers[1]`");
  EXPECT_STRATA_ERROR(Net::call("heads", net.heads, zeros({2, 4})), "[nn.LinearGeneral]",
                      "module at key path `heads`", "in_features");
  EXPECT_STRATA_ERROR(Net::call("norm", net.norm, zeros({2, 4})), "[nn.RMSNorm]",
                      "module at key path `norm`");
  EXPECT_STRATA_ERROR(Net::call("bn", net.bn, zeros({2, 4})), "[nn.BatchNorm]",
                      "module at key path `bn`");
  EXPECT_STRATA_ERROR(Net::call("drop", net.drop, zeros({2, 4})), "[nn.Dropout]",
                      "module at key path `drop`");
  EXPECT_STRATA_ERROR(net.run_blocks(zeros({2, 3, 4}), ones({3, 2}, DType::Bool)),
                      "[nn.dot_product_attention]", "module at key path `blocks[0].attn`");
  EXPECT_STRATA_ERROR(net.run_blocks(zeros({2, 3, 5}), std::nullopt), "[nn.LayerNorm]",
                      "module at key path `blocks[0].ln1`");
  EXPECT_STRATA_ERROR(Net(rngs, 2.0), "[nn.Dropout]", "found 2", "module at key path `drop`");
  // Paths are the same while tracing (jit traces on the calling thread).
  auto jitted = jit([&](const Array& x) { return net.run_layers(x); });
  EXPECT_STRATA_ERROR(jitted(zeros({2, 4})), "[nn.Linear]", "module at key path `layers[1]`");
  // The paths match the state's key paths.
  const nn::State params = nn::split(net).first;
  for (const char* p : {"embed.embedding", "layers[1].kernel", "heads.kernel", "norm.scale",
                        "bn.scale", "blocks[0].attn.query.kernel"}) {
    EXPECT_TRUE(params.count(p)) << p;
  }
}

TEST(NnModulePath, InitialiserErrorsNameTheParameter) {
  nn::Rngs rngs(0);
  // A 2-d kernel has no axis -3.
  const nn::init::Initializer bad = nn::init::lecun_normal(-3);
  EXPECT_STRATA_ERROR(nn::Linear(3, 4, rngs, {.kernel_init = bad}), "[nn.init.variance_scaling]",
                      "in_axis -3", "(3, 4)", "parameter at key path `kernel`");
  EXPECT_STRATA_ERROR(nn::MLP(3, 4, 2, rngs, {.kernel_init = bad}), "[nn.init.variance_scaling]",
                      "parameter at key path `fc1.kernel`");
  // LinearGeneral initialises on the flat (in, heads * head_dim) shape.
  EXPECT_STRATA_ERROR(nn::MultiHeadAttention(2, 4, rngs, {.kernel_init = bad}),
                      "[nn.init.variance_scaling]", "(4, 4)",
                      "parameter at key path `query.kernel`");
  EXPECT_STRATA_ERROR(
      nn::MultiHeadAttention(2, 4, rngs, {.out_kernel_init = nn::init::he_normal(-2, -1, {0})}),
      "[nn.init.variance_scaling]", "batch_axis", "parameter at key path `out.kernel`");
  // A variance-scaling initialiser cannot draw a 1-d scale; a zero-sized axis has no fan.
  const nn::ModuleScope scope("encoder");
  EXPECT_STRATA_ERROR(nn::LayerNorm(4, rngs, {.scale_init = nn::init::glorot_uniform()}),
                      "[nn.init.variance_scaling]", "1-d", "(4,)",
                      "parameter at key path `encoder.scale`");
  EXPECT_STRATA_ERROR(nn::Embedding(3, 4, rngs, {.dtype = DType::Int32}),
                      "[nn.init.variance_scaling]", "int32",
                      "parameter at key path `encoder.embedding`");
}

TEST(NnModulePath, OptimiserStructureErrorsNameKeyPaths) {
  nn::Rngs rngs(0);
  const nn::MLP model(3, 4, 2, rngs);
  const nn::State params = nn::split(model).first;
  auto opt = optim::adamw(1e-3);
  const auto state = opt.init(params);
  nn::State grads = params;
  grads.erase("fc2.bias");
  EXPECT_STRATA_ERROR(opt.update(grads, state, params), "[optim.adamw]", "missing: fc2.bias");
  const nn::MLP other(3, 5, 2, rngs, {.use_bias = false});
  const auto other_state = opt.init(nn::split(other).first);
  EXPECT_STRATA_ERROR(opt.update(params, other_state, params), "[optim.adamw]", "state.mu",
                      "fc1.bias");
}

}  // namespace
}  // namespace strata::testing
