#include "nn/layer_util.h"

#include "strata/core/error.h"
#include "strata/ops.h"

namespace strata::nn::detail {

void check_positive(const char* api, const char* what, int64_t v) {
  if (v <= 0) fail(api, "expected ", what, " > 0, found ", v, module_path_note());
}

void check_feature_axis(const char* api, const Array& x, int axis, int64_t features,
                        const char* what) {
  const int64_t nd = x.ndim();
  const bool has_axis = axis >= -nd && axis < nd;
  if (has_axis && x.shape(axis) == features) return;
  const std::string which = axis == -1 ? "last axis" : "axis " + std::to_string(axis);
  if (!has_axis) {
    fail(api, "expected an input whose ", which, " has ", features, " ", what, module_path_note(),
         ", found shape ", to_string(x.shape()), nd == 0 ? " (a scalar)" : " (no such axis)",
         "; reshape the input");
  }
  fail(api, "expected an input whose ", which, " has ", features, " ", what, module_path_note(),
       ", found shape ", to_string(x.shape()), "; reshape the input or build the module with ",
       x.shape(axis), " ", what);
}

Param make_param(const char* api, std::string_view name, Rngs& rngs, const init::Initializer& init,
                 const Shape& shape, DType dtype, const std::optional<Shape>& init_shape) {
  const Array key = rngs.params();
  const ModuleScope scope(name);
  if (!init) {
    fail(api, "the initialiser of parameter `", name, "` is empty", module_path_note("parameter"),
         "; pass one of nn::init's initialisers");
  }
  const Shape& drawn = init_shape ? *init_shape : shape;
  strata::detail::checked_nbytes(drawn, dtype, api);
  const Array value = init(key, drawn, dtype);
  if (!value.valid() || value.shape() != drawn || value.dtype() != dtype) {
    const std::string got = value.valid()
                                ? strata::detail::cat(value.dtype(), " ", to_string(value.shape()))
                                : std::string("an empty Array");
    fail(api, "the initialiser of parameter `", name, "` was asked for ", dtype, " ",
         to_string(drawn), " but returned ", got, module_path_note("parameter"),
         "; an initialiser must return an array of the shape and dtype it is given");
  }
  return Param(init_shape ? reshape(value, shape) : value);
}

DType at_least_float32(DType d) {
  return promote_types(d, DType::Float32);
}

Array cast(const Array& x, DType d) {
  return x.dtype() == d ? x : astype(x, d);
}

}  // namespace strata::nn::detail
