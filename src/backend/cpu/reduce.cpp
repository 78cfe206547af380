// Reduction kernels.
//
// Plan: drop size-1 axes, order the remaining axes by memory stride (so a transposed view is read
// in memory order without a copy; any other view is made dense first), merge neighbouring axes of
// equal status (kept / reduced), and walk the result with one odometer whose innermost step is
// either
//   (a) innermost axis reduced: a contiguous run folded to one value (row sums, full sums), or
//   (b) innermost axis kept: a whole row folded elementwise into the output (column sums).
// Threads split the outputs (each output is then computed by one thread in serial order) or, when
// there are too few outputs, the largest reduced axis into a fixed number of partial results
// combined in a fixed order afterwards: the result does not depend on the thread count.
#include "backend/cpu/reduce.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "backend/cpu/parallel.h"
#include "backend/cpu/strided.h"

namespace strata::cpu {

const char* name(ReduceOp op) {
  static constexpr const char* kNames[] = {"reduce_sum", "reduce_max", "reduce_min"};
  return kNames[static_cast<int>(op)];
}

namespace {

// Kept-axis columns per work item when threads split the innermost (contiguous) kept axis:
// wide enough for whole vectors, narrow enough to balance a [64, 512] column sum.
constexpr int64_t kColumnBlock = 64;
// Accumulators for folding a contiguous run: two 64-byte vectors of lanes (GCC/Clang vector
// extensions, lowered to the machine's registers: one zmm or two ymm each).  Explicit vectors
// keep the partial results in registers, where a lane array is at the optimiser's mercy, and fix
// the lane layout, so results do not change with the instruction set.  Every lane sums only a
// fraction of the run, which also helps accuracy.
template <typename T>
struct VecOf {
  typedef T type __attribute__((vector_size(64)));
};
template <typename T>
using Vec = typename VecOf<T>::type;
template <typename T>
constexpr int kWidth = static_cast<int>(64 / sizeof(T));  // elements per Vec<T>
// Longer floating-point sums split in halves recursively (pairwise summation over leaves of at
// most this many elements), so rounding error grows with log(n) instead of n.
constexpr int64_t kLeaf = 2048;

template <typename T>
constexpr bool kFloat = std::is_floating_point_v<T>;

// combine() is written once for scalars and for Vec<T> (elementwise).

// Integers sum in the unsigned type of their width, so overflow wraps (as XLA does) instead of
// being undefined; bool never sums (the primitive rejects it) and is only instantiated.
template <typename T>
struct SumOp {
  static constexpr bool kPairwise = kFloat<T>;
  static T identity() { return T(0); }
  template <typename U>
  static U combine(U a, U b) {
    return static_cast<U>(a + b);
  }
  // The sum of n copies of each element: one rounding instead of n (for integers, it wraps the
  // same way the n additions would).
  static T repeat(T v, int64_t n) { return static_cast<T>(v * static_cast<T>(n)); }
};

// Max and min propagate NaN: once an accumulator holds NaN it stays NaN, and a NaN operand is
// taken.  Written as a branch-free select so the loops vectorise (compare, compare, blend).
template <typename T, bool kMax>
struct ExtremeOp {
  static constexpr bool kPairwise = false;  // exact: order does not matter
  static T identity() {
    if constexpr (kFloat<T>) {
      return kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    } else {
      return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
    }
  }
  template <typename U>
  static U combine(U a, U b) {
    if constexpr (kFloat<T>) {
      if constexpr (kMax) return ((b > a) | is_nan(b)) ? b : a;
      if constexpr (!kMax) return ((b < a) | is_nan(b)) ? b : a;
    } else {
      if constexpr (kMax) return b > a ? b : a;
      if constexpr (!kMax) return b < a ? b : a;
    }
  }
  static T repeat(T v, int64_t) { return v; }
};

// Folds a contiguous run into one value: two vector accumulators, then their lanes pairwise.
template <typename Op, typename T>
T fold_leaf(const T* x, int64_t n) {
  using V = Vec<T>;
  constexpr int W = kWidth<T>;
  T result = Op::identity();
  int64_t i = 0;
  if (n >= 2 * W) {
    V a, b;
    for (int j = 0; j < W; ++j) a[j] = b[j] = Op::identity();
    for (; i + 2 * W <= n; i += 2 * W) {
      V xa, xb;
      std::memcpy(&xa, x + i, sizeof(V));  // unaligned vector loads
      std::memcpy(&xb, x + i + W, sizeof(V));
      a = Op::combine(a, xa);
      b = Op::combine(b, xb);
    }
    a = Op::combine(a, b);
    T lane[W];
    std::memcpy(lane, &a, sizeof(V));
    for (int w = W / 2; w > 0; w /= 2) {  // pairwise, for the same accuracy reason
      for (int j = 0; j < w; ++j) lane[j] = Op::combine(lane[j], lane[j + w]);
    }
    result = lane[0];
  }
  for (; i < n; ++i) result = Op::combine(result, x[i]);
  return result;
}

template <typename Op, typename T>
T fold_run(const T* x, int64_t n) {
  if (!Op::kPairwise || n <= kLeaf) return fold_leaf<Op>(x, n);
  const int64_t half = n / 2 / (2 * kWidth<T>)*(2 * kWidth<T>);  // whole vector pairs left
  return Op::combine(fold_run<Op>(x, half), fold_run<Op>(x + half, n - half));
}

// acc[j * stride] = combine(acc[j * stride], x[j]) for j < n.
template <typename Op, typename T>
void fold_row(T* acc, int64_t stride, const T* x, int64_t n) {
  if (stride == 1) {
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) acc[j] = Op::combine(acc[j], x[j]);
  } else {
    for (int64_t j = 0; j < n; ++j) acc[j * stride] = Op::combine(acc[j * stride], x[j]);
  }
}

// One axis of the loop nest.  out_stride is 0 for reduced axes.
struct Dim {
  int64_t size;
  int64_t in_stride;
  int64_t out_stride;
  bool reduced;
};

// The loop nest for reducing `x`: its axes of size > 1 in memory order (by falling |stride|),
// neighbours of equal status merged.  A reduced axis of stride 0 (a broadcast) is dropped: each
// element then repeats `repeat` times, which leaves max / min unchanged and multiplies a sum.
// Kept broadcast axes go outermost and simply revisit the same elements.  Strides may be
// negative or leave gaps (slices); only the innermost axis must be contiguous, else `ok` is false
// and the caller makes x dense first.
struct Plan {
  std::vector<Dim> dims;
  int64_t repeat = 1;
  bool ok = true;
};

Plan plan_loops(const Shape& shape, const Strides& strides, const std::vector<bool>& reduced) {
  const int nd = static_cast<int>(shape.size());
  std::vector<int64_t> out_strides(static_cast<size_t>(nd), 0);
  for (int64_t i = nd - 1, stride = 1; i >= 0; --i) {
    if (!reduced[static_cast<size_t>(i)]) {
      out_strides[static_cast<size_t>(i)] = stride;
      stride *= shape[static_cast<size_t>(i)];
    }
  }
  Plan plan;
  std::vector<Dim> sorted;
  for (int i = 0; i < nd; ++i) {
    const auto u = static_cast<size_t>(i);
    if (shape[u] == 1) continue;
    if (reduced[u] && strides[u] == 0) {
      plan.repeat *= shape[u];
      continue;
    }
    sorted.push_back({shape[u], strides[u], out_strides[u], reduced[u]});
  }
  auto key = [](const Dim& d) {
    return d.in_stride == 0 ? std::numeric_limits<int64_t>::max() : std::abs(d.in_stride);
  };
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](const Dim& a, const Dim& b) { return key(a) > key(b); });
  plan.ok = sorted.empty() || sorted.back().in_stride == 1;
  for (const Dim& d : sorted) {
    if (!plan.dims.empty()) {
      Dim& prev = plan.dims.back();
      if (prev.reduced == d.reduced && prev.in_stride == d.in_stride * d.size &&
          (d.reduced || prev.out_stride == d.out_stride * d.size)) {
        prev.size *= d.size;
        prev.in_stride = d.in_stride;
        prev.out_stride = d.out_stride;
        continue;
      }
    }
    plan.dims.push_back(d);
  }
  return plan;
}

// Odometer bounds and indices, one per loop axis (inline: no allocation per run).
using Box = SmallVector<int64_t>;

// Runs the loop nest over the box [lo, hi) of `dims`, folding into `out`.
template <typename Op, typename T>
void run_box(const std::vector<Dim>& dims, const Box& lo, const Box& hi, const T* in, T* out) {
  const int n = static_cast<int>(dims.size());
  int64_t in_off = 0, out_off = 0;
  for (int d = 0; d < n; ++d) {
    if (hi[d] <= lo[d]) return;
    in_off += lo[d] * dims[d].in_stride;
    out_off += lo[d] * dims[d].out_stride;
  }
  const Dim& inner = dims[n - 1];
  const int64_t len = hi[n - 1] - lo[n - 1];
  Box idx = lo;
  while (true) {
    if (inner.reduced) {
      out[out_off] = Op::combine(out[out_off], fold_run<Op>(in + in_off, len));
    } else {
      fold_row<Op>(out + out_off, inner.out_stride, in + in_off, len);
    }
    int d = n - 2;
    for (; d >= 0; --d) {  // odometer over the outer axes
      ++idx[d];
      in_off += dims[d].in_stride;
      out_off += dims[d].out_stride;
      if (idx[d] < hi[d]) break;
      const int64_t span = hi[d] - lo[d];
      idx[d] = lo[d];
      in_off -= span * dims[d].in_stride;
      out_off -= span * dims[d].out_stride;
    }
    if (d < 0) return;
  }
}

// How many partial results a split reduced axis gives at most.  The split depends on the sizes
// only, never on the thread count (threads share out the chunks), so a reduction gives the same
// bits at every thread count.
constexpr int64_t kReduceChunks = 8;

// `partial` holds the per-chunk partial results of a split reduced axis; it is sized on the first
// run and reused by every later one.
template <typename Op, typename T>
void reduce_planned(const std::vector<Dim>& dims, const T* in, T* out, int64_t out_size,
                    std::vector<std::byte>& partial) {
  const int n = static_cast<int>(dims.size());
  Box lo(static_cast<size_t>(n), 0), hi(static_cast<size_t>(n), 0);
  int64_t total = 1;
  for (int d = 0; d < n; ++d) total *= (hi[d] = dims[d].size);
  if (total < kParallelGrain) {
    run_box<Op>(dims, lo, hi, in, out);
    return;
  }
  // Split the kept axis that gives the most work items (outputs are disjoint per item).
  int best = -1;
  int64_t best_items = 0;
  for (int d = 0; d < n; ++d) {
    if (dims[d].reduced) continue;
    const int64_t items =
        d == n - 1 ? (dims[d].size + kColumnBlock - 1) / kColumnBlock : dims[d].size;
    if (items > best_items) best = d, best_items = items;
  }
  if (best >= 0 && best_items >= kReduceChunks) {
    const int64_t unit = best == n - 1 ? kColumnBlock : 1;
    parallel_for(
        best_items,
        [&](int64_t begin, int64_t end) {
          Box l = lo, h = hi;
          l[best] = begin * unit;
          h[best] = std::min(dims[best].size, end * unit);
          run_box<Op>(dims, l, h, in, out);
        },
        total / best_items);
    return;
  }
  // Too few outputs: split the largest reduced axis into `chunks` partial results.
  int r = 0;
  for (int d = 0; d < n; ++d) {
    if (dims[d].reduced && (!dims[r].reduced || dims[d].size > dims[r].size)) r = d;
  }
  const int64_t chunks = std::min<int64_t>(
      {kReduceChunks, total / kParallelGrain, dims[r].reduced ? dims[r].size : 1});
  if (chunks <= 1) {
    run_box<Op>(dims, lo, hi, in, out);
    return;
  }
  const auto partial_count = static_cast<size_t>((chunks - 1) * out_size);
  if (partial.size() < partial_count * sizeof(T)) partial.resize(partial_count * sizeof(T));
  T* const part = reinterpret_cast<T*>(partial.data());
  std::fill(part, part + partial_count, Op::identity());
  // One chunk per item: the chunk boundaries depend only on `chunks`, not on how
  // parallel_for groups items among threads.
  parallel_for(
      chunks,
      [&](int64_t begin, int64_t end) {
        for (int64_t c = begin; c < end; ++c) {
          Box l = lo, h = hi;
          l[r] = dims[r].size * c / chunks;
          h[r] = dims[r].size * (c + 1) / chunks;
          run_box<Op>(dims, l, h, in, c == 0 ? out : part + (c - 1) * out_size);
        }
      },
      kParallelGrain);
  for (int64_t c = 1; c < chunks; ++c) {
    fold_row<Op>(out, 1, part + (c - 1) * out_size, out_size);
  }
}

// Folds `in` (laid out as `plan` says) into out_size elements of T (the same bytes as the
// storage, or the unsigned twin of an integer type).
template <typename Op, typename T>
void reduce_as(const Plan& plan, int64_t in_size, const void* in_data, T* out, int64_t out_size,
               std::vector<std::byte>& partial) {
  std::fill(out, out + out_size, Op::identity());
  if (in_size == 0) return;  // an empty reduction: the identity
  const T* in = static_cast<const T*>(in_data);
  if (plan.dims.empty()) {  // one distinct element (and one output), possibly repeated
    out[0] = Op::combine(out[0], in[0]);
  } else {
    reduce_planned<Op>(plan.dims, in, out, out_size, partial);
  }
  if (plan.repeat != 1) {
    for (int64_t i = 0; i < out_size; ++i) out[i] = Op::repeat(out[i], plan.repeat);
  }
}

template <typename T>
void reduce_typed(ReduceOp op, const Plan& plan, int64_t in_size, const void* in, T* out,
                  int64_t out_size, std::vector<std::byte>& partial) {
  switch (op) {
    case ReduceOp::Sum:
      return reduce_as<SumOp<T>>(plan, in_size, in, out, out_size, partial);
    case ReduceOp::Max:
      return reduce_as<ExtremeOp<T, true>>(plan, in_size, in, out, out_size, partial);
    case ReduceOp::Min:
      return reduce_as<ExtremeOp<T, false>>(plan, in_size, in, out, out_size, partial);
  }
}

bool is_16bit(DType d) {
  return d == DType::Float16 || d == DType::BFloat16;
}

}  // namespace

struct ReduceKernel::State {
  ReduceOp op;
  DType dtype;
  int64_t size = 0;    // elements of the operand
  bool folds = false;  // does any output combine more (or fewer) than one element?
  Plan plan;
  // Where the loop nest reads when the operand is not read in place: a float32 copy of a 16-bit
  // operand (then `wide_out` receives the float32 result), or a dense copy of a view whose
  // innermost axis is not contiguous.
  Array staging, wide_out;
  std::vector<std::byte> partial;
};

ReduceKernel::ReduceKernel(ReduceOp op, const Shape& shape, const Strides& strides, DType dtype,
                           const std::vector<int>& axes)
    : state_(std::make_unique<State>()) {
  State& st = *state_;
  st.op = op;
  st.dtype = dtype;
  st.size = detail::shape_size(shape);
  std::vector<bool> reduced(shape.size(), false);
  Shape out_shape;
  for (int a : axes) {
    reduced[static_cast<size_t>(a)] = true;
    st.folds = st.folds || shape[static_cast<size_t>(a)] != 1;
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!reduced[i]) out_shape.push_back(shape[i]);
  }
  // Only size-1 axes reduced: run() copies the same elements in the same row-major order.
  if (!st.folds) return;
  if (is_16bit(dtype)) {
    // Widen once to float32 (exact), reduce there, round once at the end.
    st.staging = detail::empty(shape, DType::Float32);
    st.wide_out = detail::empty(out_shape, DType::Float32);
  } else {
    st.plan = plan_loops(shape, strides, reduced);
    if (!st.plan.ok) st.staging = detail::empty(shape, dtype);
  }
  if (st.staging.valid()) {
    st.plan = plan_loops(shape, st.staging.strides(), reduced);
  }
}

ReduceKernel::~ReduceKernel() = default;

int64_t ReduceKernel::staging_bytes() const {
  const State& st = *state_;
  return (st.staging.valid() ? st.staging.nbytes() : 0) +
         (st.wide_out.valid() ? st.wide_out.nbytes() : 0);
}

void ReduceKernel::run(const Array& x, const Array& out) {
  State& st = *state_;
  const int64_t out_size = out.size();
  if (out_size == 0) return;
  if (!st.folds) {
    copy_into(x, out);
    return;
  }
  const void* in = nullptr;  // an empty operand is never read
  if (st.size > 0 && st.staging.valid()) {
    copy_into(x, st.staging);
    in = st.staging.data();
  } else if (st.size > 0) {
    in = x.data();
  }
  void* dst = detail::mutable_data(out);
  visit_dtype(st.dtype, [&](auto tag) {
    using S = decltype(tag);
    if constexpr (std::is_same_v<S, float16_t> || std::is_same_v<S, bfloat16_t>) {
      reduce_typed(st.op, st.plan, st.size, in,
                   static_cast<float*>(detail::mutable_data(st.wide_out)), out_size, st.partial);
      copy_into(st.wide_out, out);
    } else if constexpr (std::is_same_v<S, bool>) {
      // bytes holding 0 / 1
      reduce_typed(st.op, st.plan, st.size, in, static_cast<uint8_t*>(dst), out_size, st.partial);
    } else if constexpr (std::is_integral_v<S>) {
      if (st.op == ReduceOp::Sum) {  // signed and unsigned twins may alias: wrap-around sums
        reduce_typed(st.op, st.plan, st.size, in, static_cast<std::make_unsigned_t<S>*>(dst),
                     out_size, st.partial);
      } else {
        reduce_typed(st.op, st.plan, st.size, in, static_cast<S*>(dst), out_size, st.partial);
      }
    } else {
      reduce_typed(st.op, st.plan, st.size, in, static_cast<S*>(dst), out_size, st.partial);
    }
  });
}

void reduce(ReduceOp op, const Array& x, const std::vector<int>& axes, const Array& out) {
  ReduceKernel(op, x.shape(), x.strides(), x.dtype(), axes).run(x, out);
}

// ---------------------------------------------------------------- argmax / argmin
namespace {

template <typename T, bool kMax>
bool better(T candidate, T best) {
  bool take = kMax ? candidate > best : candidate < best;
  if constexpr (kFloat<T>) take = take | (is_nan(candidate) & !is_nan(best));
  return take;
}

// Index of the first extreme element of a contiguous run (n >= 1), in two vectorised passes:
// the extreme value (NaN if any), then the first element equal to it (or the first NaN).  Both
// passes are branch-free within a block, unlike a running compare-and-branch loop.
template <typename T, bool kMax>
int32_t arg_run(const T* x, int64_t n) {
  const T m = fold_run<ExtremeOp<T, kMax>>(x, n);
  const bool find_nan = kFloat<T> && is_nan(m);
  constexpr int64_t kBlock = 64;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    int hit = 0;
#pragma omp simd reduction(| : hit)
    for (int64_t i = b; i < e; ++i) hit |= find_nan ? x[i] != x[i] : x[i] == m;
    if (!hit) continue;
    for (int64_t i = b; i < e; ++i) {
      if (find_nan ? x[i] != x[i] : x[i] == m) return static_cast<int32_t>(i);
    }
  }
  return 0;  // not reached: m is one of the elements
}

// x is [outer, n, inner] dense; out is [outer, inner].
template <typename T, bool kMax>
void arg_dense(const T* x, int64_t outer, int64_t n, int64_t inner, int32_t* out) {
  if (inner == 1) {
    parallel_for(
        outer,
        [&](int64_t begin, int64_t end) {
          for (int64_t o = begin; o < end; ++o) out[o] = arg_run<T, kMax>(x + o * n, n);
        },
        n);
    return;
  }
  // Columns in blocks: rows are read contiguously and the running extremes stay in L1.
  const int64_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  parallel_for(
      outer * blocks,
      [&](int64_t begin, int64_t end) {
        T best[kColumnBlock];
        for (int64_t item = begin; item < end; ++item) {
          const int64_t o = item / blocks, c0 = item % blocks * kColumnBlock;
          const int64_t w = std::min(kColumnBlock, inner - c0);
          const T* base = x + o * n * inner + c0;
          int32_t* index = out + o * inner + c0;
          for (int64_t j = 0; j < w; ++j) best[j] = base[j], index[j] = 0;
          for (int64_t i = 1; i < n; ++i) {
            const T* row = base + i * inner;
            for (int64_t j = 0; j < w; ++j) {
              const bool take = better<T, kMax>(row[j], best[j]);
              best[j] = take ? row[j] : best[j];
              index[j] = take ? static_cast<int32_t>(i) : index[j];
            }
          }
        }
      },
      n * kColumnBlock);
}

}  // namespace

void arg_reduce(bool is_max, const Array& x, int axis, const Array& out, const Array* staging) {
  if (out.size() == 0) return;
  const AxisSplit s = split_at_axis(x.shape(), axis);
  auto* dst = static_cast<int32_t*>(detail::mutable_data(out));
  visit_dtype(x.dtype(), [&](auto tag) {
    using S = decltype(tag);
    constexpr bool kHalf = std::is_same_v<S, float16_t> || std::is_same_v<S, bfloat16_t>;
    using T =
        std::conditional_t<kHalf, float, std::conditional_t<std::is_same_v<S, bool>, uint8_t, S>>;
    Array src;
    if (!kHalf && x.is_contiguous()) {
      src = x;
    } else if (staging != nullptr) {
      copy_into(x, *staging);
      src = *staging;
    } else {
      src = contiguous_copy(x, kHalf ? DType::Float32 : x.dtype());
    }
    const T* data = static_cast<const T*>(src.data());
    if (is_max) {
      arg_dense<T, true>(data, s.outer, s.n, s.inner, dst);
    } else {
      arg_dense<T, false>(data, s.outer, s.n, s.inner, dst);
    }
  });
}

}  // namespace strata::cpu
