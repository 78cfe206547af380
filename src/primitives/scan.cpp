#include "primitives/scan.h"

#include <algorithm>

#include "backend/cpu/strided.h"
#include "compile/pipeline.h"
#include "compile/working_memory.h"

namespace strata::prim {

namespace {

ValueType stacked(const ValueType& t, int64_t length) {
  ValueType s = t;
  s.shape.insert(s.shape.begin(), length);
  return s;
}

}  // namespace

Scan::Scan(std::shared_ptr<const ir::Graph> body, Params params)
    : body_(std::move(body)), params_(params) {}
Scan::~Scan() = default;

int Scan::num_xs() const {
  return static_cast<int>(body_->inputs().size()) - params_.num_consts - params_.num_carry;
}

std::vector<ValueType> Scan::infer(const std::vector<ValueType>& in) const {
  const ir::Graph& b = *body_;
  expect_arity(name(), in, b.inputs().size());
  const size_t nc = static_cast<size_t>(params_.num_consts);
  const size_t nk = static_cast<size_t>(params_.num_carry);
  for (size_t i = 0; i < in.size(); ++i) {
    const ValueType& want = b.type(b.inputs()[i]);
    const bool is_x = i >= nc + nk;
    const ValueType expected = is_x ? stacked(want, params_.length) : want;
    if (in[i].shape != expected.shape || in[i].dtype != expected.dtype) {
      const char* role = i < nc ? "constant" : (is_x ? "xs" : "carry");
      fail(name(), "operand ", i, " (", role, ") must be ", to_string(expected), ", found ",
           to_string(in[i]));
    }
  }
  std::vector<ValueType> out;
  for (size_t i = 0; i < b.outputs().size(); ++i) {
    const ValueType& t = b.type(b.outputs()[i]);
    out.push_back(i < nk ? t : stacked(t, params_.length));
  }
  return out;
}

std::string SavePolicy::to_string() const {
  std::string s;
  switch (kind) {
    case Kind::Everything:
      s = "everything";
      break;
    case Kind::Nothing:
      s = "nothing";
      break;
    case Kind::Names:
      s = "names(";
      for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
      s += ")";
      break;
  }
  if (nested_blocks >= 0) s = detail::cat("nested(", nested_blocks, ", ", s, ")");
  if (budget_bytes >= 0) s = detail::cat("budget(", budget_bytes, ")");
  return s;
}

namespace {
thread_local RematLog* active_remat_log = nullptr;
}
RematLog::RematLog() : previous_(active_remat_log) {
  active_remat_log = this;
}
RematLog::~RematLog() {
  active_remat_log = previous_;
}
void RematLog::record(std::string line) {
  if (active_remat_log) active_remat_log->lines_.push_back(std::move(line));
}

std::string Scan::params() const {
  std::string s =
      detail::cat("length=", params_.length, " num_consts=", params_.num_consts,
                  " num_carry=", params_.num_carry, " reverse=", params_.reverse ? "True" : "False",
                  " unroll=", params_.unroll);
  if (!(params_.save == SavePolicy{})) s += " save=" + params_.save.to_string();
  return s;
}

// ---------------------------------------------------------------- unrolling
ir::Graph unroll_body(const ir::Graph& body, int num_consts, int num_carry, int64_t k) {
  ir::Graph g;
  std::vector<ir::ValueId> shared;  // new ids of the body's consts
  const std::vector<ir::ValueId>& ins = body.inputs();
  for (int i = 0; i < num_consts + num_carry; ++i) {
    shared.push_back(g.add_input(body.type(ins[static_cast<size_t>(i)])));
  }
  std::vector<ir::ValueId> body_constants;
  for (const auto& [v, array] : body.constants()) body_constants.push_back(g.add_constant(array));
  std::vector<ir::ValueId> carry(shared.begin() + num_consts, shared.end());
  std::vector<ir::ValueId> ys;
  for (int64_t copy = 0; copy < k; ++copy) {
    std::vector<ir::ValueId> map(static_cast<size_t>(body.num_values()), -1);
    for (size_t i = 0; i < body.constants().size(); ++i) {
      map[static_cast<size_t>(body.constants()[i].first)] = body_constants[i];
    }
    for (size_t i = 0; i < ins.size(); ++i) {
      const int ii = static_cast<int>(i);
      map[static_cast<size_t>(ins[i])] =
          ii < num_consts
              ? shared[i]
              : (ii < num_consts + num_carry ? carry[i - static_cast<size_t>(num_consts)]
                                             : g.add_input(body.type(ins[i])));
    }
    for (const ir::Op& op : body.ops()) {
      ir::Op copy_op{op.primitive, {}, {}};
      for (ir::ValueId v : op.operands) copy_op.operands.push_back(map[static_cast<size_t>(v)]);
      for (ir::ValueId r : op.results) {
        map[static_cast<size_t>(r)] = g.add_value(body.type(r));
        copy_op.results.push_back(map[static_cast<size_t>(r)]);
      }
      g.append_op(std::move(copy_op));
    }
    const std::vector<ir::ValueId>& outs = body.outputs();
    for (size_t i = 0; i < outs.size(); ++i) {
      const ir::ValueId v = map[static_cast<size_t>(outs[i])];
      if (static_cast<int>(i) < num_carry) {
        carry[i] = v;
      } else {
        ys.push_back(v);
      }
    }
  }
  std::vector<ir::ValueId> outputs = carry;
  outputs.insert(outputs.end(), ys.begin(), ys.end());
  g.set_outputs(std::move(outputs));
  return g;
}

// ---------------------------------------------------------------- execution
struct Scan::Runner {
  Params p;
  int num_xs = 0, num_ys = 0;
  std::vector<int64_t> x_row, y_row;          // elements per row of each xs / ys leaf
  std::shared_ptr<compile::Executable> body;  // `k` iterations per run
  std::shared_ptr<compile::Executable> tail;  // one iteration per run, for length % k
  int64_t k = 1;
  std::vector<Array> carry[2];  // ping-pong buffers, one dense array per carry leaf
  int64_t working_bytes = 0;

  explicit Runner(const Scan& scan) : p(scan.params_) {
    const ir::Graph& b = *scan.body_;
    num_xs = scan.num_xs();
    num_ys = static_cast<int>(b.outputs().size()) - p.num_carry;
    for (int x = 0; x < num_xs; ++x) {
      x_row.push_back(detail::shape_size(
          b.type(b.inputs()[static_cast<size_t>(p.num_consts + p.num_carry + x)]).shape));
    }
    for (int y = 0; y < num_ys; ++y) {
      y_row.push_back(
          detail::shape_size(b.type(b.outputs()[static_cast<size_t>(p.num_carry + y)]).shape));
    }
    k = std::clamp<int64_t>(p.unroll, 1, std::max<int64_t>(p.length, 1));
    int64_t bytes = 0;
    {
      compile::WorkingMemoryScope nested(bytes);
      body = k == 1 ? compile::compile(b)
                    : compile::compile(unroll_body(b, p.num_consts, p.num_carry, k));
      if (k > 1 && p.length % k != 0) tail = compile::compile(b);
    }
    working_bytes = bytes + body->stats().planned_peak_bytes() +
                    (tail ? tail->stats().planned_peak_bytes() : 0);
    const int trips = static_cast<int>(p.length / k + p.length % k);
    if (trips > 1) {
      for (int slot = 0; slot < (trips > 2 ? 2 : 1); ++slot) {
        for (int c = 0; c < p.num_carry; ++c) {
          const ValueType& t = b.type(b.outputs()[static_cast<size_t>(c)]);
          carry[slot].push_back(detail::empty(t.shape, t.dtype));
          working_bytes += carry[slot].back().nbytes();
        }
      }
    }
  }

  // `in` and `out` are dense.  Not reentrant (callers serialise).
  void run(const std::vector<Array>& in, const std::vector<Array>& out) {
    const int nc = p.num_consts, nk = p.num_carry;
    if (p.length == 0) {
      for (int c = 0; c < nk; ++c) cpu::copy_into(in[static_cast<size_t>(nc + c)], out[c]);
      return;
    }
    const int64_t full_trips = p.length / k;
    const int64_t trips = full_trips + p.length % k;
    for (compile::Executable* e : {body.get(), tail.get()}) {
      if (e == nullptr) continue;
      for (int i = 0; i < nc; ++i) compile::bind_input(*e, static_cast<size_t>(i), in[i]);
    }
    int64_t position = 0;  // iterations done, in processing order
    for (int64_t trip = 0; trip < trips; ++trip) {
      compile::Executable& e = trip < full_trips ? *body : *tail;
      const int64_t per_trip = trip < full_trips ? k : 1;
      for (int c = 0; c < nk; ++c) {
        const size_t ci = static_cast<size_t>(nc + c);
        compile::bind_input(e, ci, trip == 0 ? in[ci] : carry[(trip - 1) % 2][c]);
        compile::bind_output(e, static_cast<size_t>(c),
                             trip == trips - 1 ? out[c] : carry[trip % 2][c]);
      }
      for (int64_t j = 0; j < per_trip; ++j, ++position) {
        const int64_t row = p.reverse ? p.length - 1 - position : position;
        for (int x = 0; x < num_xs; ++x) {
          const detail::ArrayImpl& xs = in[static_cast<size_t>(nc + nk + x)].impl();
          e.bind_input(static_cast<size_t>(nc + nk + j * num_xs + x), xs.buffer,
                       xs.offset + row * x_row[static_cast<size_t>(x)]);
        }
        for (int y = 0; y < num_ys; ++y) {
          const detail::ArrayImpl& ys = out[static_cast<size_t>(nk + y)].impl();
          e.bind_output(static_cast<size_t>(nk + j * num_ys + y), ys.buffer,
                        ys.offset + row * y_row[static_cast<size_t>(y)]);
        }
      }
      e.run();
    }
  }
};

void Scan::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  std::lock_guard<std::mutex> lock(eager_mutex_);
  if (!eager_runner_) eager_runner_ = std::make_shared<Runner>(*this);
  std::vector<Array> dense;
  dense.reserve(in.size());
  for (const Array& a : in) dense.push_back(cpu::contiguous(a));
  eager_runner_->run(dense, out);
}

Primitive::Kernel Scan::prepare(const std::vector<Array>& inputs,
                                const std::vector<ValueType>& /*outputs*/) const {
  auto runner = std::make_shared<Runner>(*this);
  Kernel kernel = compile::dense_operand_kernel(
      inputs,
      [runner](const std::vector<Array>& in, const std::vector<Array>& out) {
        runner->run(in, out);
      },
      runner->working_bytes);
  compile::report_working_memory(runner->working_bytes);
  return kernel;
}

}  // namespace strata::prim
