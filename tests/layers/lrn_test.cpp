#include "layers/lrn.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/gradcheck.hpp"

namespace redes {
namespace {

TEST(LocalResponseNorm, GradientsMatchCentralDifferences) {
  struct Case {
    int64_t size;
    double alpha, beta, k;
    Shape input;
    int64_t n;
  };
  // A large alpha makes the cross-channel terms matter; even sizes have lopsided windows.
  const Case cases[] = {
      {3, 0.5, 0.75, 1.0, {5, 2, 3}, 2}, {5, 0.8, 0.75, 2.0, {7, 2, 2}, 1},
      {2, 0.3, 0.5, 1.5, {4, 3}, 3},     {4, 1.0, 1.2, 1.0, {6, 1, 2}, 2},
      {1, 0.5, 0.75, 1.0, {3, 2, 2}, 1}, {9, 0.4, 0.75, 1.0, {3, 2, 2}, 2},  // window > C
  };
  for (const auto& c : cases) {
    LocalResponseNorm<double> layer(c.size, c.alpha, c.beta, c.k);
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n)) << "size " << c.size;
  }
}

TEST(LocalResponseNorm, MatchesTheFormulaWithZeroPaddedChannels) {
  // size 3 over C = 3, one position: channel 0 sees x0, x1 (x_{-1} = 0), channel 1 sees all.
  LocalResponseNorm<double> layer(3, 0.3, 0.75, 2.0);
  const Shape in[] = {Shape{3, 1}};
  layer.setup(in);
  TensorD x(Shape{1, 3, 1}, {1, 2, 3}), y(x.shape());
  ForwardCtx<double> f;
  f.inputs = {x.view()};
  f.output = y.view();
  layer.forward(f);
  const double a = 0.3 / 3;  // alpha / size
  EXPECT_NEAR(y[0], 1 / std::pow(2 + a * (1 + 4), 0.75), 1e-12);
  EXPECT_NEAR(y[1], 2 / std::pow(2 + a * (1 + 4 + 9), 0.75), 1e-12);
  EXPECT_NEAR(y[2], 3 / std::pow(2 + a * (4 + 9), 0.75), 1e-12);
  // An even size 2 looks one channel back: [c - 1, c].
  LocalResponseNorm<double> even(2, 0.3, 0.75, 2.0);
  even.setup(in);
  even.forward(f);
  EXPECT_NEAR(y[0], 1 / std::pow(2 + 0.15 * 1, 0.75), 1e-12);
  EXPECT_NEAR(y[2], 3 / std::pow(2 + 0.15 * (4 + 9), 0.75), 1e-12);
}

TEST(LocalResponseNorm, Errors) {
  EXPECT_THROW(LocalResponseNorm<float>(0), ConfigError);
  EXPECT_THROW(LocalResponseNorm<float>(3, 1e-4, 0.75, 0.0), ConfigError);
  LocalResponseNorm<float> layer(3);
  const Shape flat[] = {Shape{8}};
  EXPECT_THROW(layer.setup(flat), ShapeError);
}

}  // namespace
}  // namespace redes
