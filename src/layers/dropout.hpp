// Inverted dropout (Srivastava et al. 2014, scaled at training time as PyTorch does):
//   training: y = x * m, m_i = 1 / (1 - p) with probability 1 - p, else 0;
//   eval:     y = x.
// Scaling the kept entries by 1 / (1 - p) keeps E[y] = x, so evaluation needs no rescaling.
#pragma once
#include <vector>

#include "redes/layer.hpp"

namespace redes {

template <class T>
class Dropout : public Layer<T> {
 public:
  // rate p in [0, 1); throws ConfigError otherwise.
  explicit Dropout(double rate = 0.5);

  std::string_view kind() const override { return "dropout"; }
  // One input of any shape; output of the same shape.
  Shape setup(std::span<const Shape> inputs) override;
  // In training, draws the mask from *ctx.rng, one uniform per element in order, so the same
  // seed gives the same mask with any number of threads.
  void forward(const ForwardCtx<T>& ctx) override;
  // dx += dy * m with the mask of the last forward (dx += dy after an eval forward).
  void backward(const BackwardCtx<T>& ctx) override;

  double rate() const { return rate_; }
  // The mask of the last training forward: its first N * ... entries, each 0 or 1 / (1 - p).
  const std::vector<T>& mask() const { return mask_; }

 private:
  double rate_;
  bool masked_ = false;  // whether the last forward applied mask_
  std::vector<T> mask_;  // grows to the largest batch seen, never shrinks
};

}  // namespace redes
