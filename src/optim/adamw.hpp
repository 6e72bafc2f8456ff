// AdamW (Loshchilov & Hutter), as torch.optim.AdamW: Adam whose weight decay shrinks the
// weights, w = w (1 - lr λ), instead of adding λ w to the gradient. Unlike torch, whose
// default λ is 0.01, the default here is the spec's weight_decay = 0.
#pragma once
#include "optim/adam.hpp"

namespace redes {

class AdamW final : public Adam {
 public:
  explicit AdamW(const OptimizerSpec& spec);
  std::string_view kind() const override { return "adamw"; }
};

}  // namespace redes
