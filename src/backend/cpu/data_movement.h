// Data-movement kernels: writing a view into a window of a dense array (concatenate,
// dynamic_update_slice), gathering rows (take) and adding them back (its transpose), filling an
// iota.  They copy bytes and never convert: callers (the primitives) have already checked that
// dtypes agree.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "strata/core/array.h"

namespace strata::cpu {

// Copies `src` (any strided view) into the window of the dense array `dst` that starts at
// `starts` and has src's shape.  The window must lie inside dst and share its dtype.  A strided
// src written in short blocks is first copied densely: into `staging` (src's shape and dtype)
// when given (window_needs_staging says when), else into a fresh array.
void write_window(const Array& src, const Array& dst, std::span<const int64_t> starts,
                  const Array* staging = nullptr);
bool window_needs_staging(const Array& src, const Shape& dst_shape);

// Writes the operands one after another along `axis` into the dense array `out`.  `staging`,
// when given, holds one array per operand: valid where write_window needs staging.
void concatenate(const std::vector<Array>& inputs, int axis, const Array& out,
                 const std::vector<Array>* staging = nullptr);

// Fills the dense array `out` with each element's index along `dimension`.
void iota(int dimension, const Array& out);

// out[i, ...] = operand[rows[i], ...] for the dense array `out` of shape
// (rows.size(),) + operand.shape[1:] (flattened leading part).  Rows must be in range.
void gather_rows(const Array& operand, std::span<const int64_t> rows, const Array& out);

// out[rows[i], ...] += updates[i, ...] for the dense numeric array `out` and updates of shape
// (rows.size(),) + out.shape[1:] (any view), in order of i: repeated rows accumulate in the same
// order for every element and thread count.  Rows must be in range.
void scatter_add_rows(const Array& updates, const std::vector<int64_t>& rows, const Array& out);

// Every element of an integer array (any view, any integer dtype) as int64, row-major.
std::vector<int64_t> read_indices(const Array& indices);
// The same into out[0, indices.size()).
void read_indices(const Array& indices, int64_t* out);

}  // namespace strata::cpu
