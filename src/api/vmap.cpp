// vmap: resolving axis specs against argument trees, checking what users pass, tracing f on one
// example and batching its graph (transforms/batching.h).
#include "strata/vmap.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include "api/internal.h"
#include "trace/frame.h"
#include "transforms/batching.h"

namespace strata {

AxisSpec AxisSpec::list(std::vector<AxisSpec> children) {
  AxisSpec s;
  s.kind_ = Kind::Children;
  s.children_ = std::move(children);
  return s;
}

AxisSpec AxisSpec::fields(std::vector<std::pair<std::string, AxisSpec>> named) {
  AxisSpec s;
  s.kind_ = Kind::Fields;
  for (auto& [name, spec] : named) {
    if (std::find(s.names_.begin(), s.names_.end(), name) != s.names_.end()) {
      fail("vmap", "AxisSpec::fields names `", name, "` twice; give each field one spec");
    }
    s.names_.push_back(std::move(name));
    s.children_.push_back(std::move(spec));
  }
  return s;
}

std::string AxisSpec::to_string() const {
  switch (kind_) {
    case Kind::Axis:
      return std::to_string(axis_);
    case Kind::NotMapped:
      return "none";
    case Kind::Children:
    case Kind::Fields: {
      std::ostringstream os;
      os << "{";
      for (size_t i = 0; i < children_.size(); ++i) {
        os << (i ? ", " : "") << (kind_ == Kind::Fields ? names_[i] + ": " : "")
           << children_[i].to_string();
      }
      os << "}";
      return os.str();
    }
  }
  return {};
}

namespace detail {

namespace {

using transforms::kNotBatched;
// A resolved leaf spec is an axis as the user gave it (maybe negative), or kNone.
constexpr int kNone = std::numeric_limits<int>::min();

std::string describe(const tree::Node& node) {
  switch (node.kind) {
    case tree::Kind::Leaf:
      return "an Array";
    case tree::Kind::None:
      return "an empty node (no leaves)";
    case tree::Kind::Pair:
      return "a std::pair";
    case tree::Kind::Tuple:
      return detail::cat("a std::tuple of ", node.children.size());
    case tree::Kind::FixedArray:
      return detail::cat("a std::array of ", node.children.size());
    case tree::Kind::Vector:
      return detail::cat("a std::vector of ", node.children.size());
    case tree::Kind::Map:
      return detail::cat("a std::map with ", node.children.size(), " keys");
    case tree::Kind::Struct:
      return detail::cat("a struct ", node.type_name);
  }
  return {};
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The spec of every leaf under `node` (an axis as given, or kNone), appended to `out`.
void resolve(const char* what, const AxisSpec& spec, const tree::Node& node,
             const std::string& path, std::vector<int>& out) {
  using Kind = AxisSpec::Kind;
  if (spec.kind() == Kind::Axis && spec.axis() == kNone) {  // would read as "not mapped"
    fail("vmap", what, " axis ", spec.axis(), " for `", path,
         "` is out of range for any array; give an axis in [-ndim, ndim) or st::none");
  }
  if (spec.kind() == Kind::Axis || spec.kind() == Kind::NotMapped) {
    out.insert(out.end(), node.num_leaves, spec.kind() == Kind::Axis ? spec.axis() : kNone);
    return;
  }
  const bool sequence = node.kind == tree::Kind::Pair || node.kind == tree::Kind::Tuple ||
                        node.kind == tree::Kind::FixedArray || node.kind == tree::Kind::Vector;
  const bool named = node.kind == tree::Kind::Map || node.kind == tree::Kind::Struct;
  if (spec.kind() == Kind::Children) {
    if (!sequence || spec.children().size() != node.children.size()) {
      fail("vmap", what, " spec ", spec.to_string(), " for `", tree::display_path(path), "` lists ",
           spec.children().size(), " entries, but that value is ", describe(node),
           "; a brace list needs one entry per element of a pair / tuple / vector / array (use "
           "an int or st::none for the whole value",
           named ? ", or AxisSpec::fields for a struct or map)" : ")");
    }
    for (size_t i = 0; i < node.children.size(); ++i) {
      std::string child = path;
      tree::detail::append_child(child, node, i);
      resolve(what, spec.children()[i], node.children[i], child, out);
    }
    return;
  }
  std::vector<std::string> given = spec.names(), expected = node.keys;
  std::sort(given.begin(), given.end());
  std::sort(expected.begin(), expected.end());
  if (!named || given != expected) {
    fail("vmap", what, " spec ", spec.to_string(), " for `", tree::display_path(path),
         "` names the fields {", join(spec.names()), "}, but that value is ", describe(node),
         named ? detail::cat(" with fields {", join(node.keys), "}; name every field once")
               : std::string("; AxisSpec::fields is for structs and maps"));
  }
  for (size_t i = 0; i < node.children.size(); ++i) {
    const auto at = std::find(spec.names().begin(), spec.names().end(), node.keys[i]);
    std::string child = path;
    tree::detail::append_child(child, node, i);
    resolve(what, spec.children()[static_cast<size_t>(at - spec.names().begin())], node.children[i],
            child, out);
  }
}

// The in_axes spec of every argument leaf.
std::vector<int> resolve_in_axes(const VmapCall& call) {
  const AxisSpec& spec = call.in_axes;
  std::vector<int> axes;
  if (spec.kind() == AxisSpec::Kind::Fields) {
    fail("vmap", "in_axes ", spec.to_string(),
         " names fields at the top level; give one spec per positional argument ({...}) or one "
         "int / st::none for all of them");
  }
  if (spec.kind() == AxisSpec::Kind::Children && spec.children().size() != call.defs.size()) {
    fail("vmap", "in_axes ", spec.to_string(), " has ", spec.children().size(),
         " entries, but f is called with ", call.defs.size(),
         " arguments; give one spec per positional argument");
  }
  for (size_t k = 0; k < call.defs.size(); ++k) {
    const AxisSpec& arg = spec.kind() == AxisSpec::Kind::Children ? spec.children()[k] : spec;
    resolve("in_axes", arg, call.defs[k].root(), "arg" + std::to_string(k), axes);
  }
  return axes;
}

// An axis spec for a value of rank `rank`, counted from the end when negative.
int normalize(const char* what, int axis, int rank, const std::string& path,
              const prim::ValueType& type) {
  if (rank == 0) {
    fail("vmap", what, " maps `", path, "` of type ", prim::to_string(type), " along axis ", axis,
         ", but a 0-d value has no axis to map; give it the spec st::none to share it across the "
         "batch, or pass an array with a batch axis");
  }
  if (axis < -rank || axis >= rank) {
    fail("vmap", what, " axis ", axis, " is out of range for `", path, "` of type ",
         prim::to_string(type), " (valid: ", -rank, " to ", rank - 1, ")");
  }
  return axis < 0 ? axis + rank : axis;
}

// The batch size: every mapped leaf's size along its (normalised) axis, which must agree with each
// other and with axis_size when given.
int64_t batch_size(const VmapCall& call, const std::vector<int>& dims) {
  std::optional<int64_t> size = call.axis_size;
  std::string first;  // what fixed the size, for messages
  if (size) {
    if (*size < 0) fail("vmap", "axis_size must be non-negative, found ", *size);
    first = detail::cat("axis_size = ", *size);
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == kNotBatched) continue;
    const int64_t n = call.leaves[i].shape(dims[i]);
    const std::string here =
        detail::cat("`", call.paths[i], "` has size ", n, " along axis ", dims[i]);
    if (!size) {
      size = n;
      first = here;
    } else if (n != *size) {
      fail("vmap", "mapped inputs must all have one size along their mapped axes: ", first,
           ", but ", here, "; fix the in_axes spec or the shapes");
    }
  }
  if (!size) {
    fail("vmap", "no argument is mapped (in_axes ", call.in_axes.to_string(),
         "), so the batch size is unknown; map an argument or pass axis_size");
  }
  return *size;
}

}  // namespace

std::vector<Array> vmap_leaves(const VmapCall& call, const VmapLeafFn& fn) {
  std::vector<int> dims = resolve_in_axes(call);
  std::vector<prim::ValueType> example;
  for (size_t i = 0; i < call.leaves.size(); ++i) {
    const Array& leaf = call.leaves[i];
    if (!leaf.valid()) {
      fail("vmap", "argument leaf `", call.paths[i], "` is an empty Array; pass a value");
    }
    tracing::check_not_leaked("vmap", leaf, "argument leaf `" + call.paths[i] + "`");
    prim::ValueType t = prim::type_of(leaf);
    if (dims[i] == kNone) {
      dims[i] = kNotBatched;
    } else {
      dims[i] = normalize("in_axes", dims[i], leaf.ndim(), call.paths[i], t);
      t.shape.erase(t.shape.begin() + dims[i]);
    }
    example.push_back(std::move(t));
  }
  const int64_t B = batch_size(call, dims);

  const TracedBody traced = trace_body("vmap", example, fn);
  // Any value of the body may gain the batch axis: its batched size must fit.
  for (ir::ValueId v = 0; v < traced.graph->num_values(); ++v) {
    prim::ValueType t = traced.graph->type(v);
    t.shape.insert(t.shape.begin(), B);
    strata::detail::checked_nbytes(t.shape, t.dtype, "vmap");
  }
  std::vector<Array> inputs = traced.captured;
  std::vector<int> input_dims(traced.captured.size(), kNotBatched);
  inputs.insert(inputs.end(), call.leaves.begin(), call.leaves.end());
  input_dims.insert(input_dims.end(), dims.begin(), dims.end());
  transforms::BatchedValues out = transforms::batch_graph(*traced.graph, inputs, input_dims, B);

  std::vector<int> out_axes;
  const tree::Node& out_root = call.out_def->root();
  if (call.out_axes.kind() == AxisSpec::Kind::Children && out_root.kind == tree::Kind::Leaf) {
    fail("vmap", "out_axes ", call.out_axes.to_string(),
         " lists entries, but f returns a single Array; give an int or st::none");
  }
  resolve("out_axes", call.out_axes, out_root, "", out_axes);
  const std::vector<std::string> paths = call.out_def->paths();
  for (size_t j = 0; j < out.values.size(); ++j) {
    const std::string path = "output " + tree::display_path(paths[j]);
    if (out_axes[j] == kNone) {
      if (out.dims[j] != kNotBatched) {
        fail("vmap", "out_axes is st::none for ", path,
             ", but it depends on the mapped inputs; give it an axis to map it along");
      }
      continue;
    }
    const prim::ValueType& t = traced.graph->type(traced.graph->outputs()[j]);
    const int to =
        normalize("out_axes", out_axes[j], static_cast<int>(t.shape.size()) + 1, path, t);
    out.values[j] = transforms::move_batch_axis(out.values[j], out.dims[j], B, to);
  }
  return out.values;
}

}  // namespace detail
}  // namespace strata
