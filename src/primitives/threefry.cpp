#include "primitives/threefry.h"

#include "backend/cpu/threefry.h"
#include "transforms/batching.h"

namespace strata::prim {

std::vector<ValueType> Threefry2x32::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, 4);
  static constexpr const char* kRoles[] = {"key0", "key1", "count0", "count1"};
  for (size_t i = 0; i < 4; ++i) {
    if (in[i].dtype != DType::UInt32) {
      fail(name(), "operand ", kRoles[i], " must be uint32, found ", to_string(in[i]),
           "; convert it with astype(uint32)");
    }
    if (in[i].shape != in[0].shape) {
      fail(name(), "operands must have one shape, found ", kRoles[0], " ", to_string(in[0]),
           " and ", kRoles[i], " ", to_string(in[i]), "; broadcast them first");
    }
  }
  const ValueType out{in[0].shape, DType::UInt32, false};
  return {out, out};
}

void Threefry2x32::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  cpu::threefry2x32(in[0], in[1], in[2], in[3], out[0], out[1]);
}

// Integer operands and results: autodiff never asks for their cotangents.
std::vector<Array> Threefry2x32::vjp(const VjpArgs& /*args*/) const {
  return {Array(), Array(), Array(), Array()};
}

// Elementwise in its four operands: a batch of keys or counters is one call over more elements.
Primitive::Batched Threefry2x32::batch(const PrimitivePtr& self, const BatchArgs& args) const {
  return transforms::batch_elementwise(self, args);
}

}  // namespace strata::prim
