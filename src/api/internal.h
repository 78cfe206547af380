// Helpers shared by the api/ implementations (not part of the public headers).
#pragma once

#include <memory>
#include <vector>

#include "ir/graph.h"
#include "primitives/scan.h"
#include "strata/checkpoint.h"
#include "strata/grad.h"

namespace strata::detail {

// fn recorded once on abstract versions of `inputs`, in a frame nested in whatever trace is
// active: the graph's inputs are [captured | inputs], `captured` the enclosing values (or
// nothing at top level) it closed over.
struct TracedBody {
  std::shared_ptr<const ir::Graph> graph;
  std::vector<Array> captured;
};
TracedBody trace_body(const char* api, const std::vector<Array>& inputs, const GradLeafFn& fn);
// The same on inputs of the given types (vmap traces f on one example's types).
TracedBody trace_body(const char* api, const std::vector<prim::ValueType>& types,
                      const GradLeafFn& fn);

// The primitive-level form of a public checkpoint policy.
prim::SavePolicy save_policy(const CheckpointPolicy& c);

}  // namespace strata::detail
