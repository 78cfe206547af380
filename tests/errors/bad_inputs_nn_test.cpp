// The catalogue of bad inputs: nn layers, Rngs, initialisers, split / merge / update.
// See catalogue.h for how the cases run.
#include <climits>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "errors/catalogue.h"
#include "strata/nn/nn.h"

namespace {

namespace st = strata;
namespace nn = strata::nn;
using st::Array;
using st::DType;
using st::Shape;
using st::testing::errors::Cases;
using st::testing::errors::f32;
using st::testing::errors::kBig;
using st::testing::errors::leaked_tracer;

Array ids(std::vector<int32_t> v) {
  return st::array(v);
}

// ---------------------------------------------------------------- NN layers, Rngs, init, state
Cases nn_cases() {
  return {
      {"Linear.zero_in_features", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         nn::Linear(0, 4, r);
       }},
      {"Linear.zero_out_features", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         nn::Linear(3, 0, r);
       }},
      {"Linear.overflowing_kernel", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         nn::Linear(kBig, kBig, r);
       }},
      {"Linear.negative_in_features", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         nn::Linear(-3, 4, r);
       }},
      {"Linear.integer_dtype", "[nn.init.variance_scaling]",
       [] {
         nn::Rngs r(0);
         nn::Linear(3, 4, r, {.dtype = DType::Int32});
       }},
      {"Linear.wrong_input_features", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         nn::Linear(3, 4, r)(st::zeros({2, 5}));
       }},
      {"Linear.zero_d_input", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         nn::Linear(3, 4, r)(st::scalar(1.0f));
       }},
      {"Linear.empty_input", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         nn::Linear(3, 4, r)(Array());
       }},
      {"Linear.leaked_input", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         nn::Linear(3, 4, r)(leaked_tracer());
       }},
      {"Linear.wrong_input_under_jit", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         st::jit([](const nn::Linear& l, const Array& x) { return l(x); })(nn::Linear(3, 4, r),
                                                                           st::zeros({5}));
       }},
      {"LinearGeneral.wrong_input", "[nn.LinearGeneral]",
       [] {
         nn::Rngs r(0);
         nn::LinearGeneral(4, {2, 3}, r)(st::zeros({2, 5}));
       }},
      {"LinearGeneral.axis_count", "[nn.LinearGeneral]",
       [] {
         nn::Rngs r(0);
         nn::LinearGeneral(Shape{2, 3}, 4, r, {.axis = {-1}});
       }},
      {"LinearGeneral.axis_out_of_range", "[nn.LinearGeneral]",
       [] {
         nn::Rngs r(0);
         nn::LinearGeneral(Shape{4}, Shape{2}, r, {.axis = {3}})(st::zeros({2, 4}));
       }},
      {"LinearGeneral.repeated_axis", "[nn.LinearGeneral]",
       [] {
         nn::Rngs r(0);
         nn::LinearGeneral(Shape{4, 4}, 2, r, {.axis = {-1, 1}})(st::zeros({2, 4}));
       }},
      {"LinearGeneral.no_in_features", "[nn.LinearGeneral]",
       [] {
         nn::Rngs r(0);
         nn::LinearGeneral(Shape{}, Shape{2}, r, {.axis = {}});
       }},
      {"LinearGeneral.zero_out_feature", "[nn.LinearGeneral]",
       [] {
         nn::Rngs r(0);
         nn::LinearGeneral(4, Shape{2, 0}, r);
       }},
      {"LinearGeneral.negative_in_feature", "[nn.LinearGeneral]",
       [] {
         nn::Rngs r(0);
         nn::LinearGeneral(-4, Shape{2}, r);
       }},
      {"Embedding.zero_rows", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         nn::Embedding(0, 4, r);
       }},
      {"Embedding.overflowing_table", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         nn::Embedding(kBig, kBig, r);
       }},
      {"Embedding.int64_min_id", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         nn::Embedding(5, 3, r)(st::array<int64_t>({INT64_MIN}));
       }},
      {"Embedding.zero_features", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         nn::Embedding(5, 0, r);
       }},
      {"Embedding.out_of_range", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         nn::Embedding(5, 3, r)(ids({1, 7}));
       }},
      {"Embedding.negative_out_of_range", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         nn::Embedding(5, 3, r)(ids({-6}));
       }},
      {"Embedding.out_of_range_under_jit", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         st::jit([](const nn::Embedding& e, const Array& i) { return e(i); })(
             nn::Embedding(5, 3, r), ids({4, 5}));
       }},
      {"Embedding.negative_out_of_range_under_jit", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         st::jit([](const nn::Embedding& e, const Array& i) { return e(i); })(
             nn::Embedding(5, 3, r), ids({-9}));
       }},
      {"Embedding.out_of_range_under_vmap", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         const nn::Embedding e(5, 3, r);
         st::vmap([&](const Array& i) { return e(i); })(ids({1, 6}));
       }},
      {"Embedding.out_of_range_in_scan", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         const nn::Embedding e(5, 3, r);
         st::scan(
             [&](const Array& c, const Array& i) {
               return std::pair{c + e(i), c};
             },
             st::zeros({3}), ids({1, 5}));
       }},
      {"Embedding.out_of_range_under_grad", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         const nn::Embedding e(5, 3, r);
         st::grad([](const nn::Embedding& m) { return st::sum(m(ids({8}))); })(e);
       }},
      {"Embedding.float_ids", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         nn::Embedding(5, 3, r)(st::zeros({2}));
       }},
      {"Embedding.empty_ids", "[nn.Embedding]",
       [] {
         nn::Rngs r(0);
         nn::Embedding(5, 3, r)(Array());
       }},
      {"Embedding.attend_wrong_features", "[nn.Embedding.attend]",
       [] {
         nn::Rngs r(0);
         nn::Embedding(5, 3, r).attend(st::zeros({2, 4}));
       }},
      {"Dropout.rate_above_one", "[nn.Dropout]", [] { nn::Dropout(1.5); }},
      {"Dropout.rate_negative", "[nn.Dropout]", [] { nn::Dropout(-0.1); }},
      {"Dropout.rate_nan", "[nn.Dropout]", [] { nn::Dropout(NAN); }},
      {"Dropout.rate_changed_before_call", "[nn.Dropout]",
       [] {
         nn::Dropout d(0.1);
         d.rate = 2.0;
         nn::Rngs r(0);
         d(st::ones({4}), r);
       }},
      {"Dropout.random_without_rngs", "[nn.Dropout]", [] { nn::Dropout(0.5)(st::ones({4})); }},
      {"Dropout.missing_stream", "[nn.Rngs]",
       [] {
         nn::Rngs r({{"params", 0}});
         nn::Dropout(0.5)(st::ones({4}), r);
       }},
      {"LayerNorm.zero_features", "[nn.LayerNorm]",
       [] {
         nn::Rngs r(0);
         nn::LayerNorm(0, r);
       }},
      {"LayerNorm.wrong_input", "[nn.LayerNorm]",
       [] {
         nn::Rngs r(0);
         nn::LayerNorm(4, r)(st::zeros({2, 5}));
       }},
      {"LayerNorm.zero_d_input", "[nn.LayerNorm]",
       [] {
         nn::Rngs r(0);
         nn::LayerNorm(4, r)(st::scalar(1.0f));
       }},
      {"LayerNorm.negative_epsilon", "[nn.LayerNorm]",
       [] {
         nn::Rngs r(0);
         nn::LayerNorm(4, r, {.epsilon = -1.0});
       }},
      {"RMSNorm.zero_features", "[nn.RMSNorm]",
       [] {
         nn::Rngs r(0);
         nn::RMSNorm(0, r);
       }},
      {"RMSNorm.wrong_input", "[nn.RMSNorm]",
       [] {
         nn::Rngs r(0);
         nn::RMSNorm(4, r)(st::zeros({3}));
       }},
      {"BatchNorm.zero_features", "[nn.BatchNorm]",
       [] {
         nn::Rngs r(0);
         nn::BatchNorm(0, r);
       }},
      {"BatchNorm.momentum_above_one", "[nn.BatchNorm]",
       [] {
         nn::Rngs r(0);
         nn::BatchNorm(4, r, {.momentum = 1.5});
       }},
      {"BatchNorm.momentum_nan", "[nn.BatchNorm]",
       [] {
         nn::Rngs r(0);
         nn::BatchNorm(4, r, {.momentum = NAN});
       }},
      {"BatchNorm.momentum_negative", "[nn.BatchNorm]",
       [] {
         nn::Rngs r(0);
         nn::BatchNorm(4, r, {.momentum = -0.5});
       }},
      {"BatchNorm.wrong_input", "[nn.BatchNorm]",
       [] {
         nn::Rngs r(0);
         nn::BatchNorm bn(6, r);
         bn(st::zeros({4, 5}));
       }},
      {"BatchNorm.zero_d_input", "[nn.BatchNorm]",
       [] {
         nn::Rngs r(0);
         nn::BatchNorm bn(6, r);
         bn(st::zeros({}));
       }},
      {"BatchNorm.axis_out_of_range", "[nn.BatchNorm]",
       [] {
         nn::Rngs r(0);
         nn::BatchNorm bn(6, r, {.axis = 3});
         bn(st::zeros({4, 6}));
       }},
      {"BatchNorm.const_training_call", "[nn.BatchNorm]",
       [] {
         nn::Rngs r(0);
         const nn::BatchNorm bn(6, r);
         bn(st::zeros({4, 6}));
       }},
      {"BatchNorm.outer_module_under_jit", "[nn.BatchNorm]",
       [] {
         nn::Rngs r(0);
         nn::BatchNorm bn(6, r);
         st::jit([&](const Array& x) { return bn(x); })(st::ones({4, 6}));
       }},
      {"BatchNorm.outer_module_in_scan", "[nn.BatchNorm]",
       [] {
         nn::Rngs r(0);
         nn::BatchNorm bn(6, r);
         st::fold([&](const Array& c, const Array& x) { return c + st::sum(bn(x)); }, st::zeros({}),
                  st::ones({2, 4, 6}));
       }},
      {"MultiHeadAttention.heads_not_dividing", "[nn.MultiHeadAttention]",
       [] {
         nn::Rngs r(0);
         nn::MultiHeadAttention(4, 6, r);
       }},
      {"MultiHeadAttention.negative_qkv_features", "[nn.MultiHeadAttention]",
       [] {
         nn::Rngs r(0);
         nn::MultiHeadAttention(2, 6, r, {.qkv_features = -4});
       }},
      {"MultiHeadAttention.negative_out_features", "[nn.LinearGeneral]",
       [] {
         nn::Rngs r(0);
         nn::MultiHeadAttention(2, 6, r, {.out_features = -1});
       }},
      {"MultiHeadAttention.zero_heads", "[nn.MultiHeadAttention]",
       [] {
         nn::Rngs r(0);
         nn::MultiHeadAttention(0, 6, r);
       }},
      {"MultiHeadAttention.wrong_input_features", "[nn.MultiHeadAttention]",
       [] {
         nn::Rngs r(0);
         nn::MultiHeadAttention(2, 6, r)(st::zeros({2, 3, 5}));
       }},
      {"MultiHeadAttention.one_d_input", "[nn.MultiHeadAttention]",
       [] {
         nn::Rngs r(0);
         nn::MultiHeadAttention(2, 6, r)(st::zeros({6}));
       }},
      {"MultiHeadAttention.cross_leading_mismatch", "[nn.MultiHeadAttention]",
       [] {
         nn::Rngs r(0);
         nn::MultiHeadAttention(2, 6, r)(st::zeros({2, 3, 6}), st::zeros({3, 4, 6}), std::nullopt);
       }},
      {"MultiHeadAttention.mask_shape", "[nn.dot_product_attention]",
       [] {
         nn::Rngs r(0);
         nn::MultiHeadAttention(2, 6, r)(st::zeros({2, 3, 6}), st::ones({2, 3}, DType::Bool));
       }},
      {"dot_product_attention.value_length", "[nn.dot_product_attention]",
       [] {
         (void)nn::dot_product_attention(st::zeros({2, 3, 2, 4}), st::zeros({2, 5, 2, 4}),
                                         st::zeros({2, 4, 2, 4}));
       }},
      {"dot_product_attention.head_dim", "[nn.dot_product_attention]",
       [] {
         (void)nn::dot_product_attention(st::zeros({3, 2, 4}), st::zeros({5, 2, 3}),
                                         st::zeros({5, 2, 4}));
       }},
      {"dot_product_attention.integer", "[nn.dot_product_attention]",
       [] {
         const Array q = st::zeros({3, 2, 4}, DType::Int32);
         (void)nn::dot_product_attention(q, q, q);
       }},
      {"dot_product_attention.float_mask", "[nn.dot_product_attention]",
       [] {
         const Array q = st::zeros({3, 2, 4});
         (void)nn::dot_product_attention(q, q, q, st::ones({3, 3}));
       }},
      {"dot_product_attention.rank_one", "[nn.dot_product_attention]",
       [] {
         const Array q = st::zeros({4});
         (void)nn::dot_product_attention(q, q, q);
       }},
      {"MLP.zero_hidden", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         nn::MLP(5, 0, 2, r);
       }},
      {"MLP.wrong_input", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         nn::MLP(5, 8, 2, r)(st::zeros({4, 6}));
       }},
      {"TransformerBlock.heads_not_dividing", "[nn.MultiHeadAttention]",
       [] {
         nn::Rngs r(0);
         nn::TransformerBlock(8, 3, 16, r);
       }},
      {"TransformerBlock.wrong_input", "[nn.LayerNorm]",
       [] {
         nn::Rngs r(0);
         nn::TransformerBlock(8, 2, 16, r)(st::zeros({3, 5}));
       }},
      // Rngs misuse.
      {"Rngs.unknown_stream", "[nn.Rngs]",
       [] {
         nn::Rngs r({{"params", 0}});
         r.dropout();
       }},
      {"Rngs.key_shape", "[nn.Rngs]", [] { nn::Rngs(st::zeros({3}, DType::UInt32)); }},
      {"Rngs.float_key", "[nn.Rngs]", [] { nn::Rngs(st::zeros({2})); }},
      {"Rngs.empty_key", "[nn.Rngs]", [] { nn::Rngs{Array()}; }},
      {"Rngs.leaked_key", "[nn.Rngs]", [] { nn::Rngs(leaked_tracer({2}, DType::UInt32)); }},
      {"Rngs.duplicate_stream", "[nn.Rngs]",
       [] {
         nn::Rngs({{"a", 0}, {"a", 1}});
       }},
      {"Rngs.split_zero", "[nn.Rngs]",
       [] {
         nn::Rngs r(0);
         r.split(0);
       }},
      {"Rngs.split_overflowing", "[nn.Rngs]",
       [] {
         nn::Rngs r(0);
         r.split(INT64_MAX);
       }},
      {"Rngs.split_negative", "[nn.Rngs]",
       [] {
         nn::Rngs r(0);
         r.split(-2);
       }},
      {"Rngs.split_unknown_stream", "[nn.Rngs]",
       [] {
         nn::Rngs r({{"params", 0}});
         r.split(2, {"dropout"});
       }},
      {"Rngs.draw_from_split_outside_vmap", "[nn.Rngs]",
       [] {
         nn::Rngs r(0);
         r.split(4).params();
       }},
      {"Rngs.count_of_split", "[nn.Rngs]",
       [] {
         nn::Rngs r(0);
         (void)r.split(4).count("params");
       }},
      {"Rngs.key_of_unknown_stream", "[nn.Rngs]",
       [] {
         nn::Rngs r({{"params", 0}});
         (void)r.key("dropout");
       }},
      {"Rngs.outer_draw_under_jit", "[nn.Rngs]",
       [] {
         nn::Rngs r(0);
         st::jit([&](const Array& x) { return x + st::random::uniform(r(), {3}); })(st::zeros({3}));
       }},
      {"Rngs.outer_draw_in_scan", "[nn.Rngs]",
       [] {
         nn::Rngs r(0);
         st::fold(
             [&](const Array& c, const Array& x) { return c + x * st::random::uniform(r(), {}); },
             st::zeros({}), st::zeros({4}));
       }},
      {"Rngs.leaked_out_of_jit", "[nn.Rngs]",
       [] {
         nn::Rngs leaked(0);
         (void)st::jit([&](nn::Rngs r) {
           leaked = r;
           return r();
         })(nn::Rngs(0));
         leaked();
       }},
      // Initialisers.
      {"init.lecun_normal_1d", "[nn.init.variance_scaling]",
       [] { nn::init::lecun_normal()(st::random::key(0), {5}, DType::Float32); }},
      {"init.he_uniform_0d", "[nn.init.variance_scaling]",
       [] { nn::init::he_uniform()(st::random::key(0), {}, DType::Float32); }},
      {"init.glorot_out_axis", "[nn.init.variance_scaling]",
       [] {
         nn::init::glorot_normal(0, 5)(st::random::key(0), {2, 3}, DType::Float32);
       }},
      {"init.zero_fan", "[nn.init.variance_scaling]",
       [] {
         nn::init::lecun_normal()(st::random::key(0), {0, 3}, DType::Float32);
       }},
      {"init.variance_scaling_negative_scale", "[nn.init.variance_scaling]",
       [] {
         nn::init::variance_scaling(-1, nn::init::FanMode::FanIn, nn::init::Distribution::Normal);
       }},
      {"init.variance_scaling_integer", "[nn.init.variance_scaling]",
       [] {
         nn::init::lecun_normal()(st::random::key(0), {2, 3}, DType::Int32);
       }},
      {"init.normal_integer", "[nn.init.normal]",
       [] { nn::init::normal()(st::random::key(0), {2}, DType::Int32); }},
      {"init.uniform_integer", "[nn.init.uniform]",
       [] { nn::init::uniform()(st::random::key(0), {2}, DType::Int32); }},
      {"init.truncated_normal_bounds", "[nn.init.truncated_normal]",
       [] { nn::init::truncated_normal(1.0, 2.0, 1.0); }},
      {"init.bad_key", "[nn.init.normal]",
       [] { nn::init::normal()(st::zeros({3}, DType::UInt32), {2}, DType::Float32); }},
      {"init.compute_fans_axis", "[nn.init.compute_fans]",
       [] {
         (void)nn::init::compute_fans({2, 3}, 4, 1);
       }},
      // split / merge / update.
      {"merge.missing_path", "[nn.merge]",
       [] {
         nn::Rngs r(0);
         const nn::BatchNorm bn(4, r);
         (void)nn::merge(bn, nn::split(bn).first);
       }},
      {"merge.shape_mismatch", "[nn.merge]",
       [] {
         nn::Rngs r(0);
         const nn::Linear l(3, 2, r);
         auto [params, rest] = nn::split(l);
         params["kernel"] = st::zeros({2, 3});
         (void)nn::merge(l, params, rest);
       }},
      {"merge.dtype_mismatch", "[nn.merge]",
       [] {
         nn::Rngs r(0);
         const nn::Linear l(3, 2, r);
         auto [params, rest] = nn::split(l);
         params["bias"] = st::zeros({2}, DType::Float64);
         (void)nn::merge(l, params, rest);
       }},
      {"merge.in_both_states", "[nn.merge]",
       [] {
         nn::Rngs r(0);
         const nn::Linear l(3, 2, r);
         (void)nn::merge(l, nn::state(l), nn::split(l).first);
       }},
      {"merge.empty_state_entry", "[nn.merge]",
       [] {
         nn::Rngs r(0);
         const nn::Linear l(3, 2, r);
         nn::State s = nn::state(l);
         s["bias"] = Array();
         (void)nn::merge(l, s);
       }},
      {"merge.unused_entry", "[nn.merge]",
       [] {
         nn::Rngs r(0);
         const nn::Linear l(3, 2, r);
         nn::State s = nn::state(l);
         s["extra"] = st::zeros({1});
         (void)nn::merge(l, s);
       }},
      {"update.unknown_path", "[nn.update]",
       [] {
         nn::Rngs r(0);
         (void)nn::update(nn::Linear(3, 2, r), {{"weight", st::zeros({1})}});
       }},
      {"update.empty_entry", "[nn.update]",
       [] {
         nn::Rngs r(0);
         (void)nn::update(nn::Linear(3, 2, r), {{"bias", Array()}});
       }},
      {"update.shape_mismatch", "[nn.update]",
       [] {
         nn::Rngs r(0);
         (void)nn::update(nn::Linear(3, 2, r), {{"bias", st::zeros({3})}});
       }},
  };
}
BAD_INPUTS_GROUP("NN", nn_cases);

BAD_INPUTS_TEST(NN)

}  // namespace
