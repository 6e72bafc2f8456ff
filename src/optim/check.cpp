#include "optim/check.hpp"

#include <cmath>
#include <sstream>

#include "redes/error.hpp"

namespace redes::optim_detail {

namespace {
std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
}  // namespace

void require_at_least(std::string_view who, std::string_view name, double value, double lo) {
  if (std::isfinite(value) && value >= lo) return;
  throw ConfigError(std::string(who) + ": " + std::string(name) +
                    " must be a finite number >= " + number(lo) + " (got " + number(value) + ")");
}

void require_unit_interval(std::string_view who, std::string_view name, double value) {
  if (std::isfinite(value) && value >= 0 && value < 1) return;
  throw ConfigError(std::string(who) + ": " + std::string(name) + " must be in [0, 1) (got " +
                    number(value) + ")");
}

void check_arena(std::string_view who, std::size_t w_size, std::size_t g_size,
                 std::size_t state_size) {
  if (w_size != g_size)
    throw ShapeError(std::string(who) + " step: " + std::to_string(w_size) + " parameters but " +
                     std::to_string(g_size) + " gradients");
  if (state_size != 0 && state_size != w_size)
    throw ShapeError(std::string(who) + " step: the parameter arena has " + std::to_string(w_size) +
                     " values but the optimizer state was sized for " + std::to_string(state_size) +
                     " on the first step");
}

}  // namespace redes::optim_detail
