// The catalogue of bad inputs: Array handles, read-back, indexing, creation, random numbers,
// and the harness itself.
// See catalogue.h for how the cases run.
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "errors/catalogue.h"
#include "strata/random.h"

namespace {

namespace st = strata;
namespace rnd = strata::random;
using st::Array;
using st::DType;
using st::Shape;
using st::testing::errors::Cases;
using st::testing::errors::f32;
using st::testing::errors::kBig;
using st::testing::errors::leaked_tracer;

// ---------------------------------------------------------------- Core
Cases core_cases() {
  return {
    // Empty (default-constructed) handles.
    {"empty.shape", "[Array]", [] { (void)Array().shape(); }},
        {"empty.shape_axis", "[Array]", [] { (void)Array().shape(0); }},
        {"empty.ndim", "[Array]", [] { (void)Array().ndim(); }},
        {"empty.size", "[Array]", [] { (void)Array().size(); }},
        {"empty.dtype", "[Array]", [] { (void)Array().dtype(); }},
        {"empty.strides", "[Array]", [] { (void)Array().strides(); }},
        {"empty.nbytes", "[Array]", [] { (void)Array().nbytes(); }},
        {"empty.is_traced", "[Array]", [] { (void)Array().is_traced(); }},
        {"empty.data", "[Array]", [] { (void)Array().data(); }},
        {"empty.item", "[Array]", [] { (void)Array().item<float>(); }},
        {"empty.to_vector", "[Array]", [] { (void)Array().to_vector<float>(); }},
        {"empty.index", "[Array]", [] { (void)Array()[0]; }},
        {"empty.slice_method", "[Array]", [] { (void)Array().slice(0, 1); }},
        {"empty.astype_method", "[astype]", [] { (void)Array().astype(DType::Float64); }},
        {"empty.astype", "[astype]", [] { (void)st::astype(Array(), DType::Int32); }},
        {"empty.zeros_like", "[zeros_like]", [] { (void)st::zeros_like(Array()); }},
        {"empty.ones_like", "[ones_like]", [] { (void)st::ones_like(Array()); }},
        {"empty.full_like", "[full_like]", [] { (void)st::full_like(Array(), 2.0); }},
        // Read-back with the wrong element type or element count.
        {"item.wrong_dtype", "[Array::item]", [] { (void)st::scalar(1.0f).item<double>(); }},
        {"item.int_as_float", "[Array::item]", [] { (void)st::scalar<int32_t>(1).item<float>(); }},
        {"item.two_elements", "[Array::item]", [] { (void)st::ones({2}).item<float>(); }},
        {"item.zero_elements", "[Array::item]", [] { (void)st::zeros({0}).item<float>(); }},
        {"to_vector.wrong_dtype", "[Array::to_vector]",
         [] { (void)st::ones({3}).to_vector<int32_t>(); }},
        {"to_vector.bool_as_uint8", "[Array::to_vector]",
         [] { (void)st::array<bool>({true}).to_vector<uint8_t>(); }},
        {"data.wrong_dtype", "[Array::data]", [] { (void)st::ones({3}).data<double>(); }},
        // Read-back of traced values (inside jit) and of leaked tracers.
        {"item.traced_in_jit", "[Array::item]",
         [] {
           st::jit([](const Array& x) {
             (void)x.item<float>();
             return x;
           })(st::scalar(1.0f));
         }},
        {"to_vector.traced_in_jit", "[Array::to_vector]",
         [] {
           st::jit([](const Array& x) {
             (void)x.to_vector<float>();
             return x;
           })(st::ones({2}));
         }},
        {"data.traced_in_jit", "[Array::data]",
         [] {
           st::jit([](const Array& x) {
             (void)x.data<float>();
             return x;
           })(st::ones({2}));
         }},
        {"data.untyped_traced_in_jit", "[Array::data]",
         [] {
           st::jit([](const Array& x) {
             (void)x.data();
             return x;
           })(st::ones({2}));
         }},
        {"item.leaked_tracer", "[Array::item]", [] { (void)leaked_tracer({}).item<float>(); }},
        {"to_vector.leaked_tracer", "[Array::to_vector]",
         [] { (void)leaked_tracer().to_vector<float>(); }},
        {"data.leaked_tracer", "[Array::data]", [] { (void)leaked_tracer().data<float>(); }},
        // Indexing and slicing the leading axis.
        {"index.past_end", "[Array::operator[]]", [] { (void)st::ones({3})[3]; }},
        {"index.before_start", "[Array::operator[]]", [] { (void)st::ones({3})[-4]; }},
        {"index.zero_d", "[Array::operator[]]", [] { (void)st::scalar(1.0f)[0]; }},
        {"index.size_zero_axis", "[Array::operator[]]",
         [] {
           (void)st::zeros({0, 2})[0];
         }},
        {"index.leaked_tracer", "[Array::operator[]]",
         [] {
           (void)leaked_tracer({2, 3})[1];
         }},
        {"shape_axis.past_end", "[Array::shape]",
         [] {
           (void)st::ones({2, 3}).shape(2);
         }},
        {"index.int64_min", "[Array::operator[]]", [] { (void)st::ones({3})[INT64_MIN]; }},
        {"shape_axis.int_min", "[Array::shape]",
         [] {
           (void)st::ones({2, 3}).shape(INT_MIN);
         }},
        {"shape_axis.before_start", "[Array::shape]",
         [] {
           (void)st::ones({2, 3}).shape(-3);
         }},
        {"slice_method.zero_step", "[Array::slice]", [] { (void)st::ones({4}).slice(0, 2, 0); }},
        {"slice_method.zero_d", "[Array::slice]", [] { (void)st::scalar(1.0f).slice(0, 1); }},
        // array() with the wrong number of values or a bad shape.
        {"array.too_few_values", "[array]",
         [] {
           (void)st::array({1.0f, 2.0f, 3.0f}, {2, 2});
         }},
        {"array.too_many_values", "[array]",
         [] {
           (void)st::array(std::vector<int32_t>{1, 2, 3, 4, 5}, {2, 2});
         }},
        {"array.bool_count", "[array]", [] { (void)st::array<bool>({true}, {2}); }},
        {"array.negative_dim", "[array]", [] { (void)st::array({1.0f}, {-1}); }},
        {"array.negative_dims_product_matches", "[array]",
         [] {
           (void)st::array({1.0f, 2.0f}, {-1, -2});
         }},
        {"array.no_values_huge_shape", "[array]",
         [] { (void)st::array(std::vector<float>{}, {int64_t{1} << 40}); }},
        {"array.overflowing_shape", "[array]",
         [] {
           (void)st::array(std::vector<float>{}, {kBig, kBig});
         }},
        {"array.zero_d_two_values", "[array]",
         [] {
           (void)st::array({1.0, 2.0}, Shape{});
         }},
        // Creation with negative or overflowing shapes.
        {"zeros.negative", "[zeros]",
         [] {
           (void)st::zeros({2, -1});
         }},
        {"ones.negative", "[ones]", [] { (void)st::ones({-3}); }},
        {"full.negative", "[full]", [] { (void)st::full({-3}, 1.0); }},
        {"zeros.overflow", "[zeros]",
         [] {
           (void)st::zeros({kBig, kBig});
         }},
        {"ones.overflow", "[ones]",
         [] {
           (void)st::ones({kBig, kBig});
         }},
        {"full.overflow", "[full]",
         [] {
           (void)st::full({kBig, kBig, 2}, 1.0);
         }},
        {"zeros.overflow_three_dims", "[zeros]",
         [] {
           (void)st::zeros({1 << 22, 1 << 22, 1 << 22});
         }},
        {"zeros.bytes_overflow", "[zeros]",
         [] { (void)st::zeros({int64_t{1} << 61}, DType::Float64); }},
        {"ones.int64_min_dim", "[ones]", [] { (void)st::ones({INT64_MIN}); }},
        {"iota.overflow", "[iota]",
         [] {
           (void)st::iota(DType::Int32, {kBig, kBig});
         }},
        {"iota.negative", "[iota]", [] { (void)st::iota(DType::Int32, {-3}, 0); }},
        {"iota.axis_out_of_range", "[iota]",
         [] {
           (void)st::iota(DType::Int32, {2, 3}, 2);
         }},
        {"iota.negative_axis", "[iota]",
         [] {
           (void)st::iota(DType::Int32, {2, 3}, -3);
         }},
        {"iota.zero_d", "[iota]", [] { (void)st::iota(DType::Int32, {}, 0); }},
        {"iota.bool", "[iota]", [] { (void)st::iota(DType::Bool, {3}, 0); }},
        {"eye.negative_n", "[eye]", [] { (void)st::eye(-1); }},
        {"eye.negative_m", "[eye]", [] { (void)st::eye(2, -3); }},
        {"eye.overflow", "[eye]", [] { (void)st::eye(kBig); }},
        {"arange.zero_step", "[arange]", [] { (void)st::arange(0.0, 1.0, 0.0); }},
        {"arange.infinite_stop", "[arange]", [] { (void)st::arange(0.0, INFINITY, 1.0); }},
        {"arange.nan_start", "[arange]", [] { (void)st::arange(NAN, 1.0, 1.0); }},
        {"arange.too_many", "[arange]", [] { (void)st::arange(0.0, 1e30, 1.0); }},
        {"arange.bool", "[arange]", [] { (void)st::arange(3, DType::Bool); }},
        {"arange.int64_max_stop", "[arange]", [] { (void)st::arange(INT64_MAX); }},
        {"arange.negative_int_stop_dtype_bool", "[arange]",
         [] { (void)st::arange(-3, DType::Bool); }},
        {"iota.int_min_axis", "[iota]",
         [] {
           (void)st::iota(DType::Int32, {2, 3}, INT_MIN);
         }},
        {"arange.bool_float_form", "[arange]",
         [] { (void)st::arange(0.0, 1.0, 1.0, DType::Bool); }},
        {"reshape.overflow", "[reshape]",
         [] {
           (void)st::reshape(st::zeros({0}), {kBig, kBig});
         }},
        {"broadcast_to.overflow", "[broadcast_to]",
         [] {
           (void)st::broadcast_to(st::ones({1}), {kBig, kBig});
         }},
#if !defined(__SANITIZE_ADDRESS__)  // ASan aborts on a 4 TiB request instead of returning null
        {"add.allocation_failure", "[add]", [] { (void)(st::zeros({int64_t{1} << 40}) + 1.0); }},
#endif
        {"add.broadcast_overflow", "[add]",
         [] {
           (void)(st::zeros({kBig, 1}) + st::zeros({1, kBig}));
         }},
        {"concatenate.overflow", "[concatenate]",
         [] {
           const Array half = st::zeros({int64_t{1} << 62}, DType::Bool);
           (void)st::concatenate({half, half});
         }},
        {"set_num_threads.zero", "[set_num_threads]", [] { st::set_num_threads(0); }},
        {"set_num_threads.negative", "[set_num_threads]", [] { st::set_num_threads(-2); }},
        {"bitcast_convert_type.width", "[bitcast_convert_type]",
         [] { (void)st::bitcast_convert_type(st::zeros({2}, DType::UInt32), DType::Float64); }},
        {"bitcast_convert_type.bool", "[bitcast_convert_type]",
         [] { (void)st::bitcast_convert_type(st::array<bool>({true}), DType::UInt8); }},
        {"astype.leaked_tracer", "[astype]",
         [] { (void)st::astype(leaked_tracer(), DType::Float64); }},
  };
}
BAD_INPUTS_GROUP("Core", core_cases);

// ---------------------------------------------------------------- Random
Cases random_cases() {
  const Array bad_key = st::zeros({3}, DType::UInt32);
  return {
      {"key.leaked", "[random.split]", [] { (void)rnd::split(leaked_tracer({2}, DType::UInt32)); }},
      {"split.key_shape", "[random.split]", [=] { (void)rnd::split(bad_key); }},
      {"split.float_key", "[random.split]", [] { (void)rnd::split(st::zeros({2})); }},
      {"split.int32_key", "[random.split]", [] { (void)rnd::split(st::zeros({2}, DType::Int32)); }},
      {"split.batch_of_keys", "[random.split]", [] { (void)rnd::split(rnd::split(rnd::key(0))); }},
      {"split.zero_d_key", "[random.split]", [] { (void)rnd::split(st::scalar<uint32_t>(0)); }},
      {"split.overflowing_count", "[random.split]",
       [] { (void)rnd::split(rnd::key(0), INT64_MAX); }},
      {"split.negative_count", "[random.split]", [] { (void)rnd::split(rnd::key(0), -1); }},
      {"split.empty_key", "[random.split]", [] { (void)rnd::split(Array()); }},
      {"fold_in.float_key", "[random.fold_in]", [] { (void)rnd::fold_in(st::zeros({2}), 1); }},
      {"fold_in.key_shape", "[random.fold_in]", [=] { (void)rnd::fold_in(bad_key, 1); }},
      {"fold_in.data_shape", "[random.fold_in]",
       [] { (void)rnd::fold_in(rnd::key(0), st::zeros({2}, DType::UInt32)); }},
      {"fold_in.data_dtype", "[random.fold_in]",
       [] { (void)rnd::fold_in(rnd::key(0), st::scalar<int32_t>(1)); }},
      {"fold_in.data_float", "[random.fold_in]",
       [] { (void)rnd::fold_in(rnd::key(0), st::scalar(1.0f)); }},
      {"fold_in.empty_data", "[random.fold_in]", [] { (void)rnd::fold_in(rnd::key(0), Array()); }},
      {"bits.signed_dtype", "[random.bits]",
       [] { (void)rnd::bits(rnd::key(0), {2}, DType::Int32); }},
      {"bits.float_dtype", "[random.bits]",
       [] { (void)rnd::bits(rnd::key(0), {2}, DType::Float32); }},
      {"bits.bool_dtype", "[random.bits]", [] { (void)rnd::bits(rnd::key(0), {2}, DType::Bool); }},
      {"bits.key_shape", "[random.bits]", [=] { (void)rnd::bits(bad_key, {2}); }},
      {"bits.negative_shape", "[random.bits]", [] { (void)rnd::bits(rnd::key(0), {-2}); }},
      {"bits.overflowing_shape", "[random.bits]",
       [] {
         (void)rnd::bits(rnd::key(0), {kBig, kBig});
       }},
      {"uniform.int_dtype", "[random.uniform]",
       [] { (void)rnd::uniform(rnd::key(0), {2}, DType::Int32); }},
      {"uniform.bool_dtype", "[random.uniform]",
       [] { (void)rnd::uniform(rnd::key(0), {2}, DType::Bool); }},
      {"uniform.negative_shape", "[random.uniform]",
       [] {
         (void)rnd::uniform(rnd::key(0), {2, -1});
       }},
      {"uniform.overflowing_shape", "[random.uniform]",
       [] {
         (void)rnd::uniform(rnd::key(0), {kBig, kBig});
       }},
      {"uniform.batch_of_keys", "[random.uniform]",
       [] { (void)rnd::uniform(rnd::split(rnd::key(0)), {2}); }},
      {"uniform.bad_key_under_vmap", "[random.uniform]",
       [] {
         st::vmap([](const Array& k) { return rnd::uniform(k, {2}); })(
             st::zeros({4, 3}, DType::UInt32));
       }},
      {"normal.overflowing_shape", "[random.normal]",
       [] {
         (void)rnd::normal(rnd::key(0), {kBig, kBig});
       }},
      {"normal.uint_dtype", "[random.normal]",
       [] { (void)rnd::normal(rnd::key(0), {2}, DType::UInt32); }},
      {"normal.empty_key", "[random.normal]", [] { (void)rnd::normal(Array(), {2}); }},
      {"normal.int64_key", "[random.normal]",
       [] { (void)rnd::normal(st::zeros({2}, DType::Int64), {2}); }},
      {"normal.leaked_key", "[random.normal]",
       [] { (void)rnd::normal(leaked_tracer({2}, DType::UInt32), {2}); }},
      {"normal.negative_shape", "[random.normal]", [] { (void)rnd::normal(rnd::key(0), {-1}); }},
      {"truncated_normal.bounds_reversed", "[random.truncated_normal]",
       [] { (void)rnd::truncated_normal(rnd::key(0), 1, -1, {2}); }},
      {"truncated_normal.bounds_equal", "[random.truncated_normal]",
       [] { (void)rnd::truncated_normal(rnd::key(0), 0.5, 0.5, {2}); }},
      {"truncated_normal.nan_bound", "[random.truncated_normal]",
       [] { (void)rnd::truncated_normal(rnd::key(0), NAN, 1, {2}); }},
      {"truncated_normal.key_shape", "[random.truncated_normal]",
       [=] { (void)rnd::truncated_normal(bad_key, -1, 1, {2}); }},
      {"truncated_normal.overflowing_shape", "[random.truncated_normal]",
       [] {
         (void)rnd::truncated_normal(rnd::key(0), -1, 1, {kBig, kBig});
       }},
      {"truncated_normal.int_dtype", "[random.truncated_normal]",
       [] { (void)rnd::truncated_normal(rnd::key(0), -1, 1, {2}, DType::Int32); }},
  };
}
BAD_INPUTS_GROUP("Random", random_cases);

// ---------------------------------------------------------------- Tree
Cases tree_cases() {
  using V = std::vector<Array>;
  using M = std::map<std::string, Array>;
  const auto add = [](const Array& a, const Array& b) { return a + b; };
  return {
      {"map.vector_lengths", "[tree.map]",
       [=] {
         (void)st::tree::map(add, V{f32({2})}, V{f32({2}), f32({2})});
       }},
      {"map.map_keys", "[tree.map]",
       [=] {
         (void)st::tree::map(add, M{{"a", f32({2})}}, M{{"b", f32({2})}});
       }},
      {"map.optional_presence", "[tree.map]",
       [=] { (void)st::tree::map(add, std::optional<Array>(f32({2})), std::optional<Array>()); }},
      {"map_with_path.vector_lengths", "[tree.map_with_path]",
       [] {
         (void)st::tree::map_with_path(
             [](const std::string&, const Array& a, const Array& b) { return a + b; }, V{f32({2})},
             V{});
       }},
      {"unflatten.too_few_leaves", "[tree.unflatten]",
       [] {
         (void)st::tree::unflatten<V>(st::tree::structure(V{f32({2}), f32({2})}), {f32({2})});
       }},
      {"unflatten.too_many_leaves", "[tree.unflatten]",
       [] { (void)st::tree::unflatten<V>(st::tree::structure(V{}), {f32({2})}); }},
      {"unflatten.other_type", "[tree.unflatten]",
       [] { (void)st::tree::unflatten<M>(st::tree::structure(V{f32({2})}), {f32({2})}); }},
      {"unflatten.default_treedef", "[tree.unflatten]",
       [] { (void)st::tree::unflatten<V>(st::tree::TreeDef(), {}); }},
  };
}
BAD_INPUTS_GROUP("Tree", tree_cases);

BAD_INPUTS_TEST(Tree)
BAD_INPUTS_TEST(Core)
BAD_INPUTS_TEST(Random)

// The harness itself: each way a case can end is reported, and only the right error passes.
TEST(BadInputs, HarnessReportsEveryOutcome) {
  using st::testing::errors::Case;
  using st::testing::errors::run_isolated;
  const auto report = [](std::function<void()> f, int timeout = 20) {
    return run_isolated(Case{"self-test", "[x]", std::move(f)}, timeout).report;
  };
  const auto error = run_isolated(Case{"self-test", "[matmul]", [] {
                                         (void)st::matmul(st::ones({2, 3}), st::ones({2, 3}));
                                       }});
  EXPECT_TRUE(error.passed("[matmul]")) << error.report;
  EXPECT_FALSE(error.passed("[dot_general]")) << error.report;
  EXPECT_EQ(report([] {}), "none");
  EXPECT_EQ(report([] { throw std::out_of_range("past the end"); }),
            "other:std::out_of_range:past the end");
  EXPECT_EQ(report([] { throw 42; }), "other:unknown:");
  EXPECT_EQ(report([] { std::abort(); }), "crash (signal 6)");
  EXPECT_EQ(report([] { std::_Exit(3); }), "crash (exit status 3)");
  EXPECT_EQ(report(
                [] {
                  for (;;) ::pause();
                },
                1)
                .rfind("hang", 0),
            0u);
}

// The whole catalogue: at least 250 cases, each name unique within its group.
TEST(BadInputs, CatalogueSize) {
  size_t total = 0;
  for (const auto& [group, factories] : st::testing::errors::registry()) {
    std::set<std::string> names;
    const Cases cases = st::testing::errors::cases_of(group);
    for (const auto& c : cases) {
      EXPECT_TRUE(names.insert(c.name).second) << "duplicate case " << group << "/" << c.name;
      EXPECT_TRUE(c.prefix.size() > 2 && c.prefix.front() == '[' && c.prefix.back() == ']')
          << group << "/" << c.name << ": prefix " << c.prefix;
    }
    total += cases.size();
  }
  EXPECT_GE(total, 250u);
}

}  // namespace
