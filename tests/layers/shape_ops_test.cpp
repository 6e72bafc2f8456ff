#include "layers/shape_ops.hpp"

#include <gtest/gtest.h>

#include "support/gradcheck.hpp"

namespace redes {
namespace {

TEST(Flatten, GradientsMatchCentralDifferences) {
  Flatten<double> image;
  EXPECT_TRUE(test::check_layer_gradients(image, {Shape{2, 3, 4}}, 3));
  Flatten<double> flat;
  EXPECT_TRUE(test::check_layer_gradients(flat, {Shape{5}}, 1));
}

TEST(Flatten, AnyRankBecomesOneDimension) {
  Flatten<float> layer;
  const Shape a[] = {Shape{16, 5, 5}}, b[] = {Shape{7}}, c[] = {Shape{2, 3}};
  EXPECT_EQ(layer.setup(a), (Shape{400}));
  EXPECT_EQ(layer.setup(b), (Shape{7}));
  EXPECT_EQ(layer.setup(c), (Shape{6}));
}

TEST(Reshape, GradientsMatchCentralDifferences) {
  Reshape<double> seq({28, -1});
  EXPECT_TRUE(test::check_layer_gradients(seq, {Shape{1, 28, 4}}, 2));
  Reshape<double> back({2, 3, 2});
  EXPECT_TRUE(test::check_layer_gradients(back, {Shape{12}}, 3));
}

TEST(Reshape, InfersTheMinusOneAndKeepsRowMajorOrder) {
  Reshape<float> layer({28, 28});
  const Shape image[] = {Shape{1, 28, 28}};
  EXPECT_EQ(layer.setup(image), (Shape{28, 28}));  // an image as 28 steps of 28 features
  Reshape<float> infer({-1, 4});
  const Shape in[] = {Shape{2, 3, 4}};
  EXPECT_EQ(infer.setup(in), (Shape{6, 4}));
  // Values keep their order: y[n] is x[n] read row by row.
  Reshape<float> r({3, 2});
  const Shape six[] = {Shape{2, 3}};
  r.setup(six);
  Tensor x(Shape{1, 2, 3}, {1, 2, 3, 4, 5, 6}), y(Shape{1, 3, 2});
  ForwardCtx<float> f;
  f.inputs = {x.view()};
  f.output = y.view();
  r.forward(f);
  EXPECT_EQ(y.values(), x.values());
}

TEST(Reshape, BadShapesThrow) {
  EXPECT_THROW(Reshape<float>({-1, -1}), ConfigError);
  EXPECT_THROW(Reshape<float>({0, 3}), ConfigError);
  EXPECT_THROW(Reshape<float>({}), ConfigError);
  Reshape<float> r({5, -1});
  const Shape in[] = {Shape{2, 3, 4}};
  try {
    r.setup(in);
    ADD_FAILURE() << "24 values reshaped to [5, -1]";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3, 4)"), std::string::npos) << e.what();
  }
  Reshape<float> r2({5, 5});
  EXPECT_THROW(r2.setup(in), ShapeError);
}

TEST(Slice, GradientsMatchCentralDifferences) {
  Slice<double> last(0, -1, 1 << 30);  // x[:, -1]: the last step of a sequence
  EXPECT_TRUE(test::check_layer_gradients(last, {Shape{5, 3}}, 2));
  Slice<double> middle(1, 1, 3);
  EXPECT_TRUE(test::check_layer_gradients(middle, {Shape{2, 4, 3}}, 3));
  Slice<double> inner(-1, 0, 2);
  EXPECT_TRUE(test::check_layer_gradients(inner, {Shape{3, 2, 5}}, 1));
}

TEST(Slice, PicksTheEntriesAsPythonDoes) {
  Slice<float> s(1, -3, -1);
  const Shape in[] = {Shape{2, 4}};
  EXPECT_EQ(s.setup(in), (Shape{2, 2}));
  EXPECT_EQ(s.begin(), 1);
  EXPECT_EQ(s.end(), 3);
  Tensor x(Shape{1, 2, 4}, {0, 1, 2, 3, 4, 5, 6, 7}), y(Shape{1, 2, 2});
  ForwardCtx<float> f;
  f.inputs = {x.view()};
  f.output = y.view();
  s.forward(f);
  EXPECT_EQ(y.values(), (std::vector<float>{1, 2, 5, 6}));
  Slice<float> empty(0, 3, 3), outside(2, 0, 1);
  const Shape five[] = {Shape{5, 2}};
  EXPECT_THROW(empty.setup(five), ShapeError);
  EXPECT_THROW(outside.setup(five), ShapeError);
}

TEST(Permute, GradientsMatchCentralDifferences) {
  Permute<double> swap({1, 0});
  EXPECT_TRUE(test::check_layer_gradients(swap, {Shape{3, 4}}, 2));
  Permute<double> cycle({2, 0, 1});
  EXPECT_TRUE(test::check_layer_gradients(cycle, {Shape{2, 3, 4}}, 2));
}

TEST(Permute, ReordersTheAxesAsTorchPermute) {
  Permute<float> p({1, 0});
  const Shape in[] = {Shape{2, 3}};
  EXPECT_EQ(p.setup(in), (Shape{3, 2}));
  Tensor x(Shape{1, 2, 3}, {0, 1, 2, 3, 4, 5}), y(Shape{1, 3, 2});
  ForwardCtx<float> f;
  f.inputs = {x.view()};
  f.output = y.view();
  p.forward(f);
  EXPECT_EQ(y.values(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_THROW(Permute<float>({0, 0}), ConfigError);
  EXPECT_THROW(Permute<float>({1, 2}), ConfigError);
  Permute<float> three({0, 2, 1});
  EXPECT_THROW(three.setup(in), ShapeError);
}

}  // namespace
}  // namespace redes
