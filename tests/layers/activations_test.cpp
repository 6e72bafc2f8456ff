#include "layers/activations.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

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

// Inputs uniform in [lo, hi] kept at least 0.05 away from each kink (the boundaries of
// hardtanh and hard_sigmoid, softplus's threshold), so that both sides of each are sampled.
auto away_from(std::vector<double> kinks, double lo, double hi) {
  return [=](size_t, TensorView<double> x, Rng& rng) {
    for (double& v : x) {
      do {
        v = rng.uniform(lo, hi);
      } while (std::any_of(kinks.begin(), kinks.end(),
                           [&](double k) { return std::abs(v - k) < 0.05; }));
    }
  };
}

template <class Make>
void check_all_shapes(Make make, const test::GradcheckOptions& opts) {
  for (const auto& s : kSampleShapes) {
    for (int64_t n : {1, 3}) {
      auto layer = make();
      EXPECT_TRUE(test::check_layer_gradients(*layer, {Shape(s)}, n, opts));
    }
  }
}

template <class Make>
void check_all_shapes(Make make, bool kinked) {
  test::GradcheckOptions opts;
  if (kinked) opts.fill_input = away_from_zero;
  check_all_shapes(make, opts);
}

template <class Make>
void check_all_shapes(Make make, std::vector<double> kinks, double lo, double hi) {
  test::GradcheckOptions opts;
  opts.fill_input = away_from(std::move(kinks), lo, hi);
  check_all_shapes(make, opts);
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
TEST(Activations, ELUGradients) {
  check_all_shapes([] { return std::make_unique<ELU<double>>(); }, true);
  check_all_shapes([] { return std::make_unique<ELU<double>>(0.7); }, true);
  check_all_shapes([] { return std::make_unique<ELU<double>>(-0.4); }, true);
}
TEST(Activations, SELUGradients) {
  check_all_shapes([] { return std::make_unique<SELU<double>>(); }, true);
}
TEST(Activations, SoftplusGradients) {
  check_all_shapes([] { return std::make_unique<Softplus<double>>(); }, false);
  // beta 2, threshold 3: the linear part above x = 1.5 is sampled too.
  check_all_shapes([] { return std::make_unique<Softplus<double>>(2.0, 3.0); }, {1.5}, -4, 4);
  check_all_shapes([] { return std::make_unique<Softplus<double>>(0.5, -1.0); }, {-2.0}, -4, 4);
}
TEST(Activations, SoftsignGradients) {
  check_all_shapes([] { return std::make_unique<Softsign<double>>(); }, false);
}
TEST(Activations, HardSigmoidGradients) {
  // Kinks where alpha x + beta is 0 or 1: +-3 for the defaults, +-2.5 for ONNX's alpha 0.2,
  // 0.6 and -1.4 for a negative alpha.
  check_all_shapes([] { return std::make_unique<HardSigmoid<double>>(); }, {-3, 3}, -4, 4);
  check_all_shapes([] { return std::make_unique<HardSigmoid<double>>(0.2, 0.5); }, {-2.5, 2.5}, -4,
                   4);
  check_all_shapes([] { return std::make_unique<HardSigmoid<double>>(-0.5, 0.3); }, {0.6, -1.4}, -4,
                   4);
}
TEST(Activations, HardtanhGradients) {
  check_all_shapes([] { return std::make_unique<Hardtanh<double>>(); }, {-1, 1}, -2, 2);
  check_all_shapes([] { return std::make_unique<Hardtanh<double>>(-2, 3); }, {-2, 3}, -4, 4);
  check_all_shapes([] { return std::make_unique<Hardtanh<double>>(0, 6); }, {0, 6}, -2, 8);
}
TEST(Activations, LogSoftmaxGradients) {
  check_all_shapes([] { return std::make_unique<LogSoftmax<double>>(); }, false);
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

// Runs a layer backward on x (N, F) with upstream dy and returns dx.
template <class T>
std::vector<T> run_backward(Layer<T>& layer, const BasicTensor<T>& x, const BasicTensor<T>& dy) {
  const auto y = run(layer, x);
  BasicTensor<T> dx(x.shape(), T(0));
  BackwardCtx<T> ctx;
  ctx.inputs = {x.view()};
  ctx.output = TensorView<const T>(y.data(), x.shape());
  ctx.grad_output = dy.view();
  ctx.grad_inputs = {dx.view()};
  layer.backward(ctx);
  return dx.values();
}

TEST(Activations, NewActivationsKnownValues) {
  // References from PyTorch 1.13 in float64 (F.elu, F.selu, F.softplus, F.softsign).
  const TensorD x(Shape{1, 5}, {-2, -0.5, 0, 0.5, 3});
  const auto expect_near = [](const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-15) << i;
  };
  ELU<double> elu(0.7);
  expect_near(run(elu, x), {-0.6052653017343711, -0.2754285382011566, 0, 0.5, 3});
  SELU<double> selu;
  expect_near(run(selu, x), {-1.5201664685956948, -0.6917581878028713, 0, 0.5253504936777402,
                             3.1521029620664414});
  Softplus<double> softplus;
  expect_near(run(softplus, x), {0.1269280110429725, 0.4740769841801067, 0.6931471805599453,
                                 0.9740769841801067, 3.048587351573742});
  Softsign<double> softsign;
  expect_near(run(softsign, x), {-2.0 / 3, -1.0 / 3, 0, 1.0 / 3, 0.75});
  // PyTorch's elu_backward takes the x <= 0 branch at 0: the gradient there is alpha.
  const TensorD one(Shape{1, 5}, {1, 1, 1, 1, 1});
  const auto de = run_backward(elu, x, one);
  EXPECT_DOUBLE_EQ(de[2], 0.7);
  EXPECT_DOUBLE_EQ(de[4], 1.0);
  EXPECT_NEAR(de[0], 0.7 * std::exp(-2.0), 1e-16);
  const auto ds = run_backward(selu, x, one);
  EXPECT_DOUBLE_EQ(ds[2], SELU<double>::kAlpha * SELU<double>::kScale);
  EXPECT_DOUBLE_EQ(ds[3], SELU<double>::kScale);
  EXPECT_NEAR(run_backward(softsign, x, one)[4], 1.0 / 16, 1e-16);
}

TEST(Activations, SoftplusIsLinearAboveTheThresholdAndNeverOverflows) {
  const Tensor x(Shape{1, 5}, {-100, 0, 20, 20.5f, 100});
  Softplus<float> sp;  // beta 1, threshold 20
  const auto y = run(sp, x);
  EXPECT_GE(y[0], 0.f);  // exp(-100) = 3.7e-44, a float denormal
  EXPECT_LT(y[0], 1e-40f);
  EXPECT_NEAR(y[1], std::log(2.0), 1e-7);
  EXPECT_NEAR(y[2], 20.f, 1e-5);  // beta x = threshold is not above it: log1p(exp(20))
  EXPECT_EQ(y[3], 20.5f);
  EXPECT_EQ(y[4], 100.f);
  const Tensor one(Shape{1, 5}, {1, 1, 1, 1, 1});
  const auto dx = run_backward(sp, x, one);
  EXPECT_EQ(dx[1], 0.5f);
  EXPECT_EQ(dx[3], 1.f);
  EXPECT_EQ(dx[4], 1.f);
  // A threshold beyond exp's float range: the soft branch stays finite (log1p(exp(100))
  // would be inf) and its gradient is 1, not inf / inf.
  Softplus<float> wide(1.0, 1000.0);
  const auto yw = run(wide, x);
  EXPECT_NEAR(yw[4], 100.f, 1e-5);
  for (float v : run_backward(wide, x, one)) EXPECT_TRUE(std::isfinite(v));
  // beta 2, threshold 10: x = 5 is on the soft side (beta x = 10), just above it is linear.
  const TensorD xb(Shape{1, 2}, {5, 5.0001});
  Softplus<double> sb(2.0, 10.0);
  const auto yb = run(sb, xb);
  EXPECT_NEAR(yb[0], 5.000022699449609, 1e-15);
  EXPECT_EQ(yb[1], 5.0001);
}

template <class T>
void check_hard_sigmoid_defaults() {
  // PyTorch's hardsigmoid: relu6(x + 3) / 6, gradient 1/6 for -3 < x < 3 only.
  const BasicTensor<T> x(Shape{1, 7}, {-4, -3, -T(2.99), 0, T(1.5), 3, 4});
  HardSigmoid<T> hs;
  const auto y = run(hs, x);
  const double want[] = {0, 0, 0.01 / 6, 0.5, 0.75, 1, 1};
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(y[i], want[i], 1e-6) << i;
  EXPECT_EQ(y[1], T(0));
  EXPECT_EQ(y[5], T(1));
  const BasicTensor<T> one(Shape{1, 7}, T(1));
  const auto dx = run_backward(hs, x, one);
  const T sixth = T(1.0 / 6);
  const std::vector<T> want_dx = {0, 0, sixth, sixth, sixth, 0, 0};
  EXPECT_EQ(dx, want_dx);
}

TEST(Activations, HardSigmoidMatchesPyTorchAtTheBoundaries) {
  check_hard_sigmoid_defaults<float>();
  check_hard_sigmoid_defaults<double>();
  // ONNX's HardSigmoid default, alpha 0.2: 0 below -2.5, 1 above 2.5.
  HardSigmoid<double> onnx(0.2, 0.5);
  const auto y = run(onnx, TensorD(Shape{1, 3}, {-3, 1, 3}));
  EXPECT_EQ(y[0], 0.0);
  EXPECT_NEAR(y[1], 0.7, 1e-15);
  EXPECT_EQ(y[2], 1.0);
}

TEST(Activations, HardtanhClampsAndPassesTheGradientStrictlyInside) {
  const Tensor x(Shape{1, 7}, {-5, -2, -1.999f, 0, 2.999f, 3, 7});
  Hardtanh<float> ht(-2, 3);
  EXPECT_EQ(run(ht, x), (std::vector<float>{-2, -2, -1.999f, 0, 2.999f, 3, 3}));
  const Tensor dy(Shape{1, 7}, {1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(run_backward(ht, x, dy), (std::vector<float>{0, 0, 3, 4, 5, 0, 0}));
  // ReLU6, and min == max: a constant with no gradient.
  Hardtanh<float> relu6(0, 6);
  EXPECT_EQ(run(relu6, x), (std::vector<float>{0, 0, 0, 0, 2.999f, 3, 6}));
  EXPECT_EQ(run_backward(relu6, x, dy), (std::vector<float>{0, 0, 0, 0, 5, 6, 0}));
  Hardtanh<float> flat(1, 1);
  EXPECT_EQ(run(flat, x), std::vector<float>(7, 1.f));
  EXPECT_EQ(run_backward(flat, x, dy), std::vector<float>(7, 0.f));
}

TEST(Activations, LogSoftmaxStaysFiniteWithHugeLogits) {
  const Tensor x(Shape{3, 4}, {1000, 999, -1000, 0,         //
                               -1000, -1000, -1000, -1000,  //
                               88, 89, 90, 91});
  LogSoftmax<float> lsm;
  const auto y = run(lsm, x);
  for (int r = 0; r < 3; ++r) {
    double sum = 0;
    for (int j = 0; j < 4; ++j) {
      EXPECT_TRUE(std::isfinite(y[r * 4 + j])) << r << " " << j;
      EXPECT_LE(y[r * 4 + j], 0.f);
      sum += std::exp(double(y[r * 4 + j]));
    }
    EXPECT_NEAR(sum, 1.0, 1e-6) << "row " << r;
  }
  // PyTorch float64: F.log_softmax([1000, 999, -1000, 0]) and of four equal logits.
  EXPECT_NEAR(y[0], -0.31326168751822286, 1e-6);
  EXPECT_NEAR(y[1], -1.3132616875182228, 1e-6);
  EXPECT_NEAR(y[2], -2000.3132616875182, 1e-3);
  EXPECT_NEAR(y[3], -1000.3132616875182, 1e-3);
  for (int j = 4; j < 8; ++j) EXPECT_NEAR(y[j], -std::log(4.0), 1e-6);
  // dx = dy - softmax(x) sum(dy): an upstream gradient of ones gives 1 - 4 softmax.
  const Tensor one(Shape{3, 4}, 1.f);
  const auto dx = run_backward(lsm, x, one);
  for (int j = 4; j < 8; ++j) EXPECT_NEAR(dx[j], 0.f, 1e-6);
  EXPECT_NEAR(dx[0], 1 - 4 / (1 + std::exp(-1.0)), 1e-6);
}

TEST(Activations, LogSoftmaxIsTheLogOfSoftmaxOverTheLastDimension) {
  const TensorD x(Shape{2, 2, 3}, {0, 0, 0, 1, 2, 3, -1, 0.5, 4, 2, 2, -3});
  LogSoftmax<double> lsm;
  Softmax<double> sm;
  const auto y = run(lsm, x);
  const auto p = run(sm, x);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], std::log(p[i]), 1e-14) << i;
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(y[5], 3 - std::log(z), 1e-15);
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
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(ELU<float>{nan}, ConfigError);
  EXPECT_THROW(Softplus<float>(0.0), ConfigError);
  EXPECT_THROW(Softplus<float>(-1.0), ConfigError);
  EXPECT_THROW(Softplus<float>(1.0, inf), ConfigError);
  EXPECT_THROW(HardSigmoid<float>(inf, 0.5), ConfigError);
  EXPECT_THROW(HardSigmoid<float>(0.2, nan), ConfigError);
  EXPECT_THROW(Hardtanh<float>(1, -1), ConfigError);
  EXPECT_THROW(Hardtanh<float>(-inf, 1), ConfigError);
  EXPECT_THROW(Hardtanh<float>(0, nan), ConfigError);
  EXPECT_NO_THROW(Hardtanh<float>(2, 2));
  Softmax<float> sm;
  const Shape scalar[] = {Shape{}};
  EXPECT_THROW(sm.setup(scalar), ShapeError);
  LogSoftmax<float> lsm;
  EXPECT_THROW(lsm.setup(scalar), ShapeError);
  ReLU<float> relu;
  const Shape two[] = {Shape{2}, Shape{2}};
  EXPECT_THROW(relu.setup(two), ShapeError);
}

}  // namespace
}  // namespace redes
