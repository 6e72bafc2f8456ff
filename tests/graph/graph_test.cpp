// The graph executor's own checks: where non-finite numbers first appear, and layers too large
// for the machine's memory refused when the graph is built.
#include "redes/graph.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "redes/error.hpp"

using namespace redes;

namespace {

LayerSpec spec(std::string kind, std::string name,
               nlohmann::json attrs = nlohmann::json::object()) {
  LayerSpec s;
  s.kind = std::move(kind);
  s.name = std::move(name);
  s.attrs = std::move(attrs);
  s.where[""] = "model.toml:7";
  for (const auto& [k, v] : s.attrs.items()) s.where[k] = "model.toml:8";
  return s;
}

std::vector<LayerSpec> mlp() {
  return {spec("linear", "fc1", {{"units", 16}}), spec("relu", "act1"),
          spec("linear", "out", {{"units", 1}})};
}

std::string config_error(const std::vector<LayerSpec>& layers, Shape input) {
  try {
    Graph g(layers, std::move(input));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Graph, FirstNonFiniteNamesTheFirstLayerThatWentBad) {
  Graph g(mlp(), Shape{2});
  Rng rng(1);
  g.init(rng);
  Tensor x(Shape{3, 2});
  x.fill(1.0f);
  Tensor grad(Shape{3, 1});
  grad.fill(1.0f);
  g.forward(x.view(), true, rng);
  EXPECT_EQ(g.first_nonfinite(), "");  // before any backward (no gradient buffers yet)
  g.backward(grad.view());
  EXPECT_EQ(g.first_nonfinite(), "");

  // Weights of 1e38 over inputs of 10: fc1's outputs overflow, and all after them.
  const auto& fc1_weight = *g.params()[0].param;
  ASSERT_EQ(g.params()[0].name, "fc1.weight");
  std::fill_n(fc1_weight.value, fc1_weight.numel(), 1e38f);
  x.fill(10.0f);
  g.forward(x.view(), true, rng);
  EXPECT_EQ(g.first_nonfinite(), "the output of layer 'fc1' (linear)");

  g.init(rng);
  x.fill(1.0f);
  g.forward(x.view(), true, rng);
  grad.fill(NAN);
  g.backward(grad.view());
  EXPECT_EQ(g.first_nonfinite(), "the gradient at the output of layer 'out' (linear)");

  g.params().back().param->value[0] = INFINITY;
  EXPECT_EQ(g.first_nonfinite(), "the parameter out.bias");
}

// units = 100000000000 once gave std::bad_alloc, naming nothing.
TEST(Graph, ImpossibleSizesAreConfigErrorsNamingTheKeyOrTheLayer) {
  EXPECT_EQ(config_error({spec("linear", "big", {{"units", 100000000000}})}, Shape{9}),
            "model.toml:8: layer 'big' (linear): 'units' is 100000000000, too large for any "
            "layer (at most 2147483647)");
  EXPECT_NE(config_error({spec("conv2d", "c", {{"filters", 4}, {"kernel", {3, -5000000000}}})},
                         Shape{1, 8, 8})
                .find("'kernel' is -5000000000, too large"),
            std::string::npos);
  // 2e9 units over 1000 inputs: 2.002e12 weights and biases, 16,016 GB with their gradients.
  const std::string weights =
      config_error({spec("linear", "wide", {{"units", 2000000000}})}, Shape{1000});
  EXPECT_TRUE(
      weights.starts_with("model.toml:7: layer 'wide' (linear): its parameters need "
                          "16016 GB (floats and their gradients), more than this "
                          "machine's "))
      << weights;
  // A 1x1 convolution of a 200,000 x 200,000 image: 4e10 outputs a sample, 320 GB.
  const std::string output = config_error({spec("conv2d", "c", {{"filters", 1}, {"kernel", 1}})},
                                          Shape{1, 200000, 200000});
  EXPECT_TRUE(
      output.starts_with("model.toml:7: layer 'c' (conv2d): its output for one sample "
                         "(1, 200000, 200000) needs 320 GB"))
      << output;
}

// After zero_grad a backward may write the parameter gradients instead of adding into them
// (BackwardCtx::params_zero: the linear layers' weight gradient products skip reading them);
// without it, a second backward adds, so gradients accumulate as before.
TEST(Graph, BackwardsAfterZeroGradWriteTheGradientsAndOtherwiseAdd) {
  Graph g(mlp(), Shape{2});
  Rng rng(1);
  g.init(rng);
  Tensor x(Shape{3, 2});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = 0.25f * static_cast<float>(i) - 0.5f;
  Tensor grad(Shape{3, 1});
  grad.fill(1.0f);
  const auto pass = [&] {
    g.forward(x.view(), true, rng);
    g.backward(grad.view());
  };
  const auto grads = [&] { return std::vector<float>(g.grads().begin(), g.grads().end()); };
  g.zero_grad();
  pass();
  const std::vector<float> once = grads();
  g.zero_grad();
  pass();
  pass();  // no zero_grad between: added
  const std::vector<float> twice = grads();
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(twice[i], 2 * once[i], 1e-6) << i;
  // Gradients that are not zero (written through grads()) are added into, whatever came before.
  g.zero_grad();
  std::fill(g.grads().begin(), g.grads().end(), 1.0f);
  pass();
  const std::vector<float> onto_ones = grads();
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(onto_ones[i], 1.0f + once[i], 1e-6) << i;
  g.zero_grad();
  pass();
  EXPECT_EQ(grads(), once);
}
