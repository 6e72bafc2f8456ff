#include "layers/losses.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/gradcheck.hpp"

namespace redes {
namespace {

TensorD random(Shape s, uint64_t seed, double lo = -2, double hi = 2) {
  TensorD t(std::move(s));
  Rng rng(seed);
  for (auto& v : t.values()) v = rng.uniform(lo, hi);
  return t;
}

std::unique_ptr<Loss<double>> loss_of(const std::string& kind, std::vector<double> w = {},
                                      double delta = 1.0) {
  LossSpec spec;
  spec.kind = kind;
  spec.class_weights = std::move(w);
  spec.huber_delta = delta;
  return make_loss<double>(spec);
}

// bce_logits ---------------------------------------------------------------------------------

TEST(Losses, BceLogitsGradients) {
  auto loss = loss_of("bce_logits");
  for (const Shape& s : {Shape{1, 1}, Shape{3, 1}, Shape{3, 4}, Shape{2, 2, 3}}) {
    EXPECT_TRUE(test::check_loss_gradients(*loss, random(s, 1), random(s, 2, 0, 1)));
  }
  // Logits of +-50 (where a naive log(sigmoid) gives log(0)).
  const TensorD x(Shape{4, 1}, {50, -50, 50, -50}), y(Shape{4}, {1, 1, 0, 0.5});
  EXPECT_TRUE(test::check_loss_gradients(*loss, x, y));
}

TEST(Losses, BceLogitsIsFiniteAndExactForLargeLogits) {
  auto loss = loss_of("bce_logits");
  // Per element max(x,0) - x y + log1p(exp(-|x|)):
  //   x=50,y=1: e^-50;  x=-50,y=1: 50 + e^-50;  x=50,y=0: 50 + e^-50;  x=-50,y=0.5: 25 + e^-50.
  const TensorD x(Shape{4, 1}, {50, -50, 50, -50}), y(Shape{4, 1}, {1, 1, 0, 0.5});
  const double e = std::exp(-50.0);
  const double want = (e + (50 + e) + (50 + e) + (25 + e)) / 4;
  EXPECT_DOUBLE_EQ(loss->forward(x, y), want);
  // The first term alone: a loss of 1.9e-22, not 0 and not NaN.
  const TensorD x1(Shape{1}, {50}), y1(Shape{1}, {1});
  EXPECT_NEAR(loss->forward(x1, y1), e, 1e-36);
  EXPECT_GT(loss->forward(x1, y1), 0.0);
  TensorD g(Shape{4, 1}, 0.0);
  loss->backward(x, y, 1.0, g.view());
  // d/dx = (sigmoid(x) - y) / 4.
  EXPECT_NEAR(g[0], -e / 4, 1e-30);
  EXPECT_DOUBLE_EQ(g[1], (e / (1 + e) - 1) / 4);
  EXPECT_DOUBLE_EQ(g[2], 1.0 / (1 + e) / 4);
  for (double v : g.values()) EXPECT_TRUE(std::isfinite(v));
  // float too: the huge logits stay finite.
  LossSpec bce;
  bce.kind = "bce_logits";
  auto lf = make_loss<float>(bce);
  const Tensor xf(Shape{2}, {100, -100}), yf(Shape{2}, {0, 1});
  EXPECT_FLOAT_EQ(lf->forward(xf, yf), 100.0f);
}

TEST(Losses, BceLogitsMatchesTheTextbookFormulaForModerateLogits) {
  auto loss = loss_of("bce_logits");
  const TensorD x = random(Shape{5, 2}, 3), y = random(Shape{5, 2}, 4, 0, 1);
  double want = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double s = 1 / (1 + std::exp(-x[i]));
    want -= y[i] * std::log(s) + (1 - y[i]) * std::log(1 - s);
  }
  EXPECT_NEAR(loss->forward(x, y), want / 10, 1e-14);
}

// softmax_cross_entropy ---------------------------------------------------------------------

TEST(Losses, SoftmaxCrossEntropyGradients) {
  auto loss = loss_of("softmax_cross_entropy");
  EXPECT_TRUE(test::check_loss_gradients(*loss, random(Shape{1, 1}, 1), TensorD(Shape{1}, {0})));
  EXPECT_TRUE(test::check_loss_gradients(*loss, random(Shape{1, 4}, 2), TensorD(Shape{1}, {2})));
  EXPECT_TRUE(
      test::check_loss_gradients(*loss, random(Shape{3, 4}, 3), TensorD(Shape{3}, {0, 3, 1})));
  auto weighted = loss_of("softmax_cross_entropy", {0.2, 1.5, 3.0, 0.0});
  EXPECT_TRUE(test::check_loss_gradients(*weighted, random(Shape{5, 4}, 4),
                                         TensorD(Shape{5}, {0, 3, 1, 2, 2})));
}

TEST(Losses, SoftmaxCrossEntropyKnownValue) {
  auto loss = loss_of("softmax_cross_entropy");
  // Row 0 logits (1, 2, 3), class 2; row 1 (0, 0, 0), class 0.
  const TensorD x(Shape{2, 3}, {1, 2, 3, 0, 0, 0}), y(Shape{2}, {2, 0});
  const double l0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3;
  const double l1 = std::log(3.0);
  EXPECT_NEAR(loss->forward(x, y), (l0 + l1) / 2, 1e-15);
  // Huge logits: logsumexp keeps it finite; a confident right answer costs ~0.
  const TensorD big(Shape{1, 3}, {1000, -1000, 0});
  EXPECT_NEAR(loss->forward(big, TensorD(Shape{1}, {0})), 0.0, 1e-300);
  EXPECT_NEAR(loss->forward(big, TensorD(Shape{1}, {1})), 2000.0, 1e-9);
}

TEST(Losses, SoftmaxCrossEntropyClassWeightsAsPyTorch) {
  const std::vector<double> w = {0.5, 2.0, 1.0};
  auto loss = loss_of("softmax_cross_entropy", w);
  auto plain = loss_of("softmax_cross_entropy");
  const TensorD x = random(Shape{4, 3}, 7);
  const double y[] = {1, 0, 2, 1};
  // Weighted mean: sum_n w[y_n] l_n / sum_n w[y_n], each l_n from the unweighted loss of row n.
  double num = 0, den = 0;
  for (int n = 0; n < 4; ++n) {
    const TensorD row(Shape{1, 3}, {x[n * 3], x[n * 3 + 1], x[n * 3 + 2]});
    const double l = plain->forward(row, TensorD(Shape{1}, {y[n]}));
    num += w[int(y[n])] * l;
    den += w[int(y[n])];
  }
  EXPECT_NEAR(loss->forward(x, TensorD(Shape{4}, {y[0], y[1], y[2], y[3]})), num / den, 1e-14);
}

TEST(Losses, SoftmaxCrossEntropyRejectsBadTargets) {
  auto loss = loss_of("softmax_cross_entropy");
  const TensorD x = random(Shape{2, 3}, 1);
  EXPECT_THROW(loss->forward(x, TensorD(Shape{2}, {0, 3})), ShapeError);
  EXPECT_THROW(loss->forward(x, TensorD(Shape{2}, {-2, 0})), ShapeError);  // -1 is "ignore"
  EXPECT_THROW(loss->forward(x, TensorD(Shape{2}, {0.5, 1})), ShapeError);
  EXPECT_THROW(loss->forward(x, TensorD(Shape{3}, {0, 1, 2})), ShapeError);
  EXPECT_THROW(loss->forward(random(Shape{2, 3, 1}, 2), TensorD(Shape{2}, {0, 1})), ShapeError);
  TensorD g(x.shape());
  EXPECT_THROW(loss->backward(x, TensorD(Shape{2}, {0, 7}), 1.0, g.view()), ShapeError);
  auto weighted = loss_of("softmax_cross_entropy", {1, 2});
  EXPECT_THROW(weighted->forward(x, TensorD(Shape{2}, {0, 1})), ShapeError);  // 2 weights, K = 3
  EXPECT_THROW(loss_of("softmax_cross_entropy", {1, -1}), ConfigError);
}

// Per-step predictions (N, T, K) with targets (N, T), and ignore_index = -1.

TEST(Losses, SoftmaxCrossEntropyOverStepsWithIgnoredTargets) {
  auto loss = loss_of("softmax_cross_entropy");
  auto weighted = loss_of("softmax_cross_entropy", {0.2, 1.5, 3.0, 0.7});
  const TensorD x = random(Shape{2, 3, 4}, 8);
  const TensorD y(Shape{2, 3}, {0, 3, -1, 2, -1, -1});
  EXPECT_TRUE(test::check_loss_gradients(*loss, x, y));
  EXPECT_TRUE(test::check_loss_gradients(*weighted, x, y));
  EXPECT_TRUE(test::check_loss_gradients(
      *loss, random(Shape{2, 2, 3, 5}, 9),
      TensorD(Shape{2, 2, 3}, {4, -1, 0, 1, 2, -1, -1, 3, 3, 0, 1, -1})));
  // The same as the (N*T, K) loss over the rows that are not ignored.
  const TensorD kept(Shape{3, 4},
                     {x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[12], x[13], x[14], x[15]});
  const TensorD kept_y(Shape{3}, {0, 3, 2});
  EXPECT_NEAR(loss->forward(x, y), loss->forward(kept, kept_y), 1e-15);
  EXPECT_NEAR(weighted->forward(x, y), weighted->forward(kept, kept_y), 1e-15);
  // Ignored rows get no gradient, added or otherwise.
  TensorD g(x.shape(), 0.5);
  loss->backward(x, y, 1.0, g.view());
  for (int64_t i = 8; i < 12; ++i) EXPECT_EQ(g[i], 0.5);
  for (int64_t i = 16; i < 24; ++i) EXPECT_EQ(g[i], 0.5);
  // All ignored: loss 0 and no gradient (PyTorch gives NaN).
  const TensorD none(Shape{2, 3}, -1.0);
  EXPECT_EQ(loss->forward(x, none), 0.0);
  TensorD g0(x.shape(), 0.25);
  loss->backward(x, none, 1.0, g0.view());
  for (double v : g0.values()) EXPECT_EQ(v, 0.25);
  // The target must hold one index per row of K logits.
  EXPECT_THROW(loss->forward(x, TensorD(Shape{2, 4}, 0.0)), ShapeError);
  EXPECT_THROW(loss->forward(x, TensorD(Shape{2, 3}, {0, 4, 1, 1, 1, 1})), ShapeError);
}

// mse, mae, huber ----------------------------------------------------------------------------

TEST(Losses, MseGradientsAndValue) {
  auto loss = loss_of("mse");
  for (const Shape& s : {Shape{1, 1}, Shape{3, 2}, Shape{2, 3, 2}}) {
    EXPECT_TRUE(test::check_loss_gradients(*loss, random(s, 1), random(s, 2)));
  }
  EXPECT_DOUBLE_EQ(loss->forward(TensorD(Shape{2}, {1, 3}), TensorD(Shape{2}, {0, 0})), 5.0);
}

TEST(Losses, MaeGradientsValueAndZeroAtZero) {
  auto loss = loss_of("mae");
  for (const Shape& s : {Shape{1, 1}, Shape{3, 2}, Shape{2, 3, 2}}) {
    EXPECT_TRUE(test::check_loss_gradients(*loss, random(s, 3), random(s, 4)));
  }
  const TensorD x(Shape{3}, {1, -2, 5}), y(Shape{3}, {0, 0, 5});
  EXPECT_DOUBLE_EQ(loss->forward(x, y), 1.0);
  TensorD g(Shape{3}, 0.0);
  loss->backward(x, y, 3.0, g.view());
  EXPECT_EQ(g.values(), (std::vector<double>{1, -1, 0}));  // 3 * sign(d) / 3
}

TEST(Losses, HuberBothRegions) {
  for (double delta : {1.0, 0.3, 2.5}) {
    auto loss = loss_of("huber", {}, delta);
    // uniform(-3, 3) differences land on both sides of delta.
    EXPECT_TRUE(
        test::check_loss_gradients(*loss, random(Shape{6, 3}, 5, -3, 3), random(Shape{6, 3}, 6)))
        << "delta " << delta;
  }
  auto loss = loss_of("huber", {}, 1.5);
  // d = 0.5 (quadratic: 0.125) and d = -4 (linear: 1.5 * (4 - 0.75) = 4.875).
  const TensorD x(Shape{2}, {0.5, -4}), y(Shape{2}, {0, 0});
  EXPECT_DOUBLE_EQ(loss->forward(x, y), (0.125 + 4.875) / 2);
  TensorD g(Shape{2}, 0.0);
  loss->backward(x, y, 2.0, g.view());
  EXPECT_DOUBLE_EQ(g[0], 0.5);   // 2 * d / 2
  EXPECT_DOUBLE_EQ(g[1], -1.5);  // 2 * -delta / 2
  // At d = delta the two pieces meet: delta^2 / 2 either way.
  EXPECT_DOUBLE_EQ(loss->forward(TensorD(Shape{1}, {1.5}), TensorD(Shape{1}, {0})), 1.125);
  EXPECT_THROW(loss_of("huber", {}, 0.0), ConfigError);
}

// make_loss and shape checks -----------------------------------------------------------------

TEST(Losses, ShapeMismatchNamesBothShapes) {
  for (const char* kind : {"bce_logits", "mse", "mae", "huber"}) {
    auto loss = loss_of(kind);
    try {
      loss->forward(TensorD(Shape{4, 2}), TensorD(Shape{4, 3}));
      FAIL() << kind << ": no ShapeError";
    } catch (const ShapeError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("(4, 2)"), std::string::npos) << m;
      EXPECT_NE(m.find("(4, 3)"), std::string::npos) << m;
    }
    TensorD g(Shape{4, 1});
    EXPECT_THROW(loss->backward(TensorD(Shape{4, 2}), TensorD(Shape{4, 2}), 1.0, g.view()),
                 ShapeError)
        << kind;
  }
  // Same element count in another shape is accepted: (N, 1) predictions with (N) targets.
  EXPECT_NO_THROW(loss_of("mse")->forward(TensorD(Shape{4, 1}), TensorD(Shape{4})));
}

TEST(Losses, MakeLossRejectsUnknownKindsListingTheKnownOnes) {
  try {
    loss_of("cross_entropy");
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'cross_entropy'"), std::string::npos) << m;
    for (const auto& k : loss_kinds()) EXPECT_NE(m.find(k), std::string::npos) << m;
  }
  EXPECT_THROW(loss_of("mse", {1, 2}), ConfigError);  // class weights on a loss without classes
  for (const auto& k : loss_kinds()) EXPECT_EQ(loss_of(k)->kind(), k);
}

TEST(Losses, FloatAgreesWithDouble) {
  const TensorD xd = random(Shape{3, 4}, 11), yd(Shape{3}, {1, 0, 3});
  Tensor xf(xd.shape());
  for (int64_t i = 0; i < xd.numel(); ++i) xf[i] = float(xd[i]);
  for (const auto& k : loss_kinds()) {
    LossSpec spec;
    spec.kind = k;
    const auto ld = make_loss<double>(spec);
    const auto lf = make_loss<float>(spec);
    // Elementwise losses compare the (3, 4) logits with targets of the same element count.
    const bool ce = k == "softmax_cross_entropy";
    const TensorD td = ce ? yd : random(xd.shape(), 12, 0, 1);
    Tensor tf(td.shape());
    for (int64_t i = 0; i < td.numel(); ++i) tf[i] = float(td[i]);
    TensorD xd_rounded(xd.shape());
    for (int64_t i = 0; i < xd.numel(); ++i) xd_rounded[i] = xf[i];
    TensorD td_rounded(td.shape());
    for (int64_t i = 0; i < td.numel(); ++i) td_rounded[i] = tf[i];
    EXPECT_NEAR(lf->forward(xf, tf), ld->forward(xd_rounded, td_rounded), 1e-6) << k;
    Tensor gf(xf.shape(), 0.f);
    TensorD gd(xd.shape(), 0.0);
    lf->backward(xf, tf, 1.f, gf.view());
    ld->backward(xd_rounded, td_rounded, 1.0, gd.view());
    for (int64_t i = 0; i < gd.numel(); ++i) EXPECT_NEAR(gf[i], gd[i], 1e-6) << k << " " << i;
  }
}

}  // namespace
}  // namespace redes
