// The catalogue of bad inputs: scan / fold, checkpoint policies and jit.
// See catalogue.h for how the cases run.
#include <cstdint>
#include <utility>
#include <vector>

#include "errors/catalogue.h"

namespace {

namespace st = strata;
using st::Array;
using st::CheckpointPolicy;
using st::DType;
using st::Shape;
using st::testing::errors::Cases;
using st::testing::errors::f32;
using st::testing::errors::kBig;
using st::testing::errors::leaked_tracer;

struct Layer {
  Array W, b;
  STRATA_TREE_MEMBERS(W, b)
};

// A body that keeps the carry: scan(keep, init, xs) is valid whenever init and xs are.
const auto keep = [](const Array& c, const Array& x) { return std::pair{c, x}; };
const auto keep_none = [](const Array& c, st::None) { return std::pair{c, st::None{}}; };

// grad of a scan with this policy over 6 layers of a (2,) carry.
void grad_scan_with(const CheckpointPolicy& policy) {
  st::grad([&](const Array& w) {
    const auto body = [](const Array& c, const Array& x) {
      return std::pair{st::tanh(c * x), st::None{}};
    };
    return st::sum(st::scan(body, st::ones({2}), w, {.checkpoint = policy}).first);
  })(st::ones({6, 2}));
}

// ---------------------------------------------------------------- Scan
Cases scan_cases() {
  return {
      {"carry.dtype_change", "[scan]",
       [] {
         st::scan(
             [](const Array& c, const Array& x) {
               return std::pair{st::astype(c + x, DType::Float64), x};
             },
             st::zeros({2}), f32({3, 2}));
       }},
      {"carry.to_integer", "[scan]",
       [] {
         st::scan(
             [](const Array& c, st::None) {
               return std::pair{st::astype(c, DType::Int32), st::None{}};
             },
             st::zeros({2}), st::None{}, {.length = 3});
       }},
      {"carry.shape_change", "[scan]",
       [] {
         st::scan(
             [](const Array& c, st::None) {
               return std::pair{st::concatenate({c, c}), st::None{}};
             },
             st::zeros({2}), st::None{}, {.length = 3});
       }},
      {"carry.structure_change", "[scan]",
       [] {
         st::scan(
             [](const std::vector<Array>& c, st::None) {
               return std::pair{std::vector<Array>{c[0], c[0]}, st::None{}};
             },
             std::vector<Array>{st::zeros({2})}, st::None{}, {.length = 2});
       }},
      {"carry.pair_second_dtype", "[scan]",
       [] {
         using C = std::pair<Array, Array>;
         st::scan(
             [](const C& c, st::None) {
               return std::pair{C{c.first, st::astype(c.second, DType::Float16)}, st::None{}};
             },
             C{st::zeros({2}), st::zeros({3})}, st::None{}, {.length = 2});
       }},
      {"carry.empty_init", "[scan]",
       [] {
         st::scan(keep, Array(), f32({3, 2}));
       }},
      {"carry.leaked_init", "[scan]",
       [] {
         st::scan(keep, leaked_tracer({2}), f32({3, 2}));
       }},
      {"xs.length_mismatch", "[scan]",
       [] {
         st::scan(
             [](const Array& c, const std::vector<Array>& x) {
               return std::pair{c, x[0]};
             },
             st::zeros({2}), std::vector<Array>{st::zeros({3}), st::zeros({4})});
       }},
      {"xs.length_option_mismatch", "[scan]",
       [] {
         st::scan(keep, st::zeros({2}), f32({3, 2}), {.length = 5});
       }},
      {"xs.scalar_leaf", "[scan]", [] { st::scan(keep, st::zeros({2}), st::scalar(1.0f)); }},
      {"xs.empty", "[scan]", [] { st::scan(keep, st::zeros({2}), Array()); }},
      {"xs.leaked", "[scan]",
       [] {
         st::scan(keep, st::zeros({3}), leaked_tracer({2, 3}));
       }},
      {"xs.none_without_length", "[scan]", [] { st::scan(keep_none, st::zeros({2}), st::None{}); }},
      {"xs.empty_vector_without_length", "[scan]",
       [] {
         st::scan(
             [](const Array& c, const std::vector<Array>&) {
               return std::pair{c, st::None{}};
             },
             st::zeros({2}), std::vector<Array>{});
       }},
      {"options.negative_length", "[scan]",
       [] { st::scan(keep_none, st::zeros({2}), st::None{}, {.length = -1}); }},
      {"options.unroll_zero", "[scan]",
       [] { st::scan(keep_none, st::zeros({2}), st::None{}, {.length = 3, .unroll = 0}); }},
      {"options.unroll_negative", "[scan]",
       [] {
         st::scan(keep, st::zeros({2}), f32({3, 2}), {.unroll = -2});
       }},
      {"options.overflowing_length", "[scan]",
       [] {
         st::scan(
             [](const Array& c, st::None) {
               return std::pair{c, c};
             },
             st::ones({1}), st::None{}, {.length = int64_t{1} << 62});
       }},
      {"body.item_of_traced", "[Array::item]",
       [] {
         st::scan(
             [](const Array& c, const Array& x) {
               (void)x.item<float>();
               return std::pair{c, x};
             },
             st::zeros({}), f32({3}));
       }},
      {"body.empty_y", "[scan]",
       [] {
         st::scan(
             [](const Array& c, const Array&) {
               return std::pair{c, Array()};
             },
             st::zeros({2}), f32({3, 2}));
       }},
      {"body.empty_carry", "[scan]",
       [] {
         st::scan(
             [](const Array&, const Array& x) {
               return std::pair{Array(), x};
             },
             st::zeros({2}), f32({3, 2}));
       }},
      {"body.leaked_y", "[scan]",
       [] {
         const Array leaked = leaked_tracer({2});
         st::scan(
             [&](const Array& c, const Array&) {
               return std::pair{c, leaked};
             },
             st::zeros({2}), f32({3, 2}));
       }},
      {"carry.change_under_jit", "[scan]",
       [] {
         st::jit([](const Array& x) {
           return st::scan(
                      [](const Array& c, const Array& r) {
                        return std::pair{c * r, r};
                      },
                      st::zeros({1}), x)
               .first;
         })(f32({3, 2}));
       }},
      {"carry.change_under_grad", "[scan]",
       [] {
         st::grad([](const Array& x) {
           return st::sum(st::scan(
                              [](const Array& c, const Array& r) {
                                return std::pair{c * r, r};
                              },
                              st::zeros({1}), x)
                              .first);
         })(f32({3, 2}));
       }},
      {"xs.length_mismatch_under_vmap", "[scan]",
       [] {
         st::vmap([](const Array& x) {
           return st::scan(
                      [](const Array& c, const std::pair<Array, Array>& r) {
                        return std::pair{c + r.first + r.second, c};
                      },
                      st::zeros({}), std::pair{x, f32({4})})
               .first;
         })(f32({2, 3}));
       }},
      {"fold.carry_shape_change", "[fold]",
       [] {
         st::fold(
             [](const Array& c, const Array& x) {
               return st::concatenate({c, x});
             },
             st::zeros({2}), f32({3, 2}));
       }},
      {"fold.carry_dtype_change", "[fold]",
       [] {
         st::fold([](const Array& c, const Array& x) { return st::astype(c + x, DType::Float64); },
                  st::zeros({2}), f32({3, 2}));
       }},
      {"fold.xs_length_mismatch", "[fold]",
       [] {
         st::fold([](const Array& c,
                     const std::pair<Array, Array>& x) { return c + x.first + x.second; },
                  st::zeros({}), std::pair{f32({3}), f32({4})});
       }},
      {"fold.none_without_length", "[fold]",
       [] { st::fold([](const Array& c, st::None) { return c; }, st::zeros({2}), st::None{}); }},
  };
}
BAD_INPUTS_GROUP("Scan", scan_cases);

// ---------------------------------------------------------------- Checkpoint policies
Cases checkpoint_cases() {
  using Save = CheckpointPolicy::Save;
  return {
      {"scan.names_without_save_names", "[scan]",
       [] {
         st::scan(keep, st::zeros({2}), f32({3, 2}),
                  {.checkpoint = CheckpointPolicy{Save::Everything, {"a"}, {}, {}}});
       }},
      {"scan.save_names_empty", "[scan]",
       [] {
         st::scan(keep, st::zeros({2}), f32({3, 2}),
                  {.checkpoint = CheckpointPolicy::save_names({})});
       }},
      {"scan.save_names_empty_string", "[scan]",
       [] {
         st::scan(keep, st::zeros({2}), f32({3, 2}),
                  {.checkpoint = CheckpointPolicy::save_names({"pre", ""})});
       }},
      {"scan.nested_negative", "[scan]",
       [] {
         st::scan(keep, st::zeros({2}), f32({3, 2}), {.checkpoint = CheckpointPolicy::nested(-1)});
       }},
      {"scan.budget_negative", "[scan]",
       [] {
         st::scan(keep, st::zeros({2}), f32({3, 2}), {.checkpoint = CheckpointPolicy::budget(-5)});
       }},
      {"scan.budget_with_nested", "[scan]",
       [] {
         CheckpointPolicy p = CheckpointPolicy::budget(1 << 20);
         p.nested_blocks = 2;
         st::scan(keep, st::zeros({2}), f32({3, 2}), {.checkpoint = p});
       }},
      {"scan.budget_with_save_mode", "[scan]",
       [] {
         CheckpointPolicy p = CheckpointPolicy::budget(1 << 20);
         p.save = Save::Carries;
         st::scan(keep, st::zeros({2}), f32({3, 2}), {.checkpoint = p});
       }},
      {"grad_scan.nested_not_divisor", "[scan]",
       [] { grad_scan_with(CheckpointPolicy::nested(4)); }},
      {"grad_scan.nested_more_blocks_than_layers", "[scan]",
       [] { grad_scan_with(CheckpointPolicy::nested(12)); }},
      {"grad_scan.budget_too_small", "[scan]", [] { grad_scan_with(CheckpointPolicy::budget(1)); }},
      {"grad_scan.save_names_empty", "[scan]",
       [] { grad_scan_with(CheckpointPolicy::save_names({})); }},
      {"fold.save_names_empty", "[fold]",
       [] {
         st::fold([](const Array& c, const Array& x) { return c + x; }, st::zeros({2}), f32({3, 2}),
                  {.checkpoint = CheckpointPolicy::save_names({})});
       }},
      {"parse.unknown", "[CheckpointPolicy]", [] { (void)CheckpointPolicy::parse("sometimes"); }},
      {"parse.empty", "[CheckpointPolicy]", [] { (void)CheckpointPolicy::parse(""); }},
      {"checkpoint.nested_policy", "[checkpoint]",
       [] {
         st::checkpoint([](const Array& x) { return st::sin(x); },
                        CheckpointPolicy::nested(2))(f32({3}));
       }},
      {"checkpoint.budget_policy", "[checkpoint]",
       [] {
         st::checkpoint([](const Array& x) { return st::sin(x); },
                        CheckpointPolicy::budget(100))(f32({3}));
       }},
      {"checkpoint.save_names_empty", "[checkpoint]",
       [] {
         st::checkpoint([](const Array& x) { return st::sin(x); },
                        CheckpointPolicy::save_names({}))(f32({3}));
       }},
      {"checkpoint.names_without_save_names", "[checkpoint]",
       [] {
         st::checkpoint([](const Array& x) { return st::sin(x); },
                        CheckpointPolicy{Save::Carries, {"a"}, {}, {}})(f32({3}));
       }},
      {"checkpoint.leaked_argument", "[checkpoint]",
       [] { st::checkpoint([](const Array& x) { return st::sin(x); })(leaked_tracer()); }},
      {"checkpoint.empty_argument", "[checkpoint]",
       [] { st::checkpoint([](const Array& x) { return st::sin(x); })(Array()); }},
      {"checkpoint.under_grad_nested_policy", "[checkpoint]",
       [] {
         st::grad([](const Array& x) {
           return st::sum(st::checkpoint([](const Array& y) { return st::sin(y); },
                                         CheckpointPolicy::nested(0))(x));
         })(f32({3}));
       }},
      {"checkpoint_name.empty_array", "[checkpoint_name]",
       [] { (void)st::checkpoint_name(Array(), "a"); }},
      {"checkpoint_name.leaked_tracer", "[checkpoint_name]",
       [] { (void)st::checkpoint_name(leaked_tracer(), "a"); }},
      {"checkpoint_name.empty_name", "[checkpoint_name]",
       [] { (void)st::checkpoint_name(f32({2}), ""); }},
  };
}
BAD_INPUTS_GROUP("Checkpoint", checkpoint_cases);

// ---------------------------------------------------------------- Jit
Cases jit_cases() {
  const auto twice = [](const Array& x) { return x * 2.0; };
  return {
      {"leaked_argument", "[jit]", [=] { st::jit(twice)(leaked_tracer()); }},
      {"leaked_argument_cached_signature", "[jit]",
       [=] {
         const auto f = st::jit(twice);
         (void)f(st::ones({3}));
         (void)f(leaked_tracer());
       }},
      {"leaked_in_vector_argument", "[jit]",
       [] {
         st::jit([](const std::vector<Array>& v) { return v[0] + v[1]; })(
             std::vector<Array>{st::ones({3}), leaked_tracer()});
       }},
      {"leaked_in_struct_argument", "[jit]",
       [] {
         st::jit([](const Layer& l) { return l.W + l.b; })(Layer{st::ones({3}), leaked_tracer()});
       }},
      {"leaked_to_lower", "[jit]", [=] { (void)st::jit(twice).lower(leaked_tracer()); }},
      {"leaked_to_trace", "[trace]", [=] { (void)st::trace(twice, leaked_tracer()); }},
      {"leaked_to_inlined_jit", "[jit]",
       [=] {
         const Array leaked = leaked_tracer();
         st::jit([&](const Array& x) { return x + st::jit(twice)(leaked); })(st::ones({3}));
       }},
      {"empty_argument", "[jit]", [=] { st::jit(twice)(Array()); }},
      {"empty_in_pair_argument", "[jit]",
       [] {
         st::jit([](const std::pair<Array, Array>& p) { return p.first; })(
             std::pair{st::ones({2}), Array()});
       }},
      {"empty_to_trace", "[trace]", [=] { (void)st::trace(twice, Array()); }},
      {"returns_empty_array", "[jit]",
       [] { st::jit([](const Array&) { return Array(); })(st::ones({2})); }},
      {"returns_empty_in_pair", "[jit]",
       [] { st::jit([](const Array& x) {
              return std::pair{x, Array()};
            })(st::ones({2})); }},
      {"returns_leaked_tracer", "[jit]",
       [] {
         const Array leaked = leaked_tracer();
         st::jit([&](const Array& x) { return std::pair{x, leaked}; })(st::ones({3}));
       }},
      {"trace_returns_empty_array", "[trace]",
       [] { (void)st::trace([](const Array&) { return Array(); }, st::ones({2})); }},
      {"item_inside_trace", "[Array::item]",
       [] {
         (void)st::trace([](const Array& x) { return x * x.item<float>(); }, st::scalar(1.0f));
       }},
      {"to_vector_inside_nested_jit", "[Array::to_vector]",
       [] {
         st::jit([](const Array& x) {
           return st::jit([](const Array& y) {
             (void)y.to_vector<float>();
             return y;
           })(x);
         })(st::ones({2}));
       }},
      {"item_inside_scan_inside_jit", "[Array::item]",
       [] {
         st::jit([](const Array& xs) {
           return st::fold([](const Array& c, const Array& x) { return c + x.item<float>(); },
                           st::zeros({}), xs);
         })(f32({3}));
       }},
      {"leaked_closed_over_in_op", "[add]",
       [] {
         const Array leaked = leaked_tracer();
         st::jit([&](const Array& x) { return x + leaked; })(st::ones({3}));
       }},
      {"broadcast_overflow_under_jit", "[broadcast_to]",
       [] {
         st::jit([](const Array& x) { return st::broadcast_to(x, {kBig, kBig}); })(st::ones({1}));
       }},
      {"leaked_from_scan_body", "[jit]",
       [] {
         Array leaked;
         st::scan(
             [&](const Array& c, const Array& x) {
               leaked = x;
               return std::pair{c, x};
             },
             st::zeros({}), f32({3}));
         st::jit([](const Array& x) { return x + 1.0; })(leaked);
       }},
  };
}
BAD_INPUTS_GROUP("Jit", jit_cases);

BAD_INPUTS_TEST(Scan)
BAD_INPUTS_TEST(Checkpoint)
BAD_INPUTS_TEST(Jit)

}  // namespace
