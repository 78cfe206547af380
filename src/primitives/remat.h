// The checkpoint primitive (jax.checkpoint's remat_p): a traced function applied as one op, whose
// reverse mode recomputes its internals in the backward pass instead of keeping them, except
// what its SavePolicy saves.  Evaluating it runs the compiled body; as one opaque op it is never
// merged (CSE) with the forward computation it repeats.
#pragma once

#include <memory>
#include <mutex>

#include "ir/graph.h"
#include "primitives/primitive.h"
#include "primitives/scan.h"

namespace strata::compile {
class Executable;
}

namespace strata::prim {

class Remat : public Primitive {
 public:
  Remat(std::shared_ptr<const ir::Graph> body, SavePolicy save);
  ~Remat() override;
  const char* name() const override { return "checkpoint"; }
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  void eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const override;
  Kernel prepare(const std::vector<Array>& inputs,
                 const std::vector<ValueType>& outputs) const override;
  std::string params() const override { return "policy=" + save_.to_string(); }
  std::vector<const ir::Graph*> subgraphs() const override { return {body_.get()}; }
  Linearized linearize(const std::shared_ptr<const Primitive>& self,
                       const std::vector<Array>& primals,
                       const std::vector<bool>& wanted) const override;
  // The body batched as a new checkpoint op, batch axes first.
  Batched batch(const PrimitivePtr& self, const BatchArgs& args) const override;

 private:
  std::shared_ptr<const ir::Graph> body_;
  SavePolicy save_;
  mutable std::mutex eager_mutex_;
  mutable std::shared_ptr<compile::Executable> eager_;
};

}  // namespace strata::prim
