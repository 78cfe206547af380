#include "primitives/fused_elementwise.h"

#include <sstream>

#include "compile/working_memory.h"
#include "primitives/elementwise.h"

namespace strata::prim {

namespace {

constexpr const char* kName = "fused_elementwise";

std::string slot_name(int slot, int num_inputs) {
  return slot < num_inputs ? detail::cat("x", slot) : detail::cat("t", slot - num_inputs);
}

bool is_identity(const std::vector<int>& dims, size_t rank) {
  if (dims.size() != rank) return false;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] != static_cast<int>(i)) return false;
  }
  return true;
}

}  // namespace

bool FusedElementwise::is_fusable(const Primitive& p) {
  return p.subgraphs().empty() &&
         (dynamic_cast<const Unary*>(&p) || dynamic_cast<const Binary*>(&p) ||
          dynamic_cast<const Compare*>(&p) || dynamic_cast<const Select*>(&p) ||
          dynamic_cast<const Convert*>(&p));
}

FusedElementwise::FusedElementwise(Shape shape, std::vector<FusedInput> inputs,
                                   std::vector<FusedStep> steps, std::vector<int> outputs)
    : shape_(std::move(shape)),
      inputs_(std::move(inputs)),
      steps_(std::move(steps)),
      outputs_(std::move(outputs)) {
  const int ni = static_cast<int>(inputs_.size());
  if (steps_.empty() || outputs_.empty()) fail(kName, "needs at least one step and one output");
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const FusedInput& in = inputs_[i];
    const std::vector<int>& dims = in.broadcast_dimensions;
    bool ok = dims.size() == in.shape.size();
    for (size_t j = 0; ok && j < dims.size(); ++j) {
      const int d = dims[j];
      ok = d >= 0 && d < static_cast<int>(shape_.size()) && (j == 0 || d > dims[j - 1]) &&
           (in.shape[j] == 1 || in.shape[j] == shape_[static_cast<size_t>(d)]);
    }
    if (!ok) {
      fail(kName, "input ", i, " of shape ", strata::to_string(in.shape),
           " cannot be broadcast to ", strata::to_string(shape_), " with broadcast_dimensions ",
           axes_to_string(dims));
    }
  }
  program_.num_inputs = ni;
  for (size_t k = 0; k < steps_.size(); ++k) {
    const FusedStep& s = steps_[k];
    if (!s.primitive || !is_fusable(*s.primitive)) {
      fail(kName, "step ", k, " is not an elementwise primitive (unary, binary, compare, select ",
           "or convert)");
    }
    for (int a : s.args) {
      if (a < 0 || a >= ni + static_cast<int>(k)) {
        fail(kName, "step ", k, " reads slot ", a, ", which is not an input or an earlier step");
      }
    }
  }
  for (int o : outputs_) {
    if (o < 0 || o >= static_cast<int>(steps_.size())) fail(kName, "output names no step: ", o);
  }
  // Types with weak flags off: the kernel only needs dtypes, and this also type-checks the
  // program once, at construction.
  std::vector<ValueType> in_types;
  for (const FusedInput& in : inputs_) in_types.push_back({in.shape, in.dtype, false});
  const std::vector<ValueType> slots = slot_types(in_types);
  for (size_t k = 0; k < steps_.size(); ++k) {
    const FusedStep& s = steps_[k];
    cpu::FusedInstr instr;
    instr.args = s.args;
    instr.dtype = slots[static_cast<size_t>(ni) + k].dtype;
    // The last operand is a data operand for every kind (select: on_false, not the predicate).
    instr.arg_dtype = slots[static_cast<size_t>(s.args.back())].dtype;
    const Primitive* p = s.primitive.get();
    if (const auto* u = dynamic_cast<const Unary*>(p)) {
      instr.kind = cpu::FusedKind::Unary;
      instr.code = static_cast<int>(u->op());
    } else if (const auto* b = dynamic_cast<const Binary*>(p)) {
      instr.kind = cpu::FusedKind::Binary;
      instr.code = static_cast<int>(b->op());
    } else if (const auto* c = dynamic_cast<const Compare*>(p)) {
      instr.kind = cpu::FusedKind::Compare;
      instr.code = static_cast<int>(c->op());
    } else if (dynamic_cast<const Select*>(p)) {
      instr.kind = cpu::FusedKind::Select;
    } else {
      instr.kind = cpu::FusedKind::Convert;
    }
    program_.steps.push_back(std::move(instr));
  }
  program_.outputs = outputs_;
}

std::vector<ValueType> FusedElementwise::slot_types(const std::vector<ValueType>& in) const {
  std::vector<ValueType> slots;
  slots.reserve(in.size() + steps_.size());
  for (const ValueType& t : in) {
    if (!cpu::fusable_dtype(t.dtype)) {
      fail(kName, "only float32, float64 and bool are fused, found ", to_string(t));
    }
    slots.push_back({shape_, t.dtype, t.weak});  // as broadcast_in_dim would type it
  }
  for (const FusedStep& s : steps_) {
    std::vector<ValueType> args;
    for (int a : s.args) args.push_back(slots[static_cast<size_t>(a)]);
    ValueType t = s.primitive->infer(args).at(0);
    if (!cpu::fusable_dtype(t.dtype)) {
      fail(kName, "only float32, float64 and bool are fused, ", s.primitive->name(), " produces ",
           to_string(t));
    }
    slots.push_back(std::move(t));
  }
  return slots;
}

std::vector<ValueType> FusedElementwise::infer(const std::vector<ValueType>& in) const {
  expect_arity(name(), in, inputs_.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i].shape != inputs_[i].shape || in[i].dtype != inputs_[i].dtype) {
      fail(kName, "input ", i, " must be ",
           to_string(ValueType{inputs_[i].shape, inputs_[i].dtype, false}), ", found ",
           to_string(in[i]));
    }
  }
  const std::vector<ValueType> slots = slot_types(in);
  std::vector<ValueType> out;
  for (int o : outputs_) out.push_back(slots[inputs_.size() + static_cast<size_t>(o)]);
  return out;
}

cpu::FusedKernel FusedElementwise::kernel(const std::vector<Array>& in) const {
  // Every input is read as a view of the output shape; broadcast axes get stride 0.
  std::vector<cpu::StridedReader> readers;
  readers.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const Array& x = in[i];
    const std::vector<int>& dims = inputs_[i].broadcast_dimensions;
    if (x.shape() == shape_ && is_identity(dims, shape_.size())) {
      readers.emplace_back(shape_, x.strides(), x.dtype());
      continue;
    }
    Strides strides(shape_.size(), 0);
    for (size_t j = 0; j < dims.size(); ++j) {
      if (x.shape()[j] != 1) strides[static_cast<size_t>(dims[j])] = x.strides()[j];
    }
    readers.emplace_back(shape_, strides, x.dtype());
  }
  return cpu::FusedKernel(program_, std::move(readers), detail::shape_size(shape_));
}

void FusedElementwise::eval_cpu(const std::vector<Array>& in, const std::vector<Array>& out) const {
  kernel(in).run(in, out);
}

Primitive::Kernel FusedElementwise::prepare(const std::vector<Array>& in,
                                            const std::vector<ValueType>& /*out*/) const {
  auto k = std::make_shared<cpu::FusedKernel>(kernel(in));
  compile::report_working_memory(k->scratch_bytes());
  return
      [k](const std::vector<Array>& args, const std::vector<Array>& outs) { k->run(args, outs); };
}

// e.g. shape=(4, 3) inputs=(f32[4,3], f32[3]->(1,), f32[]->()) program={t0 = add x0 x1;
// t1 = max t0 x2} outputs=(t1)
std::string FusedElementwise::params() const {
  const int ni = static_cast<int>(inputs_.size());
  std::ostringstream os;
  os << "shape=" << strata::to_string(shape_) << " inputs=(";
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const FusedInput& in = inputs_[i];
    os << (i ? ", " : "") << to_string(ValueType{in.shape, in.dtype, false});
    if (!is_identity(in.broadcast_dimensions, shape_.size())) {
      os << "->" << axes_to_string(in.broadcast_dimensions);
    }
  }
  os << ") program={";
  for (size_t k = 0; k < steps_.size(); ++k) {
    const FusedStep& s = steps_[k];
    os << (k ? "; " : "") << slot_name(ni + static_cast<int>(k), ni) << " = "
       << s.primitive->name();
    if (const std::string p = s.primitive->params(); !p.empty()) os << "[" << p << "]";
    for (int a : s.args) os << " " << slot_name(a, ni);
  }
  os << "} outputs=(";
  for (size_t j = 0; j < outputs_.size(); ++j) {
    os << (j ? ", " : "") << slot_name(ni + outputs_[j], ni);
  }
  os << ")";
  return os.str();
}

}  // namespace strata::prim
