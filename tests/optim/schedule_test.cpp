// Learning-rate schedules against torch.optim.lr_scheduler; the expected rates come from
// tests/optim/make_expected.py (torch 1.13), see torch_expected.hpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "redes/error.hpp"
#include "redes/optim.hpp"
#include "torch_expected.hpp"

namespace redes {
namespace {

// torch steps StepLR and CosineAnnealingLR recursively (lr times a ratio each epoch); the closed
// form agrees up to double rounding.
void expect_rates(LrSchedule& schedule, const std::vector<double>& expected,
                  const std::vector<double>& metrics = {}) {
  for (std::size_t e = 0; e < expected.size(); ++e) {
    const double metric = metrics.empty() ? 0.0 : metrics[e];
    const double lr = schedule.step(metric);
    EXPECT_NEAR(lr, expected[e], 1e-12 * expected[e] + 1e-15) << "after epoch " << e + 1;
    EXPECT_EQ(schedule.lr(), lr);
  }
}

TEST(Schedule, NoneKeepsTheRate) {
  LrSchedule s({.kind = "none"}, 0.03, 5);
  EXPECT_EQ(s.lr(), 0.03);
  for (int e = 0; e < 5; ++e) EXPECT_EQ(s.step(1.0 / (e + 1)), 0.03);
}

TEST(Schedule, StepMatchesTorch) {
  LrSchedule s({.kind = "step", .step_size = 3, .gamma = 0.5}, 0.1, 12);
  EXPECT_EQ(s.lr(), 0.1);
  expect_rates(s, expected::kStepLr);
}

TEST(Schedule, CosineMatchesTorch) {
  LrSchedule s({.kind = "cosine", .t_max = 10, .eta_min = 0.01}, 0.1, 30);
  expect_rates(s, expected::kCosineLr);
}

// t_max = 0: the period is the number of epochs, ending at eta_min.
TEST(Schedule, CosinePeriodDefaultsToEpochs) {
  LrSchedule s({.kind = "cosine"}, 0.1, 8);
  expect_rates(s, expected::kCosineLrNoMin);
  EXPECT_NEAR(s.lr(), 0.0, 1e-15);
}

TEST(Schedule, PlateauMatchesTorch) {
  LrSchedule s({.kind = "plateau", .eta_min = 0.02, .factor = 0.5, .patience = 2}, 0.1, 18);
  expect_rates(s, expected::kPlateauLr, expected::kPlateauMetrics);
}

// patience 1: the second epoch in a row without improvement reduces; never below eta_min.
TEST(Schedule, PlateauReducesAfterPatienceAndStopsAtMin) {
  LrSchedule s({.kind = "plateau", .eta_min = 0.3, .factor = 0.5, .patience = 1}, 1.0, 0);
  EXPECT_EQ(s.step(1.0), 1.0);  // first metric is always an improvement over +inf
  EXPECT_EQ(s.step(1.0), 1.0);  // 1 bad epoch: not more than patience
  EXPECT_EQ(s.step(1.0), 0.5);  // 2 bad epochs: reduce, count restarts
  EXPECT_EQ(s.step(2.0), 0.5);
  EXPECT_EQ(s.step(2.0), 0.3);  // 0.25 is below eta_min
  EXPECT_EQ(s.step(0.5), 0.3);
  EXPECT_EQ(s.step(0.6), 0.3);
  EXPECT_EQ(s.step(0.6), 0.3);
}

// A NaN metric counts as no improvement.
TEST(Schedule, PlateauNanIsNotAnImprovement) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  LrSchedule s({.kind = "plateau", .factor = 0.1, .patience = 0}, 1.0, 0);
  EXPECT_EQ(s.step(nan), 0.1);
}

void expect_config_error(const ScheduleSpec& spec, double base_lr, int epochs,
                         const std::string& mentions) {
  try {
    LrSchedule s(spec, base_lr, epochs);
    ADD_FAILURE() << "no ConfigError; expected one mentioning '" << mentions << "'";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(Schedule, RejectsBadSpecs) {
  expect_config_error({.kind = "linear"}, 0.1, 10, "unknown kind 'linear'");
  expect_config_error({.kind = "linear"}, 0.1, 10, "none, step, cosine, plateau");
  expect_config_error({.kind = "step", .step_size = 0}, 0.1, 10, "step_size");
  expect_config_error({.kind = "step", .gamma = 0}, 0.1, 10, "gamma");
  expect_config_error({.kind = "step", .gamma = -0.5}, 0.1, 10, "gamma");
  expect_config_error({.kind = "cosine", .t_max = -1}, 0.1, 10, "t_max");
  expect_config_error({.kind = "cosine"}, 0.1, 0, "t_max");
  expect_config_error({.kind = "cosine", .eta_min = -1e-3}, 0.1, 10, "eta_min");
  expect_config_error({.kind = "plateau", .factor = 1.0}, 0.1, 10, "factor");
  expect_config_error({.kind = "plateau", .factor = -0.1}, 0.1, 10, "factor");
  expect_config_error({.kind = "plateau", .patience = -1}, 0.1, 10, "patience");
  expect_config_error({.kind = "plateau", .threshold = -1e-4}, 0.1, 10, "threshold");
  expect_config_error({.kind = "none"}, -0.1, 10, "learning rate");
  expect_config_error({.kind = "none"}, 0.1, -1, "epochs");
}

}  // namespace
}  // namespace redes
