// Every loss against PyTorch (reduction "mean"): value and d loss / d pred on the fixtures of
// tools/make_golden.py (tests/golden/fixtures/loss_*.bin).
//
// Tolerance: |got - expected| <= 1e-5 + 1e-4 * |expected|, for the same reason as the layers
// (one float32 op on O(1) values: a few ulp apart, while a wrong formula is off by 1e-3 or more).
// The gradients of a mean are O(1/numel), ~1e-2 here, so 1e-5 absolute still resolves them.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "redes/loss.hpp"
#include "support/golden.hpp"

namespace redes {
namespace {

constexpr double kAbsTol = 1e-5;
constexpr double kRelTol = 1e-4;

struct LossCase {
  std::string fixture;  // tests/golden/fixtures/<fixture>.bin
  LossSpec spec;
};

LossSpec loss_spec(std::string kind, std::vector<double> class_weights = {}, double delta = 1.0) {
  LossSpec s;
  s.kind = std::move(kind);
  s.class_weights = std::move(class_weights);
  s.huber_delta = delta;
  return s;
}

// gtest prints a failing case by its fixture name rather than as raw bytes.
void PrintTo(const LossCase& c, std::ostream* os) { *os << c.fixture; }

// Keep in step with make_losses() in tools/make_golden.py.
std::vector<LossCase> loss_cases() {
  return {
      {"loss_bce_logits", loss_spec("bce_logits")},
      {"loss_softmax_ce", loss_spec("softmax_cross_entropy")},
      {"loss_softmax_ce_weighted", loss_spec("softmax_cross_entropy", {0.5, 1.0, 2.0, 0.25})},
      {"loss_mse", loss_spec("mse")},
      {"loss_mae", loss_spec("mae")},
      {"loss_huber_delta1", loss_spec("huber", {}, 1.0)},
      {"loss_huber_delta05", loss_spec("huber", {}, 0.5)},
  };
}

class GoldenLoss : public ::testing::TestWithParam<LossCase> {};

TEST_P(GoldenLoss, MatchesPyTorch) {
  const LossCase& c = GetParam();
  const auto fx = golden::load_fixture(c.fixture + ".bin");
  const Tensor& pred = fx.at("pred");
  const Tensor& target = fx.at("target");
  const Tensor& expected_grad = fx.at("grad_pred");

  // The table above must describe the fixture.
  if (fx.has("class_weights")) {
    const Tensor& w = fx.at("class_weights");
    ASSERT_EQ(static_cast<int64_t>(c.spec.class_weights.size()), w.numel());
    for (int64_t k = 0; k < w.numel(); ++k)
      ASSERT_FLOAT_EQ(static_cast<float>(c.spec.class_weights[k]), w[k]);
  } else {
    ASSERT_TRUE(c.spec.class_weights.empty());
  }
  if (fx.has("hp.huber_delta")) {
    ASSERT_FLOAT_EQ(static_cast<float>(c.spec.huber_delta), fx.scalar("hp.huber_delta"));
  }

  auto loss = make_loss<float>(c.spec);
  const float value = loss->forward(pred.view(), target.view());
  const Tensor got_value(Shape{}, std::vector<float>{value});
  auto msg =
      golden::compare(c.fixture + " loss", fx.at("loss"), got_value.view(), kAbsTol, kRelTol);
  EXPECT_TRUE(msg.empty()) << msg;

  Tensor grad(pred.shape(), 0.0f);
  loss->backward(pred.view(), target.view(), 1.0f, grad.view());
  msg = golden::compare(c.fixture + " grad_pred", expected_grad, grad.view(), kAbsTol, kRelTol);
  EXPECT_TRUE(msg.empty()) << msg;

  // backward adds scale times the gradient: 0.5 + 2 * grad.
  Tensor accumulated(pred.shape(), 0.5f);
  loss->backward(pred.view(), target.view(), 2.0f, accumulated.view());
  Tensor expected_accumulated = expected_grad;
  for (auto& g : expected_accumulated.values()) g = 0.5f + 2.0f * g;
  msg = golden::compare(c.fixture + " 0.5 + 2 * grad_pred", expected_accumulated,
                        accumulated.view(), kAbsTol, kRelTol);
  EXPECT_TRUE(msg.empty()) << msg;
}

INSTANTIATE_TEST_SUITE_P(Losses, GoldenLoss, ::testing::ValuesIn(loss_cases()),
                         [](const auto& info) { return info.param.fixture; });

}  // namespace
}  // namespace redes
