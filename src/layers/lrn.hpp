// Local response normalisation across channels (Krizhevsky et al. 2012), exactly as PyTorch's
// nn.LocalResponseNorm: for x (N, C, ...),
//   s[c] = k + (alpha / size) * sum_{c' = c - size/2}^{c + (size-1)/2} x[c']^2   (x = 0 beyond
//          the channel ends; / is integer division),
//   y[c] = x[c] * s[c]^(-beta).
// Backward: channel j appears in s[c] for c in [j - (size-1)/2, j + size/2], so
//   dx[j] = dy[j] s[j]^(-beta) - (2 alpha beta / size) x[j] sum_c dy[c] x[c] s[c]^(-beta-1).
#pragma once
#include <vector>

#include "redes/layer.hpp"

namespace redes {

template <class T>
class LocalResponseNorm : public Layer<T> {
 public:
  // size >= 1, k > 0 (or alpha = 0). Throws ConfigError otherwise.
  explicit LocalResponseNorm(int64_t size, double alpha = 1e-4, double beta = 0.75, double k = 1.0);
  std::string_view kind() const override { return "local_response_norm"; }
  // One input (C, ...) of rank >= 2 (PyTorch needs (N, C, L) or more); same shape out.
  Shape setup(std::span<const Shape> inputs) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;

  int64_t size() const { return size_; }
  double alpha() const { return alpha_; }
  double beta() const { return beta_; }
  double k() const { return k_; }

 private:
  int64_t size_;
  double alpha_, beta_, k_;
  int64_t channels_ = 0, inner_ = 0;  // C, and the positions of one channel
  std::vector<T> scale_;              // s of the last forward, (N, C, ...)
};

}  // namespace redes
