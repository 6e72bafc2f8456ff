// make_optimizer: the optimizer named by spec.kind, and the state every optimizer saves. Each
// optimizer checks its own hyper-parameters in its constructor, so a bad value fails here, before
// training starts.
#include <memory>
#include <string>

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

Optimizer::State Optimizer::state() {
  State s{lr_, steps_, {}};
  for (const auto* v : state_vectors()) s.vectors.push_back(*v);
  return s;
}

void Optimizer::set_state(State s) {
  const auto mine = state_vectors();
  REDES_CHECK(s.vectors.size() == mine.size(), Error,
              "optimizer " + std::string(kind()) + ": a saved state of " +
                  std::to_string(s.vectors.size()) + " vectors, not " +
                  std::to_string(mine.size()));
  // All empty (no step taken yet) or all of one size; the arena check of the next step then
  // catches a size that is not the model's.
  for (size_t i = 0; i < mine.size(); ++i)
    REDES_CHECK(s.vectors[i].size() == s.vectors[0].size() || s.vectors[i].empty(), Error,
                "optimizer " + std::string(kind()) + ": saved state vectors of different sizes");
  lr_ = s.lr;
  steps_ = s.steps;
  for (size_t i = 0; i < mine.size(); ++i) *mine[i] = std::move(s.vectors[i]);
}

}  // namespace redes
