#include "layers/linear.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/gradcheck.hpp"

namespace redes {
namespace {

TEST(Linear, GradientsMatchCentralDifferences) {
  struct Case {
    std::vector<int64_t> sample;  // per-sample input shape
    int64_t units, n;
    bool bias;
    std::string init;
  };
  const Case cases[] = {
      {{1}, 1, 1, true, "torch"},          {{5}, 3, 1, true, "torch"},
      {{5}, 3, 3, true, "glorot_uniform"}, {{7}, 4, 3, false, "he_normal"},
      {{2, 5}, 3, 3, true, "torch"},       {{4, 2, 3}, 2, 1, true, "glorot_normal"},
      {{3, 6}, 1, 3, false, "he_uniform"},
  };
  for (const auto& c : cases) {
    Linear<double> layer(c.units, c.bias, c.init);
    EXPECT_TRUE(test::check_layer_gradients(layer, {Shape(c.sample)}, c.n))
        << "units " << c.units << " bias " << c.bias;
  }
}

TEST(Linear, OutputShapeReplacesTheLastDimension) {
  Linear<float> layer(7);
  const Shape in[] = {Shape{4, 3, 5}};
  EXPECT_EQ(layer.setup(in), (Shape{4, 3, 7}));
  ASSERT_EQ(layer.params().size(), 2u);
  EXPECT_EQ(layer.params()[0]->shape, (Shape{7, 5}));  // (units, F) as PyTorch stores it
  EXPECT_EQ(layer.params()[1]->shape, (Shape{7}));
  Linear<float> no_bias(7, false);
  no_bias.setup(in);
  EXPECT_EQ(no_bias.params().size(), 1u);
}

TEST(Linear, ForwardComputesXWTransposePlusB) {
  // x (2, 3), W (2, 3), b (2): y = x W^T + b by hand.
  Linear<double> layer(2);
  const Shape in[] = {Shape{3}};
  layer.setup(in);
  ParamArena<double> arena;
  arena.bind(layer.params());
  const double w[] = {1, 2, 3, -1, 0, 1}, b[] = {0.5, -2};
  std::copy(w, w + 6, layer.params()[0]->value);
  std::copy(b, b + 2, layer.params()[1]->value);
  TensorD x(Shape{2, 3}, {1, 1, 1, 2, -1, 4});
  TensorD y(Shape{2, 2});
  ForwardCtx<double> ctx;
  ctx.inputs = {x.view()};
  ctx.output = y.view();
  layer.forward(ctx);
  // Row 0: (1+2+3)+0.5, (-1+0+1)-2; row 1: (2-2+12)+0.5, (-2+0+4)-2.
  EXPECT_EQ(y.values(), (std::vector<double>{6.5, -2, 12.5, 0}));
}

TEST(Linear, TorchInitStaysWithinOneOverSqrtFanIn) {
  const int64_t fan_in = 50;
  Linear<float> layer(40, true, "torch");
  const Shape in[] = {Shape{fan_in}};
  layer.setup(in);
  ParamArena<float> arena;
  arena.bind(layer.params());
  Rng rng(3);
  layer.init(rng);
  const double bound = 1.0 / std::sqrt(double(fan_in));
  for (auto* p : layer.params()) {
    double lo = 1, hi = -1;
    for (float v : p->values()) {
      lo = std::min(lo, double(v));
      hi = std::max(hi, double(v));
    }
    EXPECT_GE(lo, -bound) << p->name;
    EXPECT_LE(hi, bound) << p->name;
    // Uniform over the whole range, not a narrower one: the extremes come close to the bound.
    EXPECT_LT(lo, -0.8 * bound) << p->name;
    EXPECT_GT(hi, 0.8 * bound) << p->name;
  }
}

TEST(Linear, GlorotAndHeInitLeaveBiasZero) {
  for (const char* init : {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal"}) {
    Linear<float> layer(6, true, init);
    const Shape in[] = {Shape{4}};
    layer.setup(in);
    ParamArena<float> arena;
    arena.bind(layer.params());
    std::fill(arena.values().begin(), arena.values().end(), 9.f);
    Rng rng(1);
    layer.init(rng);
    for (float v : layer.params()[1]->values()) EXPECT_EQ(v, 0.f) << init;
    for (float v : layer.params()[0]->values()) EXPECT_NE(v, 9.f) << init;
  }
}

TEST(Linear, SameSeedSameWeights) {
  auto weights = [](uint64_t seed) {
    Linear<float> layer(5);
    const Shape in[] = {Shape{3}};
    layer.setup(in);
    ParamArena<float> arena;
    arena.bind(layer.params());
    Rng rng(seed);
    layer.init(rng);
    return std::vector<float>(arena.values().begin(), arena.values().end());
  };
  EXPECT_EQ(weights(11), weights(11));
  EXPECT_NE(weights(11), weights(12));
}

TEST(Linear, FloatAgreesWithDouble) {
  // The float instantiation computes the same function (to float rounding).
  Linear<float> lf(4);
  Linear<double> ld(4);
  const Shape in[] = {Shape{2, 6}};
  lf.setup(in);
  ld.setup(in);
  ParamArena<float> af;
  ParamArena<double> ad;
  af.bind(lf.params());
  ad.bind(ld.params());
  Rng r1(5), r2(5);
  lf.init(r1);
  ld.init(r2);
  Rng rx(9);
  TensorD xd(Shape{3, 2, 6});
  for (auto& v : xd.values()) v = float(rx.normal());
  Tensor xf(xd.shape());
  for (int64_t i = 0; i < xd.numel(); ++i) xf[i] = float(xd[i]);
  Tensor yf(Shape{3, 2, 4});
  TensorD yd(Shape{3, 2, 4});
  ForwardCtx<float> cf;
  cf.inputs = {xf.view()};
  cf.output = yf.view();
  lf.forward(cf);
  ForwardCtx<double> cd;
  cd.inputs = {xd.view()};
  cd.output = yd.view();
  ld.forward(cd);
  for (int64_t i = 0; i < yd.numel(); ++i) EXPECT_NEAR(yf[i], yd[i], 1e-5);
}

TEST(Linear, RejectsBadArguments) {
  EXPECT_THROW(Linear<float>(0), ConfigError);
  EXPECT_THROW(Linear<float>(3, true, "xavier"), ConfigError);
  Linear<float> layer(3);
  const Shape scalar[] = {Shape{}};
  EXPECT_THROW(layer.setup(scalar), ShapeError);
  const Shape two[] = {Shape{4}, Shape{4}};
  EXPECT_THROW(layer.setup(two), ShapeError);
}

TEST(Linear, ForwardRejectsAMismatchedInput) {
  Linear<float> layer(3);
  const Shape in[] = {Shape{4}};
  layer.setup(in);
  ParamArena<float> arena;
  arena.bind(layer.params());
  Tensor x(Shape{2, 5}), y(Shape{2, 3});
  ForwardCtx<float> ctx;
  ctx.inputs = {x.view()};
  ctx.output = y.view();
  try {
    layer.forward(ctx);
    FAIL() << "no ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 5)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace redes
