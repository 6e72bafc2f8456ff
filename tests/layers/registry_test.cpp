#include "support/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "layers/activations.hpp"
#include "layers/dropout.hpp"
#include "layers/linear.hpp"
#include "redes/layer.hpp"

namespace redes {
namespace {

using test::config_error;
using test::layer_spec;

TEST(Registry, BuildsEveryKind) {
  // The smallest attributes each kind needs; a kind added to the registry without a line
  // here fails the test, so that every kind is built at least once.
  const std::map<std::string, nlohmann::json> required = {
      {"linear", {{"units", 3}}},
      {"conv2d", {{"filters", 2}, {"kernel", 3}}},
      {"max_pool2d", {{"kernel", 2}}},
      {"avg_pool2d", {{"kernel", 2}}},
      {"reshape", {{"shape", {-1}}}},
      {"permute", {{"dims", {0}}}},
      {"local_response_norm", {{"size", 3}}},
      {"lstm", {{"units", 4}}},
      {"gru", {{"units", 4}}},
      {"embedding", {{"vocab", 5}, {"dim", 3}}},
  };
  const auto kinds = layer_kinds();
  for (const char* k :
       {"linear", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "elu", "selu", "softplus",
        "softsign", "hard_sigmoid", "hardtanh", "softmax", "log_softmax", "dropout"})
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), k), kinds.end()) << k;
  for (const auto& k : kinds) {
    auto it = required.find(k);
    const auto s = it == required.end() ? layer_spec(k) : layer_spec(k, it->second);
    try {
      EXPECT_EQ(make_layer<float>(s)->kind(), k);
      EXPECT_EQ(make_layer<double>(s)->kind(), k);
    } catch (const std::exception& e) {
      ADD_FAILURE() << k << ": " << e.what() << " (add its required attributes to this test)";
    }
  }
}

TEST(Registry, PassesAttributesToTheLayer) {
  auto lin = make_layer<float>(
      layer_spec("linear", {{"units", 5}, {"bias", false}, {"init", "he_normal"}}));
  auto* linear = dynamic_cast<Linear<float>*>(lin.get());
  ASSERT_NE(linear, nullptr);
  EXPECT_EQ(linear->units(), 5);
  EXPECT_FALSE(linear->has_bias());
  auto drop = make_layer<float>(layer_spec("dropout", {{"rate", 0.25}}));
  EXPECT_EQ(dynamic_cast<Dropout<float>&>(*drop).rate(), 0.25);
  EXPECT_EQ(dynamic_cast<Dropout<float>&>(*make_layer<float>(layer_spec("dropout"))).rate(), 0.5);
  auto leaky = make_layer<float>(layer_spec("leaky_relu", {{"negative_slope", 0.2}}));
  EXPECT_EQ(dynamic_cast<LeakyReLU<float>&>(*leaky).negative_slope(), 0.2);
  EXPECT_EQ(dynamic_cast<LeakyReLU<float>&>(*make_layer<float>(layer_spec("leaky_relu")))
                .negative_slope(),
            0.01);
  auto gelu = make_layer<float>(layer_spec("gelu", {{"approximate", "tanh"}}));
  EXPECT_TRUE(dynamic_cast<GELU<float>&>(*gelu).tanh_approximation());
  EXPECT_FALSE(
      dynamic_cast<GELU<float>&>(*make_layer<float>(layer_spec("gelu"))).tanh_approximation());
  EXPECT_EQ(dynamic_cast<ELU<float>&>(*make_layer<float>(layer_spec("elu"))).alpha(), 1.0);
  EXPECT_EQ(
      dynamic_cast<ELU<float>&>(*make_layer<float>(layer_spec("elu", {{"alpha", 0.7}}))).alpha(),
      0.7);
  auto sp = make_layer<float>(layer_spec("softplus"));
  EXPECT_EQ(dynamic_cast<Softplus<float>&>(*sp).beta(), 1.0);
  EXPECT_EQ(dynamic_cast<Softplus<float>&>(*sp).threshold(), 20.0);
  auto sp2 = make_layer<double>(layer_spec("softplus", {{"beta", 2}, {"threshold", 10}}));
  EXPECT_EQ(dynamic_cast<Softplus<double>&>(*sp2).beta(), 2.0);
  EXPECT_EQ(dynamic_cast<Softplus<double>&>(*sp2).threshold(), 10.0);
  auto hs = make_layer<float>(layer_spec("hard_sigmoid"));
  EXPECT_EQ(dynamic_cast<HardSigmoid<float>&>(*hs).alpha(), 1.0 / 6);
  EXPECT_EQ(dynamic_cast<HardSigmoid<float>&>(*hs).beta(), 0.5);
  auto hs2 = make_layer<float>(layer_spec("hard_sigmoid", {{"alpha", 0.2}, {"beta", 0.4}}));
  EXPECT_EQ(dynamic_cast<HardSigmoid<float>&>(*hs2).alpha(), 0.2);
  EXPECT_EQ(dynamic_cast<HardSigmoid<float>&>(*hs2).beta(), 0.4);
  auto ht = make_layer<float>(layer_spec("hardtanh"));
  EXPECT_EQ(dynamic_cast<Hardtanh<float>&>(*ht).min(), -1.0);
  EXPECT_EQ(dynamic_cast<Hardtanh<float>&>(*ht).max(), 1.0);
  auto relu6 = make_layer<float>(layer_spec("hardtanh", {{"min", 0}, {"max", 6}}));
  EXPECT_EQ(dynamic_cast<Hardtanh<float>&>(*relu6).min(), 0.0);
  EXPECT_EQ(dynamic_cast<Hardtanh<float>&>(*relu6).max(), 6.0);
  EXPECT_NO_THROW(make_layer<float>(layer_spec("hardtanh", {{"min", 2}, {"max", 2}})));
}

TEST(Registry, RejectsAnUnknownKindListingTheKnownOnes) {
  const std::string m = config_error(layer_spec("conv3d"));
  EXPECT_NE(m.find("model.toml:12"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown layer kind 'conv3d'"), std::string::npos) << m;
  EXPECT_NE(m.find("linear, relu, leaky_relu"), std::string::npos) << m;
}

TEST(Registry, RejectsAnUnknownKeyNamingIt) {
  const std::string m = config_error(layer_spec("linear", {{"units", 3}, {"bias_init", 0}}));
  EXPECT_NE(m.find("unknown key 'bias_init'"), std::string::npos) << m;
  EXPECT_NE(m.find("model.toml:13"), std::string::npos) << m;
  EXPECT_NE(m.find("layer 'l1'"), std::string::npos) << m;
  // Layers without attributes take none.
  EXPECT_NE(config_error(layer_spec("relu", {{"inplace", true}})).find("unknown key 'inplace'"),
            std::string::npos);
}

TEST(Registry, RejectsBadValuesNamingTheKey) {
  EXPECT_NE(config_error(layer_spec("linear")).find("'units'"), std::string::npos);
  EXPECT_NE(config_error(layer_spec("linear", {{"units", 0}})).find("'units' must be positive"),
            std::string::npos);
  EXPECT_NE(config_error(layer_spec("linear", {{"units", 2.5}})).find("'units'"),
            std::string::npos);
  const std::string init = config_error(layer_spec("linear", {{"units", 2}, {"init", "xavier"}}));
  EXPECT_NE(init.find("unknown init 'xavier'"), std::string::npos) << init;
  EXPECT_NE(init.find("glorot_uniform"), std::string::npos) << init;
  EXPECT_NE(config_error(layer_spec("dropout", {{"rate", 1.0}})).find("'rate'"), std::string::npos);
  EXPECT_NE(config_error(layer_spec("dropout", {{"rate", -0.5}})).find("'rate'"),
            std::string::npos);
  EXPECT_NE(config_error(layer_spec("gelu", {{"approximate", "erf"}})).find("'approximate'"),
            std::string::npos);
  EXPECT_NE(config_error(layer_spec("linear", {{"units", 2}, {"bias", "yes"}})).find("'bias'"),
            std::string::npos);
  for (double beta : {0.0, -1.0}) {
    const std::string m = config_error(layer_spec("softplus", {{"beta", beta}}));
    EXPECT_NE(m.find("'beta' must be positive"), std::string::npos) << m;
    EXPECT_NE(m.find("layer 'l1'"), std::string::npos) << m;
  }
  const std::string ht = config_error(layer_spec("hardtanh", {{"min", 3}, {"max", -2}}));
  EXPECT_NE(ht.find("'max' (-2.000000) must be at least 'min' (3.000000)"), std::string::npos)
      << ht;
  EXPECT_NE(ht.find("layer 'l1' (hardtanh)"), std::string::npos) << ht;
  EXPECT_NE(config_error(layer_spec("elu", {{"alpha", "big"}})).find("'alpha'"), std::string::npos);
  EXPECT_NE(config_error(layer_spec("selu", {{"alpha", 1.0}})).find("unknown key 'alpha'"),
            std::string::npos);
}

}  // namespace
}  // namespace redes
