// The registry rows of the recurrent and text layers: lstm, gru, embedding, mask.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "layers/embedding.hpp"
#include "layers/gru.hpp"
#include "layers/lstm.hpp"
#include "layers/mask.hpp"
#include "redes/layer.hpp"
#include "support/registry.hpp"

namespace redes {
namespace {

// The layer on line 3 of model.toml, named "rnn".
LayerSpec spec(const std::string& kind, nlohmann::json attrs = nlohmann::json::object()) {
  return test::layer_spec(kind, std::move(attrs), "rnn", {}, 3);
}

using test::config_error;

TEST(RnnRegistry, KindsAreRegistered) {
  const auto kinds = layer_kinds();
  for (const char* k : {"lstm", "gru", "embedding", "mask"})
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), k), kinds.end()) << k;
}

TEST(RnnRegistry, PassesAttributes) {
  auto l = make_layer<double>(spec("lstm", {{"units", 8},
                                            {"layers", 2},
                                            {"dropout", 0.25},
                                            {"return_sequences", true},
                                            {"bidirectional", true},
                                            {"initial_state", true},
                                            {"masked", true},
                                            {"forget_bias", 0.5},
                                            {"init", "glorot_uniform"}}));
  auto& lstm = dynamic_cast<LSTM<double>&>(*l);
  EXPECT_EQ(lstm.kind(), "lstm");
  EXPECT_EQ(lstm.options().units, 8);
  EXPECT_EQ(lstm.options().layers, 2);
  EXPECT_EQ(lstm.options().dropout, 0.25);
  EXPECT_TRUE(lstm.options().return_sequences);
  EXPECT_TRUE(lstm.options().bidirectional);
  EXPECT_TRUE(lstm.options().initial_state);
  EXPECT_TRUE(lstm.options().masked);
  EXPECT_EQ(lstm.options().init, "glorot_uniform");
  EXPECT_EQ(lstm.forget_bias(), 0.5);
  EXPECT_EQ(lstm.num_inputs(), 4u);
  // Defaults.
  auto d = make_layer<float>(spec("lstm", {{"units", 3}}));
  auto& plain = dynamic_cast<LSTM<float>&>(*d);
  EXPECT_EQ(plain.options().layers, 1);
  EXPECT_EQ(plain.options().dropout, 0.0);
  EXPECT_FALSE(plain.options().return_sequences || plain.options().bidirectional ||
               plain.options().initial_state || plain.options().masked);
  EXPECT_EQ(plain.options().init, "torch");
  EXPECT_EQ(plain.forget_bias(), 1.0);
  auto g =
      make_layer<float>(spec("gru", {{"units", 3}, {"initial_state", true}, {"masked", true}}));
  EXPECT_EQ(dynamic_cast<GRU<float>&>(*g).num_inputs(), 3u);
  auto e = make_layer<float>(spec("embedding", {{"vocab", 30}, {"dim", 4}, {"padding_idx", 0}}));
  auto& emb = dynamic_cast<Embedding<float>&>(*e);
  EXPECT_EQ(emb.vocab(), 30);
  EXPECT_EQ(emb.dim(), 4);
  EXPECT_EQ(emb.padding_idx(), 0);
  auto e2 = make_layer<float>(spec("embedding", {{"vocab", 30}, {"dim", 4}}));
  EXPECT_FALSE(dynamic_cast<Embedding<float>&>(*e2).padding_idx().has_value());
  EXPECT_EQ(dynamic_cast<Mask<float>&>(*make_layer<float>(spec("mask"))).pad(), 0);
  EXPECT_EQ(dynamic_cast<Mask<float>&>(*make_layer<float>(spec("mask", {{"pad", 3}}))).pad(), 3);
}

TEST(RnnRegistry, RejectsBadValuesNamingTheKey) {
  auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(config_error(spec("lstm")), "'units'"));
  EXPECT_TRUE(has(config_error(spec("gru", {{"units", 0}})), "'units' must be positive"));
  EXPECT_TRUE(has(config_error(spec("lstm", {{"units", 2}, {"layers", 0}})), "'layers'"));
  EXPECT_TRUE(has(config_error(spec("lstm", {{"units", 2}, {"layers", 2}, {"dropout", 1.0}})),
                  "'dropout' must be in [0, 1)"));
  const std::string lone = config_error(spec("gru", {{"units", 2}, {"dropout", 0.3}}));
  EXPECT_TRUE(has(lone, "needs layers >= 2")) << lone;
  EXPECT_TRUE(has(lone, "model.toml:4")) << lone;
  EXPECT_TRUE(has(config_error(spec("lstm", {{"units", 2}, {"init", "orthogonal"}})),
                  "unknown init 'orthogonal'"));
  EXPECT_TRUE(has(config_error(spec("gru", {{"units", 2}, {"forget_bias", 1.0}})),
                  "unknown key 'forget_bias'"));  // an LSTM-only key
  EXPECT_TRUE(
      has(config_error(spec("lstm", {{"units", 2}, {"bidirectional", "yes"}})), "'bidirectional'"));
  EXPECT_TRUE(has(config_error(spec("embedding", {{"dim", 2}})), "'vocab'"));
  EXPECT_TRUE(has(config_error(spec("embedding", {{"vocab", 5}})), "'dim'"));
  EXPECT_TRUE(has(config_error(spec("embedding", {{"vocab", 5}, {"dim", 0}})), "'dim'"));
  EXPECT_TRUE(has(config_error(spec("embedding", {{"vocab", 5}, {"dim", 2}, {"padding_idx", 5}})),
                  "'padding_idx' must be in [0, vocab = 5)"));
  EXPECT_TRUE(has(config_error(spec("mask", {{"pad", 0.5}})), "'pad'"));
}

}  // namespace
}  // namespace redes
