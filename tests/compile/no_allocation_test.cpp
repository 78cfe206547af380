// Running a compiled executable allocates nothing: after a warm-up run, Executable::run() makes
// no operator new call, for a W1 scan forward, a fused elementwise chain with broadcast operands,
// reductions, a graph of transposes and slices (views), and the data-movement primitives.
//
// This file replaces the global allocation functions for the whole test binary with counting
// versions (malloc / aligned_alloc underneath, one relaxed atomic increment each).  Calls are
// attributed by their return address, because oneDNN allocates inside the library on every
// call, which no caller can avoid: dnnl_sgemm and the primitives hand their work to oneDNN's
// parallel() as a std::function, and dnnl_primitive_execute builds an argument map.  So calls
// made from oneDNN's code are counted apart and compared with what the same oneDNN call costs
// when the test makes it directly: strata adds nothing there either.  (malloc calls that are not
// operator new, such as oneDNN's packing buffers or OpenMP's thread teams, are not counted.)
#include <gtest/gtest.h>
#include <link.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <oneapi/dnnl/dnnl.hpp>

#include "backend/cpu/strided.h"
#include "compile/interp.h"
#include "compile/pipeline.h"
#include "primitives/data_movement.h"
#include "test_util.h"

namespace {

std::atomic<int64_t> g_strata_news{0};  // operator new calls from outside oneDNN
std::atomic<int64_t> g_onednn_news{0};  // ... from oneDNN's code
std::atomic<uintptr_t> g_onednn_begin{0}, g_onednn_end{0};  // oneDNN's code, once found

void count(const void* caller) {
  const auto at = reinterpret_cast<uintptr_t>(caller);
  const bool onednn = at >= g_onednn_begin.load(std::memory_order_relaxed) &&
                      at < g_onednn_end.load(std::memory_order_relaxed);
  (onednn ? g_onednn_news : g_strata_news).fetch_add(1, std::memory_order_relaxed);
}

void* allocate(std::size_t n, std::size_t align, const void* caller) {
  count(caller);
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(n);
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}
void* allocate_or_throw(std::size_t n, std::size_t align, const void* caller) {
  if (void* p = allocate(n, align, caller)) return p;
  throw std::bad_alloc();
}

}  // namespace

// clang-format off
#define CALLER __builtin_return_address(0)
#define NOINLINE __attribute__((noinline))
NOINLINE void* operator new(std::size_t n) { return allocate_or_throw(n, 0, CALLER); }
NOINLINE void* operator new[](std::size_t n) { return allocate_or_throw(n, 0, CALLER); }
NOINLINE void* operator new(std::size_t n, std::align_val_t a) {
  return allocate_or_throw(n, static_cast<std::size_t>(a), CALLER);
}
NOINLINE void* operator new[](std::size_t n, std::align_val_t a) {
  return allocate_or_throw(n, static_cast<std::size_t>(a), CALLER);
}
NOINLINE void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return allocate(n, 0, CALLER);
}
NOINLINE void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return allocate(n, 0, CALLER);
}
NOINLINE void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, static_cast<std::size_t>(a), CALLER);
}
NOINLINE void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, static_cast<std::size_t>(a), CALLER);
}
NOINLINE void operator delete(void* p) noexcept { std::free(p); }
NOINLINE void operator delete[](void* p) noexcept { std::free(p); }
NOINLINE void operator delete(void* p, std::size_t) noexcept { std::free(p); }
NOINLINE void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
NOINLINE void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
NOINLINE void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
NOINLINE void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
NOINLINE void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
NOINLINE void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
NOINLINE void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
NOINLINE void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
NOINLINE void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
// clang-format on

namespace st = strata;
using st::Array;
using st::DType;
using st::testing::random_array;
using st::testing::to_doubles;

namespace {

// The executable segments of libdnnl, found among the loaded objects.
int find_onednn(dl_phdr_info* info, size_t, void*) {
  if (info->dlpi_name == nullptr || std::strstr(info->dlpi_name, "libdnnl") == nullptr) return 0;
  uintptr_t begin = UINTPTR_MAX, end = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
    begin = std::min<uintptr_t>(begin, info->dlpi_addr + ph.p_vaddr);
    end = std::max<uintptr_t>(end, info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
  }
  g_onednn_begin = begin;
  g_onednn_end = end;
  return 1;
}

struct Allocations {
  int64_t strata = 0, onednn = 0;
};

// A compiled graph with its inputs and outputs bound to arrays of this test.
struct Bound {
  std::shared_ptr<st::compile::Executable> exe;
  std::vector<Array> inputs, outputs;

  // Warms up, writes `fresh` into the bound inputs, then counts the allocations of one run.
  Allocations run_counted(const std::vector<Array>& fresh) {
    exe->run();
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Array dense = st::cpu::contiguous(fresh[i]);
      std::memcpy(st::detail::mutable_data(inputs[i]), dense.data(),
                  static_cast<size_t>(dense.nbytes()));
    }
    const int64_t s0 = g_strata_news.load(), o0 = g_onednn_news.load();
    exe->run();
    return {g_strata_news.load() - s0, g_onednn_news.load() - o0};
  }
};

Bound compile_bound(const st::Jaxpr& j, const std::vector<Array>& first) {
  Bound b;
  b.exe = st::compile::Executable::create(st::compile::optimize(j.graph()));
  for (size_t i = 0; i < first.size(); ++i) {
    b.inputs.push_back(st::cpu::contiguous_copy(first[i], first[i].dtype()));
    st::compile::bind_input(*b.exe, i, b.inputs.back());
  }
  for (size_t i = 0; i < b.exe->num_outputs(); ++i) {
    const st::prim::ValueType& t = b.exe->output_type(i);
    b.outputs.push_back(st::detail::empty(t.shape, t.dtype));
    st::compile::bind_output(*b.exe, i, b.outputs.back());
  }
  return b;
}

void expect_outputs(const Bound& b, const std::vector<Array>& want) {
  ASSERT_EQ(b.outputs.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(to_doubles(b.outputs[i]), to_doubles(want[i])) << "output " << i;
  }
}

class NoAllocation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dl_iterate_phdr(find_onednn, nullptr); }
};

struct Layer {
  Array w, b;
};
STRATA_TREE(Layer, w, b)

// The allocations of one call of fn, after a warm-up call.
template <typename Fn>
Allocations counted(Fn&& fn) {
  fn();
  const int64_t s0 = g_strata_news.load(), o0 = g_onednn_news.load();
  fn();
  return {g_strata_news.load() - s0, g_onednn_news.load() - o0};
}

TEST_F(NoAllocation, ScanOverW1Layers) {
  ASSERT_LT(g_onednn_begin.load(), g_onednn_end.load()) << "libdnnl is not loaded";
  constexpr int64_t L = 4, B = 64, F = 512;
  // What one product of a layer costs inside oneDNN when called directly: dnnl_sgemm hands its
  // work to oneDNN's parallel(), which takes a std::function.
  std::vector<float> lhs(B * F, 1.f), rhs(F * F, 0.f), out(B * F);
  const Allocations sgemm = counted([&] {
    ASSERT_EQ(dnnl_sgemm('N', 'N', B, F, F, 1.f, lhs.data(), F, rhs.data(), F, 0.f, out.data(), F),
              dnnl_success);
  });
  // The design's W1 workload: L layers of relu(y W + b), then the loss sum(y^2).
  auto forward = [](const Array& w, const Array& b, const Array& x) {
    const Array y =
        st::fold([](const Array& y, const Layer& l) { return st::relu(st::matmul(y, l.w) + l.b); },
                 x, Layer{w, b});
    return std::pair{y, st::sum(y * y)};
  };
  auto inputs = [&](uint32_t seed) {
    const double s = std::sqrt(6.0 / F);  // He-scaled: activations stay O(1)
    return std::vector<Array>{random_array({L, F, F}, DType::Float32, seed, -s, s),
                              random_array({L, F}, DType::Float32, seed + 1, -0.1, 0.1),
                              random_array({B, F}, DType::Float32, seed + 2)};
  };
  const std::vector<Array> first = inputs(1), fresh = inputs(10);
  Bound b = compile_bound(st::trace(forward, first[0], first[1], first[2]), first);
  const Allocations n = b.run_counted(fresh);
  EXPECT_EQ(n.strata, 0);
  EXPECT_EQ(n.onednn, L * sgemm.onednn);  // each layer's dnnl_sgemm, and nothing more
  const auto [y, loss] = forward(fresh[0], fresh[1], fresh[2]);
  expect_outputs(b, {y, loss});
}

TEST_F(NoAllocation, FusedElementwiseWithBroadcasts) {
  auto f = [](const Array& x, const Array& row, const Array& col) {
    return st::tanh(x * 2.0 + row) - col * x;
  };
  auto inputs = [](uint32_t seed) {
    return std::vector<Array>{random_array({128, 256}, DType::Float32, seed),
                              random_array({256}, DType::Float32, seed + 1),
                              random_array({128, 1}, DType::Float32, seed + 2)};
  };
  const std::vector<Array> first = inputs(1), fresh = inputs(10);
  const st::Jaxpr j = st::trace(f, first[0], first[1], first[2]);
  ASSERT_EQ(st::compile::optimize(j.graph()).ops().size(), 1u);
  Bound b = compile_bound(j, first);
  const Allocations n = b.run_counted(fresh);
  EXPECT_EQ(n.strata, 0);
  EXPECT_EQ(n.onednn, 0);
  expect_outputs(b, {f(fresh[0], fresh[1], fresh[2])});
}

TEST_F(NoAllocation, Reductions) {
  // Row sums, column sums, and a full sum (split into per-thread partial sums).
  auto f = [](const Array& x) {
    return std::tuple{st::sum(x, {1}), st::sum(x, {0}), st::sum(x), st::max(x, {1})};
  };
  const Array first = random_array({512, 256}, DType::Float32, 1);
  const Array fresh = random_array({512, 256}, DType::Float32, 10);
  Bound b = compile_bound(st::trace(f, first), {first});
  const Allocations n = b.run_counted({fresh});
  EXPECT_EQ(n.strata, 0);
  EXPECT_EQ(n.onednn, 0);
  const auto [r, c, s, m] = f(fresh);
  expect_outputs(b, {r, c, s, m});
}

TEST_F(NoAllocation, TransposesAndSlices) {
  auto f = [](const Array& x, const Array& y) {
    const Array t = st::transpose(x, {1, 0});  // (96, 64), a view
    const Array rows = st::slice(y, {st::Slice{std::nullopt, std::nullopt, 2}});  // (96, 64)
    return std::tuple{t * rows,                         // two strided views
                      st::sum(t, {1}),                  // a transposed reduction
                      st::slice(y, {st::Slice{1, 3}}),  // an output view: a copy
                      st::reshape(t, {-1})};            // a reshape that copies
  };
  auto inputs = [](uint32_t seed) {
    return std::vector<Array>{random_array({64, 96}, DType::Float32, seed),
                              random_array({192, 64}, DType::Float32, seed + 1)};
  };
  const std::vector<Array> first = inputs(1), fresh = inputs(10);
  Bound b = compile_bound(st::trace(f, first[0], first[1]), first);
  const Allocations n = b.run_counted(fresh);
  EXPECT_EQ(n.strata, 0);
  EXPECT_EQ(n.onednn, 0);
  const auto [p, s, v, r] = f(fresh[0], fresh[1]);
  expect_outputs(b, {p, s, v, r});
}

TEST_F(NoAllocation, DataMovement) {
  // Gathered rows, a concatenation and a dynamic_update_slice of a transposed operand (short
  // strided blocks: staged through a dense copy), a dynamic_slice, an argmax of a view, and a
  // product whose lhs the GEMM cannot read as it is (contracting axes that do not merge: copied
  // each run; float64, so no oneDNN).
  auto f = [](const Array& x, const Array& y, const Array& rows, const Array& a, const Array& w) {
    const Array yt = st::transpose(y, {1, 0});  // (64, 32)
    const Array start = st::scalar<int32_t>(5);
    const Array update = st::prim::bind1(st::prim::make<st::prim::DynamicUpdateSlice>(),
                                         {x, yt, st::scalar<int32_t>(0), start});
    const Array window = st::prim::bind1(st::prim::make<st::prim::DynamicSlice>(st::Shape{8, 16}),
                                         {x, start, st::scalar<int32_t>(7)});
    const Array product = st::dot_general(a, w, st::DotDims{{0, 2}, {0, 1}, {}, {}});
    return std::tuple{
        st::take(x, rows), st::concatenate({yt, x}, 1), update, window, st::argmax(yt, 1), product};
  };
  auto inputs = [](uint32_t seed) {
    return std::vector<Array>{
        random_array({64, 96}, DType::Float32, seed),
        random_array({32, 64}, DType::Float32, seed + 1),
        st::astype(random_array({10}, DType::Float32, seed + 2, 0, 63.9), DType::Int32),
        random_array({4, 16, 96}, DType::Float64, seed + 3),
        random_array({4, 96, 8}, DType::Float64, seed + 4)};
  };
  const std::vector<Array> first = inputs(1), fresh = inputs(10);
  Bound b = compile_bound(st::trace(f, first[0], first[1], first[2], first[3], first[4]), first);
  const Allocations n = b.run_counted(fresh);
  EXPECT_EQ(n.strata, 0);
  EXPECT_EQ(n.onednn, 0);
  const auto [taken, joined, updated, window, arg, product] =
      f(fresh[0], fresh[1], fresh[2], fresh[3], fresh[4]);
  expect_outputs(b, {taken, joined, updated, window, arg, product});
}

// A checkpoint op (the remat primitive, which runs its own compiled graph) forward and in a
// gradient, where the backward checkpoint op recomputes the block.  Its weight operand is a
// transposed view, which the op stages densely each run.  Float64 keeps oneDNN out.
TEST_F(NoAllocation, CheckpointOpAndItsGradient) {
  auto block = [](const Array& x, const Array& w) {
    return st::sin(st::matmul(st::tanh(st::matmul(x, w)), w)) + x;
  };
  auto forward = [block](const Array& x, const Array& w) {
    auto remat = st::checkpoint(block, st::CheckpointPolicy::carries_only());
    return st::sum(st::square(remat(x, st::transpose(w, {1, 0}))));
  };
  auto inputs = [](uint32_t seed) {
    return std::vector<Array>{random_array({8, 16}, DType::Float64, seed),
                              random_array({16, 16}, DType::Float64, seed + 1, -0.5, 0.5)};
  };
  const std::vector<Array> first = inputs(1), fresh = inputs(10);
  auto count_remat = [](const st::Jaxpr& j) {
    return st::testing::count_ops(st::compile::optimize(j.graph()), "checkpoint");
  };
  {
    const st::Jaxpr j = st::trace(forward, first[0], first[1]);
    ASSERT_EQ(count_remat(j), 1);
    Bound b = compile_bound(j, first);
    const Allocations n = b.run_counted(fresh);
    EXPECT_EQ(n.strata, 0);
    EXPECT_EQ(n.onednn, 0);
    expect_outputs(b, {forward(fresh[0], fresh[1])});
  }
  auto gradient = st::grad(forward, st::argnums<0, 1>);
  const st::Jaxpr j = st::trace(gradient, first[0], first[1]);
  ASSERT_EQ(count_remat(j), 2);  // the forward block and its recomputing backward
  Bound b = compile_bound(j, first);
  const Allocations n = b.run_counted(fresh);
  EXPECT_EQ(n.strata, 0);
  EXPECT_EQ(n.onednn, 0);
  const auto [gx, gw] = gradient(fresh[0], fresh[1]);
  expect_outputs(b, {gx, gw});
}

// The gradient of the W1 scan (the weight and bias cotangents of L layers of relu(y W + b)):
// a forward scan stacking residuals and a reverse scan whose body runs three products.
TEST_F(NoAllocation, GradientOfW1Scan) {
  constexpr int64_t L = 4, B = 16, F = 64;
  auto loss = [](const Array& x, const Array& w, const Array& b) {
    const Array y =
        st::fold([](const Array& y, const Layer& l) { return st::relu(st::matmul(y, l.w) + l.b); },
                 x, Layer{w, b});
    return st::sum(y * y);
  };
  auto inputs = [&](uint32_t seed) {
    const double s = std::sqrt(6.0 / F);
    return std::vector<Array>{random_array({B, F}, DType::Float32, seed),
                              random_array({L, F, F}, DType::Float32, seed + 1, -s, s),
                              random_array({L, F}, DType::Float32, seed + 2, -0.1, 0.1)};
  };
  const std::vector<Array> first = inputs(1), fresh = inputs(10);
  auto gradient = st::grad(loss, st::argnums<1, 2>);
  const st::Jaxpr j = st::trace(gradient, first[0], first[1], first[2]);
  ASSERT_EQ(st::testing::count_ops(st::compile::optimize(j.graph()), "scan"), 2);
  Bound b = compile_bound(j, first);
  const Allocations n = b.run_counted(fresh);
  EXPECT_EQ(n.strata, 0);
  // oneDNN's side: its own calls allocate inside the library on every product (see the file
  // comment); this case checks strata's side only.
  const auto [gw, gb] = st::jit(gradient)(fresh[0], fresh[1], fresh[2]);
  expect_outputs(b, {gw, gb});
}

// What one execution of oneDNN's matmul primitive for tanh(x . W^T + b) costs inside oneDNN
// when called directly, on memory objects made beforehand and repointed (as a caller that owns
// them must) before each dnnl_primitive_execute.
Allocations onednn_matmul_tanh(int64_t m, int64_t k, int64_t n) {
  using dnnl::memory;
  using dt = memory::data_type;
  const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  const memory::desc src({m, k}, dt::f32, {k, 1}), wei({k, n}, dt::f32, {1, k}),
      dst({m, n}, dt::f32, {n, 1}), bias({1, n}, dt::f32, {n, 1});
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::post_ops ops;
  ops.append_binary(dnnl::algorithm::binary_add, bias);
  ops.append_eltwise(1.f, dnnl::algorithm::eltwise_tanh, 0.f, 0.f);
  attr.set_post_ops(ops);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, wei, dst), attr, eng);
  const dnnl::matmul prim(pd);
  std::vector<memory> mems = {memory(src, eng), memory(wei, eng), memory(dst, eng),
                              memory(bias, eng)};
  std::vector<int> kinds = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST,
                            DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1};
  if (pd.scratchpad_desc().get_size() > 0) {
    mems.emplace_back(pd.scratchpad_desc(), eng);
    kinds.push_back(DNNL_ARG_SCRATCHPAD);
  }
  std::vector<void*> data;
  std::vector<dnnl_exec_arg_t> args;
  for (size_t i = 0; i < mems.size(); ++i) {
    data.push_back(mems[i].get_data_handle());
    args.push_back({kinds[i], mems[i].get()});
  }
  return counted([&] {
    for (size_t i = 0; i < mems.size(); ++i) {
      ASSERT_EQ(dnnl_memory_set_data_handle_v2(mems[i].get(), data[i], stream.get()), dnnl_success);
    }
    ASSERT_EQ(dnnl_primitive_execute(prim.get(), stream.get(), static_cast<int>(args.size()),
                                     args.data()),
              dnnl_success);
  });
}

TEST_F(NoAllocation, OneDnnMatmulPrimitiveAllocatesOnlyInsideOneDnn) {
  // x . W^T goes to oneDNN's matmul primitive (with the bias and tanh as post-ops), whose
  // execute allocates inside oneDNN (its argument map, its parallel() std::function); strata's
  // side of the call allocates nothing, and oneDNN's side no more than a direct call's.
  auto f = [](const Array& x, const Array& w, const Array& b) {
    return st::tanh(st::matmul(x, st::transpose(w, {1, 0})) + b);
  };
  auto inputs = [](uint32_t seed) {
    return std::vector<Array>{random_array({64, 128}, DType::Float32, seed),
                              random_array({96, 128}, DType::Float32, seed + 1, -0.1, 0.1),
                              random_array({96}, DType::Float32, seed + 2)};
  };
  const std::vector<Array> first = inputs(1), fresh = inputs(10);
  const st::Jaxpr j = st::trace(f, first[0], first[1], first[2]);
  ASSERT_EQ(st::testing::count_ops(st::compile::optimize(j.graph()), "dot_general_epilogue"), 1);
  Bound b = compile_bound(j, first);
  const Allocations n = b.run_counted(fresh);
  EXPECT_EQ(n.strata, 0);
  EXPECT_EQ(n.onednn, onednn_matmul_tanh(64, 128, 96).onednn);
  const std::vector<double> got = to_doubles(b.outputs[0]);
  // oneDNN's tanh post-op against the unary kernel: a few float32 ulps (see
  // fuse_matmul_activation_test).
  st::testing::expect_all_close(got, to_doubles(f(fresh[0], fresh[1], fresh[2])), 0, 4e-7);
}

}  // namespace
