// Helpers shared by the nn layers: argument checks whose errors name the module's key path,
// parameter creation in NNX's key order, and dtype rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "strata/core/array.h"
#include "strata/nn/initializers.h"
#include "strata/nn/module_path.h"
#include "strata/nn/rngs.h"
#include "strata/nn/variable.h"

namespace strata::nn::detail {

// "[api] expected <what> > 0, found v" unless v > 0.
void check_positive(const char* api, const char* what, int64_t v);

// "[api] ..." unless x has at least one axis and axis `axis` (negative counts from the end) has
// `features` elements; `what` names them in the message ("input features (in_features)").
void check_feature_axis(const char* api, const Array& x, int axis, int64_t features,
                        const char* what);

// A parameter drawn as NNX draws it: one rngs.params() key (constant initialisers too), then
// init(key, init_shape, dtype) reshaped to `shape` (init_shape defaults to shape; LinearGeneral
// initialises its kernel on a flat 2-d shape).  The initialiser runs in ModuleScope(name), so its
// errors name the parameter's key path; a result of another shape or dtype is an error too.
Param make_param(const char* api, std::string_view name, Rngs& rngs, const init::Initializer& init,
                 const Shape& shape, DType dtype,
                 const std::optional<Shape>& init_shape = std::nullopt);

// The dtype normalisation statistics and attention logits are computed in: at least float32
// (float64 stays float64), as Flax promotes them.
DType at_least_float32(DType d);

Array cast(const Array& x, DType d);

}  // namespace strata::nn::detail
