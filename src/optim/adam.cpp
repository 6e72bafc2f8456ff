// torch.optim.Adam / AdamW, for every parameter w with gradient g at step t = 1, 2, ...
// (lr = γ, betas = β1, β2, weight decay = λ):
//   Adam:   g = g + λ w                (L2 penalty through the gradient)
//   AdamW:  w = w (1 - γ λ)            (decoupled decay, before the moment update)
//   m = β1 m + (1 - β1) g
//   v = β2 v + (1 - β2) g²
//   w = w - γ / (1 - β1^t) · m / (sqrt(v) / sqrt(1 - β2^t) + ε)
// ε is added after the bias-corrected square root, as torch does; the bias corrections and the
// step size are computed in double (Python floats in torch), the rest in float.
// The loop (kernels/adam_body.hpp) is the tier's (kernels/kernel_table.hpp); it vectorises when
// the build passes -fno-math-errno (otherwise std::sqrt keeps a scalar path that sets errno for
// negative inputs). Large arenas are split over the OpenMP threads.
#include "optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/kernel_table.hpp"
#include "optim/check.hpp"
#include "tensor/parallel_ranges.hpp"

namespace redes {
namespace {
namespace baseline {
#define REDES_TIER
#include "kernels/adam_body.hpp"
#undef REDES_TIER
}  // namespace baseline
}  // namespace

Adam::Adam(const OptimizerSpec& spec, Decay decay, std::string_view who)
    : beta1_(spec.beta1),
      beta2_(spec.beta2),
      eps_(spec.eps),
      weight_decay_(spec.weight_decay),
      decay_(decay),
      who_(who) {
  using namespace optim_detail;
  require_at_least(who, "lr", spec.lr, 0);
  require_at_least(who, "eps", spec.eps, 0);
  require_unit_interval(who, "beta1", spec.beta1);
  require_unit_interval(who, "beta2", spec.beta2);
  require_at_least(who, "weight_decay", spec.weight_decay, 0);
  lr_ = spec.lr;
}

void Adam::step(std::span<float> w, std::span<const float> g) {
  optim_detail::check_arena(who_, w.size(), g.size(), m_.size());
  const std::size_t n = w.size();
  if (m_.empty()) {
    m_.assign(n, 0.0f);
    v_.assign(n, 0.0f);
  }
  ++steps_;
  const double t = static_cast<double>(steps_);
  const double bias_correction1 = 1 - std::pow(beta1_, t);
  const double bias_correction2 = 1 - std::pow(beta2_, t);
  const float neg_step_size = static_cast<float>(-(lr_ / bias_correction1));
  const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));

  // Both decays act on every step; the one not in use has a coefficient that changes nothing
  // (adds 0 λ w, or multiplies by 1), which keeps the loop free of branches.
  AdamStep c{};
  c.l2 = decay_ == Decay::l2 ? static_cast<float>(weight_decay_) : 0.0f;
  c.shrink = decay_ == Decay::decoupled ? static_cast<float>(1 - lr_ * weight_decay_) : 1.0f;
  c.b1 = static_cast<float>(beta1_);
  c.one_minus_b1 = static_cast<float>(1 - beta1_);
  c.b2 = static_cast<float>(beta2_);
  c.one_minus_b2 = static_cast<float>(1 - beta2_);
  c.eps = static_cast<float>(eps_);
  c.bias_correction2_sqrt = bias_correction2_sqrt;
  c.neg_step_size = neg_step_size;
  auto update = kernels().adam_update ? kernels().adam_update : &baseline::adam_update;
  float* wp = w.data();
  const float* gp = g.data();
  float* m = m_.data();
  float* v = v_.data();
  for_each_range(static_cast<int64_t>(n), optim_detail::kParallelMin,
                 [&](int64_t b, int64_t e) { update(e - b, wp + b, gp + b, m + b, v + b, c); });
}

}  // namespace redes
