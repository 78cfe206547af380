// The matrix-product kernel behind the dot_general primitive.
//
// Every dot_general is reduced (prim::plan_dot_general) to one canonical batched GEMM,
// C[b] = A[b] · B[b], described purely by sizes and strides: a MatmulProblem.  Operands are
// *views*: a transposed matrix is a stride pattern, a batch axis broadcast with stride 0 is a
// oneDNN batch broadcast.
//
// A MatmulPlan is the problem plus what executes it (oneDNN descriptors and primitive, dnnl_sgemm,
// or the reference loop): created once, executed many times with raw pointers.  The compiled
// executor creates plans at compile time and runs each through a BoundMatmul, which allocates
// nothing per run; eager calls go through a small thread-safe cache of plans keyed by the
// problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/core/array.h"

namespace strata::cpu {

// C[b, m, n] = sum_k A[b, m, k] * B[b, k, n] for every multi-index b over `batch`.
// A and B are addressed from their element [0, ..., 0] by strides in elements; a batch stride of 0
// means the operand is broadcast along that axis.  C is dense row-major [batch..., m, n].
// Size-1 axes never appear in `batch`; strides of size-1 matrix axes are canonicalised (see
// prim::plan_dot_general) so equal problems compare equal.
struct MatmulProblem {
  DType dtype = DType::Float32;           // of A and B
  DType out_dtype = DType::Float32;       // of C: dtype, or float32 for float16/bfloat16 operands
  std::vector<int64_t> batch;             // sizes of C's batch axes, outermost first
  std::vector<int64_t> a_batch, b_batch;  // A's and B's strides along them (0 = broadcast)
  int64_t m = 1, n = 1, k = 1;
  int64_t a_m = 1, a_k = 1;  // A's strides along m and k
  int64_t b_k = 1, b_n = 1;  // B's strides along k and n

  int64_t batch_count() const;  // product of `batch`
  bool operator==(const MatmulProblem&) const = default;
};
struct MatmulProblemHash {
  size_t operator()(const MatmulProblem& p) const;
};
std::string to_string(const MatmulProblem& p);  // for messages and tests

// oneDNN tensors have at most 12 axes, two of them the matrix axes.
inline constexpr size_t kMaxMatmulBatchAxes = 10;

// Who computes a problem of the given dtypes.
enum class MatmulBackend {
  OneDnn,        // oneDNN on the operands as they are (float32, bfloat16 where supported)
  OneDnnViaF32,  // 16-bit floats oneDNN cannot multiply here: converted to float32 and back
  Reference,     // float64, integers, bool: oneDNN 2.6 has no such matmul (see matmul.cpp)
};
// Decided once per dtype pair by asking oneDNN for a primitive (so it follows the CPU).
MatmulBackend matmul_backend(DType dtype, DType out_dtype);
const char* name(MatmulBackend backend);

// Work fused onto the product while C is still in cache: C[b, m, :] += bias (a dense vector of n
// elements of C's dtype, broadcast over batch and m), then the activation.  oneDNN primitives take
// it as post-ops; dnnl_sgemm, the float32 staging and the reference loop apply it right after the
// product (apply_matmul_epilogue, matmul_epilogue.cpp).  tanh and logistic are for floating
// dtypes only, as the unary primitives they replace.
enum class MatmulActivation { None, Relu, Tanh, Logistic };
struct MatmulEpilogue {
  bool bias = false;
  MatmulActivation activation = MatmulActivation::None;
  bool empty() const { return !bias && activation == MatmulActivation::None; }
  bool operator==(const MatmulEpilogue&) const = default;
};
const char* name(MatmulActivation activation);  // "relu", "tanh", ...

// The epilogue on a dense [rows, n] block of `dtype` (any dtype but bool for relu, floating
// dtypes for tanh and logistic), in place.  relu is max(x, 0) as the elementwise maximum computes
// it (NaN stays NaN); tanh and logistic run the unary kernels' own loops.
void apply_matmul_epilogue(const MatmulEpilogue& epilogue, DType dtype, int64_t rows, int64_t n,
                           void* c, const void* bias);

class MatmulPlan {
 public:
  // Builds the executable form of `problem` (oneDNN primitive descriptor and primitive, or the
  // reference loop).  For a small float32/bfloat16 problem this times oneDNN's candidate kernels
  // once and keeps the fastest (milliseconds at most).  Throws strata::Error if oneDNN rejects the
  // layout; prim::plan_dot_general only produces layouts it accepts.
  static MatmulPlan create(const MatmulProblem& problem, const MatmulEpilogue& epilogue = {});

  const MatmulProblem& problem() const;
  const MatmulEpilogue& epilogue() const;
  MatmulBackend backend() const;
  // What runs it: oneDNN's matmul implementation ("brg:avx512_core", "gemm:jit", ...), "sgemm:jit"
  // (dnnl_sgemm, for unbatched float32 products with a row-major B; see
  // choose_implementation in matmul.cpp), "f32 staging + ...", "reference" or "empty".
  const std::string& implementation() const;
  // True when oneDNN could only offer its slow reference implementation for these strides; the
  // caller should then make the operands dense and plan again.
  bool is_slow() const;
  // Bytes of temporary memory one execution needs (oneDNN scratchpad, float32 staging buffers).
  int64_t scratch_bytes() const;
  // The part of scratch_bytes() that holds strata's float32 copies of 16-bit operands and result
  // (the rest is oneDNN's scratchpad, the workspace dnnl_sgemm allocates for itself unseen).
  int64_t staging_bytes() const;
  // The OpenMP thread count the plan was created for and executes with (oneDNN sizes its
  // scratchpad for it).  Create plans after set_num_threads().
  int threads() const;

  // Runs the product.  a and b address element [0, ..., 0] of the operands (laid out as the
  // problem's strides say), c a dense output.  The first form takes scratch memory of at least
  // scratch_bytes() (64-byte aligned; one execution at a time per buffer); the second uses a
  // per-thread buffer.  Plans are immutable: any number of threads may execute one concurrently.
  // `bias` (n dense elements of the output dtype) is read only when the epilogue has one.
  void execute(const void* a, const void* b, void* c, void* scratch,
               const void* bias = nullptr) const;
  void execute(const void* a, const void* b, void* c) const;

 private:
  friend class BoundMatmul;
  struct Impl;
  struct Args;  // one caller's oneDNN memory objects (BoundMatmul)
  static std::unique_ptr<Args> make_args(const Impl& impl);
  // execute, with `args` (or, when null, memory objects made for this call).
  void run(const void* a, const void* b, void* c, void* scratch, const void* bias,
           Args* args) const;
  // The product alone, by backend (the epilogue is run's).
  void execute_product(const void* a, const void* b, void* c, void* scratch, const void* bias,
                       Args* args) const;
  std::shared_ptr<const Impl> impl_;
};

// A plan bound to one caller, which runs it many times without allocating: it owns the scratch
// memory and, for oneDNN primitives, memory objects made once and only pointed at the operands
// on each run, which go to dnnl_primitive_execute in a fixed argument array.  (oneDNN's execute
// still builds its own argument map inside the library on every call; no caller can avoid
// that.)  The compiled executor holds one per matrix-product kernel.  Not thread-safe: one
// execution at a time.
class BoundMatmul {
 public:
  explicit BoundMatmul(MatmulPlan plan);
  ~BoundMatmul();
  BoundMatmul(const BoundMatmul&) = delete;
  BoundMatmul& operator=(const BoundMatmul&) = delete;

  const MatmulPlan& plan() const { return plan_; }
  // As MatmulPlan::execute, with the owned scratch memory.
  void execute(const void* a, const void* b, void* c, const void* bias = nullptr);

 private:
  MatmulPlan plan_;
  std::unique_ptr<MatmulPlan::Args> args_;
  std::shared_ptr<Buffer> scratch_;
};

// The eager path's plan cache: a plan per (problem, thread count), created on first use
// (thread-safe, LRU, bounded).  The size/clear functions exist for tests.
MatmulPlan cached_matmul_plan(const MatmulProblem& problem, const MatmulEpilogue& epilogue = {});
size_t matmul_plan_cache_size();
void clear_matmul_plan_cache();

}  // namespace strata::cpu
