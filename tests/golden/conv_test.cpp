// The convolutional layers against PyTorch: forward output, input gradient, parameter gradients
// and (batch norm) the running statistics after the forward, on the fixtures of
// tools/golden_conv.py (tests/golden/fixtures/conv_*.bin). Each layer is built from its kind
// and attributes through the registry, as a config would build it.
//
// Tolerance: |got - expected| <= 2e-5 + 1e-4 * |expected|. These are float32 sums of O(1)
// products (the forward of conv_conv2d_lenet sums 6 * 5 * 5 = 150 per output, its weight
// gradient 36 per entry); PyTorch and we (OpenBLAS) add them in different orders, which moves
// a result by a few float ulps of the largest partial sum (measured against PyTorch 1.13: at
// most 1e-6 absolute; max and average pooling, ties included, agree exactly). Any mistake in
// the maths (a padding off by one, a wrong group, a missing term of the batch-norm backward)
// is off by 1e-2 or more.
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

constexpr double kAbsTol = 2e-5;
constexpr double kRelTol = 1e-4;

struct ConvCase {
  std::string fixture;  // tests/golden/fixtures/<fixture>.bin
  std::string kind;
  nlohmann::json attrs;
  bool training = true;
};

void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.fixture; }

using J = nlohmann::json;

// Keep in step with cases() and batchnorm_cases() in tools/golden_conv.py.
std::vector<ConvCase> conv_cases() {
  return {
      {"conv_conv2d_basic", "conv2d", {{"filters", 3}, {"kernel", {3, 2}}}},
      {"conv_conv2d_stride_pad",
       "conv2d",
       {{"filters", 4}, {"kernel", {3, 2}}, {"stride", 2}, {"padding", {1, 2}}}},
      {"conv_conv2d_stride_uneven",
       "conv2d",
       {{"filters", 2}, {"kernel", 3}, {"stride", {2, 3}}, {"padding", {0, 1}}}},
      {"conv_conv2d_dilation",
       "conv2d",
       {{"filters", 3}, {"kernel", 3}, {"dilation", 2}, {"padding", 1}}},
      {"conv_conv2d_groups",
       "conv2d",
       {{"filters", 6}, {"kernel", 3}, {"groups", 2}, {"padding", 1}}},
      {"conv_conv2d_depthwise",
       "conv2d",
       {{"filters", 5}, {"kernel", 3}, {"groups", 5}, {"stride", 2}}},
      {"conv_conv2d_1x1", "conv2d", {{"filters", 3}, {"kernel", 1}}},
      {"conv_conv2d_1x1_groups", "conv2d", {{"filters", 4}, {"kernel", 1}, {"groups", 2}}},
      {"conv_conv2d_1x1_stride", "conv2d", {{"filters", 2}, {"kernel", 1}, {"stride", 2}}},
      {"conv_conv2d_same_even",
       "conv2d",
       {{"filters", 2}, {"kernel", {4, 2}}, {"padding", "same"}}},
      {"conv_conv2d_same_dilated",
       "conv2d",
       {{"filters", 2}, {"kernel", {2, 3}}, {"padding", "same"}, {"dilation", {2, 1}}}},
      {"conv_conv2d_valid_nobias",
       "conv2d",
       {{"filters", 3}, {"kernel", 2}, {"padding", "valid"}, {"bias", false}}},
      {"conv_conv2d_lenet", "conv2d", {{"filters", 16}, {"kernel", 5}}},
      {"conv_maxpool_2x2", "max_pool2d", {{"kernel", 2}}},
      {"conv_maxpool_pad_stride", "max_pool2d", {{"kernel", 3}, {"stride", 2}, {"padding", 1}}},
      // Small integers: ties in most windows, resolved by PyTorch's first-maximum rule.
      {"conv_maxpool_ties",
       "max_pool2d",
       {{"kernel", {3, 2}}, {"stride", {1, 2}}, {"padding", {1, 1}}}},
      {"conv_avgpool_2x2", "avg_pool2d", {{"kernel", 2}}},
      {"conv_avgpool_pad_stride", "avg_pool2d", {{"kernel", 3}, {"stride", 2}, {"padding", 1}}},
      {"conv_avgpool_rect",
       "avg_pool2d",
       {{"kernel", {2, 3}}, {"stride", {1, 2}}, {"padding", {1, 1}}}},
      // Pooling options: ceil_mode, dilation, count_include_pad.
      {"conv_maxpool_ceil", "max_pool2d", {{"kernel", 2}, {"ceil_mode", true}}},
      {"conv_maxpool_ceil_pad_stride",
       "max_pool2d",
       {{"kernel", 3}, {"stride", 2}, {"padding", 1}, {"ceil_mode", true}}},
      // ceil_mode's third column would start past the image: dropped, as PyTorch.
      {"conv_maxpool_ceil_dropped",
       "max_pool2d",
       {{"kernel", 2}, {"stride", 4}, {"padding", 1}, {"ceil_mode", true}}},
      {"conv_maxpool_dilation",
       "max_pool2d",
       {{"kernel", 3}, {"stride", 1}, {"padding", 1}, {"dilation", 2}}},
      {"conv_maxpool_dilation_ceil",
       "max_pool2d",
       {{"kernel", {3, 2}},
        {"stride", {2, 3}},
        {"padding", {1, 1}},
        {"dilation", {2, 3}},
        {"ceil_mode", true}}},
      {"conv_maxpool_dilation_ties",
       "max_pool2d",
       {{"kernel", 2}, {"stride", 1}, {"padding", 1}, {"dilation", 2}, {"ceil_mode", true}}},
      {"conv_avgpool_ceil", "avg_pool2d", {{"kernel", 2}, {"ceil_mode", true}}},
      // The last windows reach past the padded image: PyTorch's divisor is clipped there.
      {"conv_avgpool_ceil_pad",
       "avg_pool2d",
       {{"kernel", 3}, {"stride", 2}, {"padding", 1}, {"ceil_mode", true}}},
      {"conv_avgpool_ceil_pad_nocount",
       "avg_pool2d",
       {{"kernel", 3},
        {"stride", 2},
        {"padding", 1},
        {"ceil_mode", true},
        {"count_include_pad", false}}},
      {"conv_avgpool_pad_nocount",
       "avg_pool2d",
       {{"kernel", {2, 3}}, {"stride", {1, 2}}, {"padding", {1, 1}}, {"count_include_pad", false}}},
      // Asymmetric pads [top, left, bottom, right] against F.pad (-inf for max, 0 for avg) and
      // the pool without padding.
      {"conv_maxpool_asym", "max_pool2d", {{"kernel", 2}, {"padding", {1, 0, 0, 1}}}},
      {"conv_maxpool_asym_stride1",
       "max_pool2d",
       {{"kernel", {3, 2}}, {"stride", 1}, {"padding", {0, 1, 1, 0}}}},
      {"conv_maxpool_asym_dilation",
       "max_pool2d",
       {{"kernel", 2}, {"stride", 1}, {"padding", {0, 1, 1, 2}}, {"dilation", {1, 3}}}},
      {"conv_maxpool_asym_ceil",
       "max_pool2d",
       {{"kernel", 2}, {"padding", {1, 0, 0, 1}}, {"ceil_mode", true}}},
      {"conv_avgpool_asym",
       "avg_pool2d",
       {{"kernel", 3}, {"stride", 2}, {"padding", {0, 1, 1, 0}}}},
      {"conv_avgpool_asym_ceil",
       "avg_pool2d",
       {{"kernel", 2}, {"padding", {1, 0, 0, 1}}, {"ceil_mode", true}}},
      {"conv_global_avgpool", "global_avg_pool2d", J::object()},
      {"conv_lrn_size3",
       "local_response_norm",
       {{"size", 3}, {"alpha", 0.3}, {"beta", 0.75}, {"k", 1.5}}},
      {"conv_lrn_size5",
       "local_response_norm",
       {{"size", 5}, {"alpha", 0.5}, {"beta", 0.6}, {"k", 2.0}}},
      {"conv_lrn_size2_defaults", "local_response_norm", {{"size", 2}}},
      {"conv_flatten", "flatten", J::object()},
      {"conv_batchnorm1d_train", "batchnorm1d", J::object()},
      {"conv_batchnorm1d_train_cl", "batchnorm1d", {{"momentum", 0.2}}},
      {"conv_batchnorm1d_eval", "batchnorm1d", J::object(), false},
      {"conv_batchnorm2d_train", "batchnorm2d", J::object()},
      {"conv_batchnorm2d_train_noaffine", "batchnorm2d", {{"affine", false}, {"eps", 1e-3}}},
      {"conv_batchnorm2d_eval", "batchnorm2d", J::object(), false},
  };
}

class GoldenConv : public ::testing::TestWithParam<ConvCase> {};

TEST_P(GoldenConv, MatchesPyTorch) {
  const ConvCase& c = GetParam();
  const auto fx = golden::load_fixture(c.fixture + ".bin");
  const Tensor& input = fx.at("input");  // (N, ...)
  const Tensor& expected_out = fx.at("output");

  LayerSpec spec;
  spec.kind = c.kind;
  spec.name = c.fixture;
  spec.attrs = c.attrs;
  auto layer = make_layer<float>(spec);
  const std::vector<Shape> in_shapes{input.shape().sample()};
  ASSERT_EQ(layer->setup(in_shapes).batched(input.dim(0)), expected_out.shape());

  // Parameters and buffers exactly the fixture's, by name.
  const std::vector<Param<float>*> params = layer->params(), buffers = layer->buffers();
  ParamArena<float> arena;
  golden::set_params(fx, c.fixture, params, arena);
  if (HasFatalFailure()) return;
  ASSERT_EQ(buffers.size(), fx.names_with_prefix("buffer.").size());
  std::vector<std::vector<float>> buffer_storage;
  buffer_storage.reserve(buffers.size());  // the buffers point into it
  for (auto* b : buffers) {
    const Tensor& value = fx.at("buffer." + b->name);
    ASSERT_EQ(b->shape, value.shape()) << "buffer " << b->name;
    buffer_storage.push_back(value.values());
    b->value = buffer_storage.back().data();
  }

  Rng rng(1);
  Tensor out(expected_out.shape(), std::numeric_limits<float>::quiet_NaN());
  ForwardCtx<float> fwd;
  fwd.inputs = {input.view()};
  fwd.output = out.view();
  fwd.training = c.training;
  fwd.rng = &rng;
  layer->forward(fwd);
  auto msg = golden::compare(c.fixture + " output", expected_out, out.view(), kAbsTol, kRelTol);
  EXPECT_TRUE(msg.empty()) << msg;
  for (auto* b : buffers) {
    msg = golden::compare(c.fixture + " " + b->name + " after the forward",
                          fx.at("after." + b->name), b->values(), kAbsTol, kRelTol);
    EXPECT_TRUE(msg.empty()) << msg;
  }

  golden::check_backward(*layer, fx, c.fixture, out, params, c.training, kAbsTol, kRelTol);
}

INSTANTIATE_TEST_SUITE_P(Conv, GoldenConv, ::testing::ValuesIn(conv_cases()),
                         [](const auto& info) { return info.param.fixture; });

}  // namespace
}  // namespace redes
