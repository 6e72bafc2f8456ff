// Gradient-norm clipping, as torch.nn.utils.clip_grad_norm_ with norm_type 2:
//   n = sqrt(Σ g²)   (over the whole arena, accumulated in double)
//   c = max_norm / (n + 1e-6);   g = c g   when c < 1
// The 1e-6 keeps c finite for zero gradients and leaves the clipped norm just under max_norm.
// A NaN or infinite norm is returned as it is and leaves the gradients alone (torch would
// scale them by NaN or 0); the caller decides what to do with such a step.
#include <cmath>

#include "redes/error.hpp"
#include "redes/optim.hpp"

namespace redes {

double clip_grad_norm(std::span<float> grads, double max_norm) {
  REDES_CHECK(max_norm > 0, ConfigError,
              "clip_grad_norm: max_norm must be > 0 (got " + std::to_string(max_norm) + ")");
  const std::size_t n = grads.size();
  float* __restrict g = grads.data();
  double sum_sq = 0;
#pragma omp simd reduction(+ : sum_sq)
  for (std::size_t i = 0; i < n; ++i) sum_sq += static_cast<double>(g[i]) * g[i];
  const double norm = std::sqrt(sum_sq);
  const double clip_coef = max_norm / (norm + 1e-6);
  if (std::isfinite(norm) && clip_coef < 1) {
    const float c = static_cast<float>(clip_coef);
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i) g[i] *= c;
  }
  return norm;
}

}  // namespace redes
