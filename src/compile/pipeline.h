// graph -> executable: the optimisation passes, then the static plan (compile/executable.h).
#pragma once

#include <memory>

#include "compile/executable.h"
#include "ir/graph.h"

namespace strata::compile {

// The passes every compiled graph goes through, in order (each graph -> graph).
ir::Graph optimize(const ir::Graph& graph);

// optimize + Executable::create.
std::shared_ptr<Executable> compile(const ir::Graph& graph);

}  // namespace strata::compile
