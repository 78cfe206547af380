// strata::nn — modules, Rngs, initialisers and optimisers (the layer above the core API).
//
//   #include <strata/nn/nn.h>
//   nn::Rngs rngs(0);
//   nn::MLP model(16, 64, 1, rngs);
//   auto [params, rest] = nn::split(model);
//   auto opt = optim::adam(1e-3);
//   auto state = opt.init(params);
//
// See variable.h (Param / split / merge), rngs.h, initializers.h, layers.h, attention.h, optim.h,
// stacked.h (Stacked / ArrayStacked / Sequential: stacks of layers run by one scan).
#pragma once

#include "strata/nn/attention.h"
#include "strata/nn/initializers.h"
#include "strata/nn/layers.h"
#include "strata/nn/optim.h"
#include "strata/nn/rngs.h"
#include "strata/nn/stacked.h"
#include "strata/nn/variable.h"
