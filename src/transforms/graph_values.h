// The value table the graph transforms (autodiff, batching) fill while re-emitting a graph: one
// Array per value id.
#pragma once

#include <vector>

#include "ir/graph.h"

namespace strata::transforms {

// Values of g as arrays, constants and inputs filled in; `api` names the transform in the
// internal error for a wrong input count.
std::vector<Array> initial_values(const ir::Graph& g, const std::vector<Array>& inputs,
                                  const char* api);

// values[ids[0]], values[ids[1]], ...
std::vector<Array> gather(const std::vector<Array>& values, const std::vector<ir::ValueId>& ids);

}  // namespace strata::transforms
