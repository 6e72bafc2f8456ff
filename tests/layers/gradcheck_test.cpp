// The checker itself must fail on broken layers and losses, or its passes prove nothing.
#include "support/gradcheck.hpp"

#include <gtest/gtest.h>

namespace redes {
namespace {

// y = w * x element-wise with one weight per feature; `bug` selects a mistake in backward.
enum class Bug { none, overwrite_din, forget_param_entry, wrong_factor, overwrite_param_grad };

class Scale : public Layer<double> {
 public:
  explicit Scale(Bug bug) : bug_(bug) {}
  std::string_view kind() const override { return "scale"; }
  Shape setup(std::span<const Shape> in) override {
    w_.shape = Shape{in[0].numel()};
    return in[0];
  }
  void init(Rng& rng) override {
    for (int64_t i = 0; i < w_.numel(); ++i) w_.value[i] = rng.normal();
  }
  void forward(const ForwardCtx<double>& ctx) override {
    const int64_t f = w_.numel();
    for (int64_t i = 0; i < ctx.in().numel(); ++i) ctx.out()[i] = w_.value[i % f] * ctx.in()[i];
  }
  void backward(const BackwardCtx<double>& ctx) override {
    const int64_t f = w_.numel();
    for (int64_t i = 0; i < ctx.in().numel(); ++i) {
      const double dy = ctx.dout()[i];
      const double factor = bug_ == Bug::wrong_factor ? 1.001 : 1.0;
      if (bug_ == Bug::overwrite_din) {
        ctx.din()[i] = dy * w_.value[i % f];
      } else {
        ctx.din()[i] += factor * dy * w_.value[i % f];
      }
      if (bug_ == Bug::forget_param_entry && i % f == f - 1) continue;
      if (bug_ == Bug::overwrite_param_grad) {
        w_.grad[i % f] = dy * ctx.in()[i];  // also wrong for N > 1: drops the other samples
      } else {
        w_.grad[i % f] += dy * ctx.in()[i];
      }
    }
  }
  std::vector<Param<double>*> params() override { return {&w_}; }

 private:
  Bug bug_;
  Param<double> w_{"w"};
};

TEST(Gradcheck, PassesACorrectLayer) {
  Scale layer(Bug::none);
  EXPECT_TRUE(test::check_layer_gradients(layer, {Shape{4}}, 3));
}

TEST(Gradcheck, CatchesBackwardThatOverwritesInputGradients) {
  Scale layer(Bug::overwrite_din);
  EXPECT_FALSE(test::check_layer_gradients(layer, {Shape{4}}, 3));
}

TEST(Gradcheck, CatchesAForgottenParameterEntry) {
  Scale layer(Bug::forget_param_entry);
  EXPECT_FALSE(test::check_layer_gradients(layer, {Shape{4}}, 3));
}

TEST(Gradcheck, CatchesASlightlyWrongGradient) {
  Scale layer(Bug::wrong_factor);
  EXPECT_FALSE(test::check_layer_gradients(layer, {Shape{4}}, 1));
}

TEST(Gradcheck, CatchesBackwardThatOverwritesParameterGradients) {
  Scale layer(Bug::overwrite_param_grad);
  EXPECT_FALSE(test::check_layer_gradients(layer, {Shape{4}}, 1));
}

// A forward that leaves an output entry unwritten.
class Lazy : public Layer<double> {
 public:
  std::string_view kind() const override { return "lazy"; }
  Shape setup(std::span<const Shape> in) override { return in[0]; }
  void forward(const ForwardCtx<double>& ctx) override {
    for (int64_t i = 0; i + 1 < ctx.in().numel(); ++i) ctx.out()[i] = ctx.in()[i];
  }
  void backward(const BackwardCtx<double>& ctx) override {
    for (int64_t i = 0; i + 1 < ctx.in().numel(); ++i) ctx.din()[i] += ctx.dout()[i];
  }
};

TEST(Gradcheck, CatchesAnUnwrittenOutput) {
  Lazy layer;
  EXPECT_FALSE(test::check_layer_gradients(layer, {Shape{3}}, 2));
}

// A loss whose backward ignores scale.
class Unscaled : public Loss<double> {
 public:
  std::string_view kind() const override { return "unscaled"; }
  double forward(TensorView<const double> p, TensorView<const double> t) override {
    double s = 0;
    for (int64_t i = 0; i < p.numel(); ++i) s += (p[i] - t[i]) * (p[i] - t[i]);
    return s / p.numel();
  }
  void backward(TensorView<const double> p, TensorView<const double> t, double scale,
                TensorView<double> g) override {
    for (int64_t i = 0; i < p.numel(); ++i) g[i] += 2 * (p[i] - t[i]) / p.numel();
  }
};

TEST(Gradcheck, CatchesALossThatIgnoresScale) {
  Unscaled loss;
  TensorD pred(Shape{3, 2}, {0.1, -0.4, 1.2, 0.3, -2.0, 0.7});
  TensorD target(Shape{3, 2}, {0.0, 0.5, 1.0, -1.0, 0.2, 0.7});
  EXPECT_TRUE(test::check_loss_gradients(loss, pred, target, 1.0));
  EXPECT_FALSE(test::check_loss_gradients(loss, pred, target, 0.37));
}

}  // namespace
}  // namespace redes
