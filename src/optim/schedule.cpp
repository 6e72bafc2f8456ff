// Learning-rate schedules, as torch.optim.lr_scheduler, stepped once after each epoch e = 1, 2, ...
// (base learning rate η0):
//   none:     η = η0
//   step:     η = η0 γ^floor(e / step_size)                                   (StepLR)
//   cosine:   η = η_min + (η0 - η_min) (1 + cos(π e / T_max)) / 2            (CosineAnnealingLR,
//             closed form; T_max = t_max, or the number of epochs when t_max is 0)
//   plateau:  ReduceLROnPlateau with mode "min", threshold_mode "rel", cooldown 0: a metric m
//             improves when m < best (1 - threshold); after more than `patience` epochs in a
//             row without improvement, η = max(η factor, η_min), and the count starts again.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "optim/check.hpp"
#include "redes/error.hpp"
#include "redes/optim.hpp"

namespace redes {

LrSchedule::LrSchedule(const ScheduleSpec& spec, double base_lr, int epochs)
    : spec_(spec),
      base_lr_(base_lr),
      lr_(base_lr),
      epochs_(epochs),
      best_(std::numeric_limits<double>::infinity()) {
  using optim_detail::require_at_least;
  const std::string who = "schedule " + spec.kind;
  require_at_least(who, "base learning rate", base_lr, 0);
  REDES_CHECK(epochs >= 0, ConfigError,
              who + ": the number of epochs must be >= 0 (got " + std::to_string(epochs) + ")");
  if (spec.kind == "none") {
  } else if (spec.kind == "step") {
    REDES_CHECK(spec.step_size >= 1, ConfigError,
                who + ": step_size must be >= 1 (got " + std::to_string(spec.step_size) + ")");
    REDES_CHECK(
        std::isfinite(spec.gamma) && spec.gamma > 0, ConfigError,
        who + ": gamma must be a finite number > 0 (got " + std::to_string(spec.gamma) + ")");
  } else if (spec.kind == "cosine") {
    REDES_CHECK(spec.t_max >= 0, ConfigError,
                who + ": t_max must be >= 0 (got " + std::to_string(spec.t_max) + ")");
    REDES_CHECK(spec.t_max > 0 || epochs > 0, ConfigError,
                who + ": t_max is 0 and the number of epochs is 0, so the period is unknown");
    require_at_least(who, "eta_min", spec.eta_min, 0);
  } else if (spec.kind == "plateau") {
    REDES_CHECK(std::isfinite(spec.factor) && spec.factor >= 0 && spec.factor < 1, ConfigError,
                who + ": factor must be in [0, 1) (got " + std::to_string(spec.factor) + ")");
    REDES_CHECK(spec.patience >= 0, ConfigError,
                who + ": patience must be >= 0 (got " + std::to_string(spec.patience) + ")");
    require_at_least(who, "threshold", spec.threshold, 0);
    require_at_least(who, "eta_min", spec.eta_min, 0);
  } else {
    throw ConfigError("schedule: unknown kind '" + spec.kind +
                      "' (valid kinds: none, step, cosine, plateau)");
  }
}

double LrSchedule::step(double metric) {
  ++epoch_;
  if (spec_.kind == "step") {
    lr_ = base_lr_ * std::pow(spec_.gamma, epoch_ / spec_.step_size);
  } else if (spec_.kind == "cosine") {
    const double t_max = spec_.t_max > 0 ? spec_.t_max : epochs_;
    lr_ = spec_.eta_min +
          (base_lr_ - spec_.eta_min) * (1 + std::cos(std::numbers::pi * epoch_ / t_max)) / 2;
  } else if (spec_.kind == "plateau") {
    // A NaN metric is never an improvement, as in torch.
    if (metric < best_ * (1 - spec_.threshold)) {
      best_ = metric;
      bad_epochs_ = 0;
    } else {
      ++bad_epochs_;
    }
    if (bad_epochs_ > spec_.patience) {
      const double reduced = std::max(lr_ * spec_.factor, spec_.eta_min);
      // torch ignores reductions smaller than its eps = 1e-8 (e.g. once at the floor).
      if (lr_ - reduced > 1e-8) lr_ = reduced;
      bad_epochs_ = 0;
    }
  }
  return lr_;
}

}  // namespace redes
