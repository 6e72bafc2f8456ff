#include "layers/activations.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "support/gradcheck.hpp"

namespace redes {
namespace {

// Inputs kept at least 0.05 away from 0, where ReLU and LeakyReLU have their kink.
void away_from_zero(size_t, TensorView<double> x, Rng& rng) {
  for (double& v : x) {
    v = rng.uniform(0.05, 2.0);
    if (rng.bernoulli(0.5)) v = -v;
  }
}

const std::vector<std::vector<int64_t>> kSampleShapes = {{1}, {5}, {3, 4}, {2, 3, 2}};

template <class Make>
void check_all_shapes(Make make, bool kinked) {
  test::GradcheckOptions opts;
  if (kinked) opts.fill_input = away_from_zero;
  for (const auto& s : kSampleShapes) {
    for (int64_t n : {1, 3}) {
      auto layer = make();
      EXPECT_TRUE(test::check_layer_gradients(*layer, {Shape(s)}, n, opts));
    }
  }
}

TEST(Activations, ReLUGradients) {
  check_all_shapes([] { return std::make_unique<ReLU<double>>(); }, true);
}
TEST(Activations, LeakyReLUGradients) {
  check_all_shapes([] { return std::make_unique<LeakyReLU<double>>(0.01); }, true);
  check_all_shapes([] { return std::make_unique<LeakyReLU<double>>(-0.3); }, true);
}
TEST(Activations, SigmoidGradients) {
  check_all_shapes([] { return std::make_unique<Sigmoid<double>>(); }, false);
}
TEST(Activations, TanhGradients) {
  check_all_shapes([] { return std::make_unique<Tanh<double>>(); }, false);
}
TEST(Activations, GELUGradients) {
  check_all_shapes([] { return std::make_unique<GELU<double>>("none"); }, false);
  check_all_shapes([] { return std::make_unique<GELU<double>>("tanh"); }, false);
}
TEST(Activations, SoftmaxGradients) {
  check_all_shapes([] { return std::make_unique<Softmax<double>>(); }, false);
}

// Runs a layer forward on x (N, F) and returns y.
template <class T>
std::vector<T> run(Layer<T>& layer, const BasicTensor<T>& x) {
  const Shape in[] = {x.shape().sample()};
  layer.setup(in);
  BasicTensor<T> y(x.shape());
  ForwardCtx<T> ctx;
  ctx.inputs = {x.view()};
  ctx.output = y.view();
  layer.forward(ctx);
  return y.values();
}

TEST(Activations, KnownValues) {
  const TensorD x(Shape{1, 5}, {-2, -0.5, 0, 0.5, 3});
  ReLU<double> relu;
  EXPECT_EQ(run(relu, x), (std::vector<double>{0, 0, 0, 0.5, 3}));
  LeakyReLU<double> leaky(0.1);
  const auto yl = run(leaky, x);
  EXPECT_DOUBLE_EQ(yl[0], -0.2);
  EXPECT_DOUBLE_EQ(yl[4], 3);
  Sigmoid<double> sig;
  const auto ys = run(sig, x);
  EXPECT_DOUBLE_EQ(ys[2], 0.5);
  EXPECT_NEAR(ys[4], 1 / (1 + std::exp(-3.0)), 1e-15);
  Tanh<double> tanh_layer;
  EXPECT_NEAR(run(tanh_layer, x)[0], std::tanh(-2.0), 1e-15);
  // x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, evaluated with Python's math.erf.
  GELU<double> gelu("none");
  const auto yg = run(gelu, x);
  const double want[] = {-0.04550026389635842, -0.15426876936299344, 0, 0.34573123063700656,
                         2.99595030590511};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(yg[i], want[i], 1e-12) << i;
  // The tanh approximation differs from the exact form by a few 1e-4 at most.
  GELU<double> gelu_tanh("tanh");
  const auto yt = run(gelu_tanh, x);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(yt[i], want[i], 1e-3) << i;
  EXPECT_NE(yt[1], yg[1]);
}

TEST(Activations, SigmoidStaysFiniteForHugeInputs) {
  const TensorD x(Shape{1, 4}, {-1000, -50, 50, 1000});
  Sigmoid<double> sig;
  const auto y = run(sig, x);
  EXPECT_EQ(y[0], 0.0);
  EXPECT_GT(y[1], 0.0);
  EXPECT_EQ(y[3], 1.0);
  for (double v : y) EXPECT_TRUE(std::isfinite(v));
}

TEST(Activations, SoftmaxRowsSumToOneWithHugeLogits) {
  const Tensor x(Shape{3, 4}, {1000, 999, -1000, 0,             //
                               -1e30f, -1e30f, -1e30f, -1e30f,  //
                               88, 89, 90, 91});
  Softmax<float> sm;
  const auto y = run(sm, x);
  for (int r = 0; r < 3; ++r) {
    double sum = 0;
    for (int j = 0; j < 4; ++j) {
      EXPECT_TRUE(std::isfinite(y[r * 4 + j]));
      EXPECT_GE(y[r * 4 + j], 0.f);
      sum += y[r * 4 + j];
    }
    EXPECT_NEAR(sum, 1.0, 1e-6) << "row " << r;
  }
  EXPECT_NEAR(y[0], 1 / (1 + std::exp(-1.0)), 1e-6);  // exp(0) / (exp(0) + exp(-1))
  EXPECT_NEAR(y[4], 0.25f, 1e-7);                     // equal logits: uniform
}

TEST(Activations, SoftmaxIsOverTheLastDimension) {
  // (1, 2, 3): two rows of three, each normalised on its own.
  const TensorD x(Shape{1, 2, 3}, {0, 0, 0, 1, 2, 3});
  Softmax<double> sm;
  const auto y = run(sm, x);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(y[j], 1.0 / 3, 1e-15);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(y[5], std::exp(3.0) / z, 1e-15);
}

TEST(Activations, LargeInputsTakeTheParallelPathAndMatchSmallOnes) {
  // Above the parallel threshold the result must equal the element-by-element one exactly.
  const int64_t n = (int64_t(1) << 16) + 7;
  Tensor big(Shape{1, n});
  Rng rng(4);
  for (auto& v : big.values()) v = float(rng.normal());
  GELU<float> gelu("none");
  const auto y = run(gelu, big);
  for (int64_t i = 0; i < n; i += 4099) {
    GELU<float> one("none");
    const auto yi = run(one, Tensor(Shape{1, 1}, {big[i]}));
    EXPECT_EQ(y[i], yi[0]) << i;
  }
}

TEST(Activations, BackwardSkipsAMissingInputGradient) {
  // The graph passes an empty din for the model input; backward must not write through it.
  ReLU<float> relu;
  const Tensor x(Shape{1, 3}, {1, -1, 2});
  const auto y = run(relu, x);
  const Tensor dy(Shape{1, 3}, {1, 1, 1});
  BackwardCtx<float> ctx;
  ctx.inputs = {x.view()};
  ctx.output = TensorView<const float>(y.data(), x.shape());
  ctx.grad_output = dy.view();
  ctx.grad_inputs = {TensorView<float>()};
  EXPECT_NO_THROW(relu.backward(ctx));
}

TEST(Activations, RejectBadArguments) {
  EXPECT_THROW(GELU<float>("erf"), ConfigError);
  Softmax<float> sm;
  const Shape scalar[] = {Shape{}};
  EXPECT_THROW(sm.setup(scalar), ShapeError);
  ReLU<float> relu;
  const Shape two[] = {Shape{2}, Shape{2}};
  EXPECT_THROW(relu.setup(two), ShapeError);
}

}  // namespace
}  // namespace redes
