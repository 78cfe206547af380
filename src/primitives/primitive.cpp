#include "primitives/primitive.h"

#include <iterator>
#include <limits>
#include <new>
#include <sstream>

namespace strata::prim {

ValueType type_of(const Array& a) {
  return {a.shape(), a.dtype(), a.weak_type()};
}

std::shared_ptr<detail::ArrayImpl> dense_layout(const ValueType& t) {
  auto impl = std::make_shared<detail::ArrayImpl>();
  impl->shape = t.shape;
  impl->strides = detail::row_major_strides(t.shape);
  impl->dtype = t.dtype;
  impl->weak = t.weak;
  return impl;
}

std::string to_string(const ValueType& t) {
  // In DType's enum order (later types were appended last).
  static constexpr const char* kShort[] = {"bool", "i32", "u32", "i64", "f16", "bf16", "f32",
                                           "f64",  "u8",  "u16", "u64", "i8",  "i16"};
  static_assert(std::size(kShort) == std::size(kAllDTypes));
  std::ostringstream os;
  os << kShort[static_cast<int>(t.dtype)] << "[";
  for (size_t i = 0; i < t.shape.size(); ++i) os << (i ? "," : "") << t.shape[i];
  os << "]";
  return os.str();
}

std::vector<Array> Primitive::eval_eager(const std::vector<Array>& inputs) const {
  std::vector<ValueType> types;
  types.reserve(inputs.size());
  for (const Array& a : inputs) types.push_back(type_of(a));
  std::vector<Array> outputs;
  for (const ValueType& t : infer(types)) {
    outputs.push_back(detail::with_weak_type(detail::empty(t.shape, t.dtype, name()), t.weak));
  }
  eval_cpu(inputs, outputs);
  return outputs;
}

Primitive::Kernel Primitive::prepare(const std::vector<Array>& /*inputs*/,
                                     const std::vector<ValueType>& /*outputs*/) const {
  return [this](const std::vector<Array>& in, const std::vector<Array>& out) { eval_cpu(in, out); };
}

std::vector<Array> Primitive::vjp(const VjpArgs& /*args*/) const {
  fail("grad", "the primitive `", name(),
       "` has no vjp rule, so it cannot be differentiated; wrap the value in stop_gradient if no "
       "gradient should flow through it");
}

Primitive::Batched Primitive::batch(const std::shared_ptr<const Primitive>& /*self*/,
                                    const BatchArgs& /*args*/) const {
  fail("vmap", "the primitive `", name(), "` has no batching rule, so it cannot be vmapped");
}

Primitive::Linearized Primitive::linearize(const std::shared_ptr<const Primitive>& self,
                                           const std::vector<Array>& primals,
                                           const std::vector<bool>& wanted) const {
  std::vector<Array> outputs = bind(self, primals);
  Pullback pullback = [self, primals, outputs, wanted](const std::vector<Array>& cotangents) {
    return self->vjp(VjpArgs{primals, outputs, cotangents, wanted});
  };
  return {std::move(outputs), std::move(pullback)};
}

Primitive::Linearized Primitive::linearize_without_flow(
    const std::shared_ptr<const Primitive>& self, const std::vector<Array>& primals) {
  const size_t n = primals.size();
  return {bind(self, primals),
          [n](const std::vector<Array>& /*cotangents*/) { return std::vector<Array>(n); }};
}

bool is_differentiable(DType d) {
  return d == DType::Float16 || d == DType::BFloat16 || d == DType::Float32 || d == DType::Float64;
}

bool Primitive::is_equivalent(const Primitive& other) const {
  return std::string_view(name()) == other.name() && params() == other.params();
}

Recorder*& active_recorder() {
  thread_local Recorder* recorder = nullptr;
  return recorder;
}

std::vector<Array> bind(const PrimitivePtr& p, const std::vector<Array>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].valid()) {
      fail(p->name(), "operand ", i, " is an empty Array (default-constructed); pass a real array");
    }
  }
  // Inside jit / scan / trace every op is recorded (staged), whatever its operands.
  if (Recorder* r = active_recorder()) return r->record(p, inputs);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].is_traced()) {
      fail(p->name(), "operand ", i, " (", to_string(type_of(inputs[i])),
           ") is a traced value used after its jit / scan / trace ended (a leaked tracer); "
           "return values from the traced function instead of storing them outside it");
    }
  }
  try {
    return p->eval_eager(inputs);
  } catch (const std::bad_alloc&) {  // scratch a kernel allocates itself (outputs report above)
    fail(p->name(), "ran out of memory evaluating ", p->name(), " on ", inputs.size(),
         " operand(s); use smaller shapes or batches");
  }
}

Array bind1(const PrimitivePtr& p, const std::vector<Array>& inputs) {
  return std::move(bind(p, inputs).front());
}

template <typename Int>
static std::string axes_string(const std::vector<Int>& axes) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < axes.size(); ++i) os << (i ? ", " : "") << axes[i];
  if (axes.size() == 1) os << ",";
  os << ")";
  return os.str();
}
std::string axes_to_string(const std::vector<int>& axes) {
  return axes_string(axes);
}
std::string axes_to_string(const std::vector<int64_t>& axes) {
  return axes_string(axes);
}

void expect_arity(const char* name, const std::vector<ValueType>& inputs, size_t n) {
  if (inputs.size() != n) fail(name, "expected ", n, " operands, found ", inputs.size());
}

void expect_index_axis(const char* name, const ValueType& t, int axis) {
  const int ndim = static_cast<int>(t.shape.size());
  if (axis < 0 || axis >= ndim) {
    fail(name, "axis ", axis, " is out of range for an operand of type ", to_string(t),
         " (the axis must be in [0, ", ndim, "); normalise negative axes first)");
  }
  const int64_t n = t.shape[static_cast<size_t>(axis)];
  if (n > std::numeric_limits<int32_t>::max()) {
    fail(name, "axis ", axis, " of ", to_string(t), " has ", n,
         " elements, more than an int32 index can address");
  }
}

}  // namespace strata::prim
