// Identity markers that only autodiff looks at (jax.lax.stop_gradient and
// jax.ad_checkpoint.checkpoint_name).  Both evaluate as a view of their operand, so the compiled
// executor turns them into aliases: they cost nothing at run time.
#pragma once

#include <string>

#include "primitives/primitive.h"

namespace strata::prim {

class Identity : public Primitive {
 public:
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  std::vector<Array> eval_eager(const std::vector<Array>& in) const override { return in; }
  std::optional<View> view(const Shape& shape, const Strides& strides) const override {
    return View{shape, strides, 0};
  }
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;
};

// No cotangent flows through (autodiff treats its result as a constant).
class StopGradient : public Identity {
 public:
  const char* name() const override { return "stop_gradient"; }
};

// Names a value so a remat policy can choose to save it (save_only_these_names).
class CheckpointName : public Identity {
 public:
  explicit CheckpointName(std::string label) : label_(std::move(label)) {}
  const char* name() const override { return "checkpoint_name"; }
  std::string params() const override { return "name=" + label_; }
  std::vector<Array> vjp(const VjpArgs& args) const override { return {args.cotangents[0]}; }
  const std::string& label() const { return label_; }

 private:
  std::string label_;
};

}  // namespace strata::prim
