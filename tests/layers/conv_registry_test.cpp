// The convolutional kinds through the registry (attributes, errors with their config line) and
// through the graph (shapes of whole models, merges by name, buffers).
#include <gtest/gtest.h>

#include "layers/batchnorm.hpp"
#include "layers/conv2d.hpp"
#include "layers/lrn.hpp"
#include "layers/merge.hpp"
#include "layers/pooling.hpp"
#include "layers/shape_ops.hpp"
#include "redes/graph.hpp"
#include "redes/layer.hpp"
#include "support/registry.hpp"

namespace redes {
namespace {

using test::config_error;
using test::layer_spec;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(ConvRegistry, BuildsEveryConvolutionalKind) {
  const std::vector<std::pair<std::string, nlohmann::json>> kinds = {
      {"conv2d", {{"filters", 4}, {"kernel", 3}}},
      {"max_pool2d", {{"kernel", 2}}},
      {"avg_pool2d", {{"kernel", 2}}},
      {"global_avg_pool2d", nlohmann::json::object()},
      {"flatten", nlohmann::json::object()},
      {"reshape", {{"shape", {28, 28}}}},
      {"batchnorm1d", nlohmann::json::object()},
      {"batchnorm2d", nlohmann::json::object()},
      {"local_response_norm", {{"size", 5}}},
      {"add", nlohmann::json::object()},
      {"concat", nlohmann::json::object()},
  };
  const auto known = layer_kinds();
  for (const auto& [kind, attrs] : kinds) {
    EXPECT_NE(std::find(known.begin(), known.end(), kind), known.end()) << kind;
    EXPECT_EQ(make_layer<float>(layer_spec(kind, attrs))->kind(), kind);
    EXPECT_EQ(make_layer<double>(layer_spec(kind, attrs))->kind(), kind);
  }
}

TEST(ConvRegistry, PassesAttributesToTheLayers) {
  auto l = make_layer<float>(layer_spec("conv2d", {{"filters", 6},
                                                   {"kernel", {3, 2}},
                                                   {"stride", {2, 1}},
                                                   {"padding", {1, 0}},
                                                   {"dilation", 2},
                                                   {"groups", 3},
                                                   {"bias", false},
                                                   {"init", "he_normal"}}));
  const auto& o = dynamic_cast<Conv2d<float>&>(*l).options();
  EXPECT_EQ(o.filters, 6);
  EXPECT_EQ(o.kernel, (std::array<int64_t, 2>{3, 2}));
  EXPECT_EQ(o.stride, (std::array<int64_t, 2>{2, 1}));
  EXPECT_EQ(o.padding_mode, "explicit");
  EXPECT_EQ(o.padding, (std::array<int64_t, 2>{1, 0}));
  EXPECT_EQ(o.dilation, (std::array<int64_t, 2>{2, 2}));
  EXPECT_EQ(o.groups, 3);
  EXPECT_FALSE(o.bias);
  EXPECT_EQ(o.init, "he_normal");
  auto same =
      make_layer<float>(layer_spec("conv2d", {{"filters", 2}, {"kernel", 4}, {"padding", "same"}}));
  EXPECT_EQ(dynamic_cast<Conv2d<float>&>(*same).options().padding_mode, "same");
  auto four = make_layer<float>(
      layer_spec("conv2d", {{"filters", 2}, {"kernel", 3}, {"padding", {1, 0, 2, 1}}}));
  EXPECT_EQ(dynamic_cast<Conv2d<float>&>(*four).options().padding, (std::array<int64_t, 2>{1, 0}));
  EXPECT_EQ(dynamic_cast<Conv2d<float>&>(*four).options().padding_end,
            (std::array<int64_t, 2>{2, 1}));
  EXPECT_THROW(make_layer<float>(
                   layer_spec("conv2d", {{"filters", 2}, {"kernel", 3}, {"padding", {1, 0, 2}}})),
               ConfigError);
  auto pool = make_layer<float>(layer_spec("max_pool2d", {{"kernel", {3, 2}}}));
  EXPECT_EQ(dynamic_cast<MaxPool2d<float>&>(*pool).options().stride,
            (std::array<int64_t, 2>{3, 2}));  // stride defaults to the kernel
  const Pool2dOptions& pd = dynamic_cast<MaxPool2d<float>&>(*pool).options();
  EXPECT_EQ(pd.padding_end, (std::array<int64_t, 2>{0, 0}));
  EXPECT_EQ(pd.dilation, (std::array<int64_t, 2>{1, 1}));
  EXPECT_FALSE(pd.ceil_mode);
  EXPECT_TRUE(pd.count_include_pad);
  auto max = make_layer<float>(layer_spec("max_pool2d", {{"kernel", 3},
                                                         {"stride", 2},
                                                         {"padding", {1, 0, 0, 1}},
                                                         {"dilation", {2, 1}},
                                                         {"ceil_mode", true}}));
  const Pool2dOptions& mo = dynamic_cast<MaxPool2d<float>&>(*max).options();
  EXPECT_EQ(mo.padding, (std::array<int64_t, 2>{1, 0}));
  EXPECT_EQ(mo.padding_end, (std::array<int64_t, 2>{0, 1}));
  EXPECT_EQ(mo.dilation, (std::array<int64_t, 2>{2, 1}));
  EXPECT_TRUE(mo.ceil_mode);
  auto avg = make_layer<float>(layer_spec(
      "avg_pool2d",
      {{"kernel", 3}, {"padding", 1}, {"ceil_mode", true}, {"count_include_pad", false}}));
  const Pool2dOptions& ao = dynamic_cast<AvgPool2d<float>&>(*avg).options();
  EXPECT_EQ(ao.padding, (std::array<int64_t, 2>{1, 1}));
  EXPECT_EQ(ao.padding_end, (std::array<int64_t, 2>{1, 1}));
  EXPECT_TRUE(ao.ceil_mode);
  EXPECT_FALSE(ao.count_include_pad);
  auto bn = make_layer<float>(
      layer_spec("batchnorm2d", {{"momentum", 0.3}, {"eps", 1e-3}, {"affine", false}}));
  EXPECT_EQ(dynamic_cast<BatchNorm<float>&>(*bn).momentum(), 0.3);
  EXPECT_FALSE(dynamic_cast<BatchNorm<float>&>(*bn).affine());
  auto cat = make_layer<float>(layer_spec("concat", {{"axis", -1}}));
  EXPECT_EQ(dynamic_cast<Concat<float>&>(*cat).axis(), -1);
  auto reshape = make_layer<float>(layer_spec("reshape", {{"shape", {-1, 28}}}));
  EXPECT_EQ(dynamic_cast<Reshape<float>&>(*reshape).target(), (std::vector<int64_t>{-1, 28}));
}

TEST(ConvRegistry, BadValuesNameTheKeyAndItsLine) {
  const std::string missing = config_error(layer_spec("conv2d", {{"filters", 4}}));
  EXPECT_TRUE(contains(missing, "missing key 'kernel'")) << missing;
  const std::string typo = config_error(layer_spec("conv2d", {{"filters", 4}, {"kernal", 3}}));
  EXPECT_TRUE(contains(typo, "did you mean 'kernel'")) << typo;
  const std::string stride_same = config_error(
      layer_spec("conv2d", {{"filters", 4}, {"kernel", 3}, {"stride", 2}, {"padding", "same"}}));
  EXPECT_TRUE(contains(stride_same, "model.toml:13")) << stride_same;
  EXPECT_TRUE(contains(stride_same, "stride 1")) << stride_same;
  const std::string pad_word =
      config_error(layer_spec("conv2d", {{"filters", 4}, {"kernel", 3}, {"padding", "full"}}));
  EXPECT_TRUE(contains(pad_word, "\"same\" or \"valid\"")) << pad_word;
  const std::string pad_neg =
      config_error(layer_spec("conv2d", {{"filters", 4}, {"kernel", 3}, {"padding", -1}}));
  EXPECT_TRUE(contains(pad_neg, "'padding'")) << pad_neg;
  const std::string triple =
      config_error(layer_spec("conv2d", {{"filters", 4}, {"kernel", {3, 3, 3}}}));
  EXPECT_TRUE(contains(triple, "pair")) << triple;
  const std::string groups =
      config_error(layer_spec("conv2d", {{"filters", 5}, {"kernel", 3}, {"groups", 2}}));
  EXPECT_TRUE(contains(groups, "divisible")) << groups;
  EXPECT_TRUE(
      contains(config_error(layer_spec("conv2d", {{"filters", 0}, {"kernel", 3}})), "'filters'"));
  EXPECT_TRUE(
      contains(config_error(layer_spec("conv2d", {{"filters", 2}, {"kernel", 0}})), "'kernel'"));
  EXPECT_TRUE(contains(config_error(layer_spec("max_pool2d", {{"kernel", 2}, {"padding", 2}})),
                       "at most half"));
  // Dilation is max_pool2d's, count_include_pad avg_pool2d's (as PyTorch's modules).
  EXPECT_TRUE(contains(config_error(layer_spec("avg_pool2d", {{"kernel", 2}, {"dilation", 2}})),
                       "unknown key 'dilation'"));
  EXPECT_TRUE(contains(
      config_error(layer_spec("max_pool2d", {{"kernel", 2}, {"count_include_pad", false}})),
      "unknown key 'count_include_pad'"));
  EXPECT_TRUE(
      contains(config_error(layer_spec("avg_pool2d", {{"kernel", 3}, {"padding", {1, 1, 1}}})),
               "[top, left, bottom, right]"));
  EXPECT_TRUE(
      contains(config_error(layer_spec("max_pool2d", {{"kernel", 2}, {"padding", {0, 0, 2, 0}}})),
               "dilated kernel"));
  EXPECT_TRUE(contains(config_error(layer_spec("avg_pool2d", {{"kernel", 2}, {"ceil_mode", 1}})),
                       "'ceil_mode'"));
  EXPECT_TRUE(contains(config_error(layer_spec("batchnorm1d", {{"momentum", 2}})), "'momentum'"));
  EXPECT_TRUE(contains(config_error(layer_spec("local_response_norm")), "'size'"));
  EXPECT_TRUE(contains(config_error(layer_spec("reshape", {{"shape", {-1, -1}}})), "'shape'"));
  EXPECT_TRUE(contains(config_error(layer_spec("reshape")), "'shape'"));
  EXPECT_TRUE(contains(config_error(layer_spec("flatten", {{"start_dim", 1}})), "unknown key"));
}

std::vector<LayerSpec> lenet() {
  return {
      layer_spec("conv2d", {{"filters", 6}, {"kernel", 5}, {"padding", 2}}, "conv1"),
      layer_spec("relu", {}, "relu1"),
      layer_spec("max_pool2d", {{"kernel", 2}}, "pool1"),
      layer_spec("conv2d", {{"filters", 16}, {"kernel", 5}}, "conv2"),
      layer_spec("relu", {}, "relu2"),
      layer_spec("max_pool2d", {{"kernel", 2}}, "pool2"),
      layer_spec("flatten", {}, "flat"),
      layer_spec("linear", {{"units", 120}}, "fc1"),
      layer_spec("relu", {}, "relu3"),
      layer_spec("linear", {{"units", 84}}, "fc2"),
      layer_spec("relu", {}, "relu4"),
      layer_spec("linear", {{"units", 10}}, "fc3"),
  };
}

TEST(ConvGraph, LeNet5Shapes) {
  Graph g(lenet(), Shape{1, 28, 28});
  EXPECT_EQ(g.output_shape(), (Shape{10}));
  // conv1 6*25+6, conv2 16*150+16, fc 400*120+120, 120*84+84, 84*10+10 (as PyTorch counts).
  EXPECT_EQ(g.num_params(), 156 + 2416 + 48120 + 10164 + 850);
  Rng rng(1);
  g.init(rng);
  Tensor x(Shape{3, 1, 28, 28}, 0.5f);
  auto y = g.forward(x.view(), true, rng);
  EXPECT_EQ(y.shape(), (Shape{3, 10}));
  Tensor dy(Shape{3, 10}, 1.f);
  g.zero_grad();
  g.backward(dy.view());
  double norm = 0;
  for (float v : g.grads()) norm += double(v) * v;
  EXPECT_GT(norm, 0);
}

TEST(ConvGraph, ImpossibleShapesNameTheLayerAndItsLine) {
  auto specs = lenet();
  specs[3] = layer_spec("conv2d", {{"filters", 16}, {"kernel", 15}}, "conv2");
  try {
    Graph g(specs, Shape{1, 28, 28});
    ADD_FAILURE() << "a 15x15 kernel fits a 14x14 image";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_TRUE(contains(m, "model.toml:12")) << m;
    EXPECT_TRUE(contains(m, "layer 'conv2' (conv2d)")) << m;
    EXPECT_TRUE(contains(m, "(6, 14, 14)")) << m;
  }
  specs = lenet();
  specs[3] = layer_spec("conv2d", {{"filters", 16}, {"kernel", 5}, {"groups", 4}}, "conv2");
  try {
    Graph g(specs, Shape{1, 28, 28});
    ADD_FAILURE() << "6 channels in 4 groups";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "divisible by groups 4")) << e.what();
  }
}

TEST(ConvGraph, ResidualAndConcatBranchesByName) {
  // input -> a (conv) -> b (conv) -> sum = a + b -> cat = [sum, a] -> bn -> gap -> fc.
  std::vector<LayerSpec> specs = {
      layer_spec("conv2d", {{"filters", 4}, {"kernel", 3}, {"padding", "same"}}, "a"),
      layer_spec("conv2d", {{"filters", 4}, {"kernel", 3}, {"padding", 1}}, "b"),
      layer_spec("add", {}, "sum", {"a", "b"}),
      layer_spec("concat", {}, "cat", {"sum", "a"}),
      layer_spec("batchnorm2d", {}, "bn"),
      layer_spec("global_avg_pool2d", {}, "gap"),
      layer_spec("linear", {{"units", 2}}, "fc"),
  };
  Graph g(specs, Shape{3, 6, 5});
  EXPECT_EQ(g.output_shape(), (Shape{2}));
  Rng rng(2);
  g.init(rng);
  // The running statistics are state (saved in model files) but not parameters.
  std::vector<std::string> names;
  for (const auto& s : g.state()) names.push_back(s.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "bn.running_var"), names.end());
  for (const auto& p : g.params()) EXPECT_FALSE(contains(p.name, "running")) << p.name;
  for (const auto& s : g.state()) {
    if (s.name == "bn.running_var") {
      for (float v : s.param->values()) EXPECT_EQ(v, 1.f);
    }
  }
  Tensor x(Shape{2, 3, 6, 5});
  for (auto& v : x.values()) v = float(rng.normal());
  g.forward(x.view(), true, rng);
  Tensor dy(Shape{2, 2}, 1.f);
  g.zero_grad();
  g.backward(dy.view());
  for (const auto& s : g.state())
    if (s.name == "bn.running_mean") {
      double moved = 0;
      for (float v : s.param->values()) moved += std::abs(v);
      EXPECT_GT(moved, 0) << "a training forward updates the running mean";
    }
}

}  // namespace
}  // namespace redes
