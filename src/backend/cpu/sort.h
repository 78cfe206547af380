// Sorting CPU kernel: the stable ascending order of an array along one axis (jnp.argsort).
//
// Shape and dtype checks are the primitive's job (primitives/sort.h), not this kernel's.
#pragma once

#include <cstdint>
#include <vector>

#include "strata/core/array.h"

namespace strata::cpu {

// argsort() bound to one operand layout, for the compiled executor: a dense staging copy of a
// view and one (key, index) scratch row per thread are allocated once, at construction, so run()
// allocates nothing.  Floats are ordered by IEEE total order (-NaN < -inf < ... < -0 < +0 < ...
// < +inf < +NaN, as lax.sort compares them); equal keys keep their original order.  Not
// reentrant: one run at a time.
class ArgsortKernel {
 public:
  // `layout` has the shape, strides and dtype of the operands run() will get (its data is not
  // read); out is dense int32 of the same shape.  A strided operand is first copied into
  // `staging` (dense, layout's shape and dtype), allocated here when not given.
  ArgsortKernel(const Array& layout, int axis, const Array& staging = Array());
  void run(const Array& x, const Array& out);

  struct Entry {
    uint64_t key;  // the element, mapped to an unsigned integer with the same order
    int32_t index;
  };

 private:
  int axis_;
  Array staging_;  // dense copy of a strided operand (invalid: not needed)
  std::vector<std::vector<Entry>> scratch_;  // one row of the sorted axis per chunk
};

// Eager form: out (int32, x's shape) = the stable ascending order of x along `axis`.
void argsort(const Array& x, int axis, const Array& out);

}  // namespace strata::cpu
