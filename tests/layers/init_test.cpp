#include "redes/init.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace redes {
namespace {

struct Moments {
  double mean = 0, var = 0, lo = 1e300, hi = -1e300;
};

template <class T>
Moments moments(const std::vector<T>& v) {
  Moments m;
  for (T x : v) {
    m.mean += x;
    m.lo = std::min(m.lo, double(x));
    m.hi = std::max(m.hi, double(x));
  }
  m.mean /= double(v.size());
  for (T x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= double(v.size());
  return m;
}

// 40000 draws: the sample variance is within ~1% of the true one (relative sd ~ 0.7%).
constexpr int64_t kDraws = 40000;

TEST(Init, UniformAndNormalMoments) {
  Tensor t(Shape{kDraws});
  Rng rng(1);
  uniform<float>(t, -3, 5, rng);
  auto m = moments(t.values());
  EXPECT_GE(m.lo, -3);
  EXPECT_LT(m.hi, 5);
  EXPECT_NEAR(m.mean, 1, 0.05);
  EXPECT_NEAR(m.var, 64.0 / 12, 0.1);
  TensorD d(Shape{kDraws});
  normal<double>(d, 2, 0.5, rng);
  m = moments(d.values());
  EXPECT_NEAR(m.mean, 2, 0.01);
  EXPECT_NEAR(m.var, 0.25, 0.01);
}

TEST(Init, GlorotAndHeVariances) {
  const int64_t fan_in = 30, fan_out = 70;
  const double glorot_var = 2.0 / (fan_in + fan_out), he_var = 2.0 / fan_in;
  Rng rng(2);
  TensorD t(Shape{kDraws});
  glorot_uniform<double>(t, fan_in, fan_out, rng);
  auto m = moments(t.values());
  EXPECT_NEAR(m.var, glorot_var, 0.03 * glorot_var);
  EXPECT_LE(m.hi, std::sqrt(6.0 / (fan_in + fan_out)));
  glorot_normal<double>(t, fan_in, fan_out, rng);
  EXPECT_NEAR(moments(t.values()).var, glorot_var, 0.03 * glorot_var);
  he_uniform<double>(t, fan_in, rng);
  m = moments(t.values());
  EXPECT_NEAR(m.var, he_var, 0.03 * he_var);
  EXPECT_LE(m.hi, std::sqrt(6.0 / fan_in));
  he_normal<double>(t, fan_in, rng);
  m = moments(t.values());
  EXPECT_NEAR(m.var, he_var, 0.03 * he_var);
  EXPECT_NEAR(m.mean, 0, 0.01);
}

TEST(Init, ByNameAndSeeded) {
  auto draw = [](const std::string& scheme, uint64_t seed) {
    Tensor w(Shape{20, 10}), b(Shape{20}, 7.f);
    Rng rng(seed);
    init_weight<float>(scheme, w, 10, 20, rng);
    init_bias<float>(scheme, b, 10, rng);
    auto v = w.values();
    v.insert(v.end(), b.values().begin(), b.values().end());
    return v;
  };
  for (const auto& s : init_schemes()) {
    EXPECT_EQ(draw(s, 5), draw(s, 5)) << s;
    EXPECT_NE(draw(s, 5), draw(s, 6)) << s;
  }
  // "torch" draws the bias too; the others zero it.
  const auto torch = draw("torch", 1);
  EXPECT_NE(torch.back(), 0.f);
  for (float x : torch) EXPECT_LE(std::abs(x), 1 / std::sqrt(10.f));
  EXPECT_EQ(draw("he_uniform", 1).back(), 0.f);
  // "torch" and "he_uniform" on the same seed differ only by scale: bounds 1/sqrt(10) vs
  // sqrt(6/10), so the first weight differs by the factor sqrt(6).
  EXPECT_NEAR(draw("he_uniform", 1)[0], torch[0] * std::sqrt(6.f), 1e-5);
}

TEST(Init, RejectsUnknownSchemeAndBadFans) {
  Tensor w(Shape{2, 2});
  Rng rng(0);
  try {
    init_weight<float>("kaiming", w, 2, 2, rng);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'kaiming'"), std::string::npos) << m;
    EXPECT_NE(m.find("he_normal"), std::string::npos) << m;
  }
  EXPECT_THROW(init_bias<float>("lecun", w, 2, rng), ConfigError);
  EXPECT_THROW(he_normal<float>(w, 0, rng), ShapeError);
  EXPECT_THROW(glorot_uniform<float>(w, 2, 0, rng), ShapeError);
}

}  // namespace
}  // namespace redes
