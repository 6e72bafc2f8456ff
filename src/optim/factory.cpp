// make_optimizer: the optimizer named by spec.kind. Each optimizer checks its own
// hyper-parameters in its constructor, so a bad value fails here, before training starts.
#include <memory>

#include "optim/adam.hpp"
#include "optim/adamw.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
#include "redes/error.hpp"
#include "redes/optim.hpp"

namespace redes {

std::unique_ptr<Optimizer> make_optimizer(const OptimizerSpec& spec) {
  if (spec.kind == "sgd") return std::make_unique<Sgd>(spec);
  if (spec.kind == "adam") return std::make_unique<Adam>(spec);
  if (spec.kind == "adamw") return std::make_unique<AdamW>(spec);
  if (spec.kind == "rmsprop") return std::make_unique<RmsProp>(spec);
  throw ConfigError("optimizer: unknown kind '" + spec.kind +
                    "' (valid kinds: sgd, adam, adamw, rmsprop)");
}

}  // namespace redes
