// strata::nn — modules, Rngs, initialisers and optimisers (the layer above the core API).
//
//   #include <strata/nn/nn.h>
//   nn::Rngs rngs(0);
//   nn::MLP model(16, 64, 1, rngs);
//   auto [params, rest] = nn::split(model);
//   auto opt = optim::adam(1e-3);
//   auto state = opt.init(params);
//
// See variable.h (Param / BatchStat / split / merge), rngs.h, initializers.h, layers.h (Linear,
// LinearGeneral, Embedding, Dropout), normalization.h (LayerNorm, RMSNorm, BatchNorm and how its
// running statistics are returned), attention.h (MLP, MultiHeadAttention, TransformerBlock),
// module_path.h (key paths in error messages), optim.h, stacked.h (Stacked / ArrayStacked /
// Sequential: stacks of layers run by one scan), transforms.h (nn::scan, nnx.scan's spelling),
// lift.h (Linen's lifted scan / vmap) and state_dict.h (per-layer keys for checkpoints).
#pragma once

#include "strata/nn/attention.h"
#include "strata/nn/initializers.h"
#include "strata/nn/layers.h"
#include "strata/nn/lift.h"
#include "strata/nn/module_path.h"
#include "strata/nn/normalization.h"
#include "strata/nn/optim.h"
#include "strata/nn/rngs.h"
#include "strata/nn/stacked.h"
#include "strata/nn/state_dict.h"
#include "strata/nn/transforms.h"
#include "strata/nn/variable.h"
