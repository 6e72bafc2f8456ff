#include "layers/pooling.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/gradcheck.hpp"
#include "support/layer_run.hpp"

namespace redes {
namespace {

Pool2dOptions pool(std::array<int64_t, 2> kernel, std::array<int64_t, 2> stride = {0, 0},
                   std::array<int64_t, 2> padding = {0, 0}) {
  Pool2dOptions o;
  o.kernel = kernel;
  o.stride = stride;
  o.padding = padding;
  return o;
}

struct PoolCase {
  std::string what;
  Pool2dOptions opt;
  Shape input;
  int64_t n;
};

std::vector<PoolCase> pool_cases() {
  return {
      {"2x2, stride 2 (default), batch 1", pool({2, 2}), {1, 4, 6}, 1},
      {"odd image: the last row and column fall out", pool({2, 2}), {3, 5, 5}, 3},
      {"3x2 window, stride 1", pool({3, 2}, {1, 1}), {2, 5, 4}, 2},
      {"stride != kernel, padding 1", pool({3, 3}, {2, 2}, {1, 1}), {5, 6, 7}, 2},
      {"non-square padding", pool({2, 4}, {1, 3}, {1, 2}), {1, 5, 9}, 3},
      {"overlapping windows", pool({3, 3}, {1, 1}, {1, 1}), {2, 4, 4}, 1},
  };
}

TEST(MaxPool2d, GradientsMatchCentralDifferences) {
  // N(0, 1) inputs have no ties, so the maximum is differentiable at every input.
  for (const auto& c : pool_cases()) {
    MaxPool2d<double> layer(c.opt);
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n)) << c.what;
  }
}

TEST(AvgPool2d, GradientsMatchCentralDifferences) {
  for (const auto& c : pool_cases()) {
    AvgPool2d<double> layer(c.opt);
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n)) << c.what;
  }
}

TEST(GlobalAvgPool2d, GradientsMatchCentralDifferences) {
  GlobalAvgPool2d<double> layer;
  EXPECT_TRUE(test::check_layer_gradients(layer, {Shape{3, 4, 5}}, 2));
  GlobalAvgPool2d<double> one;
  EXPECT_TRUE(test::check_layer_gradients(one, {Shape{1, 1, 1}}, 3));
}

// Runs forward and backward (dy = 1 everywhere) of one plane, returns y and dx.
template <class L>
std::pair<std::vector<double>, std::vector<double>> run(L& layer, Shape in,
                                                        std::vector<double> values) {
  const Shape ins[] = {in};
  const Shape out = layer.setup(ins).batched(1);
  TensorD x(in.batched(1), values), y(out), dy(out, 1.0), dx(x.shape(), 0.0);
  test::forward_backward(layer, x, y, dy, &dx);
  return {y.values(), dx.values()};
}

TEST(MaxPool2d, TiesGoToTheFirstMaximumInRowMajorOrder) {
  // PyTorch's CPU kernel keeps the running maximum unless a later value is strictly greater
  // (or NaN): of equal values, the first in the window's row-major order wins and receives the
  // whole gradient.
  MaxPool2d<double> layer(pool({2, 2}));
  const auto [y, dx] = run(layer, {1, 2, 4},
                           {5, 5, 1, 2,    //
                            5, 5, 2, 2});  // window 1: all 5; window 2: 2 three times
  EXPECT_EQ(y, (std::vector<double>{5, 2}));
  EXPECT_EQ(dx, (std::vector<double>{1, 0, 0, 1,  //
                                     0, 0, 0, 0}));
}

TEST(MaxPool2d, NaNWinsAndPaddingIsMinusInfinity) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  MaxPool2d<double> layer(pool({2, 2}));
  const auto [y, dx] = run(layer, {1, 2, 2}, {1, nan, 3, 2});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(dx, (std::vector<double>{0, 1, 0, 0}));
  // With padding 1 the corner windows hold one real value, however negative.
  MaxPool2d<double> padded(pool({2, 2}, {2, 2}, {1, 1}));
  const auto [yp, dxp] = run(padded, {1, 2, 2}, {-7, -8, -9, -1e30});
  EXPECT_EQ(yp, (std::vector<double>{-7, -8, -9, -1e30}));
  EXPECT_EQ(dxp, (std::vector<double>{1, 1, 1, 1}));
}

TEST(MaxPool2d, TwoByTwoPathMatchesTheWindowRuleOnTiesAndNaN) {
  // The 2x2 stride-2 layer runs in blocks of 8, 4 or 1 outputs (the last block overlapping the
  // one before); every width from 2 to 21 against the rule written out here, on small integers
  // (ties in most windows) with a few NaNs.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t W = 2; W <= 21; ++W) {
    SCOPED_TRACE(W);
    const int64_t C = 2, H = 5, N = 2, OH = H / 2, OW = W / 2;
    Rng rng(W);
    std::vector<double> v(N * C * H * W);
    for (auto& x : v) x = rng.uniform() < 0.05 ? nan : double(rng.below(3));
    MaxPool2d<double> layer(pool({2, 2}));
    const Shape ins[] = {Shape{C, H, W}};
    const Shape out = layer.setup(ins).batched(N);
    TensorD x(ins[0].batched(N), v), y(out), dy(out), dx(x.shape(), 0.0);
    for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = double(i + 1);  // tells outputs apart
    test::forward_backward(layer, x, y, dy, &dx);
    std::vector<double> want_dx(x.numel(), 0.0);
    for (int64_t pl = 0; pl < N * C; ++pl)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double m = -std::numeric_limits<double>::infinity();
          int64_t at = -1;
          for (int64_t kh = 0; kh < 2; ++kh)
            for (int64_t kw = 0; kw < 2; ++kw) {
              const int64_t i = pl * H * W + (2 * oh + kh) * W + 2 * ow + kw;
              if (at < 0 || x[i] > m || std::isnan(x[i])) {
                m = x[i];
                at = i;
              }
            }
          const int64_t o = (pl * OH + oh) * OW + ow;
          if (std::isnan(m)) {
            EXPECT_TRUE(std::isnan(y[o])) << o;
          } else {
            EXPECT_EQ(y[o], m) << o;
          }
          want_dx[at] += dy[o];
        }
    EXPECT_EQ(dx.values(), want_dx);
  }
}

TEST(AvgPool2d, PaddingCountsInTheDivisor) {
  // count_include_pad = true: a corner window with padding 1 averages 1 real value over 4.
  AvgPool2d<double> layer(pool({2, 2}, {2, 2}, {1, 1}));
  const auto [y, dx] = run(layer, {1, 2, 2}, {4, 8, 12, 16});
  EXPECT_EQ(y, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(dx, (std::vector<double>{0.25, 0.25, 0.25, 0.25}));
  // Without padding, overlapping 2x2 windows at stride 1 on a 3x3 image: the centre is in 4.
  AvgPool2d<double> overlap(pool({2, 2}, {1, 1}));
  const auto [yo, dxo] = run(overlap, {1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(yo, (std::vector<double>{3, 4, 6, 7}));
  EXPECT_EQ(dxo, (std::vector<double>{0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25}));
}

TEST(Pool2d, ShapesAndErrors) {
  MaxPool2d<float> lenet(pool({2, 2}));
  const Shape in[] = {Shape{6, 28, 28}};
  EXPECT_EQ(lenet.setup(in), (Shape{6, 14, 14}));
  EXPECT_EQ(lenet.options().stride, (std::array<int64_t, 2>{2, 2}));  // stride = kernel
  AvgPool2d<float> strided(pool({3, 3}, {2, 2}, {1, 1}));
  const Shape in2[] = {Shape{2, 7, 8}};
  EXPECT_EQ(strided.setup(in2), (Shape{2, 4, 4}));  // floor((7 + 2 - 3) / 2) + 1 = 4

  MaxPool2d<float> big(pool({5, 5}));
  const Shape small[] = {Shape{1, 4, 9}};
  try {
    big.setup(small);
    ADD_FAILURE() << "a 5x5 window fits a 4x9 image";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(1, 4, 9)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(MaxPool2d<float>(pool({2, 2}, {1, 1}, {2, 0})), ConfigError);  // pad > k / 2
  EXPECT_THROW(AvgPool2d<float>(pool({0, 2})), ConfigError);
  GlobalAvgPool2d<float> global;
  EXPECT_EQ(global.setup(in), (Shape{6}));
  const Shape flat[] = {Shape{6}};
  EXPECT_THROW(global.setup(flat), ShapeError);
}

}  // namespace
}  // namespace redes
