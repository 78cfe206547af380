#include "backend/cpu/fused_elementwise.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

#include "backend/cpu/parallel.h"
#include "backend/cpu/strided.h"

namespace strata::cpu {

namespace {

// Elements per block: a few scratch blocks of doubles stay resident in L1/L2 while every step of
// the program runs over them.
constexpr int64_t kBlock = 1024;

int64_t lane_bytes(DType d) {
  return d == DType::Float64 ? 8 : d == DType::Float32 ? 4 : 1;
}

// Calls fn(Storage{}, Lane{}) for a fusable dtype; bool computes as uint8_t holding 0 or 1.
template <typename Fn>
void visit_lane(DType d, Fn&& fn) {
  switch (d) {
    case DType::Float32:
      return fn(float{}, float{});
    case DType::Float64:
      return fn(double{}, double{});
    case DType::Bool:
      return fn(bool{}, uint8_t{});
    default:
      fail("fused_elementwise", "dtype ", d, " is not fused (only float32, float64 and bool)");
  }
}

int64_t step_cost(const FusedInstr& s) {
  if (s.kind == FusedKind::Unary) return unary_cost(static_cast<UnaryOp>(s.code));
  if (s.kind == FusedKind::Binary) return binary_cost(static_cast<BinaryOp>(s.code));
  return 1;
}

// Runs one step over n elements.  The unary/binary/compare loops are the unfused kernels' own.
void run_step(const FusedInstr& s, int64_t n, const void* const* args, void* y) {
  visit_lane(s.arg_dtype, [&](auto storage, auto lane) {
    using S = decltype(storage);
    using L = decltype(lane);
    const L* a = static_cast<const L*>(args[0]);
    switch (s.kind) {
      case FusedKind::Unary:
        unary_span(static_cast<UnaryOp>(s.code), n, a, static_cast<L*>(y));
        return;
      case FusedKind::Binary:
        binary_span(static_cast<BinaryOp>(s.code), n, a, static_cast<const L*>(args[1]),
                    static_cast<L*>(y));
        return;
      case FusedKind::Compare:
        compare_span(static_cast<CompareOp>(s.code), n, a, static_cast<const L*>(args[1]),
                     static_cast<uint8_t*>(y));
        return;
      case FusedKind::Select: {
        // args are (pred, on_true, on_false); arg_dtype is the branches' dtype.
        const auto* pred = static_cast<const uint8_t*>(args[0]);
        const L* t = static_cast<const L*>(args[1]);
        const L* f = static_cast<const L*>(args[2]);
        L* out = static_cast<L*>(y);
        for (int64_t i = 0; i < n; ++i) out[i] = pred[i] != 0 ? t[i] : f[i];
        return;
      }
      case FusedKind::Convert:
        // Through the storage types, exactly as copy_into converts (bool: 0/1, != 0).
        visit_lane(s.dtype, [&](auto to_storage, auto to_lane) {
          using DS = decltype(to_storage);
          using DL = decltype(to_lane);
          DL* out = static_cast<DL*>(y);
          for (int64_t i = 0; i < n; ++i) {
            out[i] = static_cast<DL>(convert<DS>(static_cast<S>(a[i])));
          }
        });
        return;
    }
  });
}

}  // namespace

FusedKernel::FusedKernel(FusedProgram program, std::vector<StridedReader> inputs, int64_t n)
    : program_(std::move(program)), readers_(std::move(inputs)), n_(n) {
  const int ni = program_.num_inputs;
  const int ns = static_cast<int>(program_.steps.size());
  if (static_cast<int>(readers_.size()) != ni) {
    fail("fused_elementwise", "expected ", ni, " inputs, found ", readers_.size());
  }
  for (const FusedInstr& s : program_.steps) {
    if (s.args.empty() || s.args.size() > 3) {
      fail("fused_elementwise", "internal: a step with ", s.args.size(), " operands");
    }
  }
  // Where each step writes: the first output naming it (in place, no copy), else a scratch
  // buffer.  Buffers are recycled once a step's last reader has run, so a long chain needs only
  // as many blocks as values live at once.
  out_of_step_.assign(static_cast<size_t>(ns), -1);
  for (size_t j = 0; j < program_.outputs.size(); ++j) {
    int& o = out_of_step_[static_cast<size_t>(program_.outputs[j])];
    if (o < 0) o = static_cast<int>(j);
  }
  std::vector<int> last_use(static_cast<size_t>(ni + ns), -1);
  for (int k = 0; k < ns; ++k) {
    for (int a : program_.steps[static_cast<size_t>(k)].args) last_use[static_cast<size_t>(a)] = k;
  }
  buffer_of_.assign(static_cast<size_t>(ni + ns), -1);
  std::vector<int> free_buffers;
  auto take = [&] {
    if (free_buffers.empty()) return num_buffers_++;
    const int b = free_buffers.back();
    free_buffers.pop_back();
    return b;
  };
  // Inputs that are not one dense run are gathered into a buffer per block.
  for (int i = 0; i < ni; ++i) {
    if (!readers_[static_cast<size_t>(i)].dense()) buffer_of_[static_cast<size_t>(i)] = take();
  }
  // Step results are released after their last reader (inputs are all gathered at the start
  // of a block, so their buffers stay taken).  A step's own buffer is taken before its operands'
  // are released, so no step writes over an operand it is reading.
  std::vector<bool> released(static_cast<size_t>(ni + ns), false);
  for (int k = 0; k < ns; ++k) {
    if (out_of_step_[static_cast<size_t>(k)] < 0) buffer_of_[static_cast<size_t>(ni + k)] = take();
    for (int a : program_.steps[static_cast<size_t>(k)].args) {
      const auto sa = static_cast<size_t>(a);
      if (a >= ni && last_use[sa] == k && buffer_of_[sa] >= 0 && !released[sa]) {
        free_buffers.push_back(buffer_of_[sa]);
        released[sa] = true;
      }
    }
  }

  cost_ = 0;
  for (const FusedInstr& s : program_.steps) cost_ += step_cost(s);
  cost_ = std::max<int64_t>(cost_, 1);

  slot_dtype_.resize(static_cast<size_t>(ni + ns));
  for (int i = 0; i < ni; ++i) {
    slot_dtype_[static_cast<size_t>(i)] = readers_[static_cast<size_t>(i)].dtype();
  }
  for (int k = 0; k < ns; ++k) {
    slot_dtype_[static_cast<size_t>(ni + k)] = program_.steps[static_cast<size_t>(k)].dtype;
  }
  // Per chunk: the scratch blocks, then the slots' current addresses.
  const auto slot_bytes = static_cast<int64_t>(sizeof(const void*)) * (ni + ns);
  // A block holds kBlock lanes of the widest dtype, or the whole loop when it is shorter (a scan
  // body's layer), rounded up to 64 bytes.
  int64_t widest = 1;
  for (DType d : slot_dtype_) widest = std::max(widest, lane_bytes(d));
  block_bytes_ = (std::min(kBlock, std::max<int64_t>(n_, 1)) * widest + 63) / 64 * 64;
  chunk_bytes_ = num_buffers_ * block_bytes_ + (slot_bytes + 63) / 64 * 64;
  // Allocated now, for the current thread count, so a compiled plan can count it.
  scratch_ = Buffer::allocate(std::max<int64_t>(parallel_chunks(n_, cost_) * chunk_bytes_, 64));
}

void FusedKernel::run(const std::vector<Array>& inputs, const std::vector<Array>& outputs) {
  const int ni = program_.num_inputs;
  const int ns = static_cast<int>(program_.steps.size());
  if (static_cast<int>(inputs.size()) != ni || outputs.size() != program_.outputs.size()) {
    fail("fused_elementwise", "expected ", ni, " inputs and ", program_.outputs.size(),
         " outputs, found ", inputs.size(), " and ", outputs.size());
  }
  if (outputs.empty()) return;
  for (int i = 0; i < ni; ++i) {
    readers_[static_cast<size_t>(i)].rebase(inputs[static_cast<size_t>(i)].data());
  }
  const int64_t chunks = parallel_chunks(n_, cost_);
  if (!scratch_ || scratch_->bytes() < chunks * chunk_bytes_) {
    scratch_ = Buffer::allocate(std::max<int64_t>(chunks * chunk_bytes_, 64));
  }

  parallel_for_chunks(n_, chunks, [&](int64_t chunk, int64_t begin, int64_t end) {
    std::byte* scratch = static_cast<std::byte*>(scratch_->data()) + chunk * chunk_bytes_;
    auto* slot = reinterpret_cast<const void**>(scratch + num_buffers_ * block_bytes_);
    for (int64_t t = begin; t < end; t += kBlock) {
      const int64_t m = std::min(kBlock, end - t);
      for (int i = 0; i < ni; ++i) {
        const auto si = static_cast<size_t>(i);
        const StridedReader& reader = readers_[si];
        const int b = buffer_of_[si];
        if (b < 0) {
          slot[si] = static_cast<const std::byte*>(reader.base()) + t * lane_bytes(slot_dtype_[si]);
          continue;
        }
        std::byte* buf = scratch + b * block_bytes_;
        visit_lane(slot_dtype_[si], [&](auto, auto lane) {
          reader.read(t, m, reinterpret_cast<decltype(lane)*>(buf));
        });
        slot[si] = buf;
      }
      for (int k = 0; k < ns; ++k) {
        const FusedInstr& s = program_.steps[static_cast<size_t>(k)];
        const auto sk = static_cast<size_t>(ni + k);
        void* y;
        if (const int o = out_of_step_[static_cast<size_t>(k)]; o >= 0) {
          y = static_cast<std::byte*>(detail::mutable_data(outputs[static_cast<size_t>(o)])) +
              t * lane_bytes(s.dtype);
        } else {
          y = scratch + buffer_of_[sk] * block_bytes_;
        }
        const void* args[3] = {};  // select has the most operands
        for (size_t a = 0; a < s.args.size(); ++a) args[a] = slot[static_cast<size_t>(s.args[a])];
        run_step(s, m, args, y);
        slot[sk] = y;
      }
      // An output step named twice is copied into its later outputs.
      for (size_t j = 0; j < program_.outputs.size(); ++j) {
        const int k = program_.outputs[j];
        if (out_of_step_[static_cast<size_t>(k)] == static_cast<int>(j)) continue;
        const int64_t bytes = lane_bytes(program_.steps[static_cast<size_t>(k)].dtype);
        std::memcpy(static_cast<std::byte*>(detail::mutable_data(outputs[j])) + t * bytes,
                    slot[static_cast<size_t>(ni + k)], static_cast<size_t>(m * bytes));
      }
    }
  });
}

}  // namespace strata::cpu
