// scan / fold: checks the arguments, traces the body once into a graph, binds the scan primitive.
#include "strata/scan.h"

#include <mutex>
#include <typeindex>
#include <unordered_map>

#include "api/internal.h"
#include "api/trace_counters.h"
#include "primitives/elementwise.h"
#include "primitives/scan.h"
#include "trace/frame.h"

namespace strata::detail {

namespace {

std::string type_string(const Array& a) {
  return prim::to_string(prim::type_of(a));
}

int64_t scan_length(const char* api, const ScanLeaves& leaves, const ScanOptions& options) {
  std::optional<int64_t> length = options.length;
  std::string length_from = "options.length";
  if (length && *length < 0) {
    fail(api, "options.length must be >= 0, found ", *length);
  }
  for (size_t i = 0; i < leaves.xs.size(); ++i) {
    const Array& x = leaves.xs[i];
    const std::string path = tree::display_path(leaves.xs_paths[i]);
    if (x.ndim() == 0) {
      fail(api, "xs leaf `", path, "` is a scalar (", type_string(x),
           "); every xs leaf needs a leading axis to scan over");
    }
    if (!length) {
      length = x.shape()[0];
      length_from = "xs leaf `" + path + "`";
    } else if (x.shape()[0] != *length) {
      fail(api, "xs leaf `", path, "` has leading size ", x.shape()[0], " (shape ",
           to_string(x.shape()), "), but ", length_from, " gives length ", *length,
           "; all xs leaves must have the same leading axis size, equal to options.length when "
           "it is given");
    }
  }
  if (!length) {
    fail(api,
         "cannot tell the length: xs has no leaves and options.length is not set; pass "
         "ScanOptions{.length = n} when scanning over None");
  }
  return *length;
}

// Traced scans of stateless bodies, by body type and signature (see ScanLeaves::body_type).
struct CachedScan {
  prim::PrimitivePtr scan;
  tree::TreeDef y_def;
};
struct ScanKey {
  std::type_index body;
  tree::TreeDef init_def, xs_def;
  std::vector<prim::ValueType> types;
  int64_t length;
  bool reverse;
  int64_t unroll;
  CheckpointPolicy checkpoint;
  bool operator==(const ScanKey&) const = default;
};
struct ScanKeyHash {
  size_t operator()(const ScanKey& k) const {
    size_t h = k.body.hash_code() ^ k.init_def.hash() ^ (k.xs_def.hash() << 1);
    auto mix = [&](size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
    for (const prim::ValueType& t : k.types) {
      mix(static_cast<size_t>(t.dtype));
      for (int64_t d : t.shape) mix(static_cast<size_t>(d));
    }
    mix(static_cast<size_t>(k.length));
    return h;
  }
};
struct ScanCache {
  std::mutex mutex;
  std::unordered_map<ScanKey, CachedScan, ScanKeyHash> entries;
};
ScanCache& scan_cache() {
  static ScanCache cache;
  return cache;
}

ScanOut bind_scan(const prim::PrimitivePtr& scan, const ScanLeaves& leaves,
                  const std::vector<Array>& consts, const tree::TreeDef& y_def) {
  std::vector<Array> operands = consts;
  operands.insert(operands.end(), leaves.init.begin(), leaves.init.end());
  operands.insert(operands.end(), leaves.xs.begin(), leaves.xs.end());
  std::vector<Array> out = prim::bind(scan, operands);
  const auto split = out.begin() + static_cast<std::ptrdiff_t>(leaves.init.size());
  return ScanOut{std::vector<Array>(out.begin(), split), std::vector<Array>(split, out.end()),
                 y_def};
}

}  // namespace

void carry_structure_error(const char* api, const tree::TreeDef& in, const tree::TreeDef& out) {
  fail(api, "the body's carry output must have the same structure as its carry input, but ",
       tree::first_difference(in, out).value_or("they differ"), " (input ", in.to_string(),
       ", output ", out.to_string(), "); return a carry built like init");
}

ScanOut scan_leaves(const char* api, const ScanLeaves& leaves, const ScanBodyFn& body,
                    const ScanOptions& options) {
  if (options.unroll < 1) {
    fail(api,
         "options.unroll must be >= 1 (1 = a rolled loop, k = k bodies per trip, >= length "
         "= fully unrolled), found ",
         options.unroll);
  }
  for (size_t i = 0; i < leaves.init.size(); ++i) {
    if (!leaves.init[i].valid()) {
      fail(api, "init leaf `", tree::display_path(leaves.init_paths[i]),
           "` is an empty Array; give every carry leaf a value");
    }
    tracing::check_not_leaked(api, leaves.init[i],
                              "init leaf `" + tree::display_path(leaves.init_paths[i]) + "`");
  }
  for (size_t i = 0; i < leaves.xs.size(); ++i) {
    if (!leaves.xs[i].valid()) {
      fail(api, "xs leaf `", tree::display_path(leaves.xs_paths[i]), "` is an empty Array");
    }
    tracing::check_not_leaked(api, leaves.xs[i],
                              "xs leaf `" + tree::display_path(leaves.xs_paths[i]) + "`");
  }
  const int64_t length = scan_length(api, leaves, options);
  options.checkpoint.validate(api);
  if (const auto b = options.checkpoint.nested_blocks; b && *b > 0 && length % *b != 0) {
    fail(api, "nested checkpointing with ", *b, " outer blocks needs a length divisible by ", *b,
         ", found length ", length, "; choose a divisor of ", length,
         " or nested(0) for the automatic choice");
  }

  std::optional<ScanKey> key;
  if (leaves.body_type) {
    key = ScanKey{std::type_index(*leaves.body_type),
                  leaves.init_def,
                  leaves.xs_def,
                  {},
                  length,
                  options.reverse,
                  options.unroll,
                  options.checkpoint};
    for (const Array& a : leaves.init) key->types.push_back(prim::type_of(a));
    for (const Array& a : leaves.xs) key->types.push_back(prim::type_of(a));
    ScanCache& cache = scan_cache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    if (auto it = cache.entries.find(*key); it != cache.entries.end()) {
      return bind_scan(it->second.scan, leaves, {}, it->second.y_def);
    }
  }

  // ---- trace the body once, on abstract carry and x-slice values
  std::shared_ptr<ir::Graph> graph;
  tree::TreeDef y_def;
  int num_consts = 0;
  std::vector<Array> consts;
  {
    tracing::FrameScope scope;
    const auto& frame = scope.shared();
    frame->reruns = "scan";
    std::vector<Array> carry_in, x_in;
    for (const Array& c : leaves.init)
      carry_in.push_back(tracing::new_input(frame, prim::type_of(c)));
    for (const Array& x : leaves.xs) {
      prim::ValueType t = prim::type_of(x);
      t.shape.erase(t.shape.begin());
      x_in.push_back(tracing::new_input(frame, t));
    }
    count_scan_body_trace();
    auto [carry_out, ys, ys_def] = body(carry_in, x_in);
    y_def = std::move(ys_def);
    if (carry_out.size() != carry_in.size()) {
      fail(api, "the body returned ", carry_out.size(), " carry leaves for ", carry_in.size(),
           " carry inputs; return a carry built like init");
    }
    std::vector<ir::ValueId> outputs;
    for (size_t i = 0; i < carry_out.size(); ++i) {
      const prim::ValueType in_t = prim::type_of(leaves.init[i]);
      Array out = carry_out[i];
      if (!out.valid()) {
        fail(api, "the body's carry output `", tree::display_path(leaves.init_paths[i]),
             "` is an empty Array; return a value for every carry leaf");
      }
      const prim::ValueType out_t = prim::type_of(out);
      if (out_t.shape != in_t.shape || out_t.dtype != in_t.dtype) {
        fail(api,
             "the body's carry input and carry output must have equal types (shapes and "
             "dtypes), but carry leaf `",
             tree::display_path(leaves.init_paths[i]), "` is ", prim::to_string(in_t),
             " on input and ", prim::to_string(out_t),
             " on output; make the body return the carry with the input's shape and dtype (e.g. "
             "astype(",
             in_t.dtype, ")) or change init to match");
      }
      outputs.push_back(tracing::lift(*frame, out, api));
      // A carry that changes only its weak-type flag keeps the input's type (JAX would retrace).
      if (out_t.weak != in_t.weak) {
        outputs.back() = frame->graph.add_op1(prim::make<prim::Convert>(in_t.dtype, in_t.weak),
                                              {outputs.back()});
      }
    }
    for (const Array& y : ys) {
      if (!y.valid()) fail(api, "the body returned an empty Array as a y leaf");
      outputs.push_back(tracing::lift(*frame, y, api));
    }
    frame->graph.set_outputs(std::move(outputs));
    num_consts = static_cast<int>(frame->captured.size());
    consts = frame->captured;
    graph = std::make_shared<ir::Graph>(tracing::finish_body(*frame));
  }

  prim::Scan::Params params;
  params.num_consts = num_consts;
  params.num_carry = static_cast<int>(leaves.init.size());
  params.length = length;
  params.reverse = options.reverse;
  params.unroll = options.unroll;
  params.save = save_policy(options.checkpoint);
  const prim::PrimitivePtr scan = prim::make<prim::Scan>(std::move(graph), params);
  // Only a trace that captured nothing is reusable (a stateless body captures nothing; this
  // guards against one reaching traced values through globals).
  if (key && consts.empty()) {
    ScanCache& cache = scan_cache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    cache.entries.emplace(std::move(*key), CachedScan{scan, y_def});
  }
  return bind_scan(scan, leaves, consts, y_def);
}

}  // namespace strata::detail
