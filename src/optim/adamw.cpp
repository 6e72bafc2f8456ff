// AdamW's update is Adam's with decoupled decay; the loop lives in adam.cpp.
#include "optim/adamw.hpp"

namespace redes {

AdamW::AdamW(const OptimizerSpec& spec) : Adam(spec, Decay::decoupled, "optimizer adamw") {}

}  // namespace redes
