#include "layers/dropout.hpp"

#include <gtest/gtest.h>

#include "support/gradcheck.hpp"

namespace redes {
namespace {

TEST(Dropout, GradientsMatchCentralDifferencesInTraining) {
  test::GradcheckOptions opts;
  opts.training = true;
  for (double p : {0.0, 0.3, 0.8}) {
    for (int64_t n : {1, 3}) {
      Dropout<double> layer(p);
      EXPECT_TRUE(test::check_layer_gradients(layer, {Shape{2, 5}}, n, opts)) << "p " << p;
    }
  }
}

TEST(Dropout, GradientsMatchCentralDifferencesInEval) {
  Dropout<double> layer(0.5);
  EXPECT_TRUE(test::check_layer_gradients(layer, {Shape{4}}, 3));
}

// Forward of x (N, ...) in training or eval mode with a generator of the given seed.
Tensor run(Dropout<float>& layer, const Tensor& x, bool training, uint64_t seed) {
  const Shape in[] = {x.shape().sample()};
  layer.setup(in);
  Tensor y(x.shape());
  Rng rng(seed);
  ForwardCtx<float> ctx;
  ctx.inputs = {x.view()};
  ctx.output = y.view();
  ctx.training = training;
  ctx.rng = &rng;
  layer.forward(ctx);
  return y;
}

Tensor random_tensor(Shape s, uint64_t seed) {
  Tensor t(std::move(s));
  Rng rng(seed);
  for (auto& v : t.values()) v = float(rng.uniform(0.5, 1.5));  // never 0: a 0 means dropped
  return t;
}

TEST(Dropout, IsTheIdentityInEval) {
  const Tensor x = random_tensor(Shape{8, 100}, 1);
  Dropout<float> layer(0.3);
  EXPECT_EQ(run(layer, x, false, 5).values(), x.values());
  // and backward passes the gradient through unchanged, added onto din.
  Tensor dx(x.shape(), 1.0f);
  const Tensor dy = random_tensor(x.shape(), 2);
  BackwardCtx<float> ctx;
  ctx.inputs = {x.view()};
  ctx.grad_output = dy.view();
  ctx.grad_inputs = {dx.view()};
  ctx.training = false;
  layer.backward(ctx);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(dx[i], 1.0f + dy[i]);
}

TEST(Dropout, KeepsAboutOneMinusPAndScalesByItsInverse) {
  const double p = 0.3;
  const Tensor x = random_tensor(Shape{100, 1000}, 3);
  Dropout<float> layer(p);
  const Tensor y = run(layer, x, true, 7);
  const float scale = float(1.0 / (1.0 - p));
  int64_t kept = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (y[i] == 0.0f) continue;
    ++kept;
    ASSERT_EQ(y[i], x[i] * scale) << i;
  }
  // Binomial(1e5, 0.7): standard deviation 0.00145 of the fraction; 0.01 is ~7 of them.
  const double fraction = double(kept) / double(x.numel());
  EXPECT_NEAR(fraction, 1 - p, 0.01);
  // Expectation preserved: the mean of y / x is close to 1.
  double ratio = 0;
  for (int64_t i = 0; i < x.numel(); ++i) ratio += y[i] / x[i];
  EXPECT_NEAR(ratio / double(x.numel()), 1.0, 0.02);
}

TEST(Dropout, SameSeedSameMaskOtherSeedOtherMask) {
  const Tensor x = random_tensor(Shape{4, 256}, 4);
  Dropout<float> a(0.5), b(0.5), c(0.5);
  const Tensor ya = run(a, x, true, 42), yb = run(b, x, true, 42), yc = run(c, x, true, 43);
  EXPECT_EQ(ya.values(), yb.values());
  EXPECT_NE(ya.values(), yc.values());
}

TEST(Dropout, BackwardUsesTheForwardMask) {
  const Tensor x = random_tensor(Shape{3, 50}, 5);
  Dropout<float> layer(0.4);
  const Tensor y = run(layer, x, true, 9);
  Tensor dx(x.shape(), 0.0f);
  const Tensor dy(x.shape(), 1.0f);
  BackwardCtx<float> ctx;
  ctx.inputs = {x.view()};
  ctx.output = y.view();
  ctx.grad_output = dy.view();
  ctx.grad_inputs = {dx.view()};
  layer.backward(ctx);
  // dy = 1: dx is the mask itself, y / x.
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_FLOAT_EQ(dx[i], y[i] / x[i]) << i;
}

TEST(Dropout, RateZeroInTrainingIsTheIdentity) {
  const Tensor x = random_tensor(Shape{2, 10}, 6);
  Dropout<float> layer(0.0);
  EXPECT_EQ(run(layer, x, true, 1).values(), x.values());
}

TEST(Dropout, RejectsBadRatesAndAMissingGenerator) {
  EXPECT_THROW(Dropout<float>(1.0), ConfigError);
  EXPECT_THROW(Dropout<float>(-0.1), ConfigError);
  Dropout<float> layer(0.5);
  const Shape in[] = {Shape{3}};
  layer.setup(in);
  Tensor x(Shape{1, 3}), y(Shape{1, 3});
  ForwardCtx<float> ctx;
  ctx.inputs = {x.view()};
  ctx.output = y.view();
  ctx.training = true;
  EXPECT_THROW(layer.forward(ctx), Error);
}

}  // namespace
}  // namespace redes
