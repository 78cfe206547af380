// The catalogue of bad inputs: grad, value_and_grad, vjp, jvp, stop_gradient, check_grads
// and vmap.
// See catalogue.h for how the cases run.
#include <climits>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "errors/catalogue.h"

namespace {

namespace st = strata;
using st::Array;
using st::DType;
using st::Shape;
using st::testing::errors::Cases;
using st::testing::errors::f32;
using st::testing::errors::f64;
using st::testing::errors::kBig;
using st::testing::errors::leaked_tracer;

struct Layer {
  Array W, b;
  STRATA_TREE_MEMBERS(W, b)
};

// ---------------------------------------------------------------- Grad (and vjp / jvp)
Cases grad_cases() {
  const auto loss = [](const Array& x) { return st::sum(st::square(x)); };
  const auto identity = [](const Array& x) { return x; };
  return {
      {"grad.non_scalar_output", "[grad]", [=] { st::grad(identity)(f32({3})); }},
      {"grad.shape_one_output", "[grad]",
       [] { st::grad([](const Array& x) { return st::sum(x, {}, true); })(f32({3})); }},
      {"grad.integer_output", "[grad]",
       [] {
         st::grad([](const Array& x) { return st::sum(st::astype(x, DType::Int32)); })(f32({3}));
       }},
      {"grad.bool_output", "[grad]",
       [] { st::grad([](const Array& x) { return st::sum(x) > 0.0; })(f32({3})); }},
      {"grad.integer_input", "[grad]",
       [] {
         st::grad([](const Array& x) { return st::sum(st::astype(x, DType::Float32)); })(
             st::arange(3));
       }},
      {"grad.bool_input", "[grad]",
       [] {
         st::grad([](const Array& x) { return st::sum(st::astype(x, DType::Float32)); })(
             st::array<bool>({true}));
       }},
      {"grad.integer_leaf_in_struct", "[grad]",
       [] {
         st::grad([](const Layer& l) {
           return st::sum(l.W) + st::sum(st::astype(l.b, DType::Float32));
         })(Layer{f32({2}), st::arange(2)});
       }},
      {"grad.integer_second_argnum", "[grad]",
       [] {
         st::grad([](const Array& x,
                     const Array& i) { return st::sum(x * st::astype(i, DType::Float32)); },
                  st::argnums<0, 1>)(f32({2}), st::arange(2));
       }},
      {"grad.leaked_argument", "[grad]", [=] { st::grad(loss)(leaked_tracer()); }},
      {"grad.leaked_undifferentiated_argument", "[grad]",
       [] {
         st::grad([](const Array& x, const Array& y) { return st::sum(x * y); })(f32({3}),
                                                                                 leaked_tracer());
       }},
      {"grad.empty_argument", "[grad]", [=] { st::grad(loss)(Array()); }},
      {"grad.returns_empty", "[grad]",
       [] { st::grad([](const Array&) { return Array(); })(f32({3})); }},
      {"grad.returns_leaked_tracer", "[grad]",
       [] {
         const Array leaked = leaked_tracer({});
         st::grad([&](const Array&) { return leaked; })(f32({3}));
       }},
      {"grad.has_aux_non_scalar_loss", "[grad]",
       [] {
         st::grad([](const Array& x) { return std::pair{x, st::sum(x)}; }, st::has_aux)(f32({3}));
       }},
      {"grad.has_aux_integer_loss", "[grad]",
       [] {
         st::grad(
             [](const Array& x) {
               return std::pair{st::sum(st::astype(x, DType::Int32)), x};
             },
             st::has_aux)(f32({3}));
       }},
      {"grad.has_aux_empty_aux", "[grad]",
       [] {
         st::grad(
             [](const Array& x) {
               return std::pair{st::sum(x), Array()};
             },
             st::has_aux)(f32({3}));
       }},
      {"grad.has_aux_leaked_aux", "[grad]",
       [] {
         const Array leaked = leaked_tracer();
         st::grad(
             [&](const Array& x) {
               return std::pair{st::sum(x), leaked};
             },
             st::has_aux)(f32({3}));
       }},
      {"grad.of_grad_non_scalar", "[grad]", [=] { st::grad(st::grad(loss))(f32({3})); }},
      {"grad.non_scalar_under_jit", "[grad]",
       [=] { st::jit([=](const Array& x) { return st::grad(identity)(x); })(f32({3})); }},
      {"grad.non_scalar_under_vmap", "[grad]",
       [=] {
         st::vmap(st::grad(identity))(f32({2, 3}));
       }},
      {"value_and_grad.non_scalar_output", "[value_and_grad]",
       [=] { st::value_and_grad(identity)(f32({3})); }},
      {"value_and_grad.integer_input", "[value_and_grad]",
       [] {
         st::value_and_grad([](const Array& x) { return st::sum(st::astype(x, DType::Float32)); })(
             st::arange(3));
       }},
      {"value_and_grad.leaked_argument", "[value_and_grad]",
       [=] { st::value_and_grad(loss)(leaked_tracer()); }},
      {"value_and_grad.has_aux_non_scalar", "[value_and_grad]",
       [] {
         st::value_and_grad([](const Array& x) { return std::pair{x, x}; }, st::has_aux)(f32({3}));
       }},
      {"vjp.cotangent_structure", "[vjp]",
       [] {
         auto [out, pullback] = st::vjp(
             [](const Array& x) {
               return std::vector<Array>{x, x};
             },
             f32({3}));
         pullback(std::vector<Array>{st::ones({3})});
       }},
      {"vjp.cotangent_shape", "[vjp]",
       [] {
         auto [out, pullback] = st::vjp([](const Array& x) { return st::sin(x); }, f32({3}));
         pullback(st::ones({2, 3}));
       }},
      {"vjp.cotangent_dtype", "[vjp]",
       [] {
         auto [out, pullback] = st::vjp([](const Array& x) { return st::sin(x); }, f32({3}));
         pullback(st::ones({3}, DType::Int32));
       }},
      {"vjp.leaked_primal", "[vjp]",
       [] { (void)st::vjp([](const Array& x) { return st::sin(x); }, leaked_tracer()); }},
      {"vjp.empty_primal", "[vjp]",
       [] { (void)st::vjp([](const Array& x) { return st::sin(x); }, Array()); }},
      {"jvp.tangent_structure", "[jvp]",
       [] {
         (void)st::jvp([](const std::vector<Array>& v) { return v[0]; },
                       std::tuple{std::vector<Array>{f32({3})}},
                       std::tuple{std::vector<Array>{f32({3}), f32({3})}});
       }},
      {"jvp.tangent_shape", "[jvp]",
       [] {
         (void)st::jvp([](const Array& x) { return st::sin(x); }, std::tuple{f32({3})},
                       std::tuple{f32({2})});
       }},
      {"jvp.tangent_dtype", "[jvp]",
       [] {
         (void)st::jvp([](const Array& x) { return st::sin(x); }, std::tuple{f32({3})},
                       std::tuple{f64({3})});
       }},
      {"jvp.leaked_primal", "[jvp]",
       [] {
         (void)st::jvp([](const Array& x) { return st::sin(x); }, std::tuple{leaked_tracer()},
                       std::tuple{f32({3})});
       }},
      {"stop_gradient.empty", "[stop_gradient]", [] { (void)st::stop_gradient(Array()); }},
      {"stop_gradient.leaked_tracer", "[stop_gradient]",
       [] { (void)st::stop_gradient(leaked_tracer()); }},
      {"check_grads.float32_input", "[check_grads]",
       [] { st::check_grads([](const Array& x) { return st::sin(x); }, f32({3})); }},
  };
}
BAD_INPUTS_GROUP("Grad", grad_cases);

// ---------------------------------------------------------------- Vmap
Cases vmap_cases() {
  const auto twice = [](const Array& x) { return x * 2.0; };
  const auto add = [](const Array& x, const Array& y) { return x + y; };
  return {
      {"in_axes.out_of_range", "[vmap]",
       [=] {
         st::vmap(twice, 2)(f32({2, 3}));
       }},
      {"in_axes.int_min", "[vmap]",
       [=] {
         st::vmap(twice, INT_MIN)(f32({2, 3}));
       }},
      {"in_axes.int_min_with_other_mapped", "[vmap]",
       [=] {
         st::vmap(add, {INT_MIN, 0})(f32({2, 3}), f32({2, 3}));
       }},
      {"in_axes.negative_out_of_range", "[vmap]",
       [=] {
         st::vmap(twice, -3)(f32({2, 3}));
       }},
      {"in_axes.zero_d_argument", "[vmap]", [=] { st::vmap(twice)(st::scalar(1.0f)); }},
      {"in_axes.zero_d_leaf_in_pair", "[vmap]",
       [] {
         st::vmap([](const std::pair<Array, Array>& p) { return p.first + p.second; })(
             std::pair{f32({2, 3}), st::scalar(1.0f)});
       }},
      {"batch.mismatched_sizes", "[vmap]",
       [=] {
         st::vmap(add)(f32({2, 3}), f32({3, 3}));
       }},
      {"batch.mismatched_in_struct", "[vmap]",
       [] {
         st::vmap([](const Layer& l) { return l.W + l.b; })(Layer{f32({4, 3}), f32({5, 3})});
       }},
      {"spec.too_many_entries", "[vmap]",
       [=] {
         st::vmap(add, {0, 0, st::none})(f32({2}), f32({2}));
       }},
      {"spec.too_few_entries", "[vmap]", [=] { st::vmap(add, {0})(f32({2}), f32({2})); }},
      {"spec.list_for_array", "[vmap]",
       [=] {
         st::vmap(twice, {{0, 0}})(f32({2}));
       }},
      {"spec.list_for_struct", "[vmap]",
       [] {
         st::vmap([](const Layer& l) { return l.W; }, {{0, st::none}})(Layer{f32({2}), f32({2})});
       }},
      {"spec.list_wrong_arity_for_pair", "[vmap]",
       [] {
         st::vmap([](const std::pair<Array, Array>& p) { return p.first; },
                  {{0, 0, 0}})(std::pair{f32({2}), f32({2})});
       }},
      {"spec.fields_missing_name", "[vmap]",
       [] {
         st::vmap([](const Layer& l) { return l.W + l.b; },
                  {st::AxisSpec::fields({{"W", 0}})})(Layer{f32({2}), f32({2})});
       }},
      {"spec.fields_unknown_name", "[vmap]",
       [] {
         st::vmap(
             [](const Layer& l) { return l.W + l.b; },
             {st::AxisSpec::fields({{"W", 0}, {"b", 0}, {"c", 0}})})(Layer{f32({2}), f32({2})});
       }},
      {"spec.fields_for_array", "[vmap]",
       [=] {
         st::vmap(twice, {st::AxisSpec::fields({{"W", 0}})})(f32({2}));
       }},
      {"spec.fields_missing_map_key", "[vmap]",
       [] {
         using M = std::map<std::string, Array>;
         st::vmap([](const M& m) { return m.at("a"); },
                  {st::AxisSpec::fields({{"a", 0}})})(M{{"a", f32({2})}, {"b", f32({2})}});
       }},
      {"out_axes.none_for_mapped_output", "[vmap]",
       [=] {
         st::vmap(twice, 0, st::none)(f32({2, 3}));
       }},
      {"out_axes.out_of_range", "[vmap]",
       [=] {
         st::vmap(twice, 0, 2)(f32({2, 3}));
       }},
      {"out_axes.negative_out_of_range", "[vmap]",
       [=] {
         st::vmap(twice, 0, -3)(f32({2, 3}));
       }},
      {"out_axes.too_many_entries", "[vmap]",
       [] {
         st::vmap([](const Array& x) { return std::pair{x, x}; }, 0, {0, 0, 0})(f32({2}));
       }},
      {"axis_size.nothing_mapped", "[vmap]", [=] { st::vmap(twice, st::none)(f32({2})); }},
      {"axis_size.mismatch", "[vmap]",
       [=] {
         st::vmap(twice, 0, 0, 3)(f32({2, 3}));
       }},
      {"axis_size.overflowing_broadcast", "[vmap]",
       [] { st::vmap([](const Array& x) { return x * 2.0; }, st::none, 0, INT64_MAX)(f32({2})); }},
      {"axis_size.negative", "[vmap]", [=] { st::vmap(twice, st::none, 0, -1)(f32({2})); }},
      {"leaked_argument", "[vmap]", [=] { st::vmap(twice)(leaked_tracer()); }},
      {"empty_argument", "[vmap]", [=] { st::vmap(twice)(Array()); }},
      {"empty_unmapped_argument", "[vmap]",
       [=] {
         st::vmap(add, {0, st::none})(f32({2}), Array());
       }},
      {"returns_empty", "[vmap]", [] { st::vmap([](const Array&) { return Array(); })(f32({2})); }},
      {"item_of_example", "[Array::item]",
       [] { st::vmap([](const Array& x) { return x * x.item<float>(); })(f32({2})); }},
      {"nested.inner_axis_out_of_range", "[vmap]",
       [=] {
         st::vmap([=](const Array& x) { return st::vmap(twice, 1)(x); })(f32({2, 3}));
       }},
      {"nested.inner_zero_d", "[vmap]",
       [=] { st::vmap([=](const Array& x) { return st::vmap(twice)(x); })(f32({2})); }},
  };
}
BAD_INPUTS_GROUP("Vmap", vmap_cases);

BAD_INPUTS_TEST(Grad)
BAD_INPUTS_TEST(Vmap)

}  // namespace
