#include "layers/merge.hpp"

#include <gtest/gtest.h>

#include "support/gradcheck.hpp"

namespace redes {
namespace {

TEST(Add, GradientsMatchCentralDifferences) {
  Add<double> two;
  EXPECT_TRUE(test::check_layer_gradients(two, {Shape{2, 3, 2}, Shape{2, 3, 2}}, 2));
  Add<double> three;
  EXPECT_TRUE(test::check_layer_gradients(three, {Shape{4}, Shape{4}, Shape{4}}, 3));
}

TEST(Concat, GradientsMatchCentralDifferences) {
  Concat<double> channels;  // axis 0: (2, 3, 2) + (1, 3, 2) -> (3, 3, 2)
  EXPECT_TRUE(test::check_layer_gradients(channels, {Shape{2, 3, 2}, Shape{1, 3, 2}}, 2));
  Concat<double> three(1);  // along H, three inputs
  EXPECT_TRUE(
      test::check_layer_gradients(three, {Shape{2, 1, 3}, Shape{2, 2, 3}, Shape{2, 3, 3}}, 3));
  Concat<double> last(-1);
  EXPECT_TRUE(test::check_layer_gradients(last, {Shape{2, 2}, Shape{2, 5}}, 1));
}

TEST(Concat, JoinsAlongTheAxis) {
  Concat<float> layer(1);
  const Shape in[] = {Shape{2, 1}, Shape{2, 2}};
  EXPECT_EQ(layer.setup(in), (Shape{2, 3}));
  // Per sample: [[a0], [a1]] with [[b0, b1], [b2, b3]] -> [[a0, b0, b1], [a1, b2, b3]].
  Tensor a(Shape{1, 2, 1}, {1, 2}), b(Shape{1, 2, 2}, {3, 4, 5, 6}), y(Shape{1, 2, 3});
  ForwardCtx<float> f;
  f.inputs = {a.view(), b.view()};
  f.output = y.view();
  layer.forward(f);
  EXPECT_EQ(y.values(), (std::vector<float>{1, 3, 4, 2, 5, 6}));
}

TEST(Merge, EmptyInputGradientsAreSkipped) {
  // The model input needs no gradient: the graph passes an empty view for it.
  Add<float> add;
  const Shape in[] = {Shape{3}, Shape{3}};
  add.setup(in);
  Tensor x(Shape{2, 3}, 1.f), dy(Shape{2, 3}, 2.f), y(Shape{2, 3}), dx(Shape{2, 3}, 0.f);
  BackwardCtx<float> b;
  b.inputs = {x.view(), x.view()};
  b.output = y.view();
  b.grad_output = dy.view();
  b.grad_inputs = {TensorView<float>(), dx.view()};
  add.backward(b);
  EXPECT_EQ(dx.values(), dy.values());
  Concat<float> cat;
  cat.setup(in);
  Tensor dy2(Shape{2, 6}, 1.f), dx2(Shape{2, 3}, 0.f);
  b.grad_output = dy2.view();
  b.grad_inputs = {dx2.view(), TensorView<float>()};
  cat.backward(b);
  EXPECT_EQ(dx2.values(), std::vector<float>(6, 1.f));
}

TEST(Merge, MismatchedShapesThrowShapeErrorWithTheShapes) {
  Add<float> add;
  const Shape bad[] = {Shape{3, 4}, Shape{4, 3}};
  try {
    add.setup(bad);
    ADD_FAILURE();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(3, 4), (4, 3)"), std::string::npos) << e.what();
  }
  const Shape one[] = {Shape{3}};
  EXPECT_THROW(add.setup(one), ShapeError);
  Concat<float> cat;  // axis 0: the other dimensions (4 vs 3) differ
  EXPECT_THROW(cat.setup(bad), ShapeError);
  Concat<float> along1(1);
  const Shape ok[] = {Shape{3, 4}, Shape{3, 1}};
  EXPECT_EQ(along1.setup(ok), (Shape{3, 5}));
  Concat<float> out_of_range(2);
  EXPECT_THROW(out_of_range.setup(ok), ShapeError);
  const Shape ranks[] = {Shape{3, 4}, Shape{3, 4, 1}};
  EXPECT_THROW(along1.setup(ranks), ShapeError);
}

}  // namespace
}  // namespace redes
