// The catalogue of bad inputs: optimisers, stacks of layers (Stacked / ArrayStacked /
// Sequential), nn::scan and the lifted transforms (nn::lift).
// See catalogue.h for how the cases run.
#include <climits>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "errors/catalogue.h"
#include "strata/nn/nn.h"

namespace {

namespace st = strata;
namespace nn = strata::nn;
namespace optim = strata::optim;
using st::Array;
using st::CheckpointPolicy;
using st::DType;
using st::Shape;
using st::testing::errors::Cases;
using st::testing::errors::f32;
using st::testing::errors::kBig;
using st::testing::errors::leaked_tracer;

// A layer whose only parameter is one row: stacks of it are (N, features).
struct Row {
  nn::Param w;
  explicit Row(const Array& v) : w(v) {}
  Array operator()(const Array& c) const { return c * w.value; }
  std::pair<Array, Array> operator()(const Array& c, const Array& x) const {
    return {c * w.value + x, x};
  }
  STRATA_TREE_MEMBERS(w)
};
// 3 -> 6 features: cannot be a carry-to-carry layer.
struct Widen {
  nn::Linear fc;
  explicit Widen(nn::Rngs& rngs) : fc(3, 6, rngs) {}
  Array operator()(const Array& x) const { return fc(x); }
  STRATA_TREE_MEMBERS(fc)
};
// A Linen-style block for nn::lift: (carry, x) -> (carry, y).
struct Block {
  nn::Linear dense;
  Block(int64_t features, nn::Rngs& rngs) : dense(features, features, rngs) {}
  std::pair<Array, Array> operator()(const Array& c, const Array& x) const {
    return {nn::relu(dense(c)) + x, c};
  }
  STRATA_TREE_MEMBERS(dense)
};

const auto add_arg = [](const Row& l, const Array& c, const Array& x) { return l(c) + x; };

using P = std::map<std::string, Array>;
P params2() {
  return {{"w", st::zeros({2})}, {"b", st::zeros({1})}};
}

// ---------------------------------------------------------------- Optimisers
Cases optim_cases() {
  return {
      {"adam.extra_key", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         P g = params2();
         g["c"] = st::zeros({1});
         opt.update(g, opt.init(params2()), params2());
       }},
      {"adam.missing_key", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         opt.update(P{{"w", st::zeros({2})}}, opt.init(params2()), params2());
       }},
      {"adam.leaf_shape", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         P g = params2();
         g["w"] = st::zeros({2, 1});
         opt.update(g, opt.init(params2()), params2());
       }},
      {"adam.leaf_dtype", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         P g = params2();
         g["b"] = st::zeros({1}, DType::Float64);
         opt.update(g, opt.init(params2()), params2());
       }},
      {"adam.scalar_for_vector", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         P g = params2();
         g["w"] = st::zeros({});
         opt.update(g, opt.init(params2()), params2());
       }},
      {"adam.state_of_other_params", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         opt.update(params2(), opt.init(P{{"w", st::zeros({2})}, {"c", st::zeros({1})}}),
                    params2());
       }},
      {"adam.state_leaf_shape", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         opt.update(params2(), opt.init(P{{"w", st::zeros({3})}, {"b", st::zeros({1})}}),
                    params2());
       }},
      {"adam.vector_length", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         const std::vector<Array> p{st::zeros({2}), st::zeros({1})};
         opt.update(std::vector<Array>{st::zeros({2})}, opt.init(p), p);
       }},
      {"adam.empty_gradient", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         P g = params2();
         g["w"] = Array();
         opt.update(g, opt.init(params2()), params2());
       }},
      {"adam.leaked_gradient", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         P g = params2();
         g["w"] = leaked_tracer({2});
         opt.update(g, opt.init(params2()), params2());
       }},
      {"adam.leaf_shape_under_jit", "[optim.adam]",
       [] {
         const auto opt = optim::adam(1e-3);
         st::jit([&](const P& g, const P& p) { return opt.update(g, opt.init(p), p).first; })(
             P{{"w", st::zeros({2, 1})}, {"b", st::zeros({1})}}, params2());
       }},
      {"adamw.leaf_shape", "[optim.adamw]",
       [] {
         const auto opt = optim::adamw(1e-3);
         P g = params2();
         g["w"] = st::zeros({1, 2});
         opt.update(g, opt.init(params2()), params2());
       }},
      {"adamw.leaf_dtype", "[optim.adamw]",
       [] {
         const auto opt = optim::adamw(1e-3);
         P g = params2();
         g["w"] = st::zeros({2}, DType::BFloat16);
         opt.update(g, opt.init(params2()), params2());
       }},
      {"sgd.renamed_key", "[optim.sgd]",
       [] {
         const auto opt = optim::sgd(0.1);
         opt.update(P{{"w", st::zeros({2})}, {"bias", st::zeros({1})}}, opt.init(params2()),
                    params2());
       }},
      {"sgd.leaf_shape", "[optim.sgd]",
       [] {
         const auto opt = optim::sgd(0.1);
         P g = params2();
         g["w"] = st::zeros({2, 1});
         opt.update(g, opt.init(params2()), params2());
       }},
      {"sgd.leaf_dtype", "[optim.sgd]",
       [] {
         const auto opt = optim::sgd(0.1, {.momentum = 0.9});
         P g = params2();
         g["b"] = st::zeros({1}, DType::Float16);
         opt.update(g, opt.init(params2()), params2());
       }},
      {"sgd.state_without_momentum_buffer", "[optim.sgd]",
       [] {
         const auto plain = optim::sgd(0.1);
         optim::sgd(0.1, {.momentum = 0.9}).update(params2(), plain.init(params2()), params2());
       }},
      {"sgd.momentum_buffer_shape", "[optim.sgd]",
       [] {
         const auto opt = optim::sgd(0.1, {.momentum = 0.9});
         opt.update(params2(), opt.init(P{{"w", st::zeros({4})}, {"b", st::zeros({1})}}),
                    params2());
       }},
      {"clip_by_global_norm.zero", "[optim.clip_by_global_norm]",
       [] { optim::clip_by_global_norm(0); }},
      {"clip_by_global_norm.negative", "[optim.clip_by_global_norm]",
       [] { optim::clip_by_global_norm(-1); }},
      {"clip_by_global_norm.nan", "[optim.clip_by_global_norm]",
       [] { optim::clip_by_global_norm(NAN); }},
      {"clip_by_global_norm.leaf_shape", "[optim.clip_by_global_norm]",
       [] {
         const auto clip = optim::clip_by_global_norm(1.0);
         P g = params2();
         g["w"] = st::zeros({2, 1});
         clip.update(g, clip.init(params2()), params2());
       }},
      {"chain.first_part_reports", "[optim.clip_by_global_norm]",
       [] {
         const auto opt = optim::chain(optim::clip_by_global_norm(1.0), optim::adam(1e-3));
         P g = params2();
         g["w"] = st::zeros({3});
         opt.update(g, opt.init(params2()), params2());
       }},
      {"apply_updates.renamed_key", "[optim.apply_updates]",
       [] {
         (void)optim::apply_updates(params2(), P{{"w", st::zeros({2})}, {"c", st::zeros({1})}});
       }},
      {"apply_updates.empty_update", "[optim.apply_updates]",
       [] {
         (void)optim::apply_updates(params2(), P{{"w", Array()}, {"b", st::zeros({1})}});
       }},
      {"global_norm.empty_leaf", "[optim.global_norm]",
       [] {
         (void)optim::global_norm(P{{"w", Array()}});
       }},
      {"apply_updates.leaf_shape", "[optim.apply_updates]",
       [] {
         (void)optim::apply_updates(params2(), P{{"w", st::zeros({2, 1})}, {"b", st::zeros({1})}});
       }},
  };
}
BAD_INPUTS_GROUP("Optim", optim_cases);

// ---------------------------------------------------------------- Stacked / ArrayStacked /
// Sequential
Cases stacks_cases() {
  using AS = nn::ArrayStacked<Row>;
  using SQ = nn::Sequential<Row>;
  const auto apply = [](const Row& l, const Array& x) { return l(x); };
  return {
      {"ArrayStacked.init_overflowing_layers", "[nn.ArrayStacked.init]",
       [] { AS::init(INT64_MAX)(st::ones({2})); }},
      {"ArrayStacked.init_zero_layers", "[nn.ArrayStacked.init]", [] { AS::init(0); }},
      {"Stacked.init_negative_layers", "[nn.Stacked.init]", [] { nn::Stacked<Row>::init(-2); }},
      {"Stacked.init_empty_axis", "[nn.Stacked.init]",
       [] {
         nn::Stacked<Row>::init(nn::Axis{"blocks", 0});
       }},
      {"Sequential.init_zero_layers", "[nn.Sequential.init]", [] { SQ::init(0); }},
      {"ArrayStacked.init_unroll_zero", "[nn.ArrayStacked.init]",
       [] { AS::init(3, {.unroll = 0}); }},
      {"Stacked.init_unroll_negative", "[nn.Stacked.init]",
       [] { nn::Stacked<Row>::init(3, {.unroll = -1}); }},
      {"ArrayStacked.init_nested_not_divisor", "[nn.ArrayStacked.init]",
       [] { AS::init(6, {.gradient_checkpointing = CheckpointPolicy::nested(4)}); }},
      {"ArrayStacked.init_save_names_empty", "[nn.ArrayStacked.init]",
       [] { AS::init(2, {.gradient_checkpointing = CheckpointPolicy::save_names({})}); }},
      {"Sequential.init_budget_negative", "[nn.Sequential.init]",
       [] { SQ::init(2, {.gradient_checkpointing = CheckpointPolicy::budget(-1)}); }},
      {"options.unknown_checkpoint_name", "[CheckpointPolicy]",
       [] { nn::StackedOptions o{.gradient_checkpointing = "sometimes"}; }},
      {"ArrayStacked.init_rngs_split_other_count", "[nn.ArrayStacked.init]",
       [] {
         nn::Rngs r(0);
         nn::Rngs three = r.split(3);
         nn::ArrayStacked<Widen>::init(4)(three);
       }},
      {"ArrayStacked.init_empty_argument", "[nn.ArrayStacked.init]", [] { AS::init(3)(Array()); }},
      {"Sequential.init_empty_argument", "[nn.Sequential.init]", [] { SQ::init(3)(Array()); }},
      {"ArrayStacked.wrap_wrong_leading_size", "[nn.ArrayStacked]",
       [] {
         AS(Row(st::ones({3, 2})), 4);
       }},
      {"Stacked.wrap_wrong_leading_size", "[nn.Stacked]",
       [] {
         nn::Stacked<Row>(Row(st::ones({3})), nn::Axis{"blocks", 2});
       }},
      {"Sequential.wrap_no_modules", "[nn.Sequential]", [] { SQ(std::vector<Row>{}); }},
      {"ArrayStacked.fold_via_argument_length", "[nn.ArrayStacked.fold_via]",
       [] {
         AS::init(4)(st::ones({4, 2})).fold_via(add_arg, 0)(st::ones({2}), st::ones({3, 2}));
       }},
      {"Stacked.fold_via_argument_length", "[nn.Stacked.fold_via]",
       [] {
         nn::Stacked<Row>::init(nn::Axis{"blocks", 4})(st::ones({4, 2}))
             .fold_via(add_arg, 0)(st::ones({2}), st::ones({3, 2}));
       }},
      {"Sequential.fold_via_argument_length", "[nn.Sequential.fold_via]",
       [] {
         SQ::init(4)(st::ones({4, 2})).fold_via(add_arg, 0)(st::ones({2}), st::ones({3, 2}));
       }},
      {"ArrayStacked.fold_via_axis_out_of_range", "[nn.ArrayStacked.fold_via]",
       [] {
         AS::init(4)(st::ones({4, 2})).fold_via(add_arg, 2)(st::ones({2}), st::ones({4, 2}));
       }},
      {"ArrayStacked.fold_via_zero_d_argument", "[nn.ArrayStacked.fold_via]",
       [] {
         AS::init(4)(st::ones({4, 2})).fold_via(add_arg, 0)(st::ones({2}), st::ones({}));
       }},
      {"ArrayStacked.fold_via_spec_count", "[nn.ArrayStacked.fold_via]",
       [] {
         AS::init(3)(st::ones({3, 2}))
             .fold_via(add_arg, {0, st::none})(st::ones({2}), st::ones({3, 2}));
       }},
      {"ArrayStacked.fold_via_nested_spec", "[nn.ArrayStacked.fold_via]",
       [] {
         AS::init(3)(st::ones({3, 2})).fold_via(add_arg, {{0, 0}})(st::ones({2}), st::ones({3, 2}));
       }},
      {"ArrayStacked.fold_via_slicing_a_double", "[nn.ArrayStacked.fold_via]",
       [] {
         AS::init(3)(st::ones({3, 2}))
             .fold_via([](const Row& l, const Array& h, double k) { return l(h) * k; }, 0)(
                 st::ones({2}), 2.0);
       }},
      {"ArrayStacked.scan_argument_length", "[nn.ArrayStacked.scan]",
       [] {
         AS::init(4)(st::ones({4, 2})).scan(0, st::ones({2}), st::ones({3, 2}));
       }},
      {"ArrayStacked.vmap_via_argument_length", "[nn.ArrayStacked.vmap_via]",
       [=] {
         AS::init(4)(st::ones({4, 2})).vmap_via(apply, 0)(st::ones({3, 2}));
       }},
      {"ArrayStacked.vmap_via_out_axes_none", "[nn.ArrayStacked.vmap_via]",
       [=] {
         AS::init(3)(st::ones({3, 2})).vmap_via(apply, st::none, st::none)(st::ones({2}));
       }},
      {"ArrayStacked.fold_carry_shape", "[nn.ArrayStacked.fold]",
       [] {
         nn::Rngs r(0);
         nn::ArrayStacked<Widen>::init(2)(r).fold(st::ones({4, 3}));
       }},
      {"Sequential.fold_carry_shape", "[nn.Sequential.fold]",
       [] {
         nn::Rngs r(0);
         nn::Sequential<Widen>::init(2)(r).fold(st::ones({4, 3}));
       }},
      {"Stacked.fold_carry_shape", "[nn.Stacked.fold]",
       [] {
         nn::Rngs r(0);
         nn::Stacked<Widen>::init(2)(r).fold(st::ones({4, 3}));
       }},
      {"ArrayStacked.fold_via_carry_structure", "[nn.ArrayStacked.fold_via]",
       [] {
         AS::init(3)(st::ones({3, 2})).fold_via([](const Row& l, const std::vector<Array>& c) {
           return std::vector<Array>{l(c[0]), c[0]};
         })(std::vector<Array>{st::ones({2})});
       }},
      {"ArrayStacked.scan_via_carry_dtype", "[nn.ArrayStacked.scan_via]",
       [] {
         AS::init(3)(st::ones({3, 2})).scan_via([](const Row& l, const Array& c) {
           return std::pair{st::astype(l(c), DType::Float64), c};
         })(st::ones({2}));
       }},
      {"Sequential.scan_via_carry_dtype", "[nn.Sequential.scan_via]",
       [] {
         SQ::init(3)(st::ones({3, 2})).scan_via([](const Row& l, const Array& c) {
           return std::pair{st::astype(l(c), DType::Float64), c};
         })(st::ones({2}));
       }},
      {"ArrayStacked.fold_empty_carry", "[nn.ArrayStacked.fold]",
       [] {
         AS::init(3)(st::ones({3, 2})).fold(Array());
       }},
      {"ArrayStacked.fold_leaked_carry", "[nn.ArrayStacked.fold]",
       [] {
         AS::init(3)(st::ones({3, 2})).fold(leaked_tracer({2}));
       }},
      {"ArrayStacked.get_layer_past_end", "[nn.ArrayStacked.get_layer]",
       [] {
         (void)AS::init(3)(st::ones({3, 2})).get_layer(3);
       }},
      {"ArrayStacked.get_layer_before_start", "[nn.ArrayStacked.get_layer]",
       [] {
         (void)AS::init(3)(st::ones({3, 2})).get_layer(-4);
       }},
      {"Stacked.get_layer_past_end", "[nn.Stacked.get_layer]",
       [] {
         (void)nn::Stacked<Row>::init(3)(st::ones({3, 2})).get_layer(5);
       }},
      {"Sequential.get_layer_past_end", "[nn.Sequential.get_layer]",
       [] {
         (void)SQ::init(3)(st::ones({3, 2})).get_layer(7);
       }},
      {"Sequential.vmap_via_out_axes_none", "[nn.Sequential.vmap_via]",
       [=] {
         SQ::init(3)(st::ones({3, 2})).vmap_via(apply, st::none, st::none)(st::ones({2}));
       }},
      {"Sequential.vmap_via_out_axes_out_of_range", "[nn.Sequential.vmap_via]",
       [=] {
         SQ::init(3)(st::ones({3, 2})).vmap_via(apply, st::none, 2)(st::ones({2}));
       }},
  };
}
BAD_INPUTS_GROUP("Stacks", stacks_cases);

// ---------------------------------------------------------------- nn::scan and nn::lift
Cases lifts_cases() {
  const auto step = [](const Array& x, const nn::Linear& b) { return nn::relu(b(x)); };
  const auto blocks = [] {
    nn::Rngs r(0);
    return st::vmap([](nn::Rngs k) { return nn::Linear(4, 4, k); })(r.split(3));
  };
  using BlockScan = nn::lift::ScanOptions;
  return {
      {"scan.reversed_axes", "[nn.scan]",
       [=] {
         nn::scan(step, {0, nn::Carry}, nn::Carry)(st::ones({4}), blocks());
       }},
      {"scan.too_many_entries", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, 0, 0}, nn::Carry)(st::ones({4}), blocks());
       }},
      {"scan.two_carries", "[nn.scan]",
       [=] {
         nn::scan([](const Array& x, const Array&) { return x; }, {nn::Carry, nn::Carry},
                  nn::Carry)(st::ones({4}), st::ones({4}));
       }},
      {"scan.carry_only_in_in_axes", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, 0}, 0)(st::ones({4}), blocks());
       }},
      {"scan.pair_expected", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, 0}, {nn::Carry, 0})(st::ones({4}), blocks());
       }},
      {"scan.out_axes_none", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, 0}, st::none);
       }},
      {"scan.axis_out_of_range", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, 2}, nn::Carry)(st::ones({4}), blocks());
       }},
      {"scan.negative_axis_out_of_range", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, -3}, nn::Carry)(st::ones({4}), blocks());
       }},
      {"scan.sliced_lengths_differ", "[nn.scan]",
       [=] {
         nn::scan([](const Array& x, const nn::Linear& b, const Array& s) { return b(x) * s; },
                  {nn::Carry, 0, 0}, nn::Carry)(st::ones({4}), blocks(), st::ones({2}));
       }},
      {"scan.nothing_sliced_without_length", "[nn.scan]",
       [] {
         nn::scan([](const Array& x, const Array& w) { return x * w; }, {nn::Carry, st::none},
                  nn::Carry)(st::ones({4}), st::ones({4}));
       }},
      {"scan.length_option_mismatch", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, 0}, nn::Carry, {.length = 5})(st::ones({4}), blocks());
       }},
      {"scan.carry_structure_change", "[nn.scan]",
       [] {
         nn::scan(
             [](const std::vector<Array>& c, const Array& w) {
               return std::vector<Array>{c[0] * w, c[0]};
             },
             {nn::Carry, 0}, nn::Carry)(std::vector<Array>{st::ones({4})}, st::ones({3, 4}));
       }},
      {"scan.carry_dtype_change", "[nn.scan]",
       [] {
         nn::scan([](const Array& c, const Array& w) { return st::astype(c * w, DType::Float64); },
                  {nn::Carry, 0}, nn::Carry)(st::ones({4}), st::ones({3, 4}));
       }},
      {"scan.unroll_zero", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, 0}, nn::Carry, {.unroll = 0})(st::ones({4}), blocks());
       }},
      {"scan.bad_checkpoint_policy", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, 0}, nn::Carry,
                  {.checkpoint = CheckpointPolicy::save_names({})})(st::ones({4}), blocks());
       }},
      {"scan.empty_carry", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, 0}, nn::Carry)(Array(), blocks());
       }},
      {"scan.leaked_carry", "[nn.scan]",
       [=] {
         nn::scan(step, {nn::Carry, 0}, nn::Carry)(leaked_tracer({4}), blocks());
       }},
      {"lift_scan.zero_length", "[nn.lift.scan]",
       [] {
         nn::Rngs r(0);
         nn::lift::scan<Block>(BlockScan{.variable_axes = {{"params", 0}}, .length = 0}).init(r, 4);
       }},
      {"lift_scan.negative_length", "[nn.lift.scan]",
       [] {
         nn::Rngs r(0);
         nn::lift::scan<Block>(BlockScan{.variable_axes = {{"params", 0}}, .length = -2})
             .init(r, 4);
       }},
      {"lift_scan.unknown_collection", "[nn.lift.scan]",
       [] {
         nn::Rngs r(0);
         nn::lift::scan<Block>(BlockScan{.variable_axes = {{"param", 0}}, .length = 2}).init(r, 4);
       }},
      {"lift_scan.axis_one", "[nn.lift.scan]",
       [] {
         nn::Rngs r(0);
         nn::lift::scan<Block>(BlockScan{.variable_axes = {{"params", 1}}, .length = 2}).init(r, 4);
       }},
      {"lift_scan.split_unknown_stream", "[nn.lift.scan]",
       [] {
         nn::Rngs r({{"params", 0}});
         nn::lift::scan<Block>(BlockScan{.variable_axes = {{"params", 0}},
                                         .split_rngs = {{"dropout", true}},
                                         .length = 2})
             .init(r, 4);
       }},
      {"lift_scan.xs_length", "[nn.lift.scan]",
       [] {
         nn::Rngs r(0);
         const auto m = nn::lift::scan<Block>(BlockScan{.variable_axes = {{"params", 0}},
                                                        .split_rngs = {{"params", true}},
                                                        .length = 3})
                            .init(r, 4);
         m(st::ones({4}), st::ones({5, 4}));
       }},
      {"lift_scan.carry_features", "[nn.Linear]",
       [] {
         nn::Rngs r(0);
         const auto m = nn::lift::scan<Block>(BlockScan{.variable_axes = {{"params", 0}},
                                                        .split_rngs = {{"params", true}},
                                                        .length = 3})
                            .init(r, 4);
         m(st::ones({5}), st::ones({3, 5}));
       }},
      {"lift_vmap.needs_axis_size", "[nn.lift.vmap]",
       [] {
         nn::Rngs r(0);
         nn::lift::vmap<Block>({.variable_axes = {{"params", 0}}}).init(r, 4);
       }},
      {"lift_vmap.zero_axis_size", "[nn.lift.vmap]",
       [] {
         nn::Rngs r(0);
         nn::lift::vmap<Block>({.variable_axes = {{"params", 0}}, .axis_size = 0}).init(r, 4);
       }},
      {"lift_vmap.unknown_collection", "[nn.lift.vmap]",
       [] {
         nn::Rngs r(0);
         nn::lift::vmap<Block>({.variable_axes = {{"stats", 0}}, .axis_size = 2}).init(r, 4);
       }},
      {"lift_vmap.in_axes_count", "[nn.lift.vmap]",
       [] {
         nn::Rngs r(0);
         nn::lift::vmap<Block>({.in_axes = {0, 0, 0}})
             .init(r, 4)(st::ones({2, 4}), st::ones({2, 4}));
       }},
      {"lift_vmap.batch_sizes", "[nn.lift.vmap]",
       [] {
         nn::Rngs r(0);
         nn::lift::vmap<Block>({}).init(r, 4)(st::ones({2, 4}), st::ones({3, 4}));
       }},
      {"lift_vmap.zero_d_input", "[nn.lift.vmap]",
       [] {
         nn::Rngs r(0);
         nn::lift::vmap<Block>({}).init(r, 4)(st::ones({2, 4}), st::scalar(1.0f));
       }},
  };
}
BAD_INPUTS_GROUP("Lifts", lifts_cases);

BAD_INPUTS_TEST(Optim)
BAD_INPUTS_TEST(Stacks)
BAD_INPUTS_TEST(Lifts)

}  // namespace
