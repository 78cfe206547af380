// The strided batched GEMM kernel: oneDNN plans, the plan cache, float32 staging for 16-bit
// floats oneDNN cannot multiply, and the reference loop for the dtypes oneDNN 2.6 lacks.
//
// Findings that shaped this file (oneDNN 2.6.3, Debian libdnnl):
// - dnnl::memory::data_type has no f64 in 2.6 (it arrived in 3.x), so there is no float64 matmul
//   to try; s32 matmul descriptors are rejected outright.  Those dtypes use the reference loop.
// - float16 matmul needs AVX512-FP16 in 2.6; on CPUs without it no implementation exists.  Whether
//   a 16-bit type works is asked of oneDNN once per process (matmul_backend); if not, operands are
//   staged as float32 and the result converted back, as XLA's CPU backend does for float16.
// - Strided memory descriptors are accepted for any strides, but only layouts where one of the two
//   matrix axes has stride 1 (with a leading dimension large enough) and no stride is 0 reach the
//   fast implementations ("brg:*", "gemm:jit"); anything else falls to "ref:any", which is
//   orders of magnitude slower.  prim::plan_dot_general avoids those layouts, and a plan that
//   still lands on "ref" is reported by MatmulPlan::is_slow so the caller copies instead.
// - A batch axis of stride 0 must be described as size 1 (oneDNN's batch broadcast), with a
//   non-zero stride; that keeps the brgemm kernel.
// - In user scratchpad mode a primitive can run on many threads at once, each with its own
//   scratchpad; the library mode would tie a primitive to the thread that created it.  The
//   scratchpad is sized for the OpenMP thread count at creation, so a plan runs with that count.
#include "backend/cpu/matmul.h"

#include <omp.h>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <list>
#include <mutex>
#include <new>
#include <numeric>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "backend/cpu/dispatch.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/threads.h"

namespace strata::cpu {

static_assert(kMaxMatmulBatchAxes + 2 == DNNL_MAX_NDIMS);

// ---------------------------------------------------------------- MatmulProblem
int64_t MatmulProblem::batch_count() const {
  return std::accumulate(batch.begin(), batch.end(), int64_t{1}, std::multiplies<>());
}

size_t MatmulProblemHash::operator()(const MatmulProblem& p) const {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  auto mix = [&h](int64_t v) {
    h ^= static_cast<uint64_t>(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  };
  mix(static_cast<int64_t>(p.dtype));
  mix(static_cast<int64_t>(p.out_dtype));
  for (size_t i = 0; i < p.batch.size(); ++i) {
    mix(p.batch[i]);
    mix(p.a_batch[i]);
    mix(p.b_batch[i]);
  }
  for (int64_t v : {p.m, p.n, p.k, p.a_m, p.a_k, p.b_k, p.b_n}) mix(v);
  return static_cast<size_t>(h);
}

std::string to_string(const MatmulProblem& p) {
  std::ostringstream os;
  os << name(p.dtype) << "->" << name(p.out_dtype) << " batch=" << strata::to_string(p.batch)
     << " a_batch_strides=" << strata::to_string(p.a_batch)
     << " b_batch_strides=" << strata::to_string(p.b_batch) << " m=" << p.m << " n=" << p.n
     << " k=" << p.k << " a_strides=(" << p.a_m << ", " << p.a_k << ") b_strides=(" << p.b_k << ", "
     << p.b_n << ")";
  return os.str();
}

// ---------------------------------------------------------------- oneDNN plumbing
namespace {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// Streams are cheap but not free; one per thread, all on the one CPU engine.
dnnl::stream& thread_stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

// Only the three types matmul_backend sends to oneDNN arrive here.
dnnl::memory::data_type dnnl_type(DType t) {
  using dt = dnnl::memory::data_type;
  return t == DType::Float32 ? dt::f32 : t == DType::BFloat16 ? dt::bf16 : dt::f16;
}

int64_t align64(int64_t bytes) {
  return (bytes + 63) / 64 * 64;
}

// The per-thread scratch buffer of MatmulPlan::execute(a, b, c): grows, never shrinks, so steady
// eager calls allocate nothing.  Larger requests are served per call (see execute).
constexpr int64_t kThreadScratchLimit = int64_t{16} << 20;
void* thread_scratch(int64_t bytes) {
  struct Block {
    void* data = nullptr;
    int64_t size = 0;
    ~Block() { std::free(data); }
  };
  thread_local Block block;
  if (bytes > block.size) {
    std::free(block.data);
    block.size = (bytes + 4095) / 4096 * 4096;
    block.data = std::aligned_alloc(64, static_cast<size_t>(block.size));
    if (block.data == nullptr) {
      block.size = 0;
      fail("dot_general", "cannot allocate ", detail::format_bytes(bytes),
           " of matmul scratch memory; use smaller shapes or batches");
    }
  }
  return block.data;
}

// Dims and strides of one operand with its broadcast batch axes shrunk to 1 (as oneDNN sees it).
struct OperandLayout {
  std::vector<int64_t> dims, strides;
  int64_t size() const {
    return std::accumulate(dims.begin(), dims.end(), int64_t{1}, std::multiplies<>());
  }
};
OperandLayout operand_layout(const MatmulProblem& p, bool lhs) {
  OperandLayout l;
  const std::vector<int64_t>& bs = lhs ? p.a_batch : p.b_batch;
  for (size_t i = 0; i < p.batch.size(); ++i) {
    l.dims.push_back(bs[i] == 0 ? 1 : p.batch[i]);
    l.strides.push_back(bs[i]);
  }
  l.dims.insert(l.dims.end(), {lhs ? p.m : p.k, lhs ? p.k : p.n});
  l.strides.insert(l.strides.end(), {lhs ? p.a_m : p.b_k, lhs ? p.a_k : p.b_n});
  return l;
}

// oneDNN's view of an operand: broadcast batch axes have size 1 and, in place of 0, the stride of
// a dense outermost axis (the fast implementations reject a stride of 0).
dnnl::memory::desc operand_desc(const MatmulProblem& p, bool lhs) {
  OperandLayout l = operand_layout(p, lhs);
  int64_t outer = 1;
  for (size_t i = 0; i < l.dims.size(); ++i) outer = std::max(outer, l.strides[i] * l.dims[i]);
  for (int64_t& s : l.strides) s = s == 0 ? outer : s;
  return dnnl::memory::desc(l.dims, dnnl_type(p.dtype), l.strides);
}

// The bias as oneDNN's binary post-op sees it: [1, ..., 1, n], broadcast over batch and m.
dnnl::memory::desc bias_desc(const MatmulProblem& p) {
  std::vector<int64_t> dims(p.batch.size() + 2, 1);
  dims.back() = p.n;
  return dnnl::memory::desc(dims, dnnl_type(p.out_dtype), detail::row_major_strides(dims));
}

dnnl::matmul::primitive_desc make_primitive_desc(const MatmulProblem& p,
                                                 const MatmulEpilogue& e = {}) {
  Shape c_dims(p.batch.begin(), p.batch.end());
  c_dims.insert(c_dims.end(), {p.m, p.n});
  const dnnl::memory::desc c(c_dims, dnnl_type(p.out_dtype), detail::row_major_strides(c_dims));
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (!e.empty()) {
    // Post-ops run on the float32 accumulator tile before C is written: the bias add then the
    // activation.  The add and relu round to float32 exactly as the separate add and maximum
    // kernels round; oneDNN's tanh and logistic are its own approximations, within a few float32
    // ulps of the unary kernels' std::tanh / exp (tests/compile/fuse_matmul_activation_test).
    dnnl::post_ops ops;
    if (e.bias) ops.append_binary(dnnl::algorithm::binary_add, bias_desc(p));
    switch (e.activation) {
      case MatmulActivation::None:
        break;
      case MatmulActivation::Relu:
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
        break;
      case MatmulActivation::Tanh:
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_tanh, 0.f, 0.f);
        break;
      case MatmulActivation::Logistic:
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f);
        break;
    }
    attr.set_post_ops(ops);
  }
  return dnnl::matmul::primitive_desc(
      dnnl::matmul::desc(operand_desc(p, true), operand_desc(p, false), c), attr, engine());
}

// dnnl_sgemm's arguments for an unbatched float32 problem.  plan_dot_general only produces
// layouts with one unit stride per matrix, which is exactly what sgemm's trans/ld flags express.
struct SgemmArgs {
  char transa, transb;
  int64_t lda, ldb;
};
std::optional<SgemmArgs> sgemm_args(const MatmulProblem& p) {
  if (p.dtype != DType::Float32 || p.out_dtype != DType::Float32 || !p.batch.empty()) return {};
  SgemmArgs s{};
  if (p.a_k == 1 && p.a_m >= p.k) {
    s.transa = 'N', s.lda = p.a_m;
  } else if (p.a_m == 1 && p.a_k >= p.m) {
    s.transa = 'T', s.lda = p.a_k;
  } else {
    return {};
  }
  if (p.b_n == 1 && p.b_k >= p.n) {
    s.transb = 'N', s.ldb = p.b_k;
  } else if (p.b_k == 1 && p.b_n >= p.k) {
    s.transb = 'T', s.ldb = p.b_n;
  } else {
    return {};
  }
  return s;
}
void run_sgemm(const SgemmArgs& s, const MatmulProblem& p, const void* a, const void* b, void* c) {
  const dnnl_status_t status =
      dnnl_sgemm(s.transa, s.transb, p.m, p.n, p.k, 1.f, static_cast<const float*>(a), s.lda,
                 static_cast<const float*>(b), s.ldb, 0.f, static_cast<float*>(c), p.n);
  if (status != dnnl_success) {
    fail("dot_general", "dnnl_sgemm failed (status ", static_cast<int>(status), ") for ",
         to_string(p));
  }
}

// How a OneDnn plan computes: a matmul primitive, or for plain float32 matrices dnnl_sgemm.
struct Choice {
  dnnl::matmul::primitive_desc pd;
  std::optional<SgemmArgs> sgemm;
};

// oneDNN's first choice of implementation is not always its fastest kernel here: on an AVX-512
// core, for x(64x512) . W(512x512) its matmul picks brgemm, which runs at 0.8-0.9x of
// dnnl_sgemm's JIT GEMM on the same data, while for dy . W^T (B transposed) brgemm is 1.1-1.9x
// faster than sgemm (bench/bench_matmul, W1 shapes).  So unbatched float32 products whose B is
// row-major go to dnnl_sgemm, the rest to the matmul primitive.  The rule is static, not timed:
// which kernel runs (and so how a sum is rounded) never depends on machine load.
Choice choose_implementation(const MatmulProblem& p, const MatmulEpilogue& e) {
  const dnnl::matmul::primitive_desc pd = make_primitive_desc(p, e);
  const std::optional<SgemmArgs> sgemm = sgemm_args(p);
  if (!sgemm) return {pd, std::nullopt};
  const bool primitive_is_reference = std::string_view(pd.impl_info_str()).rfind("ref", 0) == 0;
  return {pd, (sgemm->transb == 'N' || primitive_is_reference) ? sgemm : std::nullopt};
}

// Asks oneDNN for a small matmul of these types: the answer depends on the CPU and the build.
MatmulBackend probe_16bit(DType dtype, DType out_dtype) {
  MatmulProblem p;
  p.dtype = dtype;
  p.out_dtype = out_dtype;
  p.m = p.n = p.k = 16;
  p.a_m = p.b_k = 16;
  try {
    (void)make_primitive_desc(p);
    return MatmulBackend::OneDnn;
  } catch (const dnnl::error&) {
    return MatmulBackend::OneDnnViaF32;
  }
}

// ---------------------------------------------------------------- reference loop
// The path for the dtypes oneDNN lacks (float64, integers, bool).  It exists so that float64
// gradient checks and integer code work, not for speed: an i-k-j loop over output rows in
// parallel, accumulating in the dtype itself.  Integers wrap modulo 2^bits (computed unsigned, so
// there is no signed-overflow UB); bool is "or of ands", as lax.dot_general on bool.
template <typename T>
T multiply_add(T acc, T x, T y) {
  if constexpr (std::is_same_v<T, bool>) {
    return acc || (x && y);
  } else if constexpr (std::is_integral_v<T>) {
    using U = wrap_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(acc) + static_cast<U>(x) * static_cast<U>(y));
  } else {
    return acc + x * y;
  }
}

// Offsets of A's and B's matrices for flat batch index `bi` (row-major over p.batch).
void batch_offsets(const MatmulProblem& p, int64_t bi, int64_t& a_off, int64_t& b_off) {
  a_off = b_off = 0;
  for (size_t d = p.batch.size(); d-- > 0;) {
    const int64_t idx = bi % p.batch[d];
    bi /= p.batch[d];
    a_off += idx * p.a_batch[d];
    b_off += idx * p.b_batch[d];
  }
}

template <typename T>
void reference_matmul(const MatmulProblem& p, const T* a, const T* b, T* c) {
  parallel_for(
      p.batch_count() * p.m,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          int64_t a_off, b_off;
          batch_offsets(p, r / p.m, a_off, b_off);
          const T* a_row = a + a_off + (r % p.m) * p.a_m;
          T* c_row = c + r * p.n;
          std::fill(c_row, c_row + p.n, T{});
          for (int64_t kk = 0; kk < p.k; ++kk) {
            const T x = a_row[kk * p.a_k];
            const T* b_row = b + b_off + kk * p.b_k;
            for (int64_t j = 0; j < p.n; ++j)
              c_row[j] = multiply_add(c_row[j], x, b_row[j * p.b_n]);
          }
        }
      },
      p.n * p.k);
}

// ---------------------------------------------------------------- float32 staging
// Reads a strided 16-bit operand into a dense float32 copy of the same dims.
void stage_f32(const void* src, DType dtype, const OperandLayout& l, float* dst) {
  const size_t nd = l.dims.size();
  const int64_t cols = l.dims[nd - 1], col_stride = l.strides[nd - 1];
  visit_dtype(dtype, [&](auto tag) {
    using S = decltype(tag);
    const S* s = static_cast<const S*>(src);
    parallel_for(
        l.size() / std::max<int64_t>(cols, 1),
        [&](int64_t begin, int64_t end) {
          for (int64_t r = begin; r < end; ++r) {
            int64_t off = 0, rest = r;
            for (size_t d = nd - 1; d-- > 0;) {
              off += rest % l.dims[d] * l.strides[d];
              rest /= l.dims[d];
            }
            float* out = dst + r * cols;
            for (int64_t j = 0; j < cols; ++j) out[j] = convert<float>(s[off + j * col_stride]);
          }
        },
        cols);
  });
}

}  // namespace

const char* name(MatmulBackend backend) {
  static constexpr const char* kNames[] = {"onednn", "onednn-via-f32", "reference"};
  return kNames[static_cast<int>(backend)];
}

MatmulBackend matmul_backend(DType dtype, DType out_dtype) {
  if (dtype == DType::Float32) return MatmulBackend::OneDnn;
  if (dtype == DType::Float16 || dtype == DType::BFloat16) {
    // Indexed by (dtype is bfloat16, result is float32); thread-safe static initialisation.
    static const MatmulBackend table[2][2] = {
        {probe_16bit(DType::Float16, DType::Float16), probe_16bit(DType::Float16, DType::Float32)},
        {probe_16bit(DType::BFloat16, DType::BFloat16),
         probe_16bit(DType::BFloat16, DType::Float32)}};
    return table[dtype == DType::BFloat16][out_dtype == DType::Float32];
  }
  return MatmulBackend::Reference;
}

// ---------------------------------------------------------------- MatmulPlan
struct MatmulPlan::Impl {
  MatmulProblem problem;
  MatmulEpilogue epilogue;
  bool post_ops = false;  // the oneDNN primitive applies the epilogue; else apply_matmul_epilogue
  MatmulBackend backend = MatmulBackend::Reference;
  std::string implementation;
  bool empty = false;  // some size is 0: nothing to multiply
  int64_t scratch_bytes = 0;
  int threads = 1;  // OpenMP threads the primitive (and its scratchpad size) was created for
  // OneDnn
  dnnl::matmul primitive;
  dnnl::memory::desc a_md, b_md, c_md, scratch_md;
  std::optional<SgemmArgs> sgemm;  // set: dnnl_sgemm instead of the primitive
  // OneDnnViaF32: a float32 plan over dense staging buffers laid out in the scratch memory as
  // [A (a_layout dims) | B | C, unless C is the float32 output itself | inner scratch].
  std::shared_ptr<MatmulPlan> f32;
  OperandLayout a_layout, b_layout;
  int64_t b_at = 0, c_at = 0, inner_at = 0;
};

// What a oneDNN primitive executes on: memory objects describing the operands.  A BoundMatmul
// makes them once, without data, and points them at the operands on every run.
struct MatmulPlan::Args {
  dnnl::memory a, b, c, scratch, bias;
  std::unique_ptr<Args> f32;  // OneDnnViaF32: the inner float32 plan's
};

std::unique_ptr<MatmulPlan::Args> MatmulPlan::make_args(const Impl& im) {
  auto args = std::make_unique<Args>();
  if (im.empty) return args;
  if (im.backend == MatmulBackend::OneDnn && !im.sgemm) {
    dnnl::engine& eng = engine();
    args->a = dnnl::memory(im.a_md, eng, DNNL_MEMORY_NONE);
    args->b = dnnl::memory(im.b_md, eng, DNNL_MEMORY_NONE);
    args->c = dnnl::memory(im.c_md, eng, DNNL_MEMORY_NONE);
    if (im.scratch_bytes > 0) args->scratch = dnnl::memory(im.scratch_md, eng, DNNL_MEMORY_NONE);
    if (im.post_ops && im.epilogue.bias) {
      args->bias = dnnl::memory(bias_desc(im.problem), eng, DNNL_MEMORY_NONE);
    }
  } else if (im.backend == MatmulBackend::OneDnnViaF32) {
    args->f32 = make_args(*im.f32->impl_);
  }
  return args;
}

MatmulPlan MatmulPlan::create(const MatmulProblem& p, const MatmulEpilogue& epilogue) {
  auto impl = std::make_shared<Impl>();
  impl->problem = p;
  impl->epilogue = epilogue;
  impl->backend = matmul_backend(p.dtype, p.out_dtype);
  impl->empty = p.m == 0 || p.n == 0 || p.k == 0 || p.batch_count() == 0;
  sync_omp_threads();  // oneDNN sizes the primitive for this thread's OpenMP setting
  impl->threads = thread_count();
  if (impl->empty) {
    impl->implementation = "empty";
  } else if (impl->backend == MatmulBackend::OneDnn) {
    try {
      const Choice choice = choose_implementation(p, epilogue);
      impl->sgemm = choice.sgemm;
      impl->implementation = choice.sgemm ? "sgemm:jit" : choice.pd.impl_info_str();
      if (!choice.sgemm) {
        const dnnl::matmul::primitive_desc& pd = choice.pd;
        impl->primitive = dnnl::matmul(pd);
        impl->post_ops = !epilogue.empty();
        impl->a_md = pd.src_desc();
        impl->b_md = pd.weights_desc();
        impl->c_md = pd.dst_desc();
        impl->scratch_md = pd.scratchpad_desc();
        impl->scratch_bytes = static_cast<int64_t>(impl->scratch_md.get_size());
      }
    } catch (const dnnl::error& e) {
      fail("dot_general", "oneDNN cannot create a matmul for ", to_string(p), ": ", e.what(),
           "; this is a bug in strata's layout planning, please report it");
    }
  } else if (impl->backend == MatmulBackend::OneDnnViaF32) {
    impl->a_layout = operand_layout(p, true);
    impl->b_layout = operand_layout(p, false);
    MatmulProblem q = p;  // the same product on dense float32 copies
    q.dtype = q.out_dtype = DType::Float32;
    auto dense_batch_strides = [&](const OperandLayout& l, std::vector<int64_t>& out) {
      int64_t s = l.dims[l.dims.size() - 1] * l.dims[l.dims.size() - 2];
      for (size_t i = p.batch.size(); i-- > 0;) {
        out[i] = l.dims[i] == 1 ? 0 : s;
        s *= l.dims[i];
      }
    };
    dense_batch_strides(impl->a_layout, q.a_batch);
    dense_batch_strides(impl->b_layout, q.b_batch);
    q.a_m = p.k, q.a_k = 1, q.b_k = p.n, q.b_n = 1;
    impl->f32 = std::make_shared<MatmulPlan>(create(q));
    impl->b_at = align64(impl->a_layout.size() * 4);
    impl->c_at = impl->b_at + align64(impl->b_layout.size() * 4);
    const int64_t c_bytes = p.out_dtype == DType::Float32 ? 0 : p.batch_count() * p.m * p.n * 4;
    impl->inner_at = impl->c_at + align64(c_bytes);
    impl->scratch_bytes = impl->inner_at + impl->f32->scratch_bytes();
    impl->implementation = "f32 staging + " + impl->f32->implementation();
  } else {
    impl->implementation = "reference";
  }
  MatmulPlan plan;
  plan.impl_ = std::move(impl);
  return plan;
}

// clang-format off
const MatmulProblem& MatmulPlan::problem() const { return impl_->problem; }
const MatmulEpilogue& MatmulPlan::epilogue() const { return impl_->epilogue; }
MatmulBackend MatmulPlan::backend() const { return impl_->backend; }
const std::string& MatmulPlan::implementation() const { return impl_->implementation; }
bool MatmulPlan::is_slow() const { return impl_->implementation.rfind("ref", 0) == 0; }
int64_t MatmulPlan::scratch_bytes() const { return impl_->scratch_bytes; }
int64_t MatmulPlan::staging_bytes() const { return impl_->inner_at; }
int MatmulPlan::threads() const { return impl_->threads; }
// clang-format on

void MatmulPlan::execute(const void* a, const void* b, void* c, void* scratch,
                         const void* bias) const {
  run(a, b, c, scratch, bias, nullptr);
}

void MatmulPlan::run(const void* a, const void* b, void* c, void* scratch, const void* bias,
                     Args* args) const {
  const Impl& im = *impl_;
  const MatmulProblem& p = im.problem;
  if (im.epilogue.bias && bias == nullptr) {
    fail("dot_general", "internal: a plan with a bias epilogue was run without a bias");
  }
  if (im.empty) {  // K = 0 with a non-empty output: the empty sum is 0 (all-zero bits, any dtype)
    const int64_t count = p.batch_count() * p.m * p.n;
    if (count > 0) std::memset(c, 0, static_cast<size_t>(count * itemsize(p.out_dtype)));
  } else {
    execute_product(a, b, c, scratch, bias, args);
  }
  if (!im.post_ops) {
    apply_matmul_epilogue(im.epilogue, p.out_dtype, p.batch_count() * p.m, p.n, c, bias);
  }
}

void MatmulPlan::execute_product(const void* a, const void* b, void* c, void* scratch,
                                 const void* bias, Args* args) const {
  const Impl& im = *impl_;
  const MatmulProblem& p = im.problem;
  switch (im.backend) {
    case MatmulBackend::OneDnn: {
      // Run with the thread count the primitive was created for: its scratchpad is sized for
      // that many threads (more would overrun it), whatever this thread's setting is now.
      const int saved = omp_get_max_threads();
      if (saved != im.threads) omp_set_num_threads(im.threads);
      struct Restore {
        int saved, now;
        ~Restore() {
          if (saved != now) omp_set_num_threads(saved);
        }
      } restore{saved, im.threads};
      if (im.sgemm) {
        run_sgemm(*im.sgemm, p, a, b, c);
        return;
      }
      // One-off callers get memory objects for this call only.
      std::unique_ptr<Args> own = args == nullptr ? make_args(im) : nullptr;
      Args& m = args != nullptr ? *args : *own;
      dnnl::stream& stream = thread_stream();
      dnnl_exec_arg_t list[5];
      int n = 0;
      dnnl_status_t status = dnnl_success;
      auto add = [&](int arg, const dnnl::memory& mem, const void* data) {
        if (status == dnnl_success) {
          status = dnnl_memory_set_data_handle_v2(mem.get(), const_cast<void*>(data), stream.get());
        }
        list[n++] = {arg, mem.get()};
      };
      add(DNNL_ARG_SRC, m.a, a);
      add(DNNL_ARG_WEIGHTS, m.b, b);
      add(DNNL_ARG_DST, m.c, c);
      if (im.scratch_bytes > 0) add(DNNL_ARG_SCRATCHPAD, m.scratch, scratch);
      if (im.post_ops && im.epilogue.bias) {
        add(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, m.bias, bias);
      }
      if (status == dnnl_success) {
        status = dnnl_primitive_execute(im.primitive.get(), stream.get(), n, list);
      }
      if (status != dnnl_success) {
        fail("dot_general", "oneDNN matmul failed for ", to_string(p), " (status ",
             static_cast<int>(status), ")");
      }
      return;
    }
    case MatmulBackend::OneDnnViaF32: {
      char* base = static_cast<char*>(scratch);
      auto* a32 = reinterpret_cast<float*>(base);
      auto* b32 = reinterpret_cast<float*>(base + im.b_at);
      const bool direct = p.out_dtype == DType::Float32;
      auto* c32 = direct ? static_cast<float*>(c) : reinterpret_cast<float*>(base + im.c_at);
      stage_f32(a, p.dtype, im.a_layout, a32);
      stage_f32(b, p.dtype, im.b_layout, b32);
      im.f32->run(a32, b32, c32, base + im.inner_at, nullptr, args ? args->f32.get() : nullptr);
      if (!direct) {
        visit_dtype(p.out_dtype, [&](auto tag) {
          using S = decltype(tag);
          S* out = static_cast<S*>(c);
          parallel_for(p.batch_count() * p.m * p.n, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) out[i] = convert<S>(c32[i]);
          });
        });
      }
      return;
    }
    case MatmulBackend::Reference:
      visit_dtype(p.dtype, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>) {
          fail("dot_general", "internal: 16-bit floats never take the reference path");
        } else {
          reference_matmul(p, static_cast<const T*>(a), static_cast<const T*>(b),
                           static_cast<T*>(c));
        }
      });
      return;
  }
}

void MatmulPlan::execute(const void* a, const void* b, void* c) const {
  const int64_t bytes = scratch_bytes();
  if (bytes <= kThreadScratchLimit) {
    execute(a, b, c, bytes > 0 ? thread_scratch(bytes) : nullptr);
  } else {  // rare (large float16 products): do not pin that much memory to the thread
    const std::shared_ptr<Buffer> buffer = Buffer::allocate(bytes);
    execute(a, b, c, buffer->data());
  }
}

// ---------------------------------------------------------------- BoundMatmul
BoundMatmul::BoundMatmul(MatmulPlan plan)
    : plan_(std::move(plan)),
      args_(MatmulPlan::make_args(*plan_.impl_)),
      scratch_(plan_.scratch_bytes() > 0 ? Buffer::allocate(plan_.scratch_bytes()) : nullptr) {}

BoundMatmul::~BoundMatmul() = default;

void BoundMatmul::execute(const void* a, const void* b, void* c, const void* bias) {
  plan_.run(a, b, c, scratch_ ? scratch_->data() : nullptr, bias, args_.get());
}

// ---------------------------------------------------------------- plan cache
namespace {

// LRU over (problem, thread count): a plan is made for the thread count of its creation.
// Plans are created outside the lock (oneDNN creation takes milliseconds for new shapes); two
// threads racing on one new problem both create it and the first insert wins.
struct PlanKey {
  MatmulProblem problem;
  MatmulEpilogue epilogue;
  int threads;
  bool operator==(const PlanKey&) const = default;
};
struct PlanKeyHash {
  size_t operator()(const PlanKey& k) const {
    const size_t e = (k.epilogue.bias ? 1u : 0u) + 2u * static_cast<size_t>(k.epilogue.activation);
    return (MatmulProblemHash()(k.problem) * 31 + static_cast<size_t>(k.threads)) * 31 + e;
  }
};

class PlanCache {
 public:
  static constexpr size_t kCapacity = 256;

  MatmulPlan get(const MatmulProblem& problem, const MatmulEpilogue& epilogue) {
    const PlanKey p{problem, epilogue, thread_count()};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = index_.find(p); it != index_.end()) {
        entries_.splice(entries_.begin(), entries_, it->second);
        return it->second->second;
      }
    }
    MatmulPlan plan = MatmulPlan::create(problem, epilogue);
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = index_.find(p); it != index_.end()) return it->second->second;
    entries_.emplace_front(p, plan);
    index_.emplace(p, entries_.begin());
    if (entries_.size() > kCapacity) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
    return plan;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    index_.clear();
    entries_.clear();
  }

 private:
  using Entry = std::pair<PlanKey, MatmulPlan>;
  std::mutex mutex_;
  std::list<Entry> entries_;
  std::unordered_map<PlanKey, std::list<Entry>::iterator, PlanKeyHash> index_;
};

PlanCache& plan_cache() {
  static PlanCache cache;
  return cache;
}

}  // namespace

MatmulPlan cached_matmul_plan(const MatmulProblem& problem, const MatmulEpilogue& epilogue) {
  return plan_cache().get(problem, epilogue);
}
size_t matmul_plan_cache_size() {
  return plan_cache().size();
}
void clear_matmul_plan_cache() {
  plan_cache().clear();
}

}  // namespace strata::cpu
