// Adam (Kingma & Ba) with L2 weight decay added to the gradient, as torch.optim.Adam; AdamW
// (adamw.hpp) shares the moment update and decays the weights directly instead.
#pragma once
#include <cstdint>
#include <vector>

#include "redes/optim.hpp"

namespace redes {

class Adam : public Optimizer {
 public:
  // Uses spec.lr, beta1, beta2, eps, weight_decay; throws ConfigError on bad values.
  explicit Adam(const OptimizerSpec& spec) : Adam(spec, Decay::l2, "optimizer adam") {}
  std::string_view kind() const override { return "adam"; }
  void step(std::span<float> w, std::span<const float> g) final;

 protected:
  std::vector<std::vector<float>*> state_vectors() final { return {&m_, &v_}; }

  // How weight_decay acts: added to the gradient (Adam) or shrinking the weights (AdamW).
  enum class Decay { l2, decoupled };
  Adam(const OptimizerSpec& spec, Decay decay, std::string_view who);

 private:
  double beta1_, beta2_, eps_, weight_decay_;
  Decay decay_;
  std::string_view who_;
  std::vector<float> m_, v_;  // (P) first and second moment estimates; empty until the first step
};

}  // namespace redes
