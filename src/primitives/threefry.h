// threefry2x32: JAX's random-bits primitive.  Operands key0, key1, count0, count1 (uint32, one
// shape; the caller broadcasts, as jax.random does) -> two uint32 results, the block outputs of
// Threefry-2x32 for each element.  Elementwise, integer-valued, so no cotangents.
#pragma once

#include "primitives/primitive.h"

namespace strata::prim {

class Threefry2x32 : public Primitive {
 public:
  const char* name() const override { return "threefry2x32"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
};

}  // namespace strata::prim
