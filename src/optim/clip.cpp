// Gradient-norm clipping, as torch.nn.utils.clip_grad_norm_ with norm_type 2:
//   n = sqrt(Σ g²)   (over the whole arena, accumulated in double)
//   c = max_norm / (n + 1e-6);   g = c g   when c < 1
// The 1e-6 keeps c finite for zero gradients and leaves the clipped norm just under max_norm.
// A NaN or infinite norm is returned as it is and leaves the gradients alone (torch would
// scale them by NaN or 0); the caller decides what to do with such a step.
//
// all_finite: x * 0 is 0 for a finite x and NaN for an infinite or NaN one, and 16 running sums
// of it vectorise (the element-wise isfinite with its early exit did not: 0.77 ms for the
// convnet's 3.3M gradients on one Zen 5 core, 0.25 ms so).
#include <atomic>
#include <cmath>

#include "redes/error.hpp"
#include "redes/optim.hpp"
#include "tensor/parallel_ranges.hpp"

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

bool all_finite(std::span<const float> values) {
  const float* x = values.data();
  std::atomic<bool> finite = true;
  for_each_range(static_cast<int64_t>(values.size()), int64_t(1) << 16,
                 [&](int64_t begin, int64_t end) {
                   float sum[16] = {};
                   int64_t i = begin;
                   for (; i + 16 <= end; i += 16)
                     for (int j = 0; j < 16; ++j) sum[j] += x[i + j] * 0.0f;
                   for (int j = 0; i < end; ++i, ++j) sum[j] += x[i] * 0.0f;
                   float total = 0.0f;
                   for (float v : sum) total += v;
                   if (total != 0.0f) finite = false;
                 });
  return finite;
}

}  // namespace redes
