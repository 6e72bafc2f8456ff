// clip_grad_norm against torch.nn.utils.clip_grad_norm_; the expected values come from
// tests/optim/make_expected.py (torch 1.13), see torch_expected.hpp.
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <vector>

#include "redes/error.hpp"
#include "redes/optim.hpp"
#include "redes/threads.hpp"
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

// all_finite finds one NaN, infinity or minus infinity wherever it is: in the vector body of a
// range or its tail, in the first or the last of the threads' ranges, serial or split (1 or 3
// threads, 100 values or 200K), and says yes to large, tiny, negative and zero values.
TEST(AllFinite, FindsEveryNonFiniteValueWhereverItIs) {
  const int saved = num_threads();
  for (int threads : {1, 3})
    for (int64_t n : {int64_t(100), int64_t(200003)}) {
      set_num_threads(threads);
      std::vector<float> v(n);
      for (int64_t i = 0; i < n; ++i)
        v[i] = (i % 3 == 0 ? -1.0f : 1.0f) * (i % 7 == 0 ? 3e38f : i % 5 == 0 ? 1e-45f : i * 0.5f);
      EXPECT_TRUE(all_finite(v)) << threads << " threads, " << n;
      for (float bad :
           {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
            -std::numeric_limits<float>::infinity()})
        for (int64_t at : {int64_t(0), int64_t(17), n / 2 + 1, n - 2, n - 1}) {
          const float kept = v[at];
          v[at] = bad;
          EXPECT_FALSE(all_finite(v))
              << threads << " threads, " << n << " values, " << bad << " at " << at;
          v[at] = kept;
        }
    }
  set_num_threads(saved);
  EXPECT_TRUE(all_finite(std::vector<float>{}));
}

}  // namespace
}  // namespace redes
