#include "layers/conv2d.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <initializer_list>

#include "kernels/im2col.hpp"
#include "kernels/kernel_table.hpp"
#include "redes/error.hpp"
#include "redes/graph.hpp"
#include "redes/threads.hpp"
#include "support/gradcheck.hpp"
#include "support/layer_run.hpp"

namespace redes {
namespace {

Conv2dOptions conv(int64_t filters, std::array<int64_t, 2> kernel) {
  Conv2dOptions o;
  o.filters = filters;
  o.kernel = kernel;
  return o;
}

struct GradCase {
  std::string what;
  Conv2dOptions opt;
  Shape input;  // per sample (C, H, W)
  int64_t n;
};

std::vector<GradCase> grad_cases() {
  std::vector<GradCase> cases;
  auto add = [&](std::string what, Conv2dOptions o, Shape in, int64_t n) {
    cases.push_back({std::move(what), std::move(o), std::move(in), n});
  };
  add("1 channel, non-square image and kernel, batch 1", conv(2, {3, 2}), {1, 5, 4}, 1);
  {
    auto o = conv(4, {3, 2});
    o.stride = {2, 2};
    o.padding = {1, 2};
    add("stride 2 + padding, 3 channels, batch 3", o, {3, 7, 6}, 3);
  }
  {
    auto o = conv(3, {3, 3});
    o.dilation = {2, 2};
    o.padding = {1, 1};
    add("dilation 2", o, {2, 7, 7}, 2);
  }
  {
    auto o = conv(6, {3, 3});
    o.groups = 2;
    o.padding = {1, 1};
    add("groups 2", o, {4, 5, 4}, 2);
  }
  {
    auto o = conv(5, {3, 3});
    o.groups = 5;
    o.stride = {2, 1};
    add("depthwise (groups = channels = 5)", o, {5, 5, 6}, 1);
  }
  add("1x1 pointwise, 5 channels, batch 3", conv(3, {1, 1}), {5, 4, 3}, 3);
  {
    auto o = conv(4, {1, 1});
    o.groups = 2;
    add("1x1 pointwise with groups", o, {4, 3, 3}, 2);
  }
  {
    auto o = conv(2, {1, 1});
    o.stride = {2, 2};
    add("1x1 stride 2 (im2col path)", o, {3, 5, 4}, 2);
  }
  {
    auto o = conv(2, {4, 2});
    o.padding_mode = "same";
    add("same with an even kernel", o, {3, 5, 6}, 2);
  }
  {
    auto o = conv(2, {2, 3});
    o.padding_mode = "same";
    o.dilation = {2, 1};
    add("same with dilation", o, {1, 6, 5}, 3);
  }
  {
    auto o = conv(3, {2, 2});
    o.padding_mode = "valid";
    o.bias = false;
    add("valid, no bias", o, {2, 3, 4}, 3);
  }
  {
    auto o = conv(2, {3, 2});
    o.stride = {2, 1};
    o.padding = {0, 2};
    o.padding_end = {1, 0};
    add("asymmetric padding (ONNX pads)", o, {2, 6, 5}, 2);
  }
  {
    auto o = conv(2, {3, 3});
    o.stride = {2, 3};
    o.padding = {0, 1};
    o.init = "he_uniform";
    add("uneven strides, he_uniform", o, {3, 8, 9}, 1);
  }
  return cases;
}

TEST(Conv2d, GradientsMatchCentralDifferences) {
  for (const auto& c : grad_cases()) {
    Conv2d<double> layer(c.opt);
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n)) << c.what;
  }
  // In training the backward uses the columns the forward kept.
  test::GradcheckOptions training;
  training.training = true;
  for (const auto& c : grad_cases()) {
    Conv2d<double> layer(c.opt);
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n, training)) << c.what;
  }
}

// Conv2d<float> forward and backward against the direct convolution, on random inputs.
// training: a training forward keeps the columns for the backward; an evaluation forward does
// not, and the backward unrolls the images again.
void check_against_reference(const Conv2dOptions& opt, const Shape& input, int64_t n,
                             bool training = false) {
  Conv2d<float> layer(opt);
  const Shape ins[] = {input};
  const Shape out = layer.setup(ins).batched(n);
  ParamArena<float> arena;
  arena.bind(layer.params());
  Rng rng(3);
  layer.init(rng);
  Tensor x(input.batched(n)), dy(out), y(out, NAN), dx(x.shape(), 0.5f);
  for (auto& v : x.values()) v = float(rng.uniform(-1, 1));
  for (auto& v : dy.values()) v = float(rng.uniform(-1, 1));
  test::forward_backward(layer, x, y, dy, &dx, training);

  const auto& g = layer.geometry();
  const float* w = layer.params()[0]->value;
  const float* bias = opt.bias ? layer.params()[1]->value : nullptr;
  Tensor ry(out), rdx(x.shape(), 0.5f), rdw(layer.params()[0]->shape, 0.f);
  Tensor rdb(Shape{opt.filters}, 0.f);
  conv2d_reference_forward<float>(g, opt.groups, opt.filters, n, x.data(), w, bias, ry.data());
  conv2d_reference_backward<float>(g, opt.groups, opt.filters, n, x.data(), w, dy.data(),
                                   rdx.data(), rdw.data(), rdb.data());
  // Sums of up to a few thousand products of values below 1 (dW sums over N * OH * OW).
  for (int64_t i = 0; i < y.numel(); ++i) ASSERT_NEAR(y[i], ry[i], 1e-5) << "y " << i;
  for (int64_t i = 0; i < dx.numel(); ++i) ASSERT_NEAR(dx[i], rdx[i], 1e-5) << "dx " << i;
  const float* dw = layer.params()[0]->grad;
  // (Both sides sum in float, in different orders: relative to the size of the sum. Winograd's
  // weight gradient rounds its N * OH * OW products' sum more: measured up to 1e-5 times its
  // square root, tests/kernels/tiers_test.cpp.)
  const float sums = layer.winograd() ? 4e-5f * std::sqrt(float(n * g.col_cols())) : 2e-4f;
  auto tol = [&](float ref) { return sums + 1e-5 * std::fabs(ref); };
  for (int64_t i = 0; i < rdw.numel(); ++i) ASSERT_NEAR(dw[i], rdw[i], tol(rdw[i])) << "dw " << i;
  if (opt.bias) {
    for (int64_t i = 0; i < rdb.numel(); ++i)
      ASSERT_NEAR(layer.params()[1]->grad[i], rdb[i], tol(rdb[i])) << "db " << i;
  }
}

TEST(Conv2d, FloatLayerMatchesDirectConvolution) {
  for (const auto& c : grad_cases()) {
    SCOPED_TRACE(c.what);
    check_against_reference(c.opt, c.input, c.n, false);
    check_against_reference(c.opt, c.input, c.n, true);
  }
}

// Runs body(training) for training false and true under each thread count, then restores the
// thread count.
template <class F>
void for_threads_and_modes(std::initializer_list<int> thread_counts, F body) {
  const int saved = num_threads();
  for (int threads : thread_counts) {
    set_num_threads(threads);
    for (bool training : {false, true}) {
      SCOPED_TRACE(::testing::Message() << threads << " threads, training " << training);
      body(training);
    }
  }
  set_num_threads(saved);
}

// Batches large enough to be split over threads (each thread its own columns and partial dW),
// with block boundaries that do not divide the batch evenly.
TEST(Conv2d, ThreadedBatchesMatchDirectConvolution) {
  for_threads_and_modes({2, 3}, [](bool training) {
    auto o = conv(8, {3, 3});
    o.padding = {1, 1};
    check_against_reference(o, {3, 9, 8}, 5, training);
    o = conv(32, {1, 1});  // the 1x1 path
    check_against_reference(o, {16, 8, 8}, 7, training);
    o = conv(8, {3, 2});
    o.groups = 2;
    o.stride = {2, 1};
    o.padding = {1, 0};
    check_against_reference(o, {8, 12, 9}, 4, training);
    o = conv(6, {5, 5});  // one image: no split
    o.padding_mode = "same";
    check_against_reference(o, {4, 16, 16}, 1, training);
  });
}

// Images large enough that a slice (one GEMM) holds only some of a thread's images, or one:
// 4x24x24 with 3x3 windows unrolls to 36 x 576 values per image (six to a slice), 8x32x32 to
// 72 x 1024 (one to a slice). (Dilated, so that the direct kernel leaves them to im2col.)
TEST(Conv2d, SlicedBatchesMatchDirectConvolution) {
  for_threads_and_modes({1, 2}, [](bool training) {
    auto o = conv(5, {3, 3});
    o.dilation = {2, 2};
    o.padding = {2, 2};
    check_against_reference(o, {4, 24, 24}, 13, training);
    check_against_reference(o, {8, 32, 32}, 3, training);
    o.stride = {2, 2};
    check_against_reference(o, {4, 24, 24}, 9, training);
  });
}

// The direct kernels of the active tier inside the layer (stride 1, dilation 1, one group, where
// the tier has them; the forward up to 64 filters, the weight gradient up to 32), batches split
// over threads: output-channel blocks with a remainder, rows longer than one chunk, kernels wider
// than a block of columns, "same" padding with an even kernel (more at the bottom/right), no
// bias. (tests/kernels/tiers_test.cpp holds every tier's kernels against the reference; ctest
// runs this test under each tier.)
TEST(Conv2d, DirectKernelMatchesDirectConvolution) {
  auto o = conv(11, {3, 4});
  o.padding_mode = "same";
  Conv2d<float> probe(o);
  const Shape ins[] = {Shape{3, 7, 41}};
  probe.setup(ins);
  if (kernels().conv_forward == nullptr)
    GTEST_SKIP() << "tier " << isa_name(active_isa()) << " has no direct kernel";
  EXPECT_TRUE(probe.direct());
  EXPECT_TRUE(probe.direct_weight_grad());
  EXPECT_TRUE(probe.direct_input_grad());  // "same" padding: dy's border costs nothing
  for (bool training : {false, true}) {
    check_against_reference(o, {3, 7, 41}, 3, training);
    auto p = conv(6, {5, 5});  // LeNet-5's first layer
    p.padding = {2, 2};
    check_against_reference(p, {1, 28, 28}, 5, training);
    p = conv(16, {5, 5});  // and its second
    p.bias = false;
    Conv2d<float> second(p);
    const Shape six[] = {Shape{6, 14, 14}};
    second.setup(six);
    EXPECT_FALSE(second.direct_input_grad());  // valid padding: 1.96x the multiply-adds
    check_against_reference(p, {6, 14, 14}, 2, training);
    // Padding up to kernel - 1 on each side, unequal: the input gradient is direct.
    auto wide_pad = conv(7, {3, 5});
    wide_pad.padding = {2, 1};
    wide_pad.padding_end = {1, 4};
    check_against_reference(wide_pad, {3, 6, 19}, 3, training);
    // Rows of at most 16 pixels go two at a time: an odd number of rows leaves one.
    check_against_reference(conv(5, {3, 3}), {2, 9, 7}, 3, training);
    check_against_reference(conv(3, {2, 9}), {2, 6, 20}, 2, training);  // 9 = 7 + 2 columns
    // Up to 64 filters the forward is direct, the weight gradient im2col + GEMM from 33 on.
    auto wide = conv(40, {3, 3});
    wide.padding_mode = "same";
    Conv2d<float> forty(wide);
    const Shape five[] = {Shape{5, 6, 9}};
    forty.setup(five);
    EXPECT_TRUE(forty.direct());
    EXPECT_FALSE(forty.direct_weight_grad());
    check_against_reference(wide, {5, 6, 9}, 2, training);
  }
}

// oneDNN inside the layer (at least 16 input and 16 output channels, one group; the AVX-512 and
// AVX2 tiers, ctest runs this test under each): the convnet's second layer with a 3x3 kernel, odd
// sizes with stride, dilation and padding apart at the bottom/right, no bias, batches split over
// threads. check_against_reference starts dx at 0.5: the input gradient is added. A second backward
// adds dW and db again, from the forward's copy of x or, after a forward of another x, from x anew.
TEST(Conv2d, OnednnMatchesDirectConvolution) {
  auto convnet = conv(64, {3, 3});
  convnet.padding_mode = "same";
  {
    Conv2d<float> probe(convnet);
    const Shape ins[] = {Shape{32, 14, 14}};
    probe.setup(ins);
    if (active_isa() == Isa::scalar) {
      EXPECT_FALSE(probe.onednn());  // the scalar tier keeps redes' reference code
      GTEST_SKIP() << "oneDNN does not run in the scalar tier";
    }
    EXPECT_TRUE(probe.onednn());
    Conv2d<float> lenet(conv(16, {5, 5}));  // LeNet-5's second layer, 6 channels: redes' own
    const Shape six[] = {Shape{6, 14, 14}};
    lenet.setup(six);
    EXPECT_FALSE(lenet.onednn());
  }
  for_threads_and_modes({1, 2, 3}, [&](bool training) {
    check_against_reference(convnet, {32, 14, 14}, 5, training);
    auto odd = conv(17, {3, 4});
    odd.stride = {2, 1};
    odd.padding = {1, 0};
    odd.padding_end = {2, 3};
    check_against_reference(odd, {19, 9, 11}, 3, training);
    auto dilated = conv(16, {3, 3});
    dilated.dilation = {2, 3};
    dilated.bias = false;
    check_against_reference(dilated, {16, 8, 10}, 2, training);
  });

  Conv2d<float> layer(convnet);
  const Shape ins[] = {Shape{32, 14, 14}};
  const Shape out = layer.setup(ins).batched(3);
  ParamArena<float> arena;
  arena.bind(layer.params());
  Rng rng(5);
  layer.init(rng);
  Tensor x(Shape{3, 32, 14, 14}), other(x.shape()), dy(out), y(out);
  for (auto& v : x.values()) v = float(rng.uniform(-1, 1));
  for (auto& v : other.values()) v = float(rng.uniform(-1, 1));
  for (auto& v : dy.values()) v = float(rng.uniform(-1, 1));
  test::forward_backward<float>(layer, x, y, dy, nullptr, true);
  const std::vector<float> dw(layer.params()[0]->grad,
                              layer.params()[0]->grad + layer.params()[0]->numel());
  const float db0 = layer.params()[1]->grad[0];
  test::forward_backward<float>(layer, x, y, dy, nullptr, true);  // the kept copy of x
  for (size_t i = 0; i < dw.size(); ++i)
    ASSERT_NEAR(layer.params()[0]->grad[i], 2 * dw[i], 1e-4 + 1e-5 * std::fabs(dw[i])) << i;
  EXPECT_NEAR(layer.params()[1]->grad[0], 2 * db0, 1e-4);
  Tensor other_y(out), dx(x.shape(), 0.f), other_dx(x.shape(), 0.f);
  test::forward_backward(layer, other, other_y, dy, &other_dx, true);
  // The forward of `other` replaced the kept copy: a backward of x must not use it.
  BackwardCtx<float> b;
  b.inputs = {x.view()};
  b.output = y.view();
  b.grad_output = dy.view();
  b.grad_inputs = {dx.view()};
  b.training = true;
  std::vector<float> before(layer.params()[0]->grad,
                            layer.params()[0]->grad + layer.params()[0]->numel());
  layer.backward(b);
  for (size_t i = 0; i < dw.size(); ++i)
    ASSERT_NEAR(layer.params()[0]->grad[i] - before[i], dw[i], 1e-4 + 1e-5 * std::fabs(dw[i])) << i;
}

// The 5x5 layers oneDNN would serve (stride 1, dilation 1) run their forward and input gradient
// through F(2x2, 5x5) (kernels/winograd.hpp), their weight gradient through oneDNN; on every
// thread count, in both modes, within rounding of the reference.
TEST(Conv2d, WinogradMatchesDirectConvolution) {
  auto convnet = conv(64, {5, 5});
  convnet.padding_mode = "same";
  auto asymmetric = conv(19, {5, 5});
  asymmetric.padding = {1, 0};
  asymmetric.padding_end = {2, 3};
  auto valid = conv(16, {5, 5});
  valid.bias = false;
  auto strided = convnet;
  strided.stride = {2, 2};
  strided.padding_mode = "explicit";
  strided.padding = {2, 2};
  const auto runs = [](const Conv2dOptions& o, const Shape& in) {
    Conv2d<float> probe(o);
    const Shape ins[] = {in};
    probe.setup(ins);
    // One path owns the forward: not the direct kernel too (nor its fusion with ReLU and pooling).
    EXPECT_FALSE(probe.winograd() && (probe.direct() || probe.onednn()));
    return probe.winograd();
  };
  if (active_isa() == Isa::scalar) {
    EXPECT_FALSE(runs(convnet, {32, 14, 14}));
    GTEST_SKIP() << "F(2x2, 5x5) has no kernel in the scalar tier";
  }
  EXPECT_TRUE(runs(convnet, {32, 14, 14}));
  EXPECT_TRUE(runs(asymmetric, {17, 7, 6}));
  EXPECT_TRUE(runs(valid, {16, 9, 11}));
  EXPECT_FALSE(runs(strided, {32, 14, 14}));           // stride 2: oneDNN
  EXPECT_FALSE(runs(conv(16, {5, 5}), {6, 14, 14}));   // 6 channels: redes' direct kernels
  EXPECT_FALSE(runs(conv(64, {3, 3}), {32, 14, 14}));  // 3x3: oneDNN
  for_threads_and_modes({1, 2, 3}, [&](bool training) {
    check_against_reference(convnet, {32, 14, 14}, 5, training);
    check_against_reference(asymmetric, {17, 7, 6}, 3, training);
    check_against_reference(valid, {16, 9, 11}, 2, training);
  });
  // The transformed weights are kept between forwards while the weights stay as they were:
  // changed in place (as an optimizer or a loaded model does), the next forward follows.
  Conv2d<float> layer(convnet);
  const Shape ins[] = {Shape{32, 14, 14}};
  const Shape out = layer.setup(ins).batched(1);
  ParamArena<float> arena;
  arena.bind(layer.params());
  Rng rng(9);
  layer.init(rng);
  Tensor x(Shape{1, 32, 14, 14}), y(out), ry(out);
  for (auto& v : x.values()) v = float(rng.uniform(-1, 1));
  Param<float>& w = *layer.params()[0];
  for (int pass = 0; pass < 3; ++pass) {
    if (pass > 0) w.value[pass * 977] += 0.5f;
    ForwardCtx<float> f;
    f.inputs = {x.view()};
    f.output = y.view();
    layer.forward(f);
    conv2d_reference_forward<float>(layer.geometry(), 1, 64, 1, x.data(), w.value,
                                    layer.params()[1]->value, ry.data());
    for (int64_t i = 0; i < y.numel(); ++i) ASSERT_NEAR(y[i], ry[i], 1e-5) << pass << " y " << i;
  }
}

TEST(Conv2d, ShapesFollowPyTorch) {
  auto out_shape = [](Conv2dOptions o, Shape in) {
    Conv2d<float> layer(o);
    const Shape ins[] = {in};
    return layer.setup(ins);
  };
  auto o = conv(6, {5, 5});
  o.padding = {2, 2};
  EXPECT_EQ(out_shape(o, {1, 28, 28}), (Shape{6, 28, 28}));  // LeNet-5 conv1
  EXPECT_EQ(out_shape(conv(16, {5, 5}), {6, 14, 14}), (Shape{16, 10, 10}));
  o = conv(8, {4, 4});
  o.padding_mode = "same";
  EXPECT_EQ(out_shape(o, {3, 9, 7}), (Shape{8, 9, 7}));
  o = conv(2, {3, 2});
  o.stride = {2, 3};
  o.padding = {1, 0};
  o.dilation = {2, 1};
  // H: floor((9 + 2 - 5) / 2) + 1 = 4; W: floor((8 - 2) / 3) + 1 = 3
  EXPECT_EQ(out_shape(o, {3, 9, 8}), (Shape{2, 4, 3}));

  Conv2d<float> layer(conv(4, {3, 2}));
  const Shape ins[] = {Shape{6, 5, 5}};
  layer.setup(ins);
  EXPECT_EQ(layer.params()[0]->shape, (Shape{4, 6, 3, 2}));  // (OC, C/G, KH, KW) as PyTorch
  EXPECT_EQ(layer.params()[1]->shape, (Shape{4}));
  EXPECT_FALSE(layer.pointwise());
  Conv2d<float> one(conv(4, {1, 1}));
  one.setup(ins);
  EXPECT_TRUE(one.pointwise());
}

TEST(Conv2d, SamePaddingPutsTheExtraAtTheBottomRight) {
  auto o = conv(1, {4, 2});
  o.padding_mode = "same";
  Conv2d<float> layer(o);
  const Shape ins[] = {Shape{1, 6, 6}};
  layer.setup(ins);
  const auto& g = layer.geometry();
  // Total padding 3 rows: 1 on top, 2 at the bottom; 1 column: 0 left, 1 right.
  EXPECT_EQ(g.pad_top, 1);
  EXPECT_EQ(g.pad_bottom, 2);
  EXPECT_EQ(g.pad_left, 0);
  EXPECT_EQ(g.pad_right, 1);
}

TEST(Conv2d, PaddingEndPadsTheBottomAndRightApart) {
  auto o = conv(1, {3, 3});
  o.padding = {1, 0};
  o.padding_end = {2, 1};
  Conv2d<float> layer(o);
  const Shape ins[] = {Shape{1, 6, 6}};
  // H: 6 + 1 + 2 - 3 + 1 = 7; W: 6 + 0 + 1 - 3 + 1 = 5
  EXPECT_EQ(layer.setup(ins), (Shape{1, 7, 5}));
  const auto& g = layer.geometry();
  EXPECT_EQ(g.pad_top, 1);
  EXPECT_EQ(g.pad_bottom, 2);
  EXPECT_EQ(g.pad_left, 0);
  EXPECT_EQ(g.pad_right, 1);
}

TEST(Conv2d, ImpossibleShapesThrowShapeErrorWithTheShapes) {
  auto setup_error = [](Conv2dOptions o, Shape in) -> std::string {
    Conv2d<float> layer(o);
    const Shape ins[] = {in};
    try {
      layer.setup(ins);
    } catch (const ShapeError& e) {
      return e.what();
    }
    return "";
  };
  const std::string big = setup_error(conv(2, {5, 5}), {1, 4, 9});
  EXPECT_NE(big.find("(1, 4, 9)"), std::string::npos) << big;
  EXPECT_NE(big.find("does not fit"), std::string::npos) << big;
  auto o = conv(4, {3, 3});
  o.groups = 2;
  const std::string groups = setup_error(o, {3, 8, 8});
  EXPECT_NE(groups.find("(3, 8, 8)"), std::string::npos) << groups;
  EXPECT_NE(groups.find("groups"), std::string::npos) << groups;
  EXPECT_NE(setup_error(conv(2, {3, 3}), {8, 8}).find("(C, H, W)"), std::string::npos);
  o = conv(2, {5, 5});
  o.padding = {1, 1};
  EXPECT_EQ(setup_error(o, {1, 3, 3}), "");  // padded to 5x5: one output
}

TEST(Conv2d, BadOptionsThrowConfigError) {
  auto o = conv(0, {3, 3});
  EXPECT_THROW(Conv2d<float>{o}, ConfigError);
  o = conv(2, {0, 3});
  EXPECT_THROW(Conv2d<float>{o}, ConfigError);
  o = conv(3, {3, 3});
  o.groups = 2;
  EXPECT_THROW(Conv2d<float>{o}, ConfigError);
  o = conv(2, {3, 3});
  o.padding_mode = "same";
  o.stride = {2, 1};
  EXPECT_THROW(Conv2d<float>{o}, ConfigError);
  o = conv(2, {3, 3});
  o.init = "nope";
  EXPECT_THROW(Conv2d<float>{o}, ConfigError);
}

TEST(Conv2d, TorchInitStaysWithinOneOverSqrtFanIn) {
  auto o = conv(32, {3, 3});
  o.groups = 2;
  Conv2d<float> layer(o);
  const Shape ins[] = {Shape{8, 6, 6}};
  layer.setup(ins);
  ParamArena<float> arena;
  arena.bind(layer.params());
  Rng rng(1);
  layer.init(rng);
  const double bound = 1.0 / std::sqrt(4.0 * 9.0);  // fan_in = C/G * KH * KW = 36
  for (auto* p : layer.params()) {
    double lo = 1, hi = -1;
    for (float v : p->values()) {
      lo = std::min(lo, double(v));
      hi = std::max(hi, double(v));
    }
    EXPECT_GE(lo, -bound) << p->name;
    EXPECT_LE(hi, bound) << p->name;
    EXPECT_LT(lo, -0.8 * bound) << p->name;
    EXPECT_GT(hi, 0.8 * bound) << p->name;
  }
}

// Same input, same parameters, same threads: the same bits, forward and backward, and a second
// step (reusing the grown buffers) repeats the first.
TEST(Conv2d, RepeatsBitForBit) {
  auto o = conv(16, {5, 5});
  o.padding = {2, 2};
  Conv2d<float> layer(o);
  const Shape ins[] = {Shape{6, 12, 12}};
  const Shape out = layer.setup(ins).batched(8);
  ParamArena<float> arena;
  arena.bind(layer.params());
  Rng rng(2);
  layer.init(rng);
  Tensor x(ins[0].batched(8)), dy(out);
  for (auto& v : x.values()) v = float(rng.normal());
  for (auto& v : dy.values()) v = float(rng.normal());
  auto step = [&]() {
    Tensor y(out), dx(x.shape(), 0.f);
    arena.zero_grad();
    test::forward_backward(layer, x, y, dy, &dx);
    std::vector<float> all = y.values();
    all.insert(all.end(), dx.values().begin(), dx.values().end());
    all.insert(all.end(), arena.grads().begin(), arena.grads().end());
    return all;
  };
  const auto first = step();
  const auto second = step();
  ASSERT_EQ(first.size(), second.size());
  EXPECT_EQ(std::memcmp(first.data(), second.data(), first.size() * sizeof(float)), 0);
}

TEST(Conv2d, SkipsTheInputGradientWhenNotWanted) {
  // The first layer of a model gets an empty din: only the parameter gradients are computed.
  Conv2d<float> layer(conv(2, {3, 3}));
  const Shape ins[] = {Shape{1, 5, 5}};
  const Shape out = layer.setup(ins).batched(2);
  ParamArena<float> arena;
  arena.bind(layer.params());
  Rng rng(4);
  layer.init(rng);
  Tensor x(ins[0].batched(2), 1.f), y(out), dy(out, 1.f);
  test::forward_backward<float>(layer, x, y, dy, nullptr);
  // Every weight saw x = 1 at each of the 2 * 3 * 3 outputs.
  for (float g : layer.params()[0]->grads()) EXPECT_FLOAT_EQ(g, 18.f);
  for (float g : layer.params()[1]->grads()) EXPECT_FLOAT_EQ(g, 18.f);
}

// The network of the inference test below, on 7 images of 3 x 15 x 13 with a NaN and ties.
struct FusableNet {
  Graph g;
  Tensor x{Shape{7, 3, 15, 13}};
  Rng rng{3};
  FusableNet() : g(specs(), Shape{3, 15, 13}) {
    g.init(rng);
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(rng.normal());
    x[40] = std::nanf("");
    for (int64_t i = 200; i < 260; ++i) x[i] = 0.5f;  // ties in the pooling windows
  }
  static std::vector<LayerSpec> specs() {
    const auto spec = [](std::string kind, std::string name, nlohmann::json attrs) {
      LayerSpec s;
      s.kind = std::move(kind), s.name = std::move(name), s.attrs = std::move(attrs);
      return s;
    };
    const auto none = nlohmann::json::object();
    return {spec("conv2d", "conv1", {{"filters", 6}, {"kernel", 5}, {"padding", 2}}),
            spec("relu", "relu1", none),
            spec("max_pool2d", "pool1", {{"kernel", 2}}),
            spec("conv2d", "conv2", {{"filters", 11}, {"kernel", 3}}),
            spec("relu", "relu2", none),
            spec("max_pool2d", "pool2", {{"kernel", 2}}),
            spec("flatten", "flat", none),
            spec("linear", "out", {{"units", 5}})};
  }
  // Every layer's output and every gradient after a training forward and backward (the NaN
  // left out: its image's gradients would all be NaN).
  std::vector<float> step(bool keep_outputs) {
    Tensor clean = x;
    clean[40] = 0.25f;
    g.zero_grad();
    const auto out = g.forward(clean.view(), true, rng, keep_outputs);
    Tensor dy(out.shape());
    for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = static_cast<float>(i % 7) - 3.0f;
    g.backward(dy.view());
    std::vector<float> all(g.grads().begin(), g.grads().end());
    for (const auto& s : specs()) {
      const auto o = g.output_of(s.name);
      all.insert(all.end(), o.data(), o.data() + o.numel());
    }
    return all;
  }
};

// Training runs the same passes as one too, keeping every layer's output and the pooling's
// positions for the backward, and each pooling's backward takes in its ReLU's
// (MaxPool2d::backward_through): every output and gradient has the bits of the layers one after
// another (keep_outputs), on one and two threads.
TEST(Conv2d, FusedWithReluAndPoolingInTrainingGivesTheSameBits) {
  FusableNet net;
  const int threads = num_threads();
  for (int t : {1, 2}) {
    set_num_threads(t);
    const auto fused = net.step(false);
    const auto alone = net.step(true);
    ASSERT_EQ(fused.size(), alone.size());
    EXPECT_EQ(std::memcmp(fused.data(), alone.data(), fused.size() * sizeof(float)), 0)
        << t << " threads";
  }
  set_num_threads(threads);
}

// Inference runs a direct convolution, its ReLU and a 2x2 max pooling image by image
// (Conv2d::forward_fused, from Graph::forward): the same bits as the three layers one after
// another, on odd sizes (the pooling drops the last row and column), with a NaN and ties, on
// one and two threads. Without a direct kernel (the scalar tier) nothing is fused.
TEST(Conv2d, FusedWithReluAndPoolingInInferenceGivesTheSameBits) {
  FusableNet net;
  Graph& g = net.g;
  const Tensor& x = net.x;
  Rng& rng = net.rng;
  const bool fuses = kernels().conv_forward != nullptr;
  const int threads = num_threads();
  for (int t : {1, 2}) {
    set_num_threads(t);
    const auto out = g.forward(x.view(), false, rng);
    const std::vector<float> fused(out.data(), out.data() + out.numel());
    if (fuses) {
      EXPECT_THROW(g.output_of("conv1"), Error);
      EXPECT_THROW(g.output_of("relu2"), Error);
      EXPECT_EQ(g.output_of("pool1").dim(2), 7);
    }
    const auto whole = g.forward(x.view(), false, rng, /*keep_outputs=*/true);
    ASSERT_EQ(whole.numel(), static_cast<int64_t>(fused.size()));
    EXPECT_EQ(std::memcmp(whole.data(), fused.data(), fused.size() * sizeof(float)), 0)
        << t << " threads";
    EXPECT_EQ(g.output_of("conv1").dim(1), 6);
  }
  set_num_threads(threads);
}

}  // namespace
}  // namespace redes
