// Each optimizer replays four steps of fixed gradients and must land where torch.optim lands.
// The expected weights come from tests/optim/make_expected.py (torch 1.13), which writes
// torch_expected.hpp; the cases there name the torch constructor they used.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "redes/error.hpp"
#include "redes/optim.hpp"
#include "torch_expected.hpp"

namespace redes {
namespace {

using expected::kGrads;
using expected::kParams;
using expected::kSteps;
using expected::kW0;
using expected::OptimizerCase;

// torch runs in float32 and so do we, but torch's vector kernels fuse a + αb into one FMA; the
// results agree to a few float ulps.
void expect_close(float actual, float expected, const char* what, int step, int i) {
  const double tol = 1e-6 * std::max(1.0, std::fabs(static_cast<double>(expected)));
  EXPECT_NEAR(actual, expected, tol) << what << " step " << step + 1 << " w[" << i << "]";
}

class OptimizerMatchesTorch : public ::testing::TestWithParam<OptimizerCase> {};

TEST_P(OptimizerMatchesTorch, FourSteps) {
  const OptimizerCase& c = GetParam();
  auto opt = make_optimizer(c.spec);
  EXPECT_EQ(opt->kind(), c.spec.kind);
  EXPECT_EQ(opt->lr(), c.spec.lr);
  std::vector<float> w(kW0.begin(), kW0.end());
  for (int s = 0; s < kSteps; ++s) {
    opt->set_lr(c.lr[s]);
    opt->step(w, kGrads[s]);
    for (int i = 0; i < kParams; ++i) expect_close(w[i], c.w[s][i], c.name, s, i);
  }
}

INSTANTIATE_TEST_SUITE_P(Torch, OptimizerMatchesTorch,
                         ::testing::ValuesIn(expected::kOptimizerCases),
                         [](const auto& info) { return std::string(info.param.name); });

// With weight_decay 0 AdamW is Adam, bit for bit.
TEST(AdamW, WithoutDecayIsAdam) {
  OptimizerSpec spec{.kind = "adam", .lr = 0.02, .beta1 = 0.85, .beta2 = 0.99, .eps = 1e-6};
  auto adam = make_optimizer(spec);
  spec.kind = "adamw";
  auto adamw = make_optimizer(spec);
  std::vector<float> a(kW0.begin(), kW0.end()), b = a;
  for (int s = 0; s < kSteps; ++s) {
    adam->step(a, kGrads[s]);
    adamw->step(b, kGrads[s]);
  }
  EXPECT_EQ(a, b);
}

// The first Adam step moves every weight with a non-zero gradient by lr (m̂ / sqrt(v̂) = ±1),
// whatever the gradient's size: a check of the bias corrections that needs no reference.
TEST(Adam, FirstStepIsLrTimesSign) {
  auto opt = make_optimizer({.kind = "adam", .lr = 0.1, .eps = 0});
  std::vector<float> w = {1, 1, 1, 1};
  const std::vector<float> g = {1e-3f, -2.0f, 50.0f, -7e-5f};
  opt->step(w, g);
  const std::vector<float> want = {0.9f, 1.1f, 0.9f, 1.1f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(w[i], want[i], 1e-6) << i;
}

// f(w) = ½ Σ a_i (w_i - c_i)², g = a (w - c): every optimizer must approach the minimum c.
float quadratic_grad(const std::vector<float>& w, std::vector<float>& g) {
  static const float a[] = {1.0f, 0.5f, 2.0f, 0.25f, 1.5f};
  static const float c[] = {1.0f, -2.0f, 0.5f, 3.0f, -0.75f};
  float worst = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    g[i] = a[i] * (w[i] - c[i]);
    worst = std::max(worst, std::fabs(w[i] - c[i]));
  }
  return worst;  // largest distance to the minimum, before this step
}

TEST(Sgd, ConvergesOnQuadratic) {
  for (const OptimizerSpec& spec :
       {OptimizerSpec{.kind = "sgd", .lr = 0.3},
        OptimizerSpec{.kind = "sgd", .lr = 0.1, .momentum = 0.9},
        OptimizerSpec{.kind = "sgd", .lr = 0.1, .momentum = 0.9, .nesterov = true}}) {
    auto opt = make_optimizer(spec);
    std::vector<float> w(5, 0.0f), g(5);
    float dist = 0;
    for (int s = 0; s < 400; ++s) {
      dist = quadratic_grad(w, g);
      opt->step(w, g);
    }
    EXPECT_LT(dist, 1e-4) << "momentum " << spec.momentum << " nesterov " << spec.nesterov;
  }
}

TEST(Optimizers, ApproachQuadraticMinimum) {
  for (const char* kind : {"adam", "adamw", "rmsprop"}) {
    auto opt = make_optimizer({.kind = kind, .lr = 0.01});
    std::vector<float> w(5, 0.0f), g(5);
    const float start = quadratic_grad(w, g);
    float dist = start;
    for (int s = 0; s < 2000; ++s) {
      dist = quadratic_grad(w, g);
      opt->step(w, g);
    }
    EXPECT_LT(dist, 0.05f) << kind << " started at " << start;
  }
}

TEST(Optimizers, RejectMismatchedArenas) {
  for (const char* kind : {"sgd", "adam", "adamw", "rmsprop"}) {
    auto opt = make_optimizer({.kind = kind, .lr = 0.1, .momentum = 0.5});
    std::vector<float> w(4, 1.0f), g(3, 1.0f);
    EXPECT_THROW(opt->step(w, g), ShapeError) << kind;
    g.resize(4);
    opt->step(w, g);
    // The state was sized for 4 parameters on the first step.
    std::vector<float> w5(5, 1.0f), g5(5, 1.0f);
    EXPECT_THROW(opt->step(w5, g5), ShapeError) << kind;
  }
}

// An empty arena (a model without parameters) is a valid, empty step.
TEST(Optimizers, EmptyArena) {
  for (const char* kind : {"sgd", "adam", "adamw", "rmsprop"}) {
    auto opt = make_optimizer({.kind = kind, .lr = 0.1, .momentum = 0.5});
    std::vector<float> w, g;
    EXPECT_NO_THROW(opt->step(w, g)) << kind;
  }
}

}  // namespace
}  // namespace redes
