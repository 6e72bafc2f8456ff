// RMSprop (Hinton's lecture 6e) with momentum, the centered variant and L2 weight decay, as
// torch.optim.RMSprop.
#pragma once
#include <vector>

#include "redes/optim.hpp"

namespace redes {

class RmsProp final : public Optimizer {
 public:
  // Uses spec.lr, alpha, eps, weight_decay, momentum, centered; throws ConfigError on bad values.
  explicit RmsProp(const OptimizerSpec& spec);
  std::string_view kind() const override { return "rmsprop"; }
  void step(std::span<float> w, std::span<const float> g) override;

 private:
  std::vector<std::vector<float>*> state_vectors() override {
    return {&square_avg_, &grad_avg_, &velocity_};
  }
  double alpha_, eps_, weight_decay_, momentum_;
  bool centered_;
  std::vector<float> square_avg_;  // (P) running mean of g²; empty until the first step
  std::vector<float> grad_avg_;    // (P) running mean of g; centered only
  std::vector<float> velocity_;    // (P) momentum buffer; momentum > 0 only
};

}  // namespace redes
