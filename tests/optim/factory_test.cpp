// make_optimizer picks the optimizer by kind and refuses bad hyper-parameters with a message
// that names the parameter, as torch.optim's constructors do.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "redes/error.hpp"
#include "redes/optim.hpp"

namespace redes {
namespace {

TEST(MakeOptimizer, KnowsEveryKind) {
  for (const char* kind : {"sgd", "adam", "adamw", "rmsprop"}) {
    auto opt = make_optimizer({.kind = kind, .lr = 0.25});
    ASSERT_NE(opt, nullptr);
    EXPECT_EQ(opt->kind(), kind);
    EXPECT_EQ(opt->lr(), 0.25);
    opt->set_lr(0.5);
    EXPECT_EQ(opt->lr(), 0.5);
  }
}

// Checks that make_optimizer(spec) throws a ConfigError whose message contains each of `words`.
void expect_config_error(const OptimizerSpec& spec, std::initializer_list<std::string> words) {
  try {
    make_optimizer(spec);
    ADD_FAILURE() << "optimizer " << spec.kind << ": no ConfigError";
  } catch (const ConfigError& e) {
    for (const std::string& w : words)
      EXPECT_NE(std::string(e.what()).find(w), std::string::npos)
          << "'" << e.what() << "' does not mention '" << w << "'";
  }
}

TEST(MakeOptimizer, UnknownKindListsTheValidOnes) {
  expect_config_error({.kind = "adagrad"}, {"adagrad", "sgd, adam, adamw, rmsprop"});
  expect_config_error({.kind = "SGD"}, {"SGD", "valid kinds"});
  expect_config_error({.kind = ""}, {"unknown kind"});
}

TEST(MakeOptimizer, RejectsBadLearningRate) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const char* kind : {"sgd", "adam", "adamw", "rmsprop"}) {
    expect_config_error({.kind = kind, .lr = -1e-3}, {kind, "lr", "-0.001"});
    expect_config_error({.kind = kind, .lr = nan}, {kind, "lr"});
    expect_config_error({.kind = kind, .lr = inf}, {kind, "lr"});
    expect_config_error({.kind = kind, .weight_decay = -0.1}, {kind, "weight_decay"});
  }
  EXPECT_NO_THROW(make_optimizer({.kind = "sgd", .lr = 0}));  // torch allows lr = 0
}

TEST(MakeOptimizer, RejectsBadSgdValues) {
  expect_config_error({.kind = "sgd", .momentum = -0.9}, {"momentum"});
  expect_config_error({.kind = "sgd", .nesterov = true}, {"nesterov", "momentum"});
  expect_config_error({.kind = "sgd", .momentum = 0.9, .dampening = 0.1, .nesterov = true},
                      {"nesterov", "dampening"});
  EXPECT_NO_THROW(make_optimizer({.kind = "sgd", .momentum = 0.9, .nesterov = true}));
  EXPECT_NO_THROW(make_optimizer({.kind = "sgd", .momentum = 0.9, .dampening = 0.5}));
}

TEST(MakeOptimizer, RejectsBadAdamValues) {
  for (const char* kind : {"adam", "adamw"}) {
    expect_config_error({.kind = kind, .beta1 = 1.0}, {kind, "beta1", "[0, 1)"});
    expect_config_error({.kind = kind, .beta1 = -0.1}, {kind, "beta1"});
    expect_config_error({.kind = kind, .beta2 = 1.5}, {kind, "beta2"});
    expect_config_error({.kind = kind, .eps = -1e-8}, {kind, "eps"});
    EXPECT_NO_THROW(make_optimizer({.kind = kind, .beta1 = 0, .beta2 = 0, .eps = 0}));
  }
}

TEST(MakeOptimizer, RejectsBadRmsPropValues) {
  expect_config_error({.kind = "rmsprop", .momentum = -0.5}, {"rmsprop", "momentum"});
  expect_config_error({.kind = "rmsprop", .eps = -1.0}, {"rmsprop", "eps"});
  expect_config_error({.kind = "rmsprop", .alpha = -0.1}, {"rmsprop", "alpha"});
  expect_config_error({.kind = "rmsprop", .alpha = 1.5}, {"rmsprop", "alpha"});
}

}  // namespace
}  // namespace redes
