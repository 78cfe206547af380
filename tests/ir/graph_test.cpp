// The graph IR: building, the jaxpr-like printer, the verifier, nested bodies and deep graphs.
#include "ir/graph.h"

#include <algorithm>

#include "primitives/elementwise.h"
#include "primitives/layout.h"
#include "test_util.h"

namespace strata {
namespace {

using ir::Graph;
using ir::ValueId;
using prim::ValueType;

const ValueType kF32x3{{3}, DType::Float32};
const ValueType kF32x2x3{{2, 3}, DType::Float32};

prim::PrimitivePtr add_p() {
  return prim::make<prim::Binary>(cpu::BinaryOp::Add);
}
prim::PrimitivePtr tanh_p() {
  return prim::make<prim::Unary>(cpu::UnaryOp::Tanh);
}

// A primitive that applies a nested graph to its operands, standing in for scan to exercise the
// printer's and verifier's handling of bodies.
class CallBody : public prim::Primitive {
 public:
  explicit CallBody(std::shared_ptr<const Graph> body) : body_(std::move(body)) {}
  const char* name() const override { return "call"; }
  std::vector<ValueType> infer(const std::vector<ValueType>&) const override {
    std::vector<ValueType> out;
    for (ValueId v : body_->outputs()) out.push_back(body_->type(v));
    return out;
  }
  void eval_cpu(const std::vector<Array>&, const std::vector<Array>&) const override {}
  std::vector<const Graph*> subgraphs() const override { return {body_.get()}; }

 private:
  std::shared_ptr<const Graph> body_;
};

Graph broadcast_add_graph() {
  Graph g;
  const ValueId a = g.add_input(kF32x3);
  const ValueId b = g.add_input(kF32x2x3);
  const ValueId c =
      g.add_op1(prim::make<prim::BroadcastInDim>(Shape{2, 3}, std::vector<int>{1}), {a});
  const ValueId d = g.add_op1(add_p(), {b, c});
  g.set_outputs({d});
  return g;
}

TEST(IrGraph, PrintsAStableJaxprLikeListing) {
  const Graph g = broadcast_add_graph();
  ir::verify(g);
  EXPECT_EQ(ir::to_string(g),
            "{ lambda ; a:f32[3] b:f32[2,3]. let\n"
            "    c:f32[2,3] = broadcast_in_dim[shape=(2, 3) broadcast_dimensions=(1,)] a\n"
            "    d:f32[2,3] = add b c\n"
            "  in (d) }");
}

TEST(IrGraph, ConstantsComeBeforeTheSemicolon) {
  Graph g;
  const ValueId w = g.add_constant(ones({3}));
  const ValueId x = g.add_input(kF32x3);
  g.set_outputs({g.add_op1(add_p(), {x, w})});
  ir::verify(g);
  EXPECT_EQ(ir::to_string(g),
            "{ lambda a:f32[3]; b:f32[3]. let\n    c:f32[3] = add b a\n  in (c) }");
  ASSERT_EQ(g.constants().size(), 1u);
  EXPECT_EQ(g.constants()[0].first, w);
}

TEST(IrGraph, ValueNamesFollowJaxprs) {
  EXPECT_EQ(ir::value_name(0), "a");
  EXPECT_EQ(ir::value_name(25), "z");
  EXPECT_EQ(ir::value_name(26), "ba");
  EXPECT_EQ(ir::value_name(51), "bz");
  EXPECT_EQ(ir::value_name(52), "ca");
  EXPECT_EQ(ir::value_name(25 * 26 + 25), "zz");
  EXPECT_EQ(ir::value_name(26 * 26), "baa");
}

TEST(IrGraph, AddOpRunsTheShapeRule) {
  Graph g;
  const ValueId a = g.add_input(kF32x3);
  const ValueId b = g.add_input(kF32x2x3);
  EXPECT_STRATA_ERROR(g.add_op(add_p(), {a, b}), "[add]", "f32[3]", "f32[2,3]");
  EXPECT_STRATA_ERROR(g.add_op(add_p(), {a, 7}), "[Graph]", "value 7");
  EXPECT_STRATA_ERROR(g.set_outputs({-1}), "[Graph]", "an output");
}

TEST(IrGraph, VerifierRejectsBrokenGraphs) {
  {  // result type disagrees with the shape rule
    Graph g;
    const ValueId a = g.add_input(kF32x3);
    const ValueId bad = g.add_value(kF32x2x3);
    g.append_op({tanh_p(), {a}, {bad}});
    g.set_outputs({bad});
    EXPECT_STRATA_ERROR(ir::verify(g), "[verify]", "op 0 (tanh)", "f32[2,3]", "f32[3]");
  }
  {  // use before definition
    Graph g;
    const ValueId a = g.add_input(kF32x3);
    const ValueId later = g.add_value(kF32x3);
    const ValueId out = g.add_value(kF32x3);
    g.append_op({add_p(), {a, later}, {out}});
    g.append_op({tanh_p(), {a}, {later}});
    g.set_outputs({out});
    EXPECT_STRATA_ERROR(ir::verify(g), "[verify]", "op 0 (add)", "uses b before it is defined");
  }
  {  // a value defined twice
    Graph g;
    const ValueId a = g.add_input(kF32x3);
    g.append_op({tanh_p(), {a}, {a}});
    EXPECT_STRATA_ERROR(ir::verify(g), "[verify]", "redefines a");
  }
  {  // an output that nothing defines
    Graph g;
    g.add_input(kF32x3);
    const ValueId dangling = g.add_value(kF32x3);
    g.set_outputs({dangling});
    EXPECT_STRATA_ERROR(ir::verify(g), "[verify]", "an output uses b");
  }
}

TEST(IrGraph, NestedBodiesArePrintedAndVerified) {
  auto body = std::make_shared<Graph>();
  const ValueId x = body->add_input(kF32x3);
  body->set_outputs({body->add_op1(tanh_p(), {x})});
  Graph g;
  const ValueId a = g.add_input(kF32x3);
  const ValueId r = g.add_op1(std::make_shared<const CallBody>(body), {a});
  g.set_outputs({g.add_op1(add_p(), {r, a})});
  ir::verify(g);
  EXPECT_EQ(ir::to_string(g),
            "{ lambda ; a:f32[3]. let\n"
            "    b:f32[3] = call a\n"
            "      { lambda ; a:f32[3]. let\n"
            "          b:f32[3] = tanh a\n"
            "        in (b) }\n"
            "    c:f32[3] = add b a\n"
            "  in (c) }");
  // A broken body is found through its parent.
  auto broken = std::make_shared<Graph>();
  broken->add_input(kF32x3);
  broken->set_outputs({broken->add_value(kF32x3)});
  Graph h;
  const ValueId b = h.add_input(kF32x3);
  h.set_outputs({h.add_op1(std::make_shared<const CallBody>(broken), {b})});
  EXPECT_STRATA_ERROR(ir::verify(h), "[verify]", "an output uses b");
}

TEST(IrGraph, DeepGraphsNeedNoDeepRecursion) {
  // 200k chained ops and 300 nested bodies: printing and verifying must not use the call stack
  // per op or per nesting level.
  Graph g;
  ValueId v = g.add_input(kF32x3);
  for (int i = 0; i < 200000; ++i) v = g.add_op1(tanh_p(), {v});
  g.set_outputs({v});
  ir::verify(g);
  const std::string listing = ir::to_string(g);
  EXPECT_EQ(std::count(listing.begin(), listing.end(), '\n'), 200001);  // header, ops, footer
  EXPECT_EQ(listing.substr(listing.rfind('\n') + 1), "  in (" + ir::value_name(v) + ") }");
  std::shared_ptr<Graph> inner = std::make_shared<Graph>();
  const ValueId x = inner->add_input(kF32x3);
  inner->set_outputs({x});
  for (int depth = 0; depth < 300; ++depth) {
    auto outer = std::make_shared<Graph>();
    const ValueId y = outer->add_input(kF32x3);
    outer->set_outputs({outer->add_op1(std::make_shared<const CallBody>(inner), {y})});
    inner = outer;
  }
  ir::verify(*inner);
  EXPECT_NE(ir::to_string(*inner).find("in (a) }"), std::string::npos);
}

}  // namespace
}  // namespace strata
