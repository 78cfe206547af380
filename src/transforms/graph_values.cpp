#include "transforms/graph_values.h"

namespace strata::transforms {

std::vector<Array> initial_values(const ir::Graph& g, const std::vector<Array>& inputs,
                                  const char* api) {
  if (inputs.size() != g.inputs().size()) {
    fail(api, "internal: the graph has ", g.inputs().size(), " inputs, given ", inputs.size());
  }
  std::vector<Array> values(static_cast<size_t>(g.num_values()));
  for (const auto& [v, a] : g.constants()) values[static_cast<size_t>(v)] = a;
  for (size_t i = 0; i < inputs.size(); ++i) {
    values[static_cast<size_t>(g.inputs()[i])] = inputs[i];
  }
  return values;
}

std::vector<Array> gather(const std::vector<Array>& values, const std::vector<ir::ValueId>& ids) {
  std::vector<Array> out;
  out.reserve(ids.size());
  for (ir::ValueId v : ids) out.push_back(values[static_cast<size_t>(v)]);
  return out;
}

}  // namespace strata::transforms
