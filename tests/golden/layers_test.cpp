// Every layer kind against PyTorch: forward output, input gradient and parameter gradients on
// the fixtures of tools/make_golden.py (tests/golden/fixtures/layer_*.bin).
//
// Tolerance: |got - expected| <= 1e-5 + 1e-4 * |expected|. Each case is one float32 op on O(1)
// values; PyTorch and we differ only in summation order (gemm) and in libm (expf, tanhf, erff),
// a few ulp (measured against PyTorch 1.13: at most 2e-7 absolute; ELU and SELU use expm1 where
// PyTorch 1.13 computes exp(x) - 1, 7e-9 apart at x = -1e-3). The bound leaves two orders of
// magnitude for that while any mistake in a formula (a missing factor, a wrong branch) shows up at
// 1e-3 or more.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "redes/layer.hpp"
#include "support/golden.hpp"
#include "support/golden_layer.hpp"

namespace redes {
namespace {

constexpr double kAbsTol = 1e-5;
constexpr double kRelTol = 1e-4;

struct LayerCase {
  std::string fixture;  // tests/golden/fixtures/<fixture>.bin
  std::string kind;
  nlohmann::json attrs;
};

// gtest prints a failing case by its fixture name rather than as raw bytes.
void PrintTo(const LayerCase& c, std::ostream* os) { *os << c.fixture; }

// Keep in step with make_layers() in tools/make_golden.py.
std::vector<LayerCase> layer_cases() {
  return {
      {"layer_linear_2d_bias", "linear", {{"units", 4}, {"bias", true}}},
      {"layer_linear_2d_nobias", "linear", {{"units", 4}, {"bias", false}}},
      {"layer_linear_3d_bias", "linear", {{"units", 3}, {"bias", true}}},
      {"layer_linear_3d_nobias", "linear", {{"units", 3}, {"bias", false}}},
      {"layer_relu", "relu", nlohmann::json::object()},
      {"layer_leaky_relu", "leaky_relu", {{"negative_slope", 0.2}}},
      {"layer_sigmoid", "sigmoid", nlohmann::json::object()},
      {"layer_tanh", "tanh", nlohmann::json::object()},
      {"layer_gelu_none", "gelu", {{"approximate", "none"}}},
      {"layer_gelu_tanh", "gelu", {{"approximate", "tanh"}}},
      {"layer_softmax", "softmax", nlohmann::json::object()},
      {"layer_elu", "elu", {{"alpha", 0.7}}},
      {"layer_selu", "selu", nlohmann::json::object()},
      {"layer_softplus", "softplus", {{"beta", 2.0}, {"threshold", 10.0}}},
      {"layer_softsign", "softsign", nlohmann::json::object()},
      {"layer_hard_sigmoid", "hard_sigmoid", nlohmann::json::object()},
      {"layer_hardtanh", "hardtanh", {{"min", -2.0}, {"max", 3.0}}},
      {"layer_log_softmax", "log_softmax", nlohmann::json::object()},
  };
}

class GoldenLayer : public ::testing::TestWithParam<LayerCase> {};

TEST_P(GoldenLayer, MatchesPyTorch) {
  const LayerCase& c = GetParam();
  const auto fx = golden::load_fixture(c.fixture + ".bin");
  const Tensor& input = fx.at("input");          // (N, ...)
  const Tensor& expected_out = fx.at("output");  // (N, ...)

  LayerSpec spec;
  spec.kind = c.kind;
  spec.name = c.fixture;
  spec.attrs = c.attrs;
  auto layer = make_layer<float>(spec);
  const std::vector<Shape> in_shapes{input.shape().sample()};
  const Shape out_sample = layer->setup(in_shapes);
  ASSERT_EQ(out_sample.batched(input.dim(0)), expected_out.shape());

  // The layer's parameters must be exactly the fixture's, by name.
  const std::vector<Param<float>*> params = layer->params();
  ParamArena<float> arena;
  golden::set_params(fx, c.fixture, params, arena);
  if (HasFatalFailure()) return;

  Rng rng(1);
  Tensor out(expected_out.shape(), std::numeric_limits<float>::quiet_NaN());
  ForwardCtx<float> fwd;
  fwd.inputs = {input.view()};
  fwd.output = out.view();
  fwd.training = true;
  fwd.rng = &rng;
  layer->forward(fwd);
  auto msg = golden::compare(c.fixture + " output", expected_out, out.view(), kAbsTol, kRelTol);
  EXPECT_TRUE(msg.empty()) << msg;

  golden::check_backward(*layer, fx, c.fixture, out, params, true, kAbsTol, kRelTol);
}

INSTANTIATE_TEST_SUITE_P(Layers, GoldenLayer, ::testing::ValuesIn(layer_cases()),
                         [](const auto& info) { return info.param.fixture; });

}  // namespace
}  // namespace redes
