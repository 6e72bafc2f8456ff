#include "layers/batchnorm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "support/gradcheck.hpp"

namespace redes {
namespace {

// check_layer_gradients binds parameters only. This wrapper also gives the buffers storage
// (as the graph does) and, after init, sets the running statistics to chosen values so that an
// evaluation forward normalises with something other than (0, 1).
class WithBuffers : public Layer<double> {
 public:
  WithBuffers(std::unique_ptr<BatchNorm<double>> inner, std::vector<double> mean,
              std::vector<double> var)
      : inner_(std::move(inner)), mean_(std::move(mean)), var_(std::move(var)) {}
  std::string_view kind() const override { return inner_->kind(); }
  Shape setup(std::span<const Shape> inputs) override {
    const Shape out = inner_->setup(inputs);
    int64_t total = 0;
    for (auto* b : inner_->buffers()) total += b->numel();
    storage_.assign(total, 0.0);
    total = 0;
    for (auto* b : inner_->buffers()) {
      b->value = storage_.data() + total;
      total += b->numel();
    }
    return out;
  }
  void init(Rng& rng) override {
    inner_->init(rng);
    auto bufs = inner_->buffers();
    if (!mean_.empty()) std::copy(mean_.begin(), mean_.end(), bufs[0]->value);
    if (!var_.empty()) std::copy(var_.begin(), var_.end(), bufs[1]->value);
    // Non-trivial gamma and beta, so that their gradients and their effect on dx are tested.
    double v = 0.5;
    for (auto* p : inner_->params())
      for (double& x : p->values()) x = (v += 0.37);
  }
  void forward(const ForwardCtx<double>& ctx) override { inner_->forward(ctx); }
  void backward(const BackwardCtx<double>& ctx) override { inner_->backward(ctx); }
  std::vector<Param<double>*> params() override { return inner_->params(); }
  BatchNorm<double>& inner() { return *inner_; }

 private:
  std::unique_ptr<BatchNorm<double>> inner_;
  std::vector<double> mean_, var_;
  std::vector<double> storage_;
};

struct BnCase {
  std::string what;
  int dims;
  Shape input;
  int64_t n;
  bool affine;
};

std::vector<BnCase> bn_cases() {
  return {
      {"1d (F), batch 3", 1, {4}, 3, true},
      {"1d (C, L), batch 2", 1, {3, 5}, 2, true},
      {"1d (C, L), batch 1, L 4", 1, {2, 4}, 1, true},
      {"2d (C, H, W), batch 3", 2, {3, 2, 3}, 3, true},
      {"2d one channel, batch 1", 2, {1, 3, 2}, 1, true},
      {"2d no affine", 2, {5, 2, 2}, 2, false},
  };
}

TEST(BatchNorm, TrainingGradientsMatchCentralDifferences) {
  // The batch statistics depend on every input: the full backward.
  test::GradcheckOptions opts;
  opts.training = true;
  for (const auto& c : bn_cases()) {
    WithBuffers layer(std::make_unique<BatchNorm<double>>(c.dims, 0.1, 1e-5, c.affine), {}, {});
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n, opts)) << c.what;
  }
}

TEST(BatchNorm, EvalGradientsMatchCentralDifferences) {
  for (const auto& c : bn_cases()) {
    const int64_t C = c.input[0];
    std::vector<double> mean(C), var(C);
    for (int64_t i = 0; i < C; ++i) {
      mean[i] = 0.3 * i - 0.2;
      var[i] = 0.5 + 0.25 * i;
    }
    WithBuffers layer(std::make_unique<BatchNorm<double>>(c.dims, 0.1, 1e-5, c.affine), mean, var);
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n)) << c.what;
  }
}

TEST(BatchNorm, TrainingNormalisesAndUpdatesRunningStatistics) {
  // One channel, M = 4 values {1, 2, 3, 6}: mean 3, biased var 3.5, unbiased var 14/3.
  WithBuffers layer(std::make_unique<BatchNorm<double>>(1, 0.25, 1e-5, true), {}, {});
  const Shape in[] = {Shape{1, 2}};
  layer.setup(in);
  ParamArena<double> arena;
  arena.bind(layer.params());
  Rng rng(1);
  layer.inner().init(rng);  // gamma 1, beta 0, running (0, 1)
  TensorD x(Shape{2, 1, 2}, {1, 2, 3, 6}), y(x.shape());
  ForwardCtx<double> f;
  f.inputs = {x.view()};
  f.output = y.view();
  f.training = true;
  layer.forward(f);
  const double sd = std::sqrt(3.5 + 1e-5);
  EXPECT_NEAR(y[0], -2 / sd, 1e-12);
  EXPECT_NEAR(y[3], 3 / sd, 1e-12);
  auto bufs = layer.inner().buffers();
  EXPECT_NEAR(bufs[0]->value[0], 0.25 * 3, 1e-12);                // 0.75 * 0 + 0.25 * 3
  EXPECT_NEAR(bufs[1]->value[0], 0.75 + 0.25 * 14.0 / 3, 1e-12);  // unbiased
  // Evaluation then uses the running statistics.
  f.training = false;
  layer.forward(f);
  EXPECT_NEAR(y[0], (1 - 0.75) / std::sqrt(0.75 + 0.25 * 14.0 / 3 + 1e-5), 1e-12);
}

TEST(BatchNorm, TrainingNeedsMoreThanOneValuePerChannel) {
  WithBuffers layer(std::make_unique<BatchNorm<double>>(1, 0.1, 1e-5, true), {}, {});
  const Shape in[] = {Shape{3}};
  layer.setup(in);
  ParamArena<double> arena;
  arena.bind(layer.params());
  Rng rng(1);
  layer.init(rng);
  TensorD x(Shape{1, 3}, 1.0), y(x.shape());
  ForwardCtx<double> f;
  f.inputs = {x.view()};
  f.output = y.view();
  f.training = true;
  EXPECT_THROW(layer.forward(f), ShapeError);
  f.training = false;
  EXPECT_NO_THROW(layer.forward(f));
}

TEST(BatchNorm, ShapesBuffersAndErrors) {
  BatchNorm<float> bn2(2);
  EXPECT_EQ(bn2.kind(), "batchnorm2d");
  const Shape img[] = {Shape{6, 4, 4}};
  EXPECT_EQ(bn2.setup(img), img[0]);
  ASSERT_EQ(bn2.params().size(), 2u);
  ASSERT_EQ(bn2.buffers().size(), 2u);
  EXPECT_EQ(bn2.buffers()[0]->name, "running_mean");
  EXPECT_EQ(bn2.buffers()[1]->name, "running_var");
  EXPECT_EQ(bn2.buffers()[1]->shape, (Shape{6}));
  const Shape flat[] = {Shape{6}};
  EXPECT_THROW(bn2.setup(flat), ShapeError);
  BatchNorm<float> bn1(1, 0.1, 1e-5, false);
  EXPECT_EQ(bn1.kind(), "batchnorm1d");
  EXPECT_EQ(bn1.setup(flat), flat[0]);
  EXPECT_TRUE(bn1.params().empty());
  EXPECT_THROW(bn1.setup(img), ShapeError);
  EXPECT_THROW(BatchNorm<float>(2, 1.5), ConfigError);
  EXPECT_THROW(BatchNorm<float>(2, 0.1, 0.0), ConfigError);
}

}  // namespace
}  // namespace redes
