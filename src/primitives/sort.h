// Sorting primitive (jnp.argsort / the order lax.sort_key_val sorts by).
#pragma once

#include "primitives/primitive.h"

namespace strata::prim {

// argsort along one axis: for every line along `axis`, the int32 positions of its elements in
// stable ascending order (floats in IEEE total order, so NaNs go last and -0 before +0, as in
// lax.sort).  The result has the operand's shape.  The axis must be shorter than 2^31.
class Argsort : public Primitive {
 public:
  explicit Argsort(int axis) : axis_(axis) {}
  const char* name() const override { return "argsort"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  // Allocates the per-thread scratch rows (and a dense copy of a strided operand) once.
  Kernel prepare(const std::vector<Array>& in, const std::vector<ValueType>& out) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;

 private:
  int axis_;
};

}  // namespace strata::prim
