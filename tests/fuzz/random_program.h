// Random programs for differential testing: a seeded generator of DAGs of strata ops (scans
// included, their bodies built by the same generator), an evaluator that runs a program through
// the public ops — so one program runs eagerly and under jit, grad and vmap alike — and a
// readable listing for failure messages.  Shapes are inferred here, independently of the
// library, and every value carries a bound on its magnitude so that exp never overflows and
// float comparisons stay meaningful.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "strata/strata.h"

namespace strata::fuzz {

using Values = std::vector<Array>;
using Fn = std::function<Array(const Values&)>;

struct Program;

// One value of a program.
struct Node {
  enum Kind { Input, Outer, Op, Scan, ScanYs };
  Kind kind = Op;
  std::string text;       // the op for the listing, '%' standing for each argument in turn
  Fn fn;                  // Op: the op on the arguments' values
  std::vector<int> args;  // earlier nodes
  Shape shape;            // inferred result shape (meaningless for an invalid op)
  double mag = 1;         // an upper bound on |value|
  int64_t index = 0;      // Input: position; Outer: the node of the enclosing program
  ScanOptions options;    // Scan: args are (init, xs); the ys are the ScanYs node right after
  std::shared_ptr<const Program> body;  // Scan: inputs (carry, x), outputs (new carry, y)
  bool weak = false;                    // a weakly typed C++ scalar
  bool invalid = false;                 // deliberately wrong: must raise strata::Error
};

struct Program {
  DType dtype = DType::Float32;
  int num_inputs = 0;  // nodes [0, num_inputs) are the inputs
  std::vector<Node> nodes;
  std::vector<int> outputs;  // top level: the result; scan body: new carry, y
  bool invalid = false;      // holds an invalid op (possibly inside a scan body)
};

// The program's outputs for `inputs`; `outer` holds the enclosing program's values (scan bodies).
inline Values eval(const Program& p, const Values& inputs, const Values* outer = nullptr) {
  Values v(p.nodes.size());
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    const Node& n = p.nodes[i];
    Values args;
    for (int k : n.args) args.push_back(v[k]);
    if (n.kind == Node::Input) v[i] = inputs[n.index];
    if (n.kind == Node::Outer) v[i] = (*outer)[n.index];
    if (n.kind == Node::Op) v[i] = n.fn(args);
    if (n.kind == Node::Scan) {
      auto body = [&](const Array& c, const Array& x) {
        Values out = eval(*n.body, {c, x}, &v);
        return std::pair{out[0], out[1]};
      };
      std::tie(v[i], v[i + 1]) = scan(body, args[0], args[1], n.options);
    }
  }
  Values out;
  for (int k : p.outputs) out.push_back(v[k]);
  return out;
}

inline std::function<Array(const Values&)> as_function(std::shared_ptr<const Program> p) {
  return [p](const Values& inputs) { return eval(*p, inputs)[0]; };
}

inline std::string str(const std::vector<int64_t>& xs, const char* open = "(",
                       const char* close = ")") {
  std::string s = open;
  for (size_t k = 0; k < xs.size(); ++k) s += (k ? ", " : "") + std::to_string(xs[k]);
  return s + close;
}
inline std::string str(const Axes& axes) {
  return str(std::vector<int64_t>(axes.begin(), axes.end()), "{", "}");
}

// The listing: one line per node with its inferred type; body nodes are w0, w1, ... (x0, ... in a
// nested body), and "(captured)" marks a value of the enclosing program read by a body.
inline void describe(const Program& p, int depth, std::ostream& os) {
  const std::string pad(2 + 4 * depth, ' ');
  auto name = [&](int64_t i, int up = 0) {
    return std::string(1, static_cast<char>('v' + depth - up)) + std::to_string(i);
  };
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    const Node& n = p.nodes[i];
    std::string s;
    size_t arg = 0;
    for (char c : n.text) s += c == '%' ? name(n.args[arg++]) : std::string(1, c);
    if (n.kind == Node::Input)
      s = depth ? (n.index ? "x" : "carry") : "input " + std::to_string(n.index);
    if (n.kind == Node::Outer) s = name(n.index, 1) + " (captured)";
    os << pad << name(static_cast<int64_t>(i)) << " = " << s << "    # "
       << (n.invalid ? "invalid: must raise strata::Error"
                     : (p.dtype == DType::Float32 ? "f32" : "f64") + str(n.shape))
       << "\n";
    if (n.kind == Node::Scan) describe(*n.body, depth + 1, os);
  }
  os << pad << (depth ? "new carry, y = " : "result ") << name(p.outputs[0])
     << (depth ? ", " + name(p.outputs[1]) : "") << "\n";
}
inline std::string to_string(const Program& p) {
  std::ostringstream os;
  describe(p, 0, os);
  return os.str();
}

// ---------------------------------------------------------------- ops and shapes
struct UnaryDef {
  const char* text;
  Array (*fn)(const Array&);
  double (*mag)(double);
};
inline const std::vector<UnaryDef>& unary_defs() {
  static const std::vector<UnaryDef> defs = {
      {"sin(%)", [](const Array& x) { return sin(x); }, [](double) { return 1.0; }},
      {"tanh(%)", [](const Array& x) { return tanh(x); }, [](double) { return 1.0; }},
      {"exp(%)", [](const Array& x) { return exp(x); }, [](double m) { return std::exp(m); }},
      {"gelu(%)", [](const Array& x) { return gelu(x); }, [](double m) { return m; }},
      {"relu(%)", [](const Array& x) { return relu(x); }, [](double m) { return m; }},
      {"abs(%)", [](const Array& x) { return abs(x); }, [](double m) { return m; }},
      {"rsqrt(abs(%) + 0.5)", [](const Array& x) { return rsqrt(abs(x) + 0.5); },
       [](double) { return 1.5; }},
      {"square(%)", [](const Array& x) { return square(x); }, [](double m) { return m * m; }},
      {"logistic(%)", [](const Array& x) { return logistic(x); }, [](double) { return 1.0; }},
      {"-%", [](const Array& x) { return -x; }, [](double m) { return m; }},
      {"cos(%)", [](const Array& x) { return cos(x); }, [](double) { return 1.0; }},
      {"silu(%)", [](const Array& x) { return silu(x); }, [](double m) { return m; }},
  };
  return defs;
}
constexpr int kTanh = 1, kExp = 2;

struct BinaryDef {
  const char* text;
  Array (*fn)(const Array&, const Array&);
  double (*mag)(double, double);
  bool kink;  // not differentiable where the operands tie: never pair a value with itself
};
inline const std::vector<BinaryDef>& binary_defs() {
  static const std::vector<BinaryDef> defs = {
      {"% + %", [](const Array& a, const Array& b) { return a + b; },
       [](double a, double b) { return a + b; }, false},
      {"% - %", [](const Array& a, const Array& b) { return a - b; },
       [](double a, double b) { return a + b; }, false},
      {"% * %", [](const Array& a, const Array& b) { return a * b; },
       [](double a, double b) { return a * b; }, false},
      // The divisor stays >= 1.5, so the quotient is as well conditioned as the dividend.
      {"% / (1.5 + abs(%))", [](const Array& a, const Array& b) { return a / (1.5 + abs(b)); },
       [](double a, double) { return a / 1.5; }, false},
      {"maximum(%, %)", [](const Array& a, const Array& b) { return maximum(a, b); },
       [](double a, double b) { return std::max(a, b); }, true},
      {"minimum(%, %)", [](const Array& a, const Array& b) { return minimum(a, b); },
       [](double a, double b) { return std::max(a, b); }, true},
  };
  return defs;
}

struct ReduceDef {
  const char* name;
  Array (*fn)(const Array&, const Axes&, bool);
};
inline const std::vector<ReduceDef>& reduce_defs() {
  static const std::vector<ReduceDef> defs = {
      {"sum", [](const Array& a, const Axes& x, bool k) { return sum(a, x, k); }},
      {"max", [](const Array& a, const Axes& x, bool k) { return max(a, x, k); }},
      {"mean", [](const Array& a, const Axes& x, bool k) { return mean(a, x, k); }},
      {"min", [](const Array& a, const Axes& x, bool k) { return min(a, x, k); }},
  };
  return defs;
}
constexpr int kSum = 0, kMean = 2;

inline int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}
inline bool contains(const Axes& axes, int a) {
  return std::find(axes.begin(), axes.end(), a) != axes.end();
}
inline std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()));
  for (size_t k = 0; k < out.size(); ++k) {
    const int64_t x = k < a.size() ? a[a.size() - 1 - k] : 1;
    const int64_t y = k < b.size() ? b[b.size() - 1 - k] : 1;
    if (x != y && x != 1 && y != 1) return std::nullopt;
    out[out.size() - 1 - k] = x == 1 ? y : x;
  }
  return out;
}
// Python's len(range(n)[s]).
inline int64_t slice_length(int64_t n, const strata::Slice& s) {
  auto bound = [n](std::optional<int64_t> v, int64_t dflt, int64_t lo, int64_t hi) {
    return v ? std::clamp(*v < 0 ? *v + n : *v, lo, hi) : dflt;
  };
  if (s.step > 0) {
    const int64_t start = bound(s.start, 0, 0, n), stop = bound(s.stop, n, 0, n);
    return stop > start ? (stop - start + s.step - 1) / s.step : 0;
  }
  const int64_t start = bound(s.start, n - 1, -1, n - 1), stop = bound(s.stop, -1, -1, n - 1);
  return start > stop ? (start - stop - s.step - 1) / -s.step : 0;
}
// NumPy's matmul: a 1-D operand gains an axis that the result drops; batch axes broadcast.
inline std::optional<Shape> matmul_shape(Shape a, Shape b) {
  if (a.empty() || b.empty()) return std::nullopt;
  const bool vec_a = a.size() == 1, vec_b = b.size() == 1;
  if (vec_a) a.insert(a.begin(), 1);
  if (vec_b) b.push_back(1);
  if (a.back() != b[b.size() - 2]) return std::nullopt;
  auto out = broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  if (!out) return std::nullopt;
  if (!vec_a) out->push_back(a[a.size() - 2]);
  if (!vec_b) out->push_back(b.back());
  return out;
}
// lax.dot_general: batch axes, then lhs free axes, then rhs free axes.
inline Shape dot_general_shape(const Shape& a, const Shape& b, const DotDims& d) {
  Shape out;
  for (int k : d.lhs_batch) out.push_back(a[k]);
  for (int k = 0; k < static_cast<int>(a.size()); ++k) {
    if (!contains(d.lhs_batch, k) && !contains(d.lhs_contract, k)) out.push_back(a[k]);
  }
  for (int k = 0; k < static_cast<int>(b.size()); ++k) {
    if (!contains(d.rhs_batch, k) && !contains(d.rhs_contract, k)) out.push_back(b[k]);
  }
  return out;
}

// ---------------------------------------------------------------- random ops
// The building blocks of the program generator (tests/fuzz/random_programs_test.cpp): seeded
// draws, and ops appended to a program with their inferred shapes and magnitude bounds.  Values
// are picked favouring the latest (deep chains) but reaching back to any (fan-out).
class RandomOps {
 protected:
  static constexpr int64_t kMaxElements = 8192;
  static constexpr double kMaxMag = 100;
  struct Scope {
    Program& p;
    Scope* outer;  // the enclosing program while a scan body is built
    int depth = 0;
  };

  explicit RandomOps(uint64_t seed) : rng_(seed) {}

  int below(size_t n) { return static_cast<int>(rng_() % n); }
  int64_t between(int64_t lo, int64_t hi) { return lo + below(static_cast<size_t>(hi - lo + 1)); }
  double unit() { return static_cast<double>(rng_() >> 11) * 0x1p-53; }
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& choose(const std::vector<T>& xs) {
    return xs[below(xs.size())];
  }
  template <class T>
  void shuffle(std::vector<T>& xs) {  // our own draws: the same programs on every platform
    for (size_t k = xs.size(); k > 1; --k) std::swap(xs[k - 1], xs[below(k)]);
  }
  static Axes iota(int n) {
    Axes a(n);
    for (int k = 0; k < n; ++k) a[k] = k;
    return a;
  }
  Shape small_shape(int max_ndim = 3) {
    Shape s(below(max_ndim + 1));
    for (int64_t& d : s) d = between(1, 7);
    return s;
  }
  // A shape that broadcasts against `s`: leading axes dropped, some axes set to 1.
  Shape broadcastable(Shape s) {
    s.erase(s.begin(), s.begin() + (chance(0.3) ? below(s.size() + 1) : 0));
    for (int64_t& d : s) d = chance(0.3) ? 1 : d;
    return s;
  }

  static int last(const Scope& s) { return static_cast<int>(s.p.nodes.size()) - 1; }
  // A copy: adding a node may move the others.
  static Shape shape(const Scope& s, int i) { return s.p.nodes[i].shape; }
  static double mag(const Scope& s, int i) { return s.p.nodes[i].mag; }

  int add(Scope& s, Node n) {
    s.p.nodes.push_back(std::move(n));
    return last(s);
  }
  int op(Scope& s, std::vector<int> args, Shape shape, double mag, std::string text, Fn fn) {
    Node n;
    n.text = std::move(text);
    n.fn = std::move(fn);
    n.args = std::move(args);
    n.shape = std::move(shape);
    n.mag = mag;
    return add(s, std::move(n));
  }
  int input(Scope& s, int64_t index, Shape shape, double mag, Node::Kind kind = Node::Input) {
    Node n;
    n.kind = kind;
    n.index = index;
    n.shape = std::move(shape);
    n.mag = mag;
    return add(s, std::move(n));
  }

  // A random earlier value satisfying `ok`, -1 if none; in a scan body sometimes a capture of a
  // value of the enclosing program.  Never a weak scalar (an op on two of them would be a weakly
  // typed float32), nor a value too large to feed sin or cos in float32 (the rescaled copy that
  // follows it is picked instead).
  template <class Pred>
  int pick(Scope& s, Pred ok) {
    if (s.outer && chance(0.15)) {
      const int o = pick(*s.outer, ok);
      if (o >= 0) return input(s, o, shape(*s.outer, o), mag(*s.outer, o), Node::Outer);
    }
    std::vector<int> c;
    for (int i = 0; i <= last(s); ++i) {
      if (!s.p.nodes[i].weak && s.p.nodes[i].mag <= kMaxMag && ok(s.p.nodes[i])) c.push_back(i);
    }
    if (c.empty()) return -1;
    return chance(0.5) ? c[c.size() - 1 - below(std::min<size_t>(3, c.size()))] : choose(c);
  }
  int pick_any(Scope& s) {
    return pick(s, [](const Node&) { return true; });
  }

  // A constant in [-1, 1) captured by the program; sometimes stored transposed and viewed back,
  // so that it reaches its op as a strided view.
  int constant(Scope& s, const Shape& shape) {
    if (shape.size() >= 2 && chance(0.25)) {
      const int c = constant(s, Shape(shape.rbegin(), shape.rend()));
      return op(s, {c}, shape, 1, "transpose(%)", [](const Values& v) { return transpose(v[0]); });
    }
    std::vector<double> values(numel(shape));
    for (double& x : values) x = 2 * unit() - 1;
    Array a = astype(array(values, shape), dtype_);
    return op(s, {}, shape, 1, "constant", [a](const Values&) { return a; });
  }
  int scale(Scope& s, int a, double c) {
    return op(s, {a}, shape(s, a), mag(s, a) * std::fabs(c), "% * " + std::to_string(c),
              [c](const Values& v) { return v[0] * c; });
  }
  // Sometimes called through its own jit (inlined when traced) or checkpoint (recomputed by grad).
  int unary(Scope& s, int kind, int a) {
    const UnaryDef& d = unary_defs()[kind];
    if (kind == kExp && mag(s, a) > 3) a = scale(s, a, 3 / mag(s, a));
    Fn fn = [f = d.fn](const Values& v) { return f(v[0]); };
    const double r = unit();
    if (r < 0.2) fn = r < 0.1 ? Fn(jit(fn)) : Fn(checkpoint(fn));
    return op(s, {a}, shape(s, a), d.mag(mag(s, a)),
              (r < 0.1   ? "jit: "
               : r < 0.2 ? "checkpoint: "
                         : "") +
                  std::string(d.text),
              fn);
  }
  int binary(Scope& s, int kind, int a, int b) {
    const BinaryDef& d = binary_defs()[kind];
    return op(s, {a, b}, *broadcast_shapes(shape(s, a), shape(s, b)), d.mag(mag(s, a), mag(s, b)),
              d.text, [f = d.fn](const Values& v) { return f(v[0], v[1]); });
  }
  // An operand broadcasting against `shape`: an earlier value (not `avoid`), a constant or a weak
  // scalar.
  int partner(Scope& s, const Shape& shape, int avoid, bool allow_scalar = true) {
    const double r = unit();
    if (r < 0.6) {
      const Node* avoided = avoid >= 0 ? &s.p.nodes[avoid] : nullptr;
      const int b = pick(s, [&](const Node& n) {
        auto out = broadcast_shapes(shape, n.shape);
        return &n != avoided && out && numel(*out) <= kMaxElements;
      });
      if (b >= 0) return b;
    }
    if (r < 0.9 || !allow_scalar) return constant(s, broadcastable(shape));
    const double c = std::round((3 * unit() - 1.5) * 100) / 100;
    std::ostringstream text;
    text << c;
    op(s, {}, {}, std::fabs(c), text.str(), [c](const Values&) { return weak_scalar(c); });
    s.p.nodes.back().weak = true;
    return last(s);
  }
  int reduce(Scope& s, int a, int kind, Axes axes, bool keepdims) {
    const Shape in = shape(s, a);
    const int nd = static_cast<int>(in.size());
    Shape out;
    double count = 1;
    for (int k = 0; k < nd; ++k) {
      const bool reduced = axes.empty() || contains(axes, k) || contains(axes, k - nd);
      if (reduced) count *= static_cast<double>(in[k]);
      if (!reduced || keepdims) out.push_back(reduced ? 1 : in[k]);
    }
    const ReduceDef& d = reduce_defs()[kind];
    return op(s, {a}, out, mag(s, a) * (kind == kSum ? count : 1),
              std::string(d.name) + "(%, " + str(axes) + (keepdims ? ", keepdims)" : ")"),
              [f = d.fn, axes, keepdims](const Values& v) { return f(v[0], axes, keepdims); });
  }
  int broadcast_to(Scope& s, int a, const Shape& target) {
    return op(s, {a}, target, mag(s, a), "broadcast_to(%, " + str(target) + ")",
              [target](const Values& v) { return strata::broadcast_to(v[0], target); });
  }
  int expand_dims(Scope& s, int a, int axis, Shape out) {
    return op(s, {a}, std::move(out), mag(s, a), "expand_dims(%, " + std::to_string(axis) + ")",
              [axis](const Values& v) { return strata::expand_dims(v[0], axis); });
  }
  // `a` made of shape `target`: axes that do not broadcast are averaged away, then broadcast.
  int fit(Scope& s, int a, const Shape& target) {
    const Shape in = shape(s, a);
    const int extra = static_cast<int>(in.size()) - static_cast<int>(target.size());
    Axes mismatched;
    for (int k = std::max(extra, 0); k < static_cast<int>(in.size()); ++k) {
      if (in[k] != 1 && in[k] != target[k - extra]) mismatched.push_back(k);
    }
    if (!mismatched.empty()) a = reduce(s, a, kMean, mismatched, true);
    if (extra > 0) a = reduce(s, a, kMean, iota(extra), false);
    return shape(s, a) == target ? a : broadcast_to(s, a, target);
  }

  bool emit_view(Scope& s) {
    auto rank_at_least = [](size_t r) {
      return [r](const Node& n) { return n.shape.size() >= r; };
    };
    const int kind = below(7);
    const int a = kind <= 1   ? pick(s, rank_at_least(1))
                  : kind == 2 ? pick(s, rank_at_least(2))
                  : kind == 3 ? pick(s, [](const Node& n) { return numel(n.shape) <= 2048; })
                  : kind == 4 ? pick(s, [](const Node& n) { return n.shape.size() <= 3; })
                  : kind == 5 ? pick_any(s)
                              : pick(s, [](const Node& n) { return contains_one(n.shape); });
    if (a < 0) return false;
    const Shape in = shape(s, a);
    const int nd = static_cast<int>(in.size());
    Shape out = in;
    if (kind == 0) {  // slices of the leading axes, with steps (negative ones too)
      std::vector<strata::Slice> specs(static_cast<size_t>(between(1, nd)));
      std::string text = "%[";
      for (size_t k = 0; k < specs.size(); ++k) {
        strata::Slice& sl = specs[k];
        if (chance(0.75)) {  // else the whole axis
          sl.step = choose(std::vector<int64_t>{1, 1, 2, 3, -1, -1, -2});
          if (chance(0.5)) sl.start = between(-in[k] - 1, in[k]);
          if (chance(0.5)) sl.stop = between(-in[k] - 1, in[k]);
          if (slice_length(in[k], sl) == 0) sl.start = sl.stop = std::nullopt;
        }
        out[k] = slice_length(in[k], sl);
        text += (k ? ", " : "") + (sl.start ? std::to_string(*sl.start) : "") + ":" +
                (sl.stop ? std::to_string(*sl.stop) : "") +
                (sl.step == 1 ? "" : ":" + std::to_string(sl.step));
      }
      op(s, {a}, out, mag(s, a), text + "]",
         [specs](const Values& v) { return slice(v[0], specs); });
    } else if (kind == 1) {  // a[i]: a view of one leading row
      const int64_t i = between(-in[0], in[0] - 1);
      out.erase(out.begin());
      op(s, {a}, out, mag(s, a), "%[" + std::to_string(i) + "]",
         [i](const Values& v) { return v[0][i]; });
    } else if (kind == 2) {
      Axes perm = iota(nd);
      shuffle(perm);
      const bool implicit = chance(0.2);  // transpose(a): the axes reversed
      for (int k = 0; implicit && k < nd; ++k) perm[k] = nd - 1 - k;
      for (int k = 0; k < nd; ++k) out[k] = in[perm[k]];
      if (implicit) perm.clear();
      op(s, {a}, out, mag(s, a), "transpose(%, " + str(perm) + ")",
         [perm](const Values& v) { return transpose(v[0], perm); });
    } else if (kind == 3) {  // size-1 axes stretched, new leading axes
      for (int64_t& d : out) d = d == 1 && chance(0.5) ? between(2, 4) : d;
      for (int k = below(3); k > 0 && out.size() < 4; --k) out.insert(out.begin(), between(1, 3));
      if (numel(out) > kMaxElements) return false;
      broadcast_to(s, a, out);
    } else if (kind == 4) {
      const int axis = static_cast<int>(between(-nd - 1, nd));
      out.insert(out.begin() + (axis < 0 ? axis + nd + 1 : axis), 1);
      expand_dims(s, a, axis, out);
    } else if (kind == 5) {  // a random factorisation, sometimes with one -1
      int64_t rest = numel(in);
      out.clear();
      for (int64_t k = between(rest == 1 ? 0 : 1, 3); k > 1; --k) {
        std::vector<int64_t> divisors;
        for (int64_t d = 1; d <= rest; ++d) {
          if (rest % d == 0) divisors.push_back(d);
        }
        out.push_back(choose(divisors));
        rest /= out.back();
      }
      if (rest > 1 || !out.empty() || chance(0.5)) out.push_back(rest);
      shuffle(out);
      Shape target = out;
      if (!target.empty() && chance(0.3)) target[below(target.size())] = -1;
      op(s, {a}, out, mag(s, a), "reshape(%, " + str(target) + ")",
         [target](const Values& v) { return reshape(v[0], target); });
    } else {  // squeeze all size-1 axes, or some
      Axes axes;
      for (int k = 0; k < nd; ++k) {
        if (in[k] == 1 && chance(0.6)) axes.push_back(chance(0.3) ? k - nd : k);
      }
      out.clear();
      for (int k = 0; k < nd; ++k) {
        if (!(axes.empty() ? in[k] == 1 : contains(axes, k) || contains(axes, k - nd))) {
          out.push_back(in[k]);
        }
      }
      op(s, {a}, out, mag(s, a), "squeeze(%, " + str(axes) + ")",
         [axes](const Values& v) { return squeeze(v[0], axes); });
    }
    return true;
  }
  static bool contains_one(const Shape& s) { return std::find(s.begin(), s.end(), 1) != s.end(); }

  int matmul(Scope& s, int a, int b, Shape out) {
    const double m = mag(s, a) * mag(s, b) * static_cast<double>(shape(s, a).back());
    return op(s, {a, b}, std::move(out), m, "matmul(%, %)",
              [](const Values& v) { return strata::matmul(v[0], v[1]); });
  }
  bool emit_matmul(Scope& s) {
    const int a = pick(s, [](const Node& n) { return !n.shape.empty() && n.shape.size() <= 3; });
    if (a < 0) return false;
    const Shape sa = shape(s, a);
    int b = -1;
    if (chance(0.6)) {
      b = pick(s, [&](const Node& n) {
        auto out = matmul_shape(sa, n.shape);
        return n.shape.size() <= 3 && out && numel(*out) <= kMaxElements;
      });
    }
    if (b < 0) {  // a weight: (K, N), (K,), or batched like a
      Shape w = {sa.back(), between(1, 6)};
      if (sa.size() == 3 && chance(0.5)) w.insert(w.begin(), chance(0.5) ? sa[0] : 1);
      if (chance(0.2)) w = {sa.back()};
      b = constant(s, w);
    }
    const auto out = matmul_shape(sa, shape(s, b));
    if (!out || numel(*out) > kMaxElements) return false;
    matmul(s, a, b, *out);
    return true;
  }

  int dot_general(Scope& s, int a, int b, const DotDims& d, Shape out) {
    double m = mag(s, a) * mag(s, b);
    for (int k : d.lhs_contract) m *= static_cast<double>(shape(s, a)[k]);
    return op(s, {a, b}, std::move(out), m,
              "dot_general(%, %, contract " + str(d.lhs_contract) + "x" + str(d.rhs_contract) +
                  ", batch " + str(d.lhs_batch) + "x" + str(d.rhs_batch) + ")",
              [d](const Values& v) { return strata::dot_general(v[0], v[1], d); });
  }
  // dot_general of a with an earlier value, or else a constant, whose axes pair up with a's by
  // size: some pairs are batch axes, the rest contracted.
  bool emit_dot_general(Scope& s) {
    const int a = pick(s, [](const Node& n) { return !n.shape.empty(); });
    if (a < 0) return false;
    const Shape sa = shape(s, a);
    for (int tries = 0; tries < 6; ++tries) {
      int b = tries < 5 && chance(0.6)
                  ? pick(s, [](const Node& n) { return !n.shape.empty() && n.shape.size() <= 3; })
                  : -1;
      if (b < 0) {  // some of a's axes in another order, maybe with a free one
        Shape sb;
        for (int64_t d : sa) {
          if (chance(0.6)) sb.push_back(d);
        }
        if (sb.empty()) sb.push_back(choose(sa));
        if (sb.size() < 3 && chance(0.6)) sb.push_back(between(1, 5));
        shuffle(sb);
        b = constant(s, sb);
      }
      const Shape sb = shape(s, b);
      std::vector<std::pair<int, int>> pairs;
      for (size_t i = 0; i < sa.size(); ++i) {
        for (size_t j = 0; j < sb.size(); ++j) {
          if (sa[i] == sb[j]) pairs.emplace_back(i, j);
        }
      }
      shuffle(pairs);
      DotDims d;
      const size_t wanted = between(1, 3);
      for (const auto& [i, j] : pairs) {
        if (d.lhs_contract.size() + d.lhs_batch.size() == wanted || contains(d.lhs_contract, i) ||
            contains(d.lhs_batch, i) || contains(d.rhs_contract, j) || contains(d.rhs_batch, j)) {
          continue;
        }
        const bool batch = chance(0.3);
        (batch ? d.lhs_batch : d.lhs_contract).push_back(i);
        (batch ? d.rhs_batch : d.rhs_contract).push_back(j);
      }
      const Shape out = dot_general_shape(sa, sb, d);
      if (!pairs.empty() && out.size() <= 4 && numel(out) <= kMaxElements) {
        dot_general(s, a, b, d, out);
        return true;
      }
    }
    return false;
  }

  std::mt19937_64 rng_;
  DType dtype_ = DType::Float32;
};

}  // namespace strata::fuzz
