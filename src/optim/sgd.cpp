// torch.optim.SGD, for every parameter w with gradient g (lr = γ, momentum = μ, dampening = τ,
// weight decay = λ):
//   d = g + λ w
//   if μ != 0:  b = d                  on the first step
//               b = μ b + (1 - τ) d    afterwards
//               d = d + μ b  (Nesterov)   or   d = b
//   w = w - γ d
// The momentum buffer is not dampened on the first step, as in torch.
#include "optim/sgd.hpp"

#include <cmath>

#include "optim/check.hpp"
#include "redes/error.hpp"

namespace redes {

Sgd::Sgd(const OptimizerSpec& spec)
    : weight_decay_(spec.weight_decay),
      momentum_(spec.momentum),
      dampening_(spec.dampening),
      nesterov_(spec.nesterov) {
  using optim_detail::require_at_least;
  require_at_least("optimizer sgd", "lr", spec.lr, 0);
  require_at_least("optimizer sgd", "momentum", spec.momentum, 0);
  require_at_least("optimizer sgd", "weight_decay", spec.weight_decay, 0);
  REDES_CHECK(std::isfinite(spec.dampening), ConfigError,
              "optimizer sgd: dampening must be a finite number");
  REDES_CHECK(!spec.nesterov || (spec.momentum > 0 && spec.dampening == 0), ConfigError,
              "optimizer sgd: nesterov requires momentum > 0 and dampening = 0 (got momentum " +
                  std::to_string(spec.momentum) + ", dampening " + std::to_string(spec.dampening) +
                  ")");
  lr_ = spec.lr;
}

namespace {

// d = g + λ w; b = μ b + c d; w = w - γ (d + μ b) (Nesterov) or w - γ b.
// Weight decay is applied unconditionally: with λ = 0 it adds exactly 0 for finite weights.
template <bool kNesterov>
void sgd_momentum_update(std::size_t n, float* __restrict w, const float* __restrict g,
                         float* __restrict b, float wd, float mu, float c, float neg_lr) {
#pragma omp parallel for simd schedule(static) if (n > optim_detail::kParallelMin)
  for (std::size_t i = 0; i < n; ++i) {
    const float d = g[i] + wd * w[i];
    b[i] = b[i] * mu + c * d;
    if constexpr (kNesterov)
      w[i] += neg_lr * (d + mu * b[i]);
    else
      w[i] += neg_lr * b[i];
  }
}

}  // namespace

void Sgd::step(std::span<float> w, std::span<const float> g) {
  optim_detail::check_arena("optimizer sgd", w.size(), g.size(), velocity_.size());
  const std::size_t n = w.size();
  // The scalars are Python floats in torch, rounded to float when they meet a float tensor.
  const float wd = static_cast<float>(weight_decay_);
  const float neg_lr = static_cast<float>(-lr_);

  if (momentum_ == 0) {
    float* __restrict wp = w.data();
    const float* __restrict gp = g.data();
#pragma omp parallel for simd schedule(static) if (n > optim_detail::kParallelMin)
    for (std::size_t i = 0; i < n; ++i) wp[i] += neg_lr * (gp[i] + wd * wp[i]);
    return;
  }

  // On the first step the buffer is zero and c = 1, so b = 0 μ + 1 d = d exactly: torch's
  // undampened initialisation without a separate loop.
  const bool first = velocity_.empty();
  if (first) velocity_.assign(n, 0.0f);
  const float mu = static_cast<float>(momentum_);
  const float c = first ? 1.0f : static_cast<float>(1 - dampening_);
  if (nesterov_)
    sgd_momentum_update<true>(n, w.data(), g.data(), velocity_.data(), wd, mu, c, neg_lr);
  else
    sgd_momentum_update<false>(n, w.data(), g.data(), velocity_.data(), wd, mu, c, neg_lr);
}

}  // namespace redes
