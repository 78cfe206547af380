#include "backend/cpu/data_movement.h"

#include <cstring>
#include <type_traits>

#include "backend/cpu/parallel.h"
#include "backend/cpu/strided.h"

namespace strata::cpu {

namespace {

// Below this many elements per dense block, reading a strided source block by block costs more
// (the reader recomputes its position each call) than materialising the source once.
constexpr int64_t kMinStridedBlock = 64;

// Copies elements [begin, begin + n) of `reader`'s view (row-major order) into dst, same dtype.
void read_block(const StridedReader& reader, int64_t begin, int64_t n, void* dst) {
  visit_dtype(reader.dtype(), [&](auto tag) {
    using T = decltype(tag);
    reader.read<T>(begin, n, static_cast<T*>(dst));
  });
}

// a + b in the compute type C, stored as T; integers wrap around (as sums do) instead of
// overflowing.
template <typename T, typename C>
T add(T a, T b) {
  if constexpr (std::is_integral_v<C>) {
    using U = wrap_unsigned_t<C>;
    return static_cast<T>(static_cast<C>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return convert<T>(static_cast<C>(convert<C>(a) + convert<C>(b)));
  }
}

}  // namespace

namespace {

// The elements of `window` that are one dense run in dst: trailing axes the window spans
// completely merge with the first axis (from the end) that it does not, so axis-0 concatenation
// is one block per operand and a last-axis one is one block per row.  `split` receives that axis.
int64_t window_block(const Shape& window, const Shape& full, int* split) {
  const int nd = static_cast<int>(window.size());
  int s = nd - 1;
  while (s > 0 && window[static_cast<size_t>(s)] == full[static_cast<size_t>(s)]) --s;
  int64_t block = 1;
  for (int i = std::max(s, 0); i < nd; ++i) block *= window[static_cast<size_t>(i)];
  if (split != nullptr) *split = s;
  return block;
}

}  // namespace

bool window_needs_staging(const Array& src, const Shape& dst_shape) {
  return src.size() > 0 && !src.is_contiguous() &&
         window_block(src.shape(), dst_shape, nullptr) < kMinStridedBlock;
}

void write_window(const Array& src_in, const Array& dst, std::span<const int64_t> starts,
                  const Array* staging) {
  const int64_t total = src_in.size();
  if (total == 0) return;
  const Shape& window = src_in.shape();
  const Shape& full = dst.shape();
  const int nd = static_cast<int>(window.size());
  const int64_t item = dst.itemsize();
  char* out = static_cast<char*>(detail::mutable_data(dst));
  SmallVector<int64_t> dst_strides(static_cast<size_t>(nd), 0);  // dst is row-major
  int64_t stride = 1;
  for (int i = nd - 1; i >= 0; --i) {
    dst_strides[static_cast<size_t>(i)] = stride;
    stride *= full[static_cast<size_t>(i)];
  }

  int split = 0;
  const int64_t block = window_block(window, full, &split);
  const int64_t blocks = total / block;
  int64_t base = 0;
  for (int i = 0; i < nd; ++i)
    base += starts[static_cast<size_t>(i)] * dst_strides[static_cast<size_t>(i)];

  // Short strided blocks: one dense copy of the source first, then plain memcpy per block.
  Array src = src_in;
  if (window_needs_staging(src_in, full)) {
    if (staging != nullptr) {
      copy_into(src_in, *staging);
      src = *staging;
    } else {
      src = contiguous(src_in);
    }
  }
  const bool dense = src.is_contiguous();
  const char* src_bytes = static_cast<const char*>(src.data());
  const StridedReader reader(src);

  parallel_for(
      blocks,
      [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) {
          // Offset of block b in dst: its multi-index over the window's leading `split` axes.
          int64_t offset = base;
          int64_t rest = b;
          for (int i = split - 1; i >= 0; --i) {
            const int64_t w = window[static_cast<size_t>(i)];
            offset += (rest % w) * dst_strides[static_cast<size_t>(i)];
            rest /= w;
          }
          char* to = out + offset * item;
          if (dense) {
            std::memcpy(to, src_bytes + b * block * item, static_cast<size_t>(block * item));
          } else {
            read_block(reader, b * block, block, to);
          }
        }
      },
      block);
}

void concatenate(const std::vector<Array>& inputs, int axis, const Array& out,
                 const std::vector<Array>* staging) {
  SmallVector<int64_t> starts(static_cast<size_t>(out.ndim()), 0);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Array* stage = staging != nullptr && (*staging)[i].valid() ? &(*staging)[i] : nullptr;
    write_window(inputs[i], out, starts, stage);
    starts[static_cast<size_t>(axis)] += inputs[i].shape()[static_cast<size_t>(axis)];
  }
}

void iota(int dimension, const Array& out) {
  const Shape& shape = out.shape();
  int64_t inner = 1;
  for (size_t i = static_cast<size_t>(dimension) + 1; i < shape.size(); ++i) inner *= shape[i];
  const int64_t n = shape.empty() ? 1 : shape[static_cast<size_t>(dimension)];
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* data = static_cast<T*>(detail::mutable_data(out));
    parallel_for(out.size(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) data[i] = convert<T>((i / inner) % n);
    });
  });
}

void gather_rows(const Array& operand, std::span<const int64_t> rows, const Array& out) {
  const auto row_shape = std::span<const int64_t>(operand.shape()).subspan(1);
  const auto row_strides = std::span<const int64_t>(operand.strides()).subspan(1);
  int64_t row = 1;
  for (int64_t d : row_shape) row *= d;
  const auto count = static_cast<int64_t>(rows.size());
  if (row == 0 || count == 0) return;
  const int64_t item = operand.itemsize();
  const int64_t stride0 = operand.strides()[0];
  char* to = static_cast<char*>(detail::mutable_data(out));
  // Rows are dense when the trailing axes are row-major in storage: one memcpy per index.
  bool dense_rows = true;
  for (size_t d = row_shape.size(), expected = 1; d-- > 0;) {
    if (row_shape[d] != 1 && row_strides[d] != static_cast<int64_t>(expected)) dense_rows = false;
    expected *= static_cast<size_t>(row_shape[d]);
  }
  const char* from = static_cast<const char*>(operand.data());
  const StridedReader row_reader(row_shape, row_strides, operand.dtype());
  parallel_for(
      count,
      [&](int64_t begin, int64_t end) {
        StridedReader reader = row_reader;  // this chunk's, pointed at each row in turn
        for (int64_t i = begin; i < end; ++i) {
          const char* src = from + rows[static_cast<size_t>(i)] * stride0 * item;
          if (dense_rows) {
            std::memcpy(to + i * row * item, src, static_cast<size_t>(row * item));
          } else {
            reader.rebase(src);
            read_block(reader, 0, row, to + i * row * item);
          }
        }
      },
      row);
}

void scatter_add_rows(const Array& updates_in, const std::vector<int64_t>& rows, const Array& out) {
  const int64_t row = detail::shape_size(Shape(out.shape().begin() + 1, out.shape().end()));
  const int64_t count = static_cast<int64_t>(rows.size());
  if (row == 0 || count == 0) return;
  const Array updates = contiguous(updates_in);
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = compute_t<T>;
    T* to = static_cast<T*>(detail::mutable_data(out));
    const T* from = static_cast<const T*>(updates.data());
    // Threads split the columns, never the indices: each element is owned by one thread and
    // receives its updates in index order, so there are no races and the sums do not depend on
    // the thread count.
    parallel_for(
        row,
        [&](int64_t begin, int64_t end) {
          for (int64_t i = 0; i < count; ++i) {
            T* dst = to + rows[static_cast<size_t>(i)] * row;
            const T* src = from + i * row;
            for (int64_t c = begin; c < end; ++c) dst[c] = add<T, C>(dst[c], src[c]);
          }
        },
        count);
  });
}

std::vector<int64_t> read_indices(const Array& indices) {
  std::vector<int64_t> out(static_cast<size_t>(indices.size()));
  if (!out.empty()) read_indices(indices, out.data());
  return out;
}

void read_indices(const Array& indices, int64_t* out) {
  if (indices.size() > 0) StridedReader(indices).read<int64_t>(0, indices.size(), out);
}

}  // namespace strata::cpu
