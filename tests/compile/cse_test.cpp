#include "compile/cse.h"

#include "compile/dce.h"
#include "compile/interp.h"
#include "primitives/elementwise.h"
#include "primitives/layout.h"

namespace strata {
namespace {

using ir::Graph;
using ir::ValueId;
using testing::count_ops;

const prim::ValueType kF32x2x3{{2, 3}, DType::Float32};

prim::PrimitivePtr add_p() {
  return prim::make<prim::Binary>(cpu::BinaryOp::Add);
}

TEST(Cse, MergesDuplicatesAndChainsOfThem) {
  Graph g;
  const ValueId x = g.add_input(kF32x2x3);
  // Separate primitive objects with equal params: equivalent.
  const ValueId t1 = g.add_op1(prim::make<prim::Transpose>(std::vector<int>{1, 0}), {x});
  const ValueId t2 = g.add_op1(prim::make<prim::Transpose>(std::vector<int>{1, 0}), {x});
  const ValueId e1 = g.add_op1(prim::make<prim::Unary>(cpu::UnaryOp::Exp), {t1});
  const ValueId e2 = g.add_op1(prim::make<prim::Unary>(cpu::UnaryOp::Exp), {t2});
  const ValueId s = g.add_op1(add_p(), {e1, e2});
  g.set_outputs({s, e2});
  const Graph r = compile::dce(compile::cse(g));
  ir::verify(r);
  EXPECT_EQ(count_ops(r, "transpose"), 1);
  EXPECT_EQ(count_ops(r, "exp"), 1);
  EXPECT_EQ(r.ops().size(), 3u);
  testing::expect_same_results(g, r, {testing::random_array({2, 3}, DType::Float32, 1)});
}

TEST(Cse, KeepsDifferentParamsAndOperandOrder) {
  Graph g;
  const ValueId x = g.add_input(kF32x2x3);
  const ValueId y = g.add_input(kF32x2x3);
  const ValueId r1 = g.add_op1(prim::make<prim::Reshape>(Shape{3, 2}), {x});
  const ValueId r2 = g.add_op1(prim::make<prim::Reshape>(Shape{6}), {x});
  const ValueId a = g.add_op1(prim::make<prim::Binary>(cpu::BinaryOp::Sub), {x, y});
  const ValueId b = g.add_op1(prim::make<prim::Binary>(cpu::BinaryOp::Sub), {y, x});
  const ValueId c = g.add_op1(prim::make<prim::Binary>(cpu::BinaryOp::Mul), {x, y});
  g.set_outputs({r1, r2, a, b, c});
  const Graph r = compile::cse(g);
  ir::verify(r);
  EXPECT_EQ(r.ops().size(), 5u);
}

TEST(Cse, MergesSameOrSmallEqualConstantsOnly) {
  Graph g;
  const Array big = testing::random_array({2, 3, 4}, DType::Float32, 2);  // 24 elements
  const Array big_copy = astype(big, DType::Float32) + array<float>({0.0f});
  const ValueId c1 = g.add_constant(array<float>({1, 2, 3}));
  const ValueId c2 = g.add_constant(array<float>({1, 2, 3}));
  const ValueId c3 = g.add_constant(array<float>({1, 2, 4}));
  const ValueId c4 = g.add_constant(array<float>({0.0f}));
  const ValueId c5 = g.add_constant(array<float>({-0.0f}));
  const ValueId b1 = g.add_constant(big);
  const ValueId b2 = g.add_constant(big);
  const ValueId b3 = g.add_constant(big_copy);
  g.set_outputs({c1, c2, c3, c4, c5, b1, b2, b3});
  const Graph r = compile::cse(g);
  ir::verify(r);
  // c1 = c2 (small, bitwise equal); b1 = b2 (one array); b3 is equal but large; 0.0 != -0.0.
  EXPECT_EQ(r.constants().size(), 6u);
  EXPECT_EQ(r.outputs()[0], r.outputs()[1]);
  EXPECT_NE(r.outputs()[0], r.outputs()[2]);
  EXPECT_NE(r.outputs()[3], r.outputs()[4]);
  EXPECT_EQ(r.outputs()[5], r.outputs()[6]);
  EXPECT_NE(r.outputs()[5], r.outputs()[7]);
}

// The slices of a stacked weight in an unrolled loop: one operand, params that differ per op.
// Each duplicate must meet its own twin among many non-equivalent ops on the same operand.
TEST(Cse, MatchesAmongManyOpsThatDifferOnlyInParams) {
  constexpr size_t kRows = 40;
  Graph g;
  const ValueId x = g.add_input({{static_cast<int64_t>(kRows), 3}, DType::Float32});
  auto row = [&](size_t i) {
    return g.add_op1(
        prim::make<prim::StaticSlice>(std::vector<int64_t>{static_cast<int64_t>(i), 0},
                                      std::vector<int64_t>{1, 3}, std::vector<int64_t>{1, 1}),
        {x});
  };
  std::vector<ValueId> first, second;
  for (size_t i = 0; i < kRows; ++i) first.push_back(row(i));
  for (size_t i = kRows; i-- > 0;) second.push_back(row(i));  // reversed: no positional luck
  std::vector<ValueId> outputs = first;
  outputs.insert(outputs.end(), second.rbegin(), second.rend());
  g.set_outputs(outputs);
  const Graph r = compile::cse(g);
  ir::verify(r);
  EXPECT_EQ(r.ops().size(), kRows);
  const std::vector<ValueId>& out = r.outputs();
  for (size_t i = 0; i < kRows; ++i) {
    EXPECT_EQ(out[i], out[kRows + i]);
    if (i > 0) {
      EXPECT_NE(out[i], out[i - 1]);
    }
  }
}

// Equal bytes are not enough: dtype, shape and weak type keep small constants apart.
TEST(Cse, KeepsSmallConstantsOfOtherTypesApart) {
  Graph g;
  const ValueId f = g.add_constant(array<float>({0.0f, 0.0f}));
  const ValueId i = g.add_constant(array<int32_t>({0, 0}));
  const ValueId u = g.add_constant(array<uint32_t>({0, 0}));
  const ValueId r = g.add_constant(array<float>({0.0f, 0.0f}, {2, 1}));
  const ValueId w = g.add_constant(detail::with_weak_type(array<float>({0.0f, 0.0f}), true));
  const ValueId f2 = g.add_constant(array<float>({0.0f, 0.0f}));
  g.set_outputs({f, i, u, r, w, f2});
  const Graph out = compile::cse(g);
  ir::verify(out);
  EXPECT_EQ(out.constants().size(), 5u);
  EXPECT_EQ(out.outputs()[0], out.outputs()[5]);
}

// Stands in for scan: an op with a body, whose params() cannot describe the body.
class WithBody : public prim::Primitive {
 public:
  explicit WithBody(std::shared_ptr<const Graph> body) : body_(std::move(body)) {}
  const char* name() const override { return "with_body"; }
  std::vector<prim::ValueType> infer(const std::vector<prim::ValueType>& in) const override {
    return {in[0]};
  }
  void eval_cpu(const std::vector<Array>&, const std::vector<Array>&) const override {}
  std::vector<const Graph*> subgraphs() const override { return {body_.get()}; }

 private:
  std::shared_ptr<const Graph> body_;
};

TEST(Cse, MergesOpsWithBodiesOnlyForTheSamePrimitiveObject) {
  auto body = std::make_shared<Graph>();
  body->set_outputs({body->add_input(kF32x2x3)});
  const prim::PrimitivePtr p1 = prim::make<WithBody>(body);
  const prim::PrimitivePtr p2 = prim::make<WithBody>(body);
  Graph g;
  const ValueId x = g.add_input(kF32x2x3);
  const ValueId a = g.add_op1(p1, {x});
  const ValueId b = g.add_op1(p1, {x});
  const ValueId c = g.add_op1(p2, {x});
  g.set_outputs({a, b, c});
  const Graph r = compile::cse(g);
  ir::verify(r);
  EXPECT_EQ(r.ops().size(), 2u);
  EXPECT_EQ(r.outputs()[0], r.outputs()[1]);
  EXPECT_NE(r.outputs()[0], r.outputs()[2]);
}

}  // namespace
}  // namespace strata
