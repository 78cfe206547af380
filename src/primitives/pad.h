// lax.pad with non-negative padding: the transpose of a strided slice, which is how slice's vjp
// scatters a cotangent back into the operand's shape.
#pragma once

#include <cstdint>
#include <vector>

#include "primitives/primitive.h"

namespace strata::prim {

// Operands: the array and a 0-d padding value of its dtype.  Along axis i the result holds low[i]
// padding elements, then the operand's elements with interior[i] padding elements between
// neighbours, then high[i] padding elements: size low + high + n + max(n - 1, 0) * interior.
// (lax.pad also allows negative low / high, which crop; strata has no use for them yet.)
class Pad : public Primitive {
 public:
  Pad(std::vector<int64_t> low, std::vector<int64_t> high, std::vector<int64_t> interior)
      : low_(std::move(low)), high_(std::move(high)), interior_(std::move(interior)) {}
  const char* name() const override { return "pad"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::string params() const override;
  std::vector<Array> vjp(const VjpArgs& args) const override;
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
  const std::vector<int64_t>& low() const { return low_; }
  const std::vector<int64_t>& high() const { return high_; }
  const std::vector<int64_t>& interior() const { return interior_; }

 private:
  std::vector<int64_t> low_, high_, interior_;
};

}  // namespace strata::prim
