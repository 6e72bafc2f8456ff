// clip_grad_norm against torch.nn.utils.clip_grad_norm_; the expected values come from
// tests/optim/make_expected.py (torch 1.13), see torch_expected.hpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "redes/error.hpp"
#include "redes/optim.hpp"
#include "torch_expected.hpp"

namespace redes {
namespace {

double l2(const std::vector<float>& g) {
  double s = 0;
  for (float x : g) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

TEST(ClipGradNorm, ScalesToMaxNormAboveIt) {
  const auto& c = expected::kClipAbove;
  std::vector<float> g = c.before;
  const double norm = clip_grad_norm(g, c.max_norm);
  EXPECT_NEAR(norm, c.norm, 1e-6 * c.norm);  // torch returns the norm as float32
  for (std::size_t i = 0; i < g.size(); ++i)
    EXPECT_NEAR(g[i], c.after[i], 1e-6 * std::max(1.0f, std::fabs(c.after[i]))) << i;
  EXPECT_NEAR(l2(g), c.max_norm, 1e-5);
  EXPECT_LE(l2(g), c.max_norm + 1e-7);
}

TEST(ClipGradNorm, LeavesSmallGradientsAlone) {
  const auto& c = expected::kClipBelow;
  std::vector<float> g = c.before;
  const double norm = clip_grad_norm(g, c.max_norm);
  EXPECT_NEAR(norm, c.norm, 1e-6 * c.norm);
  EXPECT_EQ(g, c.before);  // bit for bit: no multiplication by 1
}

// The norm is accumulated in double: 10^6 values of 1e-3 have norm exactly 1, which float
// accumulation would miss by far more than 1e-9.
TEST(ClipGradNorm, AccumulatesInDouble) {
  std::vector<float> g(1'000'000, 1e-3f);
  const double norm = clip_grad_norm(g, 10.0);
  EXPECT_NEAR(norm, 1000.0 * static_cast<double>(1e-3f), 1e-9);
}

TEST(ClipGradNorm, ZeroAndEmptyGradients) {
  std::vector<float> zeros(7, 0.0f), empty;
  EXPECT_EQ(clip_grad_norm(zeros, 1.0), 0.0);
  EXPECT_EQ(zeros, std::vector<float>(7, 0.0f));
  EXPECT_EQ(clip_grad_norm(empty, 1.0), 0.0);
}

// A non-finite norm is reported, and the gradients are left for the caller to judge.
TEST(ClipGradNorm, NonFiniteNormIsReturned) {
  std::vector<float> g = {1.0f, std::numeric_limits<float>::infinity(), 2.0f};
  const std::vector<float> before = g;
  EXPECT_TRUE(std::isinf(clip_grad_norm(g, 1.0)));
  EXPECT_EQ(g, before);
}

TEST(ClipGradNorm, RejectsNonPositiveMaxNorm) {
  std::vector<float> g = {1.0f};
  EXPECT_THROW(clip_grad_norm(g, 0.0), ConfigError);
  EXPECT_THROW(clip_grad_norm(g, -1.0), ConfigError);
  EXPECT_THROW(clip_grad_norm(g, std::numeric_limits<double>::quiet_NaN()), ConfigError);
}

}  // namespace
}  // namespace redes
