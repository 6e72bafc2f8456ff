// Training matches (llm.c's expected_losses): a small MLP trained full-batch for 20 optimizer
// steps from PyTorch's initial weights must reproduce PyTorch's 20 losses and final weights,
// under every optimizer, with clipping and with learning-rate schedules. Fixtures:
// tests/golden/fixtures/train_*.bin from tools/make_golden.py.
//
//   in 6 -> fc1 linear 8 -> act1 relu -> fc2 linear 8 -> act2 tanh -> fc3 linear K
//   K = 1 with bce_logits, K = 3 with softmax_cross_entropy; N = 16.
//
// Tolerances: the losses within 1e-4 relative (+1e-6 absolute, for the losses that fall to
// ~3e-3), the final weights within 1e-5 + 1e-4 * |w|. Both sides run in float32; rounding
// differences of ~1e-7 per op compound over 20 steps (Adam and RMSprop divide by running
// gradient magnitudes). Measured against PyTorch 1.13: at most 5e-6 relative on the losses and
// 4e-7 absolute on the weights (RMSprop centered), so the bounds leave ~20x headroom for
// another BLAS or compiler, while a wrong update rule (a missing bias correction, weight decay
// applied the wrong way, a schedule one step late) is off by 1e-3 or more within a few steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "redes/graph.hpp"
#include "redes/loss.hpp"
#include "redes/optim.hpp"
#include "support/golden.hpp"

namespace redes {
namespace {

constexpr int kSteps = 20;
constexpr double kLossAbsTol = 1e-6, kLossRelTol = 1e-4;
constexpr double kWeightAbsTol = 1e-5, kWeightRelTol = 1e-4;

struct TrainCase {
  std::string fixture;  // tests/golden/fixtures/<fixture>.bin
  int classes = 1;
  OptimizerSpec opt;
  double clip = 0;  // clip_grad_norm max_norm; 0: none
  ScheduleSpec schedule;
  std::vector<double> class_weights;
};

OptimizerSpec optimizer(std::string kind, double lr, double weight_decay = 0, double momentum = 0,
                        bool nesterov = false, bool centered = false) {
  OptimizerSpec s;
  s.kind = std::move(kind);
  s.lr = lr;
  s.weight_decay = weight_decay;
  s.momentum = momentum;
  s.nesterov = nesterov;
  s.centered = centered;
  return s;  // betas, eps and alpha keep their defaults, which are torch's
}

ScheduleSpec schedule(std::string kind) {
  ScheduleSpec s;
  s.kind = std::move(kind);
  if (s.kind == "step") {
    s.step_size = 5;
    s.gamma = 0.5;
  } else if (s.kind == "cosine") {
    s.t_max = kSteps;
    s.eta_min = 1e-3;
  }
  return s;
}

TrainCase train_case(std::string fixture, int classes, OptimizerSpec opt, double clip = 0,
                     std::string schedule_kind = "none", std::vector<double> class_weights = {}) {
  TrainCase c;
  c.fixture = std::move(fixture);
  c.classes = classes;
  c.opt = std::move(opt);
  c.clip = clip;
  c.schedule = schedule(std::move(schedule_kind));
  c.class_weights = std::move(class_weights);
  return c;
}

// gtest prints a failing case by its fixture name rather than as raw bytes.
void PrintTo(const TrainCase& c, std::ostream* os) { *os << c.fixture; }

// Keep in step with TRAIN_CASES in tools/make_golden.py.
std::vector<TrainCase> train_cases() {
  return {
      train_case("train_sgd", 1, optimizer("sgd", 0.1)),
      train_case("train_sgd_nesterov_wd", 1, optimizer("sgd", 0.1, 1e-3, 0.9, true)),
      train_case("train_adam", 1, optimizer("adam", 1e-2)),
      train_case("train_adam_wd", 1, optimizer("adam", 1e-2, 1e-2)),
      train_case("train_adamw", 1, optimizer("adamw", 1e-2, 0.1)),
      train_case("train_rmsprop", 1, optimizer("rmsprop", 1e-2)),
      train_case("train_rmsprop_centered_momentum", 1,
                 optimizer("rmsprop", 1e-2, 0, 0.5, false, true)),
      train_case("train_sgd_clip", 1, optimizer("sgd", 0.1), 0.5),
      train_case("train_sgd_momentum_step", 1, optimizer("sgd", 0.1, 0, 0.9), 0, "step"),
      train_case("train_adam_cosine", 1, optimizer("adam", 1e-2), 0, "cosine"),
      train_case("train_mlp3_adam", 3, optimizer("adam", 1e-2)),
      train_case("train_mlp3_sgd_momentum_weighted", 3, optimizer("sgd", 0.1, 0, 0.9), 0, "none",
                 {1.0, 2.0, 0.5}),
  };
}

std::vector<LayerSpec> mlp_specs(int classes) {
  auto layer = [](std::string kind, std::string name, nlohmann::json attrs) {
    LayerSpec s;
    s.kind = std::move(kind);
    s.name = std::move(name);
    s.attrs = std::move(attrs);
    return s;
  };
  return {
      layer("linear", "fc1", {{"units", 8}}),       layer("relu", "act1", nlohmann::json::object()),
      layer("linear", "fc2", {{"units", 8}}),       layer("tanh", "act2", nlohmann::json::object()),
      layer("linear", "fc3", {{"units", classes}}),
  };
}

// The fixture records every hyper-parameter PyTorch used; the table above must agree.
void expect_hyperparameters(const golden::Fixture& fx, const TrainCase& c) {
  auto hp = [&](const std::string& key, double ours) {
    EXPECT_FLOAT_EQ(fx.scalar("hp." + key), static_cast<float>(ours)) << c.fixture << " hp." << key;
  };
  hp("lr", c.opt.lr);
  hp("weight_decay", c.opt.weight_decay);
  hp("momentum", c.opt.momentum);
  hp("nesterov", c.opt.nesterov);
  hp("centered", c.opt.centered);
  hp("classes", c.classes);
  EXPECT_EQ(fx.has("hp.clip"), c.clip > 0) << c.fixture;
  if (c.clip > 0) hp("clip", c.clip);
  EXPECT_EQ(fx.has("hp.step_size"), c.schedule.kind == "step") << c.fixture;
  if (c.schedule.kind == "step") {
    hp("step_size", c.schedule.step_size);
    hp("gamma", c.schedule.gamma);
  }
  EXPECT_EQ(fx.has("hp.t_max"), c.schedule.kind == "cosine") << c.fixture;
  if (c.schedule.kind == "cosine") {
    hp("t_max", c.schedule.t_max);
    hp("eta_min", c.schedule.eta_min);
  }
  if (fx.has("class_weights")) {
    const Tensor& w = fx.at("class_weights");
    ASSERT_EQ(static_cast<int64_t>(c.class_weights.size()), w.numel()) << c.fixture;
    for (int64_t k = 0; k < w.numel(); ++k)
      EXPECT_FLOAT_EQ(w[k], static_cast<float>(c.class_weights[k])) << c.fixture;
  } else {
    EXPECT_TRUE(c.class_weights.empty()) << c.fixture;
  }
}

class GoldenTraining : public ::testing::TestWithParam<TrainCase> {};

TEST_P(GoldenTraining, MatchesPyTorchLossesAndWeights) {
  const TrainCase& c = GetParam();
  const auto fx = golden::load_fixture(c.fixture + ".bin");
  expect_hyperparameters(fx, c);
  const Tensor& x = fx.at("x");  // (16, 6)
  const Tensor& y = fx.at("y");  // (16, 1) labels in {0, 1}, or (16) class indices
  const Tensor& expected_losses = fx.at("losses");  // (20): the loss before each step
  const Tensor& expected_lrs = fx.at("lrs");        // (20): the learning rate each step used
  ASSERT_EQ(expected_losses.numel(), kSteps);

  Graph graph(mlp_specs(c.classes), Shape{6});
  ASSERT_EQ(static_cast<int>(graph.params().size()), 6);  // weight and bias of fc1, fc2, fc3
  for (const auto& np : graph.params()) {
    const Tensor& w0 = fx.at("init." + np.name);
    ASSERT_EQ(np.param->shape, w0.shape()) << np.name;
    std::copy(w0.values().begin(), w0.values().end(), np.param->value);
  }
  ASSERT_EQ(fx.names_with_prefix("init.").size(), graph.params().size());

  LossSpec loss_spec;
  loss_spec.kind = c.classes == 1 ? "bce_logits" : "softmax_cross_entropy";
  loss_spec.class_weights = c.class_weights;
  auto loss = make_loss<float>(loss_spec);
  auto opt = make_optimizer(c.opt);
  LrSchedule schedule(c.schedule, c.opt.lr, kSteps);

  Rng rng(0);  // unused by these layers: nothing here is random
  Tensor losses(Shape{kSteps}), lrs(Shape{kSteps}), norms(Shape{kSteps});
  Tensor grad;
  for (int t = 0; t < kSteps; ++t) {
    graph.zero_grad();
    TensorView<const float> out = graph.forward(x.view(), /*training=*/true, rng);
    losses[t] = loss->forward(out, y.view());
    grad = Tensor(out.shape(), 0.0f);
    loss->backward(out, y.view(), 1.0f, grad.view());
    graph.backward(grad.view());
    if (c.clip > 0) norms[t] = static_cast<float>(clip_grad_norm(graph.grads(), c.clip));
    lrs[t] = static_cast<float>(opt->lr());
    opt->step(graph.values(), graph.grads());
    if (c.schedule.kind != "none") opt->set_lr(schedule.step(losses[t]));
  }

  auto msg = golden::compare(c.fixture + " lrs", expected_lrs, lrs.view(), 0, 1e-6);
  EXPECT_TRUE(msg.empty()) << msg;
  if (c.clip > 0) {
    msg = golden::compare(c.fixture + " grad_norms", fx.at("grad_norms"), norms.view(), kLossAbsTol,
                          kLossRelTol);
    EXPECT_TRUE(msg.empty()) << msg;
  }
  msg = golden::compare(c.fixture + " losses", expected_losses, losses.view(), kLossAbsTol,
                        kLossRelTol);
  EXPECT_TRUE(msg.empty()) << msg;
  for (const auto& np : graph.params()) {
    msg = golden::compare(c.fixture + " final." + np.name, fx.at("final." + np.name),
                          np.param->values(), kWeightAbsTol, kWeightRelTol);
    EXPECT_TRUE(msg.empty()) << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(Training, GoldenTraining, ::testing::ValuesIn(train_cases()),
                         [](const auto& info) { return info.param.fixture; });

}  // namespace
}  // namespace redes
