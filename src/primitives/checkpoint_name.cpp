#include "primitives/checkpoint_name.h"

#include "backend/cpu/strided.h"
#include "transforms/batching.h"

namespace strata::prim {

std::vector<ValueType> Identity::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 1);
  return in;
}

void Identity::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::copy_into(in[0], out[0]);
}

Primitive::Batched Identity::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  return transforms::batch_elementwise(self, args);
}

}  // namespace strata::prim
