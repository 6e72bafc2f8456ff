// Checks shared by the optimizers and schedules: hyper-parameters are checked once, at
// construction, with messages that name the parameter; the arena is checked once per step.
#pragma once
#include <cstddef>
#include <span>
#include <string_view>

namespace redes::optim_detail {

// Updates of more than this many parameters are split over the OpenMP threads (each parameter's
// update is independent of the others: the same bits for any thread count). The convnet's
// 3.3M parameters took 7 % of an epoch in a one-thread Adam, bound by memory traffic; LeNet-5's
// 61.7K took 6 % of its epoch serially with 2 threads.
constexpr std::size_t kParallelMin = std::size_t(1) << 14;

// Throws ConfigError "<who>: <name> must be >= <lo> (got <value>)" unless value is finite
// and >= lo.
void require_at_least(std::string_view who, std::string_view name, double value, double lo);

// Throws ConfigError unless value is finite and in [0, 1): a smoothing coefficient such as
// Adam's betas, where 1 would freeze the running average.
void require_unit_interval(std::string_view who, std::string_view name, double value);

// Checks that w and g are the same arena and, after the first step, the arena the state was
// sized for (state_size 0 means no state yet). Throws ShapeError.
void check_arena(std::string_view who, std::size_t w_size, std::size_t g_size,
                 std::size_t state_size);

}  // namespace redes::optim_detail
