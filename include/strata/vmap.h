// Vectorising map (jax.vmap): f written for one example, applied to a batch.
//
//   auto f = [](const Array& x, const Params& p) { return model(p, x); };   // x: [F]
//   Array ys = st::vmap(f, {0, st::none})(xs, params);   // xs: [B, F], params shared -> [B, ...]
//   auto per_example = st::vmap(st::grad(loss), {st::none, 0, 0})(params, xs, ys);
//
// `in_axes` says where each argument carries the batch: one int for every leaf of every argument,
// `st::none` for an argument shared by all examples, or one spec per positional argument
// (`{0, st::none}`), each a prefix of that argument's tree: an int or none for the whole
// argument, a brace list with one spec per child of a pair / tuple / vector / std::array, or
// `AxisSpec::fields({{"name", spec}, ...})` naming every field of a struct (or key of a map).
// Negative axes count from the end.  `out_axes` places the batch axis in each output leaf the same
// way (negative axes count from the end of the batched output); an output that does not depend
// on any mapped input is broadcast along it (JAX's behaviour), or left as it is where out_axes is
// none.  `axis_size` is only needed when no argument is mapped.
//
// f is traced once per call on one example's shapes; its graph is then batched by one rule per
// primitive that keeps each value's batch axis where it already is (no transpose per op), turns
// a product with a batched operand into one larger GEMM (or a batched one), and batches a scan's
// body once, with a fixpoint over which carries become batched: constants and carries that do not
// depend on the batch (shared weights) are never copied per example.  The batched ops run eagerly
// or are recorded into the enclosing jit / grad / scan / vmap, so vmap composes with all of them:
// vmap(grad(f)) gives per-example gradients, grad(vmap(f)), vmap(vmap(f)), a scan inside f or f
// inside a scan body.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/ops.h"
#include "strata/tree/flat_args.h"
#include "strata/tree/tree.h"

namespace strata {

// In an axis spec: not mapped (the value is shared by every example).
inline constexpr None none{};

// Where the batch axis is, for a pytree (see the header comment).
class AxisSpec {
 public:
  AxisSpec(int axis) : kind_(Kind::Axis), axis_(axis) {}  // NOLINT: specs read as plain ints
  AxisSpec(None) : kind_(Kind::NotMapped) {}              // NOLINT: and as st::none
  AxisSpec(std::initializer_list<AxisSpec> children) : kind_(Kind::Children), children_(children) {}
  // The brace list built at run time: one spec per element of a pair / tuple / vector / array.
  static AxisSpec list(std::vector<AxisSpec> children);
  // One spec per field of a struct (or key of a std::map), by name; every name must be given.
  static AxisSpec fields(std::vector<std::pair<std::string, AxisSpec>> named);

  enum class Kind { Axis, NotMapped, Children, Fields };
  Kind kind() const { return kind_; }
  int axis() const { return axis_; }
  const std::vector<AxisSpec>& children() const { return children_; }
  const std::vector<std::string>& names() const { return names_; }
  std::string to_string() const;  // "0", "none", "{0, none}", "{W: none, b: 0}"

 private:
  AxisSpec() = default;
  Kind kind_ = Kind::NotMapped;
  int axis_ = 0;
  std::vector<AxisSpec> children_;
  std::vector<std::string> names_;  // Fields: the name of each child
};

namespace detail {

using VmapLeafFn = std::function<std::vector<Array>(const std::vector<Array>&)>;
struct VmapCall {
  const std::vector<Array>& leaves;        // every argument's leaves, in order
  const std::vector<std::string>& paths;   // their key paths ("arg0.W")
  const std::vector<tree::TreeDef>& defs;  // each argument's structure
  const AxisSpec& in_axes;
  const AxisSpec& out_axes;
  std::optional<int64_t> axis_size;
  const tree::TreeDef* out_def;  // filled by fn: the structure of f's result
};
// fn (f on one example's leaves) applied to the batch: the batched output leaves, with their
// batch axes where out_axes asks.
std::vector<Array> vmap_leaves(const VmapCall& call, const VmapLeafFn& fn);

template <class F>
struct VmapFn {
  F f;
  AxisSpec in_axes;
  AxisSpec out_axes;
  std::optional<int64_t> axis_size;

  template <class... Args>
  auto operator()(const Args&... args) const {
    using R = std::remove_cvref_t<std::invoke_result_t<const F&, const Args&...>>;
    const FlatArgs<Args...> flat(args...);
    tree::TreeDef out_def;
    std::vector<Array> out =
        vmap_leaves({flat.leaves, flat.paths, flat.defs, in_axes, out_axes, axis_size, &out_def},
                    [&](const std::vector<Array>& example) {
                      R r = std::apply(f, flat.unflatten(example));
                      out_def = tree::structure(r);
                      return tree::leaves(r);
                    });
    return tree::unflatten<R>(out_def, std::move(out));
  }
};

}  // namespace detail

// vmap(f, in_axes, out_axes, axis_size)(args...): f mapped over the batch axis of its arguments.
template <class F>
auto vmap(F f, AxisSpec in_axes = 0, AxisSpec out_axes = 0,
          std::optional<int64_t> axis_size = std::nullopt) {
  return detail::VmapFn<F>{std::move(f), std::move(in_axes), std::move(out_axes), axis_size};
}

}  // namespace strata
