// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, as
// torch.optim.SGD.
#pragma once
#include <vector>

#include "redes/optim.hpp"

namespace redes {

class Sgd final : public Optimizer {
 public:
  // Uses spec.lr, weight_decay, momentum, dampening, nesterov; throws ConfigError on bad values.
  explicit Sgd(const OptimizerSpec& spec);
  std::string_view kind() const override { return "sgd"; }
  void step(std::span<float> w, std::span<const float> g) override;

 private:
  std::vector<std::vector<float>*> state_vectors() override { return {&velocity_}; }
  double weight_decay_, momentum_, dampening_;
  bool nesterov_;
  std::vector<float> velocity_;  // (P) momentum buffer b; empty until the first step
};

}  // namespace redes
