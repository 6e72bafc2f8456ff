// torch.optim.RMSprop, for every parameter w with gradient g (lr = γ, smoothing = α,
// momentum = μ, weight decay = λ); all running averages start at zero:
//   g = g + λ w
//   s = α s + (1 - α) g²
//   centered:  a = α a + (1 - α) g,   r = sqrt(s - a²) + ε   (variance instead of raw moment)
//   otherwise:                         r = sqrt(s) + ε
//   μ > 0:     b = μ b + g / r,   w = w - γ b
//   otherwise: w = w - γ g / r
// No bias correction: the averages start at zero and the early steps are large, as in torch.
// The loop vectorises when the build passes -fno-math-errno; otherwise std::sqrt keeps a
// scalar path that sets errno for negative inputs.
#include "optim/rmsprop.hpp"

#include <cmath>

#include "optim/check.hpp"
#include "redes/error.hpp"

namespace redes {

RmsProp::RmsProp(const OptimizerSpec& spec)
    : alpha_(spec.alpha),
      eps_(spec.eps),
      weight_decay_(spec.weight_decay),
      momentum_(spec.momentum),
      centered_(spec.centered) {
  using optim_detail::require_at_least;
  const char* who = "optimizer rmsprop";
  require_at_least(who, "lr", spec.lr, 0);
  require_at_least(who, "eps", spec.eps, 0);
  require_at_least(who, "momentum", spec.momentum, 0);
  require_at_least(who, "weight_decay", spec.weight_decay, 0);
  // torch only asks alpha >= 0; alpha > 1 makes s grow without bound, so it is refused here.
  REDES_CHECK(
      std::isfinite(spec.alpha) && spec.alpha >= 0 && spec.alpha <= 1, ConfigError,
      "optimizer rmsprop: alpha must be in [0, 1] (got " + std::to_string(spec.alpha) + ")");
  lr_ = spec.lr;
}

namespace {

struct RmsPropScalars {
  float wd, alpha, one_minus_alpha, eps, mu, neg_lr;
};

// One flat loop per variant, so that the centered and momentum branches are decided at
// compile time. ga and b are unused (and may be null) when their variant is off.
template <bool kCentered, bool kMomentum>
void rmsprop_update(std::size_t n, float* __restrict w, const float* __restrict g,
                    float* __restrict s, float* __restrict ga, float* __restrict b,
                    const RmsPropScalars& c) {
#pragma omp parallel for simd schedule(static) if (n > optim_detail::kParallelMin)
  for (std::size_t i = 0; i < n; ++i) {
    const float gi = g[i] + c.wd * w[i];  // λ = 0 adds exactly 0 for finite w
    s[i] = s[i] * c.alpha + c.one_minus_alpha * gi * gi;
    float r;
    if constexpr (kCentered) {
      ga[i] = ga[i] * c.alpha + c.one_minus_alpha * gi;
      r = std::sqrt(s[i] - ga[i] * ga[i]) + c.eps;
    } else {
      r = std::sqrt(s[i]) + c.eps;
    }
    if constexpr (kMomentum) {
      b[i] = b[i] * c.mu + gi / r;
      w[i] += c.neg_lr * b[i];
    } else {
      w[i] += c.neg_lr * gi / r;
    }
  }
}

}  // namespace

void RmsProp::step(std::span<float> w, std::span<const float> g) {
  optim_detail::check_arena("optimizer rmsprop", w.size(), g.size(), square_avg_.size());
  const std::size_t n = w.size();
  const bool use_momentum = momentum_ > 0;
  if (square_avg_.empty()) {
    square_avg_.assign(n, 0.0f);
    if (centered_) grad_avg_.assign(n, 0.0f);
    if (use_momentum) velocity_.assign(n, 0.0f);
  }
  // The scalars are Python floats in torch, rounded to float when they meet a float tensor.
  const RmsPropScalars c{.wd = static_cast<float>(weight_decay_),
                         .alpha = static_cast<float>(alpha_),
                         .one_minus_alpha = static_cast<float>(1 - alpha_),
                         .eps = static_cast<float>(eps_),
                         .mu = static_cast<float>(momentum_),
                         .neg_lr = static_cast<float>(-lr_)};
  float* s = square_avg_.data();
  float* ga = grad_avg_.data();
  float* b = velocity_.data();
  if (centered_ && use_momentum)
    rmsprop_update<true, true>(n, w.data(), g.data(), s, ga, b, c);
  else if (centered_)
    rmsprop_update<true, false>(n, w.data(), g.data(), s, ga, b, c);
  else if (use_momentum)
    rmsprop_update<false, true>(n, w.data(), g.data(), s, ga, b, c);
  else
    rmsprop_update<false, false>(n, w.data(), g.data(), s, ga, b, c);
}

}  // namespace redes
