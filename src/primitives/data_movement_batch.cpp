// Batching rules of the data-movement primitives.  Index operands that are batched (a different
// row or window per example) turn the op into a gather (or scatter) over the operand flattened
// with its batch axis, each example's indices offset into its own block: one op for the whole
// batch, never a loop.  Indices are wrapped and clamped first, exactly as the unbatched op does,
// so no example can reach into another's block.
#include "primitives/data_movement.h"

#include "strata/ops.h"
#include "transforms/batching.h"

namespace strata::prim {

namespace {

using transforms::kNotBatched;
using transforms::move_batch_axis;

int64_t product(const Shape& s, size_t from = 0) {
  int64_t n = 1;
  for (size_t i = from; i < s.size(); ++i) n *= s[i];
  return n;
}

// Row indices as gather and scatter_add use them: wrapped once, clamped into [0, n) (n > 0).
Array normalized_rows(const Array& indices, int64_t n) {
  Array r = astype(indices, DType::Int64);
  r = where(r < 0, r + n, r);
  r = where(r < 0, int64_t{0}, r);
  return where(r > n - 1, n - 1, r);
}

// Per-example start indices of a window of `size` along an axis of `dim` (0-d each, batched or
// not) as one int64 [B] vector, wrapped once and clamped so the window fits.
Array normalized_starts(const Array& start, int batch_dim, int64_t axis_size, int64_t dim,
                        int64_t size) {
  Array s = astype(move_batch_axis(start, batch_dim, axis_size, 0), DType::Int64);
  if (size == 0) return zeros_like(s);
  s = where(s < 0, s + dim, s);
  s = where(s < 0, int64_t{0}, s);
  return where(s > dim - size, dim - size, s);
}

// Offsets b * block of each example's block in a flattened batch, shaped like `like` ([B, ...]).
Array block_offsets(const Shape& like, int64_t block) {
  return iota(DType::Int64, like, 0) * block;
}

// Whether any start index (operands from `first` on) is batched.
bool starts_batched(const std::vector<int>& dims, size_t first) {
  for (size_t i = first; i < dims.size(); ++i) {
    if (dims[i] != kNotBatched) return true;
  }
  return false;
}

// [B] start vector -> [B, 1, ..., 1] for broadcasting against a [B, window...] index grid.
Array per_example(const Array& v, size_t ndim) {
  Shape shape(ndim + 1, 1);
  shape[0] = v.shape()[0];
  return reshape(v, shape);
}

// Gather / scatter_add over a batched operand: the operand [B, N, ...] (broadcast if shared),
// flattened to [B * N, ...], and each example's rows (wrapped, clamped) offset into its block.
struct RowBlocks {
  Array x, flat, rows;
};
RowBlocks row_blocks(const Primitive::BatchArgs& args, int64_t B) {
  RowBlocks r;
  r.x = move_batch_axis(args.operands[0], args.dims[0], B, 0);
  const Array idx = move_batch_axis(args.operands[1], args.dims[1], B, 0);  // [B, I...]
  const int64_t n = r.x.shape()[1];
  Shape flat = r.x.shape();
  flat.erase(flat.begin());
  flat[0] = B * n;
  r.flat = reshape(r.x, flat);
  // No rows: nothing to wrap into; the gather reads zeros, the scatter adds nowhere.
  r.rows =
      n == 0 ? astype(idx, DType::Int64) : normalized_rows(idx, n) + block_offsets(idx.shape(), n);
  return r;
}

}  // namespace

Primitive::Batched Concatenate::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  std::vector<Array> operands;
  for (size_t i = 0; i < args.operands.size(); ++i) {
    operands.push_back(move_batch_axis(args.operands[i], args.dims[i], args.axis_size, 0));
  }
  return {{bind1(make<Concatenate>(axis_ + 1), operands)}, {0}};
}

Primitive::Batched Gather::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  // Shared rows, batched indices: the gather as it is (the result starts with the indices' axes).
  if (args.dims[0] == kNotBatched) {
    return {{bind1(self, args.operands)}, {args.dims[1]}};
  }
  const RowBlocks r = row_blocks(args, args.axis_size);
  return {{bind1(self, {r.flat, r.rows})}, {0}};
}

// The check is elementwise: the batched indices are checked as they are.
Primitive::Batched CheckIndex::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  return {{bind1(self, args.operands)}, {args.dims[0]}};
}

Primitive::Batched ScatterAdd::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  const RowBlocks r = row_blocks(args, args.axis_size);
  if (r.x.shape()[1] == 0) return {{r.x}, {0}};  // no rows to add into
  const Array updates = move_batch_axis(args.operands[2], args.dims[2], args.axis_size, 0);
  return {{reshape(bind1(self, {r.flat, r.rows, updates}), r.x.shape())}, {0}};
}

Primitive::Batched DynamicSlice::batch(const PrimitivePtr& /*self*/, const BatchArgs& args) const {
  const int64_t B = args.axis_size;
  if (!starts_batched(args.dims, 1)) {
    // One window for every example: the batch axis is taken whole.
    const int d = args.dims[0];
    std::vector<Array> operands = args.operands;
    operands.insert(operands.begin() + 1 + d, zeros({}, DType::Int32));
    Shape sizes = sizes_;
    sizes.insert(sizes.begin() + d, B);
    return {{bind1(make<DynamicSlice>(sizes), operands)}, {d}};
  }
  // A window per example: gather its elements from the flattened batch.
  const Array x = move_batch_axis(args.operands[0], args.dims[0], B, 0);  // [B, S...]
  const Shape dims(x.shape().begin() + 1, x.shape().end());
  Shape grid = sizes_;
  grid.insert(grid.begin(), B);
  Array flat_index = block_offsets(grid, product(dims));
  for (size_t i = 0; i < dims.size(); ++i) {
    const Array start =
        normalized_starts(args.operands[i + 1], args.dims[i + 1], B, dims[i], sizes_[i]);
    const Array along =
        per_example(start, dims.size()) + iota(DType::Int64, grid, static_cast<int>(i) + 1);
    flat_index = flat_index + along * product(dims, i + 1);
  }
  return {{bind1(make<Gather>(), {reshape(x, {-1}), flat_index})}, {0}};
}

Primitive::Batched DynamicUpdateSlice::batch(const PrimitivePtr& /*self*/,
                                             const BatchArgs& args) const {
  const int64_t B = args.axis_size;
  const Array x = move_batch_axis(args.operands[0], args.dims[0], B, 0);       // [B, S...]
  const Array update = move_batch_axis(args.operands[1], args.dims[1], B, 0);  // [B, U...]
  if (!starts_batched(args.dims, 2)) {
    std::vector<Array> operands{x, update, zeros({}, DType::Int32)};
    for (size_t i = 2; i < args.operands.size(); ++i) operands.push_back(args.operands[i]);
    return {{bind1(make<DynamicUpdateSlice>(), operands)}, {0}};
  }
  // A window per example: every element of x reads the update where it falls inside its
  // example's window, and keeps its own value elsewhere.
  const Shape dims(x.shape().begin() + 1, x.shape().end());
  const Shape usizes(update.shape().begin() + 1, update.shape().end());
  if (product(usizes) == 0) return {{x}, {0}};  // an empty update changes nothing
  Array inside = full(x.shape(), 1, DType::Bool);
  Array update_index = block_offsets(x.shape(), product(usizes));
  for (size_t i = 0; i < dims.size(); ++i) {
    const Array start =
        normalized_starts(args.operands[i + 2], args.dims[i + 2], B, dims[i], usizes[i]);
    const Array rel =
        iota(DType::Int64, x.shape(), static_cast<int>(i) + 1) - per_example(start, dims.size());
    inside = inside && rel >= 0 && rel < usizes[i];
    const Array clamped = where(rel < 0, int64_t{0}, where(rel >= usizes[i], usizes[i] - 1, rel));
    update_index = update_index + clamped * product(usizes, i + 1);
  }
  const Array values = bind1(make<Gather>(), {reshape(update, {-1}), update_index});
  return {{where(inside, values, x)}, {0}};
}

}  // namespace strata::prim
