#include "strata/nn/layers.h"

#include <algorithm>
#include <functional>
#include <numeric>

#include "nn/layer_util.h"
#include "strata/core/error.h"
#include "strata/random.h"
#include "trace/frame.h"

namespace strata::nn {

using detail::check_feature_axis;
using detail::check_positive;
using detail::make_param;

// ---------------------------------------------------------------- Linear
Linear::Linear(int64_t in, int64_t out, Rngs& rngs, LinearOptions options)
    : in_features(in), out_features(out) {
  check_positive("nn.Linear", "in_features", in);
  check_positive("nn.Linear", "out_features", out);
  kernel = make_param("nn.Linear", "kernel", rngs, options.kernel_init, {in, out}, options.dtype);
  if (options.use_bias) {
    bias = make_param("nn.Linear", "bias", rngs, options.bias_init, {out}, options.dtype);
  }
}

Array Linear::operator()(const Array& x) const {
  return as_api("nn.Linear", [&] {
    check_feature_axis("nn.Linear", x, -1, kernel.shape()[0], "input features (in_features)");
    Array y = matmul(x, kernel.value);
    if (bias) y = y + bias->value;
    return y;
  });
}

// ---------------------------------------------------------------- LinearGeneral
namespace {
constexpr const char* kLinearGeneral = "nn.LinearGeneral";

int64_t product(const Shape& s) {
  return std::accumulate(s.begin(), s.end(), int64_t{1}, std::multiplies<>());
}

void check_features(const char* what, const Shape& features) {
  if (features.empty()) {
    fail(kLinearGeneral, "expected at least one ", what, " size, found none", module_path_note());
  }
  for (int64_t f : features) {
    if (f <= 0) {
      fail(kLinearGeneral, "expected every ", what, " size > 0, found ", to_string(features),
           module_path_note());
    }
  }
}
}  // namespace

LinearGeneral::LinearGeneral(Shape in, Shape out, Rngs& rngs, LinearGeneralOptions options)
    : in_features(std::move(in)), out_features(std::move(out)), axis(std::move(options.axis)) {
  check_features("in_features", in_features);
  check_features("out_features", out_features);
  if (axis.size() != in_features.size()) {
    fail(kLinearGeneral, "expected one axis per in_features entry: in_features ",
         to_string(in_features), " has ", in_features.size(), " but axis has ", axis.size(),
         module_path_note(), "; pass options.axis with ", in_features.size(), " axes");
  }
  Shape kernel_shape = in_features;
  kernel_shape.insert(kernel_shape.end(), out_features.begin(), out_features.end());
  kernel = make_param(kLinearGeneral, "kernel", rngs, options.kernel_init, kernel_shape,
                      options.dtype, Shape{product(in_features), product(out_features)});
  if (options.use_bias) {
    bias = make_param(kLinearGeneral, "bias", rngs, options.bias_init, out_features, options.dtype,
                      Shape{product(out_features)});
  }
}

Array LinearGeneral::operator()(const Array& x) const {
  const int nd = static_cast<int>(x.ndim());
  // Normalised and sorted, as Flax pairs in_features with the contracted axes left to right.
  Axes contract;
  for (int a : axis) {
    if (a < -nd || a >= nd) {
      fail(kLinearGeneral, "axis ", a, " is out of range for an input of shape ",
           to_string(x.shape()), module_path_note(), "; the module contracts axes ",
           to_string(Shape(axis.begin(), axis.end())), " of sizes ", to_string(in_features));
    }
    contract.push_back(a < 0 ? a + nd : a);
  }
  std::sort(contract.begin(), contract.end());
  if (std::adjacent_find(contract.begin(), contract.end()) != contract.end()) {
    fail(kLinearGeneral, "axes ", to_string(Shape(axis.begin(), axis.end())),
         " name the same axis of an input of shape ", to_string(x.shape()), module_path_note());
  }
  Shape found;
  for (int a : contract) found.push_back(x.shape(a));
  if (found != in_features) {
    fail(kLinearGeneral, "expected the contracted input axes ",
         to_string(Shape(contract.begin(), contract.end())), " to have sizes ",
         to_string(in_features), " (in_features)", module_path_note(), ", found ", to_string(found),
         " in an input of shape ", to_string(x.shape()),
         "; reshape the input or build the module with those in_features");
  }
  Axes kernel_axes(contract.size());
  std::iota(kernel_axes.begin(), kernel_axes.end(), 0);
  Array y = dot_general(x, kernel.value, {contract, kernel_axes, {}, {}});
  if (bias) y = y + bias->value;
  return y;
}

// ---------------------------------------------------------------- Embedding
Embedding::Embedding(int64_t n, int64_t f, Rngs& rngs, EmbeddingOptions options)
    : num_embeddings(n), features(f) {
  check_positive("nn.Embedding", "num_embeddings", n);
  check_positive("nn.Embedding", "features", f);
  embedding =
      make_param("nn.Embedding", "embedding", rngs, options.embedding_init, {n, f}, options.dtype);
}

Array Embedding::operator()(const Array& indices) const {
  const char* api = "nn.Embedding";
  if (!indices.valid()) fail(api, "the indices are an empty Array", module_path_note());
  if (!is_integer(indices.dtype())) {
    fail(api, "expected integer indices, found dtype ", indices.dtype(), " of shape ",
         to_string(indices.shape()), module_path_note(),
         "; convert them with astype(x, DType::Int32)");
  }
  // Concrete indices are checked here so the error names the module; traced ones (under jit, in
  // a scan body, under vmap) by take's IndexMode::Raise check when the graph runs.
  const int64_t n = embedding.shape()[0];
  if (!tracing::frame_of(indices) && indices.size() > 0) {
    const tracing::RecordAt eagerly(nullptr);  // even while tracing: the indices are concrete
    const int64_t lo = astype(min(indices), DType::Int64).item<int64_t>();
    const int64_t hi = astype(max(indices), DType::Int64).item<int64_t>();
    if (lo < -n || hi >= n) {
      fail(api, "expected indices in [", -n, ", ", n, ") for ", n, " embeddings, found ",
           hi >= n ? hi : lo, module_path_note(),
           "; build the module with more num_embeddings or fix the token ids");
    }
  }
  return take(embedding.value, indices, IndexMode::Raise, api);
}

Array Embedding::attend(const Array& query) const {
  check_feature_axis("nn.Embedding.attend", query, -1, embedding.shape()[1], "features");
  return matmul(query, transpose(embedding.value));
}

// ---------------------------------------------------------------- Dropout
namespace {
// At construction and at every call: `rate` is a public field.
void check_rate(double rate) {
  if (!(rate >= 0 && rate <= 1)) {
    fail("nn.Dropout", "expected a rate in [0, 1], found ", rate, module_path_note(),
         "; rate is the probability of zeroing an element");
  }
}
}  // namespace

Dropout::Dropout(double r, bool det, std::string s)
    : rate(r), deterministic(det), stream(std::move(s)) {
  check_rate(rate);
}

Array Dropout::operator()(const Array& x, Rngs& rngs, std::optional<bool> det) const {
  check_rate(rate);
  if (det.value_or(deterministic) || rate == 0) return x;
  if (rate == 1) return zeros_like(x);
  const double keep = 1.0 - rate;
  const Array mask = random::uniform(rngs(stream), x.shape()) < keep;
  return where(mask, x / keep, zeros_like(x));
}

Array Dropout::operator()(const Array& x) const {
  check_rate(rate);
  if (!deterministic && rate != 0) {
    fail("nn.Dropout", "a non-deterministic dropout (rate ", rate, ") needs random keys",
         module_path_note(), "; call it as dropout(x, rngs) or make it deterministic");
  }
  return x;
}

}  // namespace strata::nn
