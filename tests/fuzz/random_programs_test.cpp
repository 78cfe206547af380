// Differential testing of random programs.  Each seed builds a random DAG of ops over 1-3 inputs
// (views with negative steps, broadcasting, reductions, concatenate, take, matmul / dot_general
// on strided operands, ops called through jit or checkpoint, scans whose bodies capture outer
// values; see random_program.h), given inputs that are sometimes strided views or one array
// passed twice, and checks that
//   1. jit(f)(x) matches f(x) run eagerly, and a second call of the same jitted object on new
//      values (the cached executable) matches f on those values; the eager result also has the
//      shape the generator inferred on its own;
//   2. (float64 programs) grad of sum(f(x) * w) matches central finite differences along a random
//      direction;
//   3. vmap of f over a new batch axis (size 3) of one or more inputs matches eager calls per
//      example, stacked; jit(vmap(f)) matches vmap(f), and vmap(grad) matches a loop of grads;
//   4. jit(grad) matches eager grad.
// Programs with one deliberately invalid op must raise strata::Error eagerly and under jit, grad
// and vmap alike (never crash, never return).  A failure prints the seed and the program's
// listing.  By default 400 valid and 1000 invalid programs run (about 8 s in Release);
// STRATA_FUZZ_SEED sets the first seed (default 1) and STRATA_FUZZ_PROGRAMS the number of
// programs of each test.  One seed alone:
//   STRATA_FUZZ_SEED=1234 STRATA_FUZZ_PROGRAMS=1 strata_tests --gtest_filter='RandomPrograms.*'
// Long mode (about 7 minutes in Release on two busy cores):
//   STRATA_FUZZ_PROGRAMS=20000 strata_tests --gtest_filter='RandomPrograms.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "fuzz/random_program.h"
#include "test_util.h"

namespace strata::fuzz {
namespace {

// Whole programs: a sequence of random ops (some of them scans, whose bodies are programs built
// the same way), the values nothing read folded into the result, and optionally one invalid op.
class ProgramGenerator : RandomOps {
 public:
  ProgramGenerator(uint64_t seed, bool invalid) : RandomOps(seed), invalid_(invalid) {}

  std::shared_ptr<const Program> generate() {
    auto p = std::make_shared<Program>();
    p->dtype = dtype_ = chance(0.5) ? DType::Float32 : DType::Float64;
    p->num_inputs = static_cast<int>(between(1, 3));
    Scope s{*p, nullptr};
    // Related shapes, so that inputs broadcast; sometimes an axis long enough that fused loops
    // take more than one 1024-element tile.
    static const std::vector<Shape> long_shapes = {{1100, 1}, {148, 7},    {1030},    {3, 347},
                                                   {7, 149},  {2, 1, 515}, {1, 1025}, {2, 600}};
    const Shape base = chance(0.2) ? choose(long_shapes) : small_shape();
    for (int i = 0; i < p->num_inputs; ++i) {
      Shape shape = i == 0 ? base : chance(0.2) ? small_shape() : broadcastable(base);
      if (shape.size() >= 2 && chance(0.15)) std::reverse(shape.begin(), shape.end());
      input(s, i, shape, 2.0);
    }
    const int steps = static_cast<int>(between(3, 12));
    invalid_step_ = invalid_ ? below(steps) : -1;
    build(s, steps);
    int out = last(s);
    std::vector<int> unused;
    for (int i = 0; i < out && !stopped_; ++i) {
      if (!p->nodes[i].args.empty() && !used(*p, i)) unused.push_back(i);
    }
    for (int k = 0; k < 2 && !unused.empty(); ++k) {
      out = binary(s, 0, out, fit(s, choose(unused), shape(s, out)));
    }
    p->outputs = {out};
    p->invalid = stopped_;
    return p;
  }

 private:
  static bool used(const Program& p, int i) {
    for (const Node& n : p.nodes) {
      if (contains(n.args, i)) return true;
      for (size_t k = 0; n.body && k < n.body->nodes.size(); ++k) {
        if (n.body->nodes[k].kind == Node::Outer && n.body->nodes[k].index == i) return true;
      }
    }
    return false;
  }

  void build(Scope& s, int steps) {
    for (int k = 0; k < steps && !stopped_; ++k) {
      if (steps_++ == invalid_step_) {
        emit_invalid(s);
        stopped_ = true;
        return;
      }
      while (!emit(s)) {
      }
      // Bounded magnitudes: a linear rescale keeps gradients meaningful, unlike a squashing.
      if (!stopped_ && mag(s, last(s)) > kMaxMag) scale(s, last(s), 10 / mag(s, last(s)));
    }
  }

  // One random op; false when the kind drawn does not apply here (another is drawn).
  bool emit(Scope& s) {
    const int r = below(100);
    if (r < 20) {
      unary(s, below(unary_defs().size()), pick_any(s));
    } else if (r < 40) {
      const int k = below(binary_defs().size());
      const int a = pick_any(s), b = partner(s, shape(s, a), binary_defs()[k].kink ? a : -1);
      chance(0.5) ? binary(s, k, a, b) : binary(s, k, b, a);
    } else if (r < 47) {  // where(a > b, x, y), the comparison never of a value with itself
      const int a = pick_any(s), b = partner(s, shape(s, a), a);
      const Shape cond = *broadcast_shapes(shape(s, a), shape(s, b));
      const int x = partner(s, cond, -1);
      const Shape cx = *broadcast_shapes(cond, shape(s, x));
      const int y = partner(s, cx, -1, !s.p.nodes[x].weak);
      const bool greater = chance(0.5);
      op(s, {a, b, x, y}, *broadcast_shapes(cx, shape(s, y)), std::max(mag(s, x), mag(s, y)),
         greater ? "where(% > %, %, %)" : "where(% < %, %, %)", [greater](const Values& v) {
           return where(greater ? v[0] > v[1] : v[0] < v[1], v[2], v[3]);
         });
    } else if (r < 56) {
      const int a = pick_any(s);
      const int nd = static_cast<int>(shape(s, a).size());
      Axes axes;  // empty: all of them
      for (int k = 0; k < nd; ++k) {
        if (chance(0.5)) axes.push_back(chance(0.3) ? k - nd : k);
      }
      if (nd > 0 && axes.empty() && chance(0.7)) axes.push_back(below(nd));
      reduce(s, a, below(reduce_defs().size()), axes, chance(0.4));
    } else if (r < 62) {
      return chance(0.5) ? emit_concatenate(s) : emit_take(s);
    } else if (r < 80) {
      return emit_view(s);
    } else if (r < 87) {
      return emit_matmul(s);
    } else if (r < 95) {
      return emit_dot_general(s);
    } else {
      return s.depth < 2 && scans_ < 3 && emit_scan(s);
    }
    return true;
  }

  static bool modest(const Node& n) { return !n.shape.empty() && numel(n.shape) <= 4096; }
  // concatenate(a, b) along one axis, b an earlier value or a constant that matches elsewhere.
  bool emit_concatenate(Scope& s) {
    int a = pick(s, modest);
    if (a < 0) return false;
    const Shape sa = shape(s, a);
    const int nd = static_cast<int>(sa.size()), axis = below(nd);
    int b = pick(s, [&](const Node& n) {
      Shape sn = n.shape;
      if (sn.size() == sa.size()) sn[axis] = sa[axis];
      return sn == sa;
    });
    if (b < 0 || chance(0.3)) {
      Shape sb = sa;
      sb[axis] = between(1, 3);
      b = constant(s, sb);
    }
    if (chance(0.5)) std::swap(a, b);
    Shape out = shape(s, a);
    out[axis] += shape(s, b)[axis];
    const int ax = chance(0.3) ? axis - nd : axis;
    op(s, {a, b}, out, std::max(mag(s, a), mag(s, b)),
       "concatenate({%, %}, " + std::to_string(ax) + ")", [ax](const Values& v) {
         return concatenate({v[0], v[1]}, ax);
       });
    return true;
  }
  // take(a, indices): rows of a, repeated, counted from the end, or clipped when out of range.
  bool emit_take(Scope& s) {
    const int a = pick(s, modest);
    if (a < 0) return false;
    const Shape sa = shape(s, a);
    const bool clip = chance(0.3);
    const Shape is = chance(0.7) ? Shape{between(1, 5)} : Shape{between(1, 3), between(1, 3)};
    std::vector<int64_t> rows(numel(is));
    for (int64_t& i : rows) i = clip ? between(-sa[0] - 2, sa[0] + 1) : between(-sa[0], sa[0] - 1);
    Shape out = is;
    out.insert(out.end(), sa.begin() + 1, sa.end());
    if (numel(out) > kMaxElements) return false;
    const Array indices = astype(array(rows, is), DType::Int32);
    op(s, {a}, out, mag(s, a),
       "take(%, " + str(rows, "[", "]") + (is.size() > 1 ? ".reshape" + str(is) : "") +
           (clip ? ", clip)" : ")"),
       [indices, clip](const Values& v) {
         return take(v[0], indices, clip ? IndexMode::Clip : IndexMode::Raise);
       });
    return true;
  }

  // A scan over the leading axis of xs, whose body (carry, x) -> (tanh(carry / 2 + g), y) builds
  // g and y by the same generator, capturing values of the enclosing program now and then.
  bool emit_scan(Scope& s) {
    int init = pick(s, [](const Node& n) { return numel(n.shape) <= 256; });
    if (init < 0) init = constant(s, small_shape(2));
    int xs = pick(s, [](const Node& n) {
      return !n.shape.empty() && n.shape[0] <= 10 && numel(n.shape) <= 1024;
    });
    if (xs < 0 || chance(0.2)) {  // rows made by broadcasting a value along a new leading axis
      xs = pick(s, [](const Node& n) { return numel(n.shape) <= 256; });
      xs = xs < 0 ? init : xs;
      Shape rows = shape(s, xs);
      rows.insert(rows.begin(), 1);
      xs = expand_dims(s, xs, 0, rows);
      rows[0] = between(1, 5);
      xs = broadcast_to(s, xs, rows);
    }
    ++scans_;
    const Shape carry = shape(s, init), xs_shape = shape(s, xs);
    auto body = std::make_shared<Program>();
    body->dtype = dtype_;
    body->num_inputs = 2;
    Scope b{*body, &s, s.depth + 1};
    input(b, 0, carry, std::max(mag(s, init), 1.0));
    input(b, 1, Shape(xs_shape.begin() + 1, xs_shape.end()), mag(s, xs));
    build(b, static_cast<int>(between(2, 5)));
    if (stopped_) {
      body->outputs = {last(b), last(b)};
    } else {
      int g = fit(b, last(b), carry);
      if (mag(b, g) > 1) g = scale(b, g, 1 / mag(b, g));
      const int new_carry = unary(b, kTanh, binary(b, 0, scale(b, 0, 0.5), g));
      const int y = pick(b, [](const Node& n) { return numel(n.shape) <= 1024; });
      body->outputs = {new_carry, y < 0 ? new_carry : y};
    }
    Node n;
    n.kind = Node::Scan;
    n.args = {init, xs};
    n.shape = carry;
    n.body = body;
    n.options.reverse = chance(0.3);
    n.options.unroll = choose(std::vector<int64_t>{1, 1, 2, 3, 100});
    const int policy = below(3);
    n.options.checkpoint = policy == 0   ? CheckpointPolicy::save_all()
                           : policy == 1 ? CheckpointPolicy::carries_only()
                                         : CheckpointPolicy::nested();
    n.text = std::string("scan(init %, xs %") + (n.options.reverse ? ", reverse" : "") +
             ", unroll " + std::to_string(n.options.unroll) + ", " +
             std::vector<std::string>{"save_all", "carries_only", "nested"}[policy] + ")";
    add(s, std::move(n));
    const Node& y = body->nodes[body->outputs[1]];
    Node ys;
    ys.kind = Node::ScanYs;
    ys.text = "ys of %";
    ys.args = {last(s)};
    ys.shape = y.shape;
    ys.shape.insert(ys.shape.begin(), xs_shape[0]);
    ys.mag = y.mag;
    add(s, std::move(ys));
    return true;
  }

  // One deliberately wrong op on an earlier value: each is a static error that strata must
  // report as strata::Error, eagerly and under every transform alike.
  void emit_invalid(Scope& s) {
    const int a = pick_any(s);
    const Shape sa = shape(s, a);
    const int nd = static_cast<int>(sa.size());
    int wide = -1;  // an axis longer than 1, if any
    for (int k = 0; k < nd; ++k) wide = sa[k] > 1 ? k : wide;
    const int64_t n = nd ? sa[0] : 0;
    const int axis = chance(0.5) ? nd + 2 : -nd - 3;
    Shape wider = sa;
    if (wide >= 0) ++wider[wide];
    std::vector<std::pair<std::string, Fn>> unary_cases = {
        {"reshape(%, " + str(Shape{numel(sa) + 1}) + ")",
         [m = numel(sa) + 1](const Values& v) { return reshape(v[0], {m}); }},
        {"reshape(%, (-1, -1))",
         [](const Values& v) {
           return reshape(v[0], {-1, -1});
         }},
        {"sum(%, {" + std::to_string(axis) + "})",
         [axis](const Values& v) { return sum(v[0], {axis}); }},
        {"transpose(%, " + str(iota(nd + 1)) + ")",
         [nd](const Values& v) { return transpose(v[0], iota(nd + 1)); }},
        {"expand_dims(%, " + std::to_string(axis) + ")",
         [axis](const Values& v) { return strata::expand_dims(v[0], axis); }},
    };
    if (nd > 0) {
      unary_cases.insert(
          unary_cases.end(),
          {{"%[::0]",
            [](const Values& v) {
              return slice(v[0], {{std::nullopt, std::nullopt, 0}});
            }},
           {"%[" + std::to_string(n) + "]", [n](const Values& v) { return v[0][n]; }},
           {"take(%, [" + std::to_string(n) + "])",  // raised when the executable runs
            [n](const Values& v) { return take(v[0], array<int32_t>({static_cast<int32_t>(n)})); }},
           {"max(%, {0, 0})", [](const Values& v) {
              return max(v[0], {0, 0});
            }}});
    }
    if (wide >= 0) {
      unary_cases.insert(unary_cases.end(),
                         {{"broadcast_to(%, " + str(wider) + ")",
                           [wider](const Values& v) { return strata::broadcast_to(v[0], wider); }},
                          {"squeeze(%, {" + std::to_string(wide) + "})",
                           [wide](const Values& v) { return squeeze(v[0], {wide}); }}});
    }
    auto bad = [&](std::vector<int> args, std::string text, Fn fn) {
      op(s, std::move(args), sa, 1, std::move(text), std::move(fn));
      s.p.nodes.back().invalid = true;
    };
    const int r = below(10);
    if (r == 6) {  // mismatched contraction, or a 0-d operand
      const int c = constant(s, nd ? Shape{sa.back() + 1, 2} : Shape{3});
      bad({a, c}, "matmul(%, %)", [](const Values& v) { return strata::matmul(v[0], v[1]); });
    } else if (r == 7 && nd > 0) {
      const int c = constant(s, {n + 1, 2});
      bad({a, c}, "dot_general(%, %, contract {0}x{0})", [](const Values& v) {
        return strata::dot_general(v[0], v[1], {{0}, {0}, {}, {}});
      });
    } else if (r == 8 && wide >= 0) {  // operands that do not broadcast
      bad({a, constant(s, wider)}, "% + %", [](const Values& v) { return v[0] + v[1]; });
    } else if (r == 9 && s.outer) {  // a scan body whose new carry has another shape
      bad({0}, "expand_dims(%, 0)", [](const Values& v) { return strata::expand_dims(v[0], 0); });
    } else {
      const auto& [text, fn] = choose(unary_cases);
      bad({a}, text, fn);
    }
  }

  bool invalid_;
  int invalid_step_ = -1;  // the step (counted across scan bodies too) of the invalid op
  int steps_ = 0;
  int scans_ = 0;
  bool stopped_ = false;  // the invalid op is emitted: the program ends there
};

// ---------------------------------------------------------------- checks
using testing::to_doubles;

Array uniform(const Shape& shape, DType dtype, std::mt19937_64& rng, double lo, double hi) {
  std::vector<double> values(numel(shape));
  for (double& v : values) v = lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1p-53;
  return astype(array(values, shape), dtype);
}
// Inputs in [-2, 2): contiguous, or strided views of larger buffers (transposed, every other
// row, reversed rows), or (float32) input 0's array passed again, so that the executables see
// inputs that share a buffer.  Never for float64: tied inputs would be kinks of maximum.
Values random_inputs(const Program& p, std::mt19937_64& rng) {
  Values x;
  for (int i = 0; i < p.num_inputs; ++i) {
    const Shape& s = p.nodes[i].shape;
    const uint64_t layout = rng() % 5;
    if (layout == 1 && s.size() >= 2) {
      x.push_back(transpose(uniform(Shape(s.rbegin(), s.rend()), p.dtype, rng, -2, 2)));
    } else if ((layout == 2 || layout == 3) && !s.empty()) {
      Shape longer = s;
      longer[0] *= layout == 2 ? 2 : 1;
      const int64_t step = layout == 2 ? (rng() % 2 ? 2 : -2) : -1;
      x.push_back(
          slice(uniform(longer, p.dtype, rng, -2, 2), {{std::nullopt, std::nullopt, step}}));
    } else if (layout == 4 && i > 0 && x[0].shape() == s && p.dtype == DType::Float32) {
      x.push_back(x[0]);
    } else {
      x.push_back(uniform(s, p.dtype, rng, -2, 2));
    }
  }
  return x;
}

// What one mode produced: arrays, a strata::Error, or another exception (always a bug).
struct Outcome {
  Values values;
  std::string error, crash;
  bool ok() const { return error.empty() && crash.empty(); }
  std::string what() const {
    return ok()            ? "returned"
           : crash.empty() ? "threw strata::Error: " + error
                           : "crashed: " + crash;
  }
};
template <class F>
Outcome attempt(F&& f) {
  Outcome o;
  try {
    o.values = f();
  } catch (const Error& e) {
    o.error = std::string(e.what()).empty() ? "(empty message)" : e.what();
  } catch (const std::exception& e) {
    o.crash = e.what();
  }
  return o;
}

// "" when both modes returned arrays of equal shapes and dtypes whose elements agree within
// tol * (|want| + the largest |want|, at least 1); else what differs.
std::string compare(const std::string& what, const Outcome& got, const Outcome& want, double tol) {
  if (!got.ok() || !want.ok())
    return what + ": " + got.what() + " but the reference " + want.what();
  std::ostringstream os;
  os.precision(17);
  for (size_t k = 0; k < want.values.size(); ++k) {
    const Array &g = got.values[k], &w = want.values[k];
    if (g.shape() != w.shape() || g.dtype() != w.dtype()) {
      os << what << ": array " << k << " is " << name(g.dtype()) << str(g.shape()) << ", want "
         << name(w.dtype()) << str(w.shape());
      return os.str();
    }
    const std::vector<double> x = to_doubles(g), y = to_doubles(w);
    double scale = 1;
    for (double v : y) scale = std::max(scale, std::fabs(v));
    for (size_t i = 0; i < x.size(); ++i) {
      if (!testing::close(x[i], y[i], tol, tol * scale)) {
        os << what << ": array " << k << " element " << i << " is " << x[i] << ", want " << y[i];
        return os.str();
      }
    }
  }
  return "";
}

struct Stats {
  int64_t programs = 0, finite_differences = 0, kinks = 0, scans = 0;
};

// The directional derivative of `loss` at x along a random v from its gradient `g`, against
// central differences at h, h/2 and h/4.  Differences that disagree among themselves mean a kink
// (relu, abs, maximum, where) within h of x: not a gradient bug, so the point is skipped.
// `loss_scale` is the size of the loss's terms and weights, which bounds the rounding of both
// the differences and a gradient whose terms cancel.
std::string check_finite_differences(const std::function<Array(const Values&)>& loss,
                                     const Values& x, const Values& g, double loss_scale,
                                     std::mt19937_64& rng, Stats& stats) {
  Values v;
  double dd = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    v.push_back(uniform(x[i].shape(), DType::Float64, rng, -1, 1));
    const std::vector<double> gi = to_doubles(g[i]), vi = to_doubles(v.back());
    for (size_t k = 0; k < gi.size(); ++k) {
      dd += gi[k] * vi[k];
      scale += std::fabs(gi[k] * vi[k]);
    }
  }
  auto central = [&](double h) {
    Values plus, minus;
    for (size_t i = 0; i < x.size(); ++i) {
      plus.push_back(x[i] + v[i] * h);
      minus.push_back(x[i] - v[i] * h);
    }
    return (loss(plus).item<double>() - loss(minus).item<double>()) / (2 * h);
  };
  const double tol = 1e-7 * (scale + std::fabs(dd)) + 1e-8 * loss_scale;
  std::vector<double> fd;
  for (double h : {1e-5, 0.5e-5, 0.25e-5}) {
    fd.push_back(central(h));
    if (std::fabs(fd.back() - dd) <= tol) return "";
  }
  if (std::fabs(fd[0] - fd[1]) > tol || std::fabs(fd[1] - fd[2]) > tol) {
    ++stats.kinks;
    return "";
  }
  std::ostringstream os;
  os.precision(17);
  os << "grad vs finite differences: directional derivative " << dd << ", differences " << fd[0]
     << " " << fd[1] << " " << fd[2] << " (tolerance " << tol << ")";
  return os.str();
}

std::string check_valid(const Program& p, uint64_t seed, Stats& stats) {
  const auto f = as_function(std::make_shared<const Program>(p));
  std::mt19937_64 rng(seed + 0x9e3779b97f4a7c15ULL);
  const bool f64 = p.dtype == DType::Float64;
  const double tol = f64 ? 1e-12 : 1e-5;
  const Values x = random_inputs(p, rng);
  const Outcome eager = attempt([&] { return Values{f(x)}; });
  if (!eager.ok()) return "eager " + eager.what();
  const Node& out = p.nodes[p.outputs[0]];
  if (eager.values[0].shape() != out.shape || eager.values[0].dtype() != p.dtype) {
    return "eager result is " + std::string(name(eager.values[0].dtype())) +
           str(eager.values[0].shape()) + ", the generator inferred " + str(out.shape);
  }
  std::string m;
  const auto jitted = jit(f);
  if (m = compare("jit vs eager", attempt([&] { return Values{jitted(x)}; }), eager, tol);
      !m.empty()) {
    return m;
  }
  const Values x2 = random_inputs(p, rng);
  if (m = compare("second jit call (new values) vs eager",
                  attempt([&] { return Values{jitted(x2)}; }),
                  attempt([&] { return Values{f(x2)}; }), tol);
      !m.empty()) {
    return m;
  }

  const Array w = uniform(out.shape, p.dtype, rng, -1, 1);
  const std::function<Array(const Values&)> loss = [f, w](const Values& in) {
    return sum(f(in) * w);
  };
  const Outcome g = attempt([&] { return grad(loss)(x); });
  if (!g.ok()) return "eager grad " + g.what();
  if (m = compare("jit(grad) vs eager grad", attempt([&] { return jit(grad(loss))(x); }), g, tol);
      !m.empty()) {
    return m;
  }
  if (f64) {
    ++stats.finite_differences;
    const double loss_scale =
        sum(abs(eager.values[0] * w)).item<double>() + sum(abs(w)).item<double>();
    if (m = check_finite_differences(loss, x, g.values, loss_scale, rng, stats); !m.empty()) {
      return m;
    }
  }

  // vmap over a new axis (of size 3) of input k and maybe others, each at its own position, the
  // batch placed first or last in the result; the reference is a loop over the examples.
  const size_t k = rng() % x.size();
  const int out_axis = rng() % 4 == 0 ? -1 : 0;
  std::vector<Values> examples(3, x);
  Values xb = x;
  std::vector<AxisSpec> specs(x.size(), none);
  std::string what = "vmap (out_axes " + std::to_string(out_axis) + ") over";
  for (size_t j = 0; j < x.size(); ++j) {
    if (j != k && rng() % 2) continue;
    const int axis = static_cast<int>(rng() % (x[j].ndim() + 1));
    Values rows;
    for (Values& e : examples) rows.push_back(e[j] = uniform(x[j].shape(), p.dtype, rng, -2, 2));
    xb[j] = stack(rows, axis);
    specs[j] = axis;
    what += " axis " + std::to_string(axis) + " of input " + std::to_string(j);
  }
  const AxisSpec in_axes = AxisSpec::list({AxisSpec::list(specs)});
  auto loop = [&](const std::function<Values(const Values&)>& fn, int axis) {
    return attempt([&] {
      std::vector<Values> results;
      for (const Values& e : examples) results.push_back(fn(e));
      Values stacked;
      for (size_t j = 0; j < results[0].size(); ++j) {
        const int at = axis < 0 ? results[0][j].ndim() : axis;
        stacked.push_back(stack({results[0][j], results[1][j], results[2][j]}, at));
      }
      return stacked;
    });
  };
  const auto vf = vmap(f, in_axes, out_axis);
  const Outcome mapped = attempt([&] { return Values{vf(xb)}; });
  if (m = compare(what + " vs a loop", mapped,
                  loop([&](const Values& e) { return Values{f(e)}; }, out_axis), tol);
      !m.empty()) {
    return m;
  }
  if (m = compare("jit(" + what + ") vs vmap", attempt([&] { return Values{jit(vf)(xb)}; }), mapped,
                  tol);
      !m.empty()) {
    return m;
  }
  return compare("per-example gradients, " + what + " vs a loop",
                 attempt([&] { return vmap(grad(loss), in_axes)(xb); }), loop(grad(loss), 0), tol);
}

// Every mode must raise strata::Error: returning, or throwing anything else, is a failure.
std::string check_invalid(const Program& p, uint64_t seed) {
  const auto f = as_function(std::make_shared<const Program>(p));
  std::mt19937_64 rng(seed + 0x9e3779b97f4a7c15ULL);
  const Values x = random_inputs(p, rng);
  const auto loss = [f](const Values& in) { return sum(f(in)); };
  Values xb = x;
  xb[0] = stack({x[0], x[0]}, 0);
  std::vector<AxisSpec> specs(x.size(), none);
  specs[0] = 0;
  const std::vector<std::pair<std::string, std::function<Values()>>> modes = {
      {"eager", [&] { return Values{f(x)}; }},
      {"jit", [&] { return Values{jit(f)(x)}; }},
      {"grad", [&] { return grad(loss)(x); }},
      {"jit(grad)", [&] { return jit(grad(loss))(x); }},
      {"vmap", [&] { return Values{vmap(f, AxisSpec::list({AxisSpec::list(specs)}))(xb)}; }},
  };
  for (const auto& [mode, run] : modes) {
    const Outcome o = attempt(run);
    if (o.ok() || !o.crash.empty()) return mode + " " + o.what() + " for an invalid op";
  }
  return "";
}

int64_t env_or(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoll(v, nullptr, 10) : fallback;
}

// Runs `check` on the programs of the seeds chosen by the environment; stops after a few
// failures, each reported with its seed and listing.
template <class Check>
void run_programs(bool invalid, int64_t default_count, const Check& check) {
  const int64_t first = env_or("STRATA_FUZZ_SEED", 1);
  const int64_t count = env_or("STRATA_FUZZ_PROGRAMS", default_count);
  int failures = 0;
  for (int64_t seed = first; seed < first + count && failures < 5; ++seed) {
    const auto p = ProgramGenerator(static_cast<uint64_t>(seed), invalid).generate();
    std::string problem;
    try {
      problem = check(*p, static_cast<uint64_t>(seed));
    } catch (const std::exception& e) {
      problem = std::string("unexpected exception: ") + e.what();
    }
    if (!problem.empty()) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << ": " << problem << "\n" << to_string(*p);
    }
  }
}

TEST(RandomPrograms, EagerJitGradVmapAgree) {
  Stats stats;
  run_programs(false, 400, [&](const Program& p, uint64_t seed) {
    ++stats.programs;
    for (const Node& n : p.nodes) stats.scans += n.kind == Node::Scan;
    return check_valid(p, seed, stats);
  });
  std::cout << stats.programs << " programs (" << stats.scans << " scans), "
            << stats.finite_differences << " finite-difference checks, " << stats.kinks
            << " of them skipped at a kink\n";
}

TEST(RandomPrograms, InvalidOpsRaiseErrorsAlike) {
  run_programs(true, 1000, check_invalid);
}

}  // namespace
}  // namespace strata::fuzz
