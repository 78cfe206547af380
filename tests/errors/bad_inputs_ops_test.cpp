// The catalogue of bad inputs: ops (broadcasting, dtypes, reductions, shape ops, take,
// concatenate / stack / split, matmul / dot_general), eagerly and inside transforms.
// See catalogue.h for how the cases run.
#include <climits>
#include <cstdint>
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
using st::testing::errors::kBig;
using st::testing::errors::leaked_tracer;

// ---------------------------------------------------------------- Ops
Cases ops_cases() {
  return {
      // Broadcasting mismatches name the op the user called.
      {"add.mismatch", "[add]",
       [] {
         (void)(st::ones({2, 3}) + st::ones({4}));
       }},
      {"subtract.mismatch", "[subtract]",
       [] {
         (void)(st::ones({2, 3}) - st::ones({2}));
       }},
      {"multiply.mismatch", "[multiply]", [] { (void)(st::ones({3}) * st::ones({4})); }},
      {"divide.mismatch", "[divide]",
       [] {
         (void)(st::ones({3, 1, 2}) / st::ones({4, 3}));
       }},
      {"pow.mismatch", "[pow]", [] { (void)st::pow(st::ones({3}), st::ones({2})); }},
      {"maximum.mismatch", "[maximum]", [] { (void)st::maximum(st::ones({3}), st::ones({2})); }},
      {"minimum.mismatch", "[minimum]", [] { (void)st::minimum(st::ones({3}), st::ones({2})); }},
      {"equal.mismatch", "[equal]", [] { (void)(st::ones({3}) == st::ones({2})); }},
      {"less.mismatch", "[less]", [] { (void)(st::ones({3}) < st::ones({2})); }},
      {"greater_equal.mismatch", "[greater_equal]",
       [] { (void)st::greater_equal(st::ones({3}), st::ones({2})); }},
      {"logical_and.mismatch", "[logical_and]",
       [] { (void)st::logical_and(st::ones({3}), st::ones({2})); }},
      {"bitwise_or.mismatch", "[bitwise_or]",
       [] { (void)st::bitwise_or(st::zeros({3}, DType::Int32), st::zeros({2}, DType::Int32)); }},
      {"where.cond_mismatch", "[where]",
       [] {
         (void)st::where(st::array<bool>({true, false}), st::zeros({3}), st::zeros({3}));
       }},
      {"where.branch_mismatch", "[where]",
       [] { (void)st::where(st::array<bool>({true}), st::zeros({3}), st::zeros({2})); }},
      {"where.cond_does_not_broadcast", "[where]",
       [] { (void)st::where(st::ones({4}), st::zeros({3}), st::zeros({3})); }},
      {"where.empty_branch", "[where]",
       [] { (void)st::where(st::array<bool>({true}), Array(), st::zeros({1})); }},
      {"add.empty", "[add]", [] { (void)(Array() + st::ones({2})); }},
      {"exp.empty", "[exp]", [] { (void)st::exp(Array()); }},
      {"subtract.bool", "[subtract]",
       [] { (void)(st::array<bool>({true}) - st::array<bool>({false})); }},
      {"negative.bool", "[negative]", [] { (void)(-st::array<bool>({true})); }},
      // Bitwise ops and shifts on floats.
      {"bitwise_and.float", "[bitwise_and]",
       [] { (void)st::bitwise_and(st::ones({2}), st::zeros({2}, DType::UInt32)); }},
      {"bitwise_or.float", "[bitwise_or]",
       [] { (void)st::bitwise_or(st::ones({2}), st::ones({2})); }},
      {"bitwise_xor.float", "[bitwise_xor]",
       [] { (void)st::bitwise_xor(st::ones({2}, DType::Float64), st::ones({2}, DType::Int32)); }},
      {"bitwise_not.float", "[bitwise_not]", [] { (void)st::bitwise_not(st::ones({2})); }},
      {"shift_left.float_amount", "[shift_left]",
       [] { (void)st::shift_left(st::zeros({2}, DType::UInt32), st::ones({2})); }},
      {"shift_right_logical.bool", "[shift_right_logical]",
       [] {
         (void)st::shift_right_logical(st::zeros({2}, DType::Bool), st::zeros({2}, DType::UInt32));
       }},
      {"shift_right_arithmetic.float", "[shift_right_arithmetic]",
       [] {
         (void)st::shift_right_arithmetic(st::ones({2}, DType::Float16),
                                          st::zeros({2}, DType::Int32));
       }},
      // Reductions.
      {"sum.axis_out_of_range", "[sum]",
       [] {
         (void)st::sum(f32({2, 3, 4}), {3});
       }},
      {"sum.int_min_axis", "[sum]",
       [] {
         (void)st::sum(f32({2, 3}), {INT_MIN});
       }},
      {"argmin.int_min_axis", "[argmin]",
       [] {
         (void)st::argmin(f32({2, 3}), INT_MIN);
       }},
      {"sum.zero_d_axis", "[sum]", [] { (void)st::sum(st::scalar(1.0f), {0}); }},
      {"mean.negative_axis", "[mean]",
       [] {
         (void)st::mean(f32({2, 3, 4}), {-4});
       }},
      {"max.repeated_axis", "[max]",
       [] {
         (void)st::max(f32({2, 3}), {1, 1});
       }},
      {"min.repeated_negative_axis", "[min]",
       [] {
         (void)st::min(f32({2, 3}), {1, -1});
       }},
      {"max.empty_axis", "[max]",
       [] {
         (void)st::max(st::zeros({2, 0, 3}));
       }},
      {"min.empty_axis", "[min]",
       [] {
         (void)st::min(st::zeros({2, 0, 3}), {1});
       }},
      {"var.axis_out_of_range", "[var]",
       [] {
         (void)st::var(f32({2, 3}), {0, 5});
       }},
      {"logsumexp.axis_out_of_range", "[logsumexp]", [] { (void)st::logsumexp(f32({2}), {7}); }},
      {"mean_var.axis_out_of_range", "[mean_var]",
       [] {
         (void)st::mean_var(f32({2, 3}), {2});
       }},
      {"argmax.axis_out_of_range", "[argmax]",
       [] {
         (void)st::argmax(f32({2, 3}), 2);
       }},
      {"argmax.zero_d", "[argmax]", [] { (void)st::argmax(st::scalar(1.0f), 0); }},
      {"argmin.empty", "[argmin]",
       [] {
         (void)st::argmin(st::zeros({2, 0}), 1);
       }},
      {"softmax.int_min_axis", "[softmax]",
       [] {
         (void)st::softmax(f32({2, 3}), INT_MIN);
       }},
      {"softmax.axis_out_of_range", "[softmax]",
       [] {
         (void)st::softmax(f32({2, 3}), 2);
       }},
      {"log_softmax.zero_d", "[log_softmax]", [] { (void)st::log_softmax(st::scalar(1.0f)); }},
      {"sum.empty", "[sum]", [] { (void)st::sum(Array()); }},
      {"sum.leaked_tracer", "[sum]", [] { (void)st::sum(leaked_tracer()); }},
      {"mean.leaked_tracer", "[mean]", [] { (void)st::mean(leaked_tracer()); }},
      // Shape ops.
      {"reshape.wrong_size", "[reshape]",
       [] {
         (void)st::reshape(f32({2, 3, 4}), {5, 5});
       }},
      {"reshape.two_inferred", "[reshape]",
       [] {
         (void)st::reshape(f32({2, 3, 4}), {-1, -1});
       }},
      {"reshape.inferred_not_divisible", "[reshape]",
       [] {
         (void)st::reshape(f32({2, 3, 4}), {5, -1});
       }},
      {"reshape.negative", "[reshape]",
       [] {
         (void)st::reshape(f32({2, 3, 4}), {-2, 12});
       }},
      {"reshape.inferred_next_to_zero", "[reshape]",
       [] {
         (void)st::reshape(st::zeros({0, 4}), {0, -1});
       }},
      {"reshape.empty", "[reshape]", [] { (void)st::reshape(Array(), {1}); }},
      {"reshape.int64_min", "[reshape]",
       [] {
         (void)st::reshape(f32({2, 3}), {INT64_MIN});
       }},
      {"reshape.inferred_with_overflowing_others", "[reshape]",
       [] {
         (void)st::reshape(st::zeros({0}), {-1, kBig, kBig});
       }},
      {"reshape.leaked_tracer", "[reshape]",
       [] {
         (void)st::reshape(leaked_tracer(), {3, 1});
       }},
      {"transpose.short_perm", "[transpose]",
       [] {
         (void)st::transpose(f32({2, 3, 4}), {0, 1});
       }},
      {"transpose.repeated", "[transpose]",
       [] {
         (void)st::transpose(f32({2, 3, 4}), {0, 1, 1});
       }},
      {"transpose.out_of_range", "[transpose]",
       [] {
         (void)st::transpose(f32({2, 3, 4}), {0, 1, 3});
       }},
      {"transpose.negative_alias", "[transpose]",
       [] {
         (void)st::transpose(f32({2, 3, 4}), {2, -1, 0});
       }},
      {"transpose.int_min", "[transpose]",
       [] {
         (void)st::transpose(f32({2, 3}), {INT_MIN, 0});
       }},
      {"moveaxis.int_min", "[moveaxis]",
       [] {
         (void)st::moveaxis(f32({2, 3}), INT_MIN, 0);
       }},
      {"transpose.long_perm", "[transpose]",
       [] {
         (void)st::transpose(f32({2, 3}), {0, 1, 2});
       }},
      {"swapaxes.out_of_range", "[swapaxes]",
       [] {
         (void)st::swapaxes(f32({2, 3}), 0, 3);
       }},
      {"moveaxis.source_out_of_range", "[moveaxis]",
       [] {
         (void)st::moveaxis(f32({2, 3}), 2, 0);
       }},
      {"moveaxis.destination_out_of_range", "[moveaxis]",
       [] {
         (void)st::moveaxis(f32({2, 3}), 0, -3);
       }},
      {"broadcast_to.incompatible", "[broadcast_to]",
       [] { (void)st::broadcast_to(f32({3}), {4}); }},
      {"broadcast_to.fewer_dims", "[broadcast_to]",
       [] {
         (void)st::broadcast_to(f32({2, 3}), {3});
       }},
      {"broadcast_to.negative", "[broadcast_to]",
       [] {
         (void)st::broadcast_to(f32({3}), {-1, 3});
       }},
      {"expand_dims.out_of_range", "[expand_dims]",
       [] {
         (void)st::expand_dims(f32({2, 3}), 3);
       }},
      {"expand_dims.int_min", "[expand_dims]", [] { (void)st::expand_dims(f32({2}), INT_MIN); }},
      {"squeeze.int_min", "[squeeze]",
       [] {
         (void)st::squeeze(st::zeros({1, 2}), {INT_MIN});
       }},
      {"expand_dims.negative", "[expand_dims]",
       [] {
         (void)st::expand_dims(f32({2, 3}), -4);
       }},
      {"squeeze.not_one", "[squeeze]",
       [] {
         (void)st::squeeze(f32({2, 3}), {1});
       }},
      {"squeeze.out_of_range", "[squeeze]",
       [] {
         (void)st::squeeze(f32({2, 1}), {4});
       }},
      {"squeeze.repeated", "[squeeze]",
       [] {
         (void)st::squeeze(st::zeros({1, 2}), {0, -2});
       }},
      {"flatten.empty", "[flatten]", [] { (void)st::flatten(Array()); }},
      {"slice.zero_step", "[slice]",
       [] {
         (void)st::slice(f32({4, 5}), {st::Slice{}, st::Slice{0, 3, 0}});
       }},
      {"slice.too_many_specs", "[slice]",
       [] {
         (void)st::slice(f32({4, 5}), {st::Slice{}, st::Slice{}, st::Slice{}});
       }},
      {"slice.empty", "[slice]", [] { (void)st::slice(Array(), {}); }},
      // take: eager, and equally when the check runs inside a compiled graph.
      {"take.past_end", "[take]",
       [] {
         (void)st::take(f32({5, 2}), st::array({0, 5}));
       }},
      {"take.before_start", "[take]",
       [] {
         (void)st::take(f32({5, 2}), st::array({-6}));
       }},
      {"take.int64_past_end", "[take]",
       [] { (void)st::take(f32({5}), st::array<int64_t>({int64_t{1} << 40})); }},
      {"take.uint32_past_end", "[take]",
       [] { (void)st::take(f32({5}), st::array<uint32_t>({4294967295u})); }},
      {"take.float_indices", "[take]", [] { (void)st::take(f32({5}), st::array({1.0f})); }},
      {"take.bool_indices", "[take]", [] { (void)st::take(f32({5}), st::array<bool>({true})); }},
      {"take.float_indices_fill", "[take]",
       [] { (void)st::take(f32({5}), st::array({1.0f}), st::IndexMode::Fill); }},
      {"take.zero_d", "[take]", [] { (void)st::take(st::scalar(1.0f), st::array({0})); }},
      {"take.empty_indices", "[take]", [] { (void)st::take(f32({5}), Array()); }},
      {"take.empty_axis", "[take]",
       [] {
         (void)st::take(st::zeros({0, 2}), st::array({0}));
       }},
      {"take.past_end_under_jit", "[take]",
       [] {
         st::jit([](const Array& a, const Array& i) { return st::take(a, i); })(f32({5, 2}),
                                                                                st::array({1, 7}));
       }},
      {"take.before_start_under_jit", "[take]",
       [] {
         st::jit([](const Array& a, const Array& i) { return st::take(a, i); })(f32({5, 2}),
                                                                                st::array({-6}));
       }},
      {"take.past_end_cached_jit", "[take]",
       [] {
         const auto f = st::jit([](const Array& a, const Array& i) { return st::take(a, i); });
         (void)f(f32({5}), st::array({1, 2}));
         (void)f(f32({5}), st::array({1, 9}));
       }},
      {"take.past_end_under_vmap", "[take]",
       [] {
         st::vmap([](const Array& i) { return st::take(f32({5}), i); })(st::array({0, 5}));
       }},
      {"take.past_end_in_scan", "[take]",
       [] {
         const Array table = f32({5});
         st::scan(
             [&](const Array& c, const Array& i) {
               return std::pair{c + st::take(table, i), c};
             },
             st::zeros({1}), st::array({1, 5}, {2, 1}));
       }},
      {"take.past_end_under_grad", "[take]",
       [] {
         st::grad([](const Array& a) { return st::sum(st::take(a, st::array({3}))); })(f32({3}));
       }},
      {"take.int64_min", "[take]",
       [] { (void)st::take(f32({5}), st::array<int64_t>({INT64_MIN})); }},
      {"take.int64_min_under_jit", "[take]",
       [] {
         st::jit([](const Array& a, const Array& i) { return st::take(a, i); })(
             f32({5}), st::array<int64_t>({0, INT64_MIN}));
       }},
      {"take.int64_past_end_under_jit", "[take]",
       [] {
         st::jit([](const Array& a, const Array& i) { return st::take(a, i); })(
             f32({5}), st::array<int64_t>({int64_t{1} << 40}));
       }},
      {"take.uint32_past_end_under_vmap", "[take]",
       [] {
         st::vmap([](const Array& i) { return st::take(f32({5}), i); })(
             st::array<uint32_t>({0u, 4294967295u}));
       }},
      {"take.leaked_tracer", "[take]", [] { (void)st::take(leaked_tracer(), st::array({0})); }},
      // concatenate / stack / split.
      {"concatenate.no_arrays", "[concatenate]", [] { (void)st::concatenate({}); }},
      {"concatenate.shape_mismatch", "[concatenate]",
       [] {
         (void)st::concatenate({f32({2, 3}), f32({2, 4})});
       }},
      {"concatenate.rank_mismatch", "[concatenate]",
       [] {
         (void)st::concatenate({f32({2, 3}), f32({3})});
       }},
      {"concatenate.zero_d", "[concatenate]",
       [] {
         (void)st::concatenate({st::scalar(1.0f), st::scalar(2.0f)});
       }},
      {"concatenate.axis_out_of_range", "[concatenate]",
       [] {
         (void)st::concatenate({f32({2, 3}), f32({2, 3})}, 2);
       }},
      {"concatenate.empty_member", "[concatenate]",
       [] {
         (void)st::concatenate({f32({2, 3}), Array()});
       }},
      {"concatenate.leaked_tracer", "[concatenate]",
       [] {
         (void)st::concatenate({f32({3}), leaked_tracer()});
       }},
      {"stack.no_arrays", "[stack]", [] { (void)st::stack({}); }},
      {"stack.shape_mismatch", "[stack]",
       [] {
         (void)st::stack({f32({2, 3}), f32({3, 2})});
       }},
      {"stack.axis_out_of_range", "[stack]",
       [] {
         (void)st::stack({f32({2}), f32({2})}, 2);
       }},
      {"stack.int_min_axis", "[stack]",
       [] {
         (void)st::stack({f32({2}), f32({2})}, INT_MIN);
       }},
      {"concatenate.int_min_axis", "[concatenate]",
       [] {
         (void)st::concatenate({f32({2}), f32({2})}, INT_MIN);
       }},
      {"stack.negative_axis", "[stack]",
       [] {
         (void)st::stack({f32({2}), f32({2})}, -3);
       }},
      {"stack.empty_member", "[stack]",
       [] {
         (void)st::stack({Array(), f32({2})});
       }},
      {"split.uneven", "[split]", [] { (void)st::split(f32({7}), 3); }},
      {"split.zero_sections", "[split]", [] { (void)st::split(f32({6}), 0); }},
      {"split.negative_sections", "[split]", [] { (void)st::split(f32({6}), -2); }},
      {"split.axis_out_of_range", "[split]", [] { (void)st::split(f32({6}), 2, 2); }},
      {"split.zero_d", "[split]", [] { (void)st::split(st::scalar(1.0f), 1); }},
      {"split.indices_axis_out_of_range", "[split]",
       [] {
         (void)st::split(f32({6}), std::vector<int64_t>{2, 4}, 1);
       }},
      // matmul / dot_general.
      {"matmul.inner_mismatch", "[matmul]",
       [] {
         (void)st::matmul(f32({2, 3}), f32({2, 3}));
       }},
      {"matmul.vector_mismatch", "[matmul]", [] { (void)st::matmul(f32({3}), f32({4})); }},
      {"matmul.batch_mismatch", "[matmul]",
       [] {
         (void)st::matmul(f32({2, 2, 3}), f32({3, 3, 2}));
       }},
      {"matmul.zero_d", "[matmul]",
       [] {
         (void)st::matmul(st::scalar(2.0f), f32({2, 2}));
       }},
      {"matmul.empty", "[matmul]",
       [] {
         (void)st::matmul(Array(), f32({2, 2}));
       }},
      {"matmul.leaked_tracer", "[matmul]",
       [] {
         (void)st::matmul(leaked_tracer({2, 2}), f32({2, 2}));
       }},
      {"matmul.mismatch_under_jit", "[matmul]",
       [] {
         st::jit([](const Array& a, const Array& b) { return st::matmul(a, b); })(f32({2, 3}),
                                                                                  f32({4, 2}));
       }},
      {"matmul.mismatch_under_vmap", "[matmul]",
       [] {
         st::vmap([](const Array& a) { return st::matmul(a, f32({4, 2})); })(f32({5, 3}));
       }},
      {"matmul.mismatch_under_grad", "[matmul]",
       [] {
         st::grad([](const Array& a) { return st::sum(st::matmul(a, f32({4, 2}))); })(f32({2, 3}));
       }},
      {"dot_general.contract_size", "[dot_general]",
       [] {
         (void)st::dot_general(f32({2, 3}), f32({4, 2}), {{1}, {0}, {}, {}});
       }},
      {"dot_general.axis_out_of_range", "[dot_general]",
       [] {
         (void)st::dot_general(f32({2, 3}), f32({3, 2}), {{2}, {0}, {}, {}});
       }},
      {"dot_general.contract_count", "[dot_general]",
       [] {
         (void)st::dot_general(f32({2, 3}), f32({3, 2}), {{1}, {0, 1}, {}, {}});
       }},
      {"dot_general.batch_count", "[dot_general]",
       [] {
         (void)st::dot_general(f32({2, 2, 3}), f32({2, 3, 2}), {{2}, {1}, {0}, {}});
       }},
      {"dot_general.batch_size", "[dot_general]",
       [] {
         (void)st::dot_general(f32({2, 2, 3}), f32({3, 3, 2}), {{2}, {1}, {0}, {0}});
       }},
      {"dot_general.repeated_axis", "[dot_general]",
       [] {
         (void)st::dot_general(f32({3, 3}), f32({3, 3}), {{0, 0}, {0, 1}, {}, {}});
       }},
      {"dot_general.batch_and_contract", "[dot_general]",
       [] {
         (void)st::dot_general(f32({3, 3}), f32({3, 3}), {{0}, {0}, {0}, {0}});
       }},
      {"dot_general.int_min_axis", "[dot_general]",
       [] {
         (void)st::dot_general(f32({2, 3}), f32({3, 2}), {{INT_MIN}, {0}, {}, {}});
       }},
      {"dot_general.negative_axis", "[dot_general]",
       [] {
         (void)st::dot_general(f32({2, 3}), f32({3, 2}), {{-3}, {0}, {}, {}});
       }},
      // Ops inside traces name the op, not a primitive.
      {"add.mismatch_under_jit", "[add]",
       [] {
         st::jit([](const Array& a, const Array& b) { return a + b; })(f32({2, 3}), f32({4}));
       }},
      {"mean.axis_under_jit", "[mean]",
       [] {
         st::jit([](const Array& a) { return st::mean(a, {2}); })(f32({2, 3}));
       }},
      {"reshape.wrong_size_under_grad", "[reshape]",
       [] {
         st::grad([](const Array& a) { return st::sum(st::reshape(a, {4})); })(f32({2, 3}));
       }},
      {"transpose.bad_perm_in_scan", "[transpose]",
       [] {
         st::fold(
             [](const Array& c, const Array& x) {
               return c + st::transpose(x, {0, 0});
             },
             f32({2, 2}), f32({3, 2, 2}));
       }},
      {"concatenate.mismatch_under_vmap", "[concatenate]",
       [] {
         st::vmap([](const Array& a) { return st::concatenate({a, f32({2, 2})}); })(f32({4, 3}));
       }},
      {"multiply.leaked_tracer_closed_over", "[multiply]",
       [] {
         const Array leaked = leaked_tracer();
         st::grad([&](const Array& x) { return st::sum(x * leaked); })(st::ones({3}));
       }},
      {"add.leaked_tracer", "[add]", [] { (void)(leaked_tracer() + 1.0); }},
      {"where.leaked_tracer", "[where]",
       [] {
         (void)st::where(st::array<bool>({true, false, true}), leaked_tracer(), 0.0);
       }},
  };
}
BAD_INPUTS_GROUP("Ops", ops_cases);

BAD_INPUTS_TEST(Ops)

}  // namespace
