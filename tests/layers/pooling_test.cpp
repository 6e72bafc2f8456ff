#include "layers/pooling.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "support/gradcheck.hpp"
#include "support/layer_run.hpp"

namespace redes {
namespace {

Pool2dOptions pool(std::array<int64_t, 2> kernel, std::array<int64_t, 2> stride = {0, 0},
                   std::array<int64_t, 2> padding = {0, 0}) {
  Pool2dOptions o;
  o.kernel = kernel;
  o.stride = stride;
  o.padding = padding;
  return o;
}

// The options beyond pool(), one at a time.
Pool2dOptions ceil(Pool2dOptions o) {
  o.ceil_mode = true;
  return o;
}
Pool2dOptions no_pad_count(Pool2dOptions o) {
  o.count_include_pad = false;
  return o;
}
Pool2dOptions dilated(Pool2dOptions o, std::array<int64_t, 2> dilation) {
  o.dilation = dilation;
  return o;
}
// padding = {top, left} already in o; end = {bottom, right}.
Pool2dOptions ends(Pool2dOptions o, std::array<int64_t, 2> end) {
  o.padding_end = end;
  return o;
}

struct PoolCase {
  std::string what;
  Pool2dOptions opt;
  Shape input;
  int64_t n;
};

std::vector<PoolCase> pool_cases() {
  return {
      {"2x2, stride 2 (default), batch 1", pool({2, 2}), {1, 4, 6}, 1},
      {"odd image: the last row and column fall out", pool({2, 2}), {3, 5, 5}, 3},
      {"3x2 window, stride 1", pool({3, 2}, {1, 1}), {2, 5, 4}, 2},
      {"stride != kernel, padding 1", pool({3, 3}, {2, 2}, {1, 1}), {5, 6, 7}, 2},
      {"non-square padding", pool({2, 4}, {1, 3}, {1, 2}), {1, 5, 9}, 3},
      {"overlapping windows", pool({3, 3}, {1, 1}, {1, 1}), {2, 4, 4}, 1},
      // ceil_mode: partial last windows (the 2x2 stride-2 layer leaves its fast path).
      {"ceil_mode, 2x2 on an odd image", ceil(pool({2, 2})), {2, 5, 7}, 2},
      {"ceil_mode, padding 1, stride 2", ceil(pool({3, 3}, {2, 2}, {1, 1})), {1, 6, 8}, 2},
      {"ceil_mode, the window past the padding dropped",
       ceil(pool({2, 2}, {4, 4}, {1, 1})),
       {1, 5, 7},
       2},
      // Asymmetric pads [top, left, bottom, right].
      {"pads [1, 0, 0, 1]", ends(pool({2, 2}, {2, 2}, {1, 0}), {0, 1}), {2, 5, 5}, 2},
      {"pads [0, 1, 1, 0], stride 1", ends(pool({3, 2}, {1, 1}, {0, 1}), {1, 0}), {1, 4, 5}, 2},
      {"pads [1, 1, 0, 1] with ceil_mode",
       ceil(ends(pool({3, 3}, {2, 2}, {1, 1}), {0, 1})),
       {1, 6, 7},
       2},
  };
}

// Max pooling only: dilation.
std::vector<PoolCase> max_cases() {
  return {
      {"dilation 2", dilated(pool({3, 3}, {1, 1}), {2, 2}), {2, 7, 8}, 2},
      {"dilation [2, 3], stride [2, 3], padding 1, ceil_mode",
       ceil(dilated(pool({3, 2}, {2, 3}, {1, 1}), {2, 3})),
       {1, 8, 9},
       2},
      {"dilation 3 with pads [1, 0, 2, 0]",
       ends(dilated(pool({2, 2}, {1, 1}, {1, 0}), {3, 1}), {2, 0}),
       {1, 6, 4},
       2},
  };
}

// Average pooling only: count_include_pad = false, and ceil_mode's clipped divisor.
std::vector<PoolCase> avg_cases() {
  return {
      {"count_include_pad false, padding 1",
       no_pad_count(pool({3, 3}, {2, 2}, {1, 1})),
       {2, 6, 7},
       2},
      {"count_include_pad false, non-square padding",
       no_pad_count(pool({2, 4}, {1, 3}, {1, 2})),
       {1, 5, 9},
       2},
      {"count_include_pad false with ceil_mode",
       ceil(no_pad_count(pool({3, 3}, {2, 2}, {1, 1}))),
       {1, 6, 6},
       2},
      {"count_include_pad true with ceil_mode: the last divisor clipped",
       ceil(pool({3, 3}, {2, 2}, {1, 1})),
       {1, 6, 6},
       2},
      {"count_include_pad false, pads [1, 0, 0, 1]",
       no_pad_count(ends(pool({2, 2}, {2, 2}, {1, 0}), {0, 1})),
       {1, 5, 5},
       2},
  };
}

TEST(MaxPool2d, GradientsMatchCentralDifferences) {
  // N(0, 1) inputs have no ties, so the maximum is differentiable at every input.
  for (const auto& c : pool_cases()) {
    MaxPool2d<double> layer(c.opt);
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n)) << c.what;
  }
}

TEST(MaxPool2d, DilationGradientsMatchCentralDifferences) {
  for (const auto& c : max_cases()) {
    MaxPool2d<double> layer(c.opt);
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n)) << c.what;
  }
}

TEST(AvgPool2d, GradientsMatchCentralDifferences) {
  for (const auto& c : pool_cases()) {
    AvgPool2d<double> layer(c.opt);
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n)) << c.what;
  }
}

TEST(AvgPool2d, CountIncludePadGradientsMatchCentralDifferences) {
  for (const auto& c : avg_cases()) {
    AvgPool2d<double> layer(c.opt);
    EXPECT_TRUE(test::check_layer_gradients(layer, {c.input}, c.n)) << c.what;
  }
}

TEST(GlobalAvgPool2d, GradientsMatchCentralDifferences) {
  GlobalAvgPool2d<double> layer;
  EXPECT_TRUE(test::check_layer_gradients(layer, {Shape{3, 4, 5}}, 2));
  GlobalAvgPool2d<double> one;
  EXPECT_TRUE(test::check_layer_gradients(one, {Shape{1, 1, 1}}, 3));
}

// Runs forward and backward (dy = 1 everywhere) of one plane, returns y and dx.
template <class L>
std::pair<std::vector<double>, std::vector<double>> run(L& layer, Shape in,
                                                        std::vector<double> values) {
  const Shape ins[] = {in};
  const Shape out = layer.setup(ins).batched(1);
  TensorD x(in.batched(1), values), y(out), dy(out, 1.0), dx(x.shape(), 0.0);
  test::forward_backward(layer, x, y, dy, &dx);
  return {y.values(), dx.values()};
}

TEST(MaxPool2d, TiesGoToTheFirstMaximumInRowMajorOrder) {
  // PyTorch's CPU kernel keeps the running maximum unless a later value is strictly greater
  // (or NaN): of equal values, the first in the window's row-major order wins and receives the
  // whole gradient.
  MaxPool2d<double> layer(pool({2, 2}));
  const auto [y, dx] = run(layer, {1, 2, 4},
                           {5, 5, 1, 2,    //
                            5, 5, 2, 2});  // window 1: all 5; window 2: 2 three times
  EXPECT_EQ(y, (std::vector<double>{5, 2}));
  EXPECT_EQ(dx, (std::vector<double>{1, 0, 0, 1,  //
                                     0, 0, 0, 0}));
}

TEST(MaxPool2d, NaNWinsAndPaddingIsMinusInfinity) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  MaxPool2d<double> layer(pool({2, 2}));
  const auto [y, dx] = run(layer, {1, 2, 2}, {1, nan, 3, 2});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(dx, (std::vector<double>{0, 1, 0, 0}));
  // With padding 1 the corner windows hold one real value, however negative.
  MaxPool2d<double> padded(pool({2, 2}, {2, 2}, {1, 1}));
  const auto [yp, dxp] = run(padded, {1, 2, 2}, {-7, -8, -9, -1e30});
  EXPECT_EQ(yp, (std::vector<double>{-7, -8, -9, -1e30}));
  EXPECT_EQ(dxp, (std::vector<double>{1, 1, 1, 1}));
}

TEST(MaxPool2d, TwoByTwoPathMatchesTheWindowRuleOnTiesAndNaN) {
  // The 2x2 stride-2 layer runs in blocks of 8, 4 or 1 outputs (the last block overlapping the
  // one before); every width from 2 to 21 against the rule written out here, on small integers
  // (ties in most windows) with a few NaNs.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t W = 2; W <= 21; ++W) {
    SCOPED_TRACE(W);
    const int64_t C = 2, H = 5, N = 2, OH = H / 2, OW = W / 2;
    Rng rng(W);
    std::vector<double> v(N * C * H * W);
    for (auto& x : v) x = rng.uniform() < 0.05 ? nan : double(rng.below(3));
    MaxPool2d<double> layer(pool({2, 2}));
    const Shape ins[] = {Shape{C, H, W}};
    const Shape out = layer.setup(ins).batched(N);
    TensorD x(ins[0].batched(N), v), y(out), dy(out), dx(x.shape(), 0.0);
    for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = double(i + 1);  // tells outputs apart
    test::forward_backward(layer, x, y, dy, &dx);
    std::vector<double> want_dx(x.numel(), 0.0);
    for (int64_t pl = 0; pl < N * C; ++pl)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double m = -std::numeric_limits<double>::infinity();
          int64_t at = -1;
          for (int64_t kh = 0; kh < 2; ++kh)
            for (int64_t kw = 0; kw < 2; ++kw) {
              const int64_t i = pl * H * W + (2 * oh + kh) * W + 2 * ow + kw;
              if (at < 0 || x[i] > m || std::isnan(x[i])) {
                m = x[i];
                at = i;
              }
            }
          const int64_t o = (pl * OH + oh) * OW + ow;
          if (std::isnan(m)) {
            EXPECT_TRUE(std::isnan(y[o])) << o;
          } else {
            EXPECT_EQ(y[o], m) << o;
          }
          want_dx[at] += dy[o];
        }
    EXPECT_EQ(dx.values(), want_dx);
  }
}

TEST(AvgPool2d, PaddingCountsInTheDivisor) {
  // count_include_pad = true: a corner window with padding 1 averages 1 real value over 4.
  AvgPool2d<double> layer(pool({2, 2}, {2, 2}, {1, 1}));
  const auto [y, dx] = run(layer, {1, 2, 2}, {4, 8, 12, 16});
  EXPECT_EQ(y, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(dx, (std::vector<double>{0.25, 0.25, 0.25, 0.25}));
  // Without padding, overlapping 2x2 windows at stride 1 on a 3x3 image: the centre is in 4.
  AvgPool2d<double> overlap(pool({2, 2}, {1, 1}));
  const auto [yo, dxo] = run(overlap, {1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(yo, (std::vector<double>{3, 4, 6, 7}));
  EXPECT_EQ(dxo, (std::vector<double>{0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25}));
}

TEST(AvgPool2d, CountIncludePadFalseDividesByTheImagePixels) {
  // The corner windows with padding 1 hold one real value each: their average is that value.
  AvgPool2d<double> layer(no_pad_count(pool({2, 2}, {2, 2}, {1, 1})));
  const auto [y, dx] = run(layer, {1, 2, 2}, {4, 8, 12, 16});
  EXPECT_EQ(y, (std::vector<double>{4, 8, 12, 16}));
  EXPECT_EQ(dx, (std::vector<double>{1, 1, 1, 1}));
}

TEST(AvgPool2d, CeilModeDivisorIsTheWindowClippedToThePaddedImage) {
  // One row 1 2 3 4, kernel 2, stride 2, padding 1, ceil_mode: windows [-1, 1), [1, 3) and
  // [3, 5), the last one inside the padded row [-1, 5): PyTorch divides all three by 2
  // (values checked against PyTorch 1.13: 0.5 2.5 2 and, without the padding, 1 2.5 4).
  const std::vector<double> row{1, 2, 3, 4};
  AvgPool2d<double> with(ceil(pool({1, 2}, {1, 2}, {0, 1})));
  const auto [y, dx] = run(with, {1, 1, 4}, row);
  EXPECT_EQ(y, (std::vector<double>{0.5, 2.5, 2}));
  EXPECT_EQ(dx, (std::vector<double>{0.5, 0.5, 0.5, 0.5}));
  AvgPool2d<double> without(no_pad_count(ceil(pool({1, 2}, {1, 2}, {0, 1}))));
  const auto [yn, dxn] = run(without, {1, 1, 4}, row);
  EXPECT_EQ(yn, (std::vector<double>{1, 2.5, 4}));
  EXPECT_EQ(dxn, (std::vector<double>{1, 0.5, 0.5, 1}));
  // No padding, 1 2 3: the last window [2, 4) reaches past the row and is clipped to [2, 3)
  // before its size is taken, so it divides by 1 (PyTorch: 1.5 3).
  AvgPool2d<double> short_row(ceil(pool({1, 2}, {1, 2})));
  const auto [ys, dxs] = run(short_row, {1, 1, 3}, {1, 2, 3});
  EXPECT_EQ(ys, (std::vector<double>{1.5, 3}));
  EXPECT_EQ(dxs, (std::vector<double>{0.5, 0.5, 1}));
}

TEST(MaxPool2d, DilationReadsEveryDilationthValue) {
  // Kernel 2 with dilation 2 along a row 5 1 4 7 2: windows {5, 4}, {1, 7}, {4, 2}
  // (PyTorch: 5 7 4, indices 0 3 2).
  MaxPool2d<double> layer(dilated(pool({1, 2}, {1, 1}), {1, 2}));
  const auto [y, dx] = run(layer, {1, 1, 5}, {5, 1, 4, 7, 2});
  EXPECT_EQ(y, (std::vector<double>{5, 7, 4}));
  EXPECT_EQ(dx, (std::vector<double>{1, 0, 1, 1, 0}));
}

TEST(Pool2d, AsymmetricPadsPadOnlyTheirSide) {
  // Pads [0, 1, 0, 0] (left only): windows [-1, 1) and [1, 3) over 1 2 3 (the last value
  // falls out); the average counts the padding.
  AvgPool2d<double> avg(ends(pool({1, 2}, {1, 2}, {0, 1}), {0, 0}));
  const auto [ya, dxa] = run(avg, {1, 1, 3}, {1, 2, 3});
  EXPECT_EQ(ya, (std::vector<double>{0.5, 2.5}));
  EXPECT_EQ(dxa, (std::vector<double>{0.5, 0.5, 0.5}));
  // Pads [0, 0, 0, 1] (right only): windows [0, 2) and [2, 4).
  MaxPool2d<double> max(ends(pool({1, 2}, {1, 2}), {0, 1}));
  const auto [ym, dxm] = run(max, {1, 1, 3}, {-1, -2, -3});
  EXPECT_EQ(ym, (std::vector<double>{-1, -3}));
  EXPECT_EQ(dxm, (std::vector<double>{1, 0, 1}));
}

// PyTorch's CPU kernels (aten/src/ATen/native/cpu/MaxPoolKernel.cpp and AvgPoolKernel.cpp,
// cpu_max_pool and cpu_avg_pool) written out for one plane, with the top/left pad where they
// use pad and the bottom/right pad where avg_pool clips to the padded end (input + pad).
struct Geometry {
  int64_t H, W, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw;
  bool ceil, count_pad;
};

// pooling_output_shape_pad_lr.
int64_t torch_out_size(int64_t in, int64_t k, int64_t pad_l, int64_t pad_r, int64_t s, int64_t d,
                       bool ceil_mode) {
  const int64_t num = in + pad_l + pad_r - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  int64_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;  // div_rtn
  if (ceil_mode && (out - 1) * s >= in + pad_l) --out;
  return out;
}

// y and the index of each maximum; false when a window reads no input (PyTorch: -inf).
bool torch_max_pool(const Geometry& g, const double* x, std::vector<double>& y,
                    std::vector<int64_t>& arg) {
  const int64_t OH = torch_out_size(g.H, g.kh, g.pt, g.pb, g.sh, g.dh, g.ceil);
  const int64_t OW = torch_out_size(g.W, g.kw, g.pl, g.pr, g.sw, g.dw, g.ceil);
  y.assign(OH * OW, 0.0);
  arg.assign(OH * OW, -1);
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow) {
      int64_t ih0 = oh * g.sh - g.pt, iw0 = ow * g.sw - g.pl;
      const int64_t ih1 = std::min(ih0 + (g.kh - 1) * g.dh + 1, g.H);
      const int64_t iw1 = std::min(iw0 + (g.kw - 1) * g.dw + 1, g.W);
      while (ih0 < 0) ih0 += g.dh;
      while (iw0 < 0) iw0 += g.dw;
      if (ih0 >= ih1 || iw0 >= iw1) return false;
      int64_t maxindex = ih0 * g.W + iw0;
      double maxval = -std::numeric_limits<double>::infinity();
      for (int64_t ih = ih0; ih < ih1; ih += g.dh)
        for (int64_t iw = iw0; iw < iw1; iw += g.dw) {
          const int64_t index = ih * g.W + iw;
          if (x[index] > maxval || std::isnan(x[index])) {
            maxval = x[index];
            maxindex = index;
          }
        }
      y[oh * OW + ow] = maxval;
      arg[oh * OW + ow] = maxindex;
    }
  return true;
}

// y, and dx += the backward of dy.
void torch_avg_pool(const Geometry& g, const double* x, const double* dy, std::vector<double>& y,
                    double* dx) {
  const int64_t OH = torch_out_size(g.H, g.kh, g.pt, g.pb, g.sh, 1, g.ceil);
  const int64_t OW = torch_out_size(g.W, g.kw, g.pl, g.pr, g.sw, 1, g.ceil);
  y.assign(OH * OW, 0.0);
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow) {
      int64_t ih0 = oh * g.sh - g.pt, iw0 = ow * g.sw - g.pl;
      int64_t ih1 = std::min(ih0 + g.kh, g.H + g.pb), iw1 = std::min(iw0 + g.kw, g.W + g.pr);
      const int64_t pool_size = (ih1 - ih0) * (iw1 - iw0);
      ih0 = std::max<int64_t>(ih0, 0);
      iw0 = std::max<int64_t>(iw0, 0);
      ih1 = std::min(ih1, g.H);
      iw1 = std::min(iw1, g.W);
      if (ih0 >= ih1 || iw0 >= iw1) continue;
      const int64_t divide = g.count_pad ? pool_size : (ih1 - ih0) * (iw1 - iw0);
      double sum = 0;
      for (int64_t ih = ih0; ih < ih1; ++ih)
        for (int64_t iw = iw0; iw < iw1; ++iw) sum += x[ih * g.W + iw];
      y[oh * OW + ow] = sum / static_cast<double>(divide);
      const double share = dy[oh * OW + ow] / static_cast<double>(divide);
      for (int64_t ih = ih0; ih < ih1; ++ih)
        for (int64_t iw = iw0; iw < iw1; ++iw) dx[ih * g.W + iw] += share;
    }
}

TEST(Pool2d, RandomGeometriesMatchPyTorchsKernels) {
  // Random kernels, strides, pads (symmetric and not), dilations and both modes over small
  // images of small integers (ties everywhere) with a few NaNs; both layers against the
  // kernels above, value for value, and the shape against pooling_output_shape_pad_lr.
  // Includes 2x2 stride-2 layers with ceil_mode or bottom/right pads, which must not take the
  // fast path (it would read past the plane).
  Rng rng(7);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  int built[2] = {0, 0}, fast_path_edges = 0, refused = 0, dropped = 0;
  for (int trial = 0; trial < 8000; ++trial) {
    Geometry g{};
    g.kh = 1 + int64_t(rng.below(3));
    g.kw = 1 + int64_t(rng.below(3));
    g.sh = 1 + int64_t(rng.below(3));
    g.sw = 1 + int64_t(rng.below(3));
    if (trial % 4 == 0) g.kh = g.kw = g.sh = g.sw = 2;  // the fast path's geometry
    g.pt = int64_t(rng.below(3));
    g.pl = int64_t(rng.below(3));
    g.pb = rng.uniform() < 0.5 ? g.pt : int64_t(rng.below(3));
    g.pr = rng.uniform() < 0.5 ? g.pl : int64_t(rng.below(3));
    g.H = 1 + int64_t(rng.below(7));
    g.W = 1 + int64_t(rng.below(7));
    g.ceil = rng.uniform() < 0.5;
    g.count_pad = rng.uniform() < 0.5;
    const bool is_max = trial % 2 == 0;
    g.dh = is_max ? 1 + int64_t(rng.below(3)) : 1;
    g.dw = is_max ? 1 + int64_t(rng.below(3)) : 1;
    Pool2dOptions o = pool({g.kh, g.kw}, {g.sh, g.sw}, {g.pt, g.pl});
    o.padding_end = {g.pb, g.pr};
    o.dilation = {g.dh, g.dw};
    o.ceil_mode = g.ceil;
    o.count_include_pad = is_max || g.count_pad;
    const std::string what =
        std::string(is_max ? "max" : "avg") + " H" + std::to_string(g.H) + " W" +
        std::to_string(g.W) + " k" + std::to_string(g.kh) + "x" + std::to_string(g.kw) + " s" +
        std::to_string(g.sh) + "x" + std::to_string(g.sw) + " pads " + std::to_string(g.pt) + "," +
        std::to_string(g.pl) + "," + std::to_string(g.pb) + "," + std::to_string(g.pr) + " d" +
        std::to_string(g.dh) + "x" + std::to_string(g.dw) + (g.ceil ? " ceil" : "") +
        (o.count_include_pad ? "" : " no-pad-count");
    SCOPED_TRACE(what);
    std::unique_ptr<Pool2d<double>> layer;
    try {
      if (is_max) {
        layer = std::make_unique<MaxPool2d<double>>(o);
      } else {
        layer = std::make_unique<AvgPool2d<double>>(o);
      }
    } catch (const ConfigError&) {
      // Only pads beyond the limits are refused.
      const bool sym_h = g.pt == g.pb, sym_w = g.pl == g.pr;
      const int64_t span_h = g.dh * (g.kh - 1) + 1, span_w = g.dw * (g.kw - 1) + 1;
      EXPECT_TRUE((sym_h ? 2 * g.pt > g.kh : 2 * std::max(g.pt, g.pb) > span_h) ||
                  (sym_w ? 2 * g.pl > g.kw : 2 * std::max(g.pl, g.pr) > span_w));
      continue;
    }
    const int64_t C = 2, N = 2, HW = g.H * g.W;
    const Shape ins[] = {Shape{C, g.H, g.W}};
    Shape out;
    const bool fits =
        g.H + g.pt + g.pb >= g.dh * (g.kh - 1) + 1 && g.W + g.pl + g.pr >= g.dw * (g.kw - 1) + 1;
    std::vector<double> v(N * C * HW);
    for (auto& e : v) e = (is_max && rng.uniform() < 0.03) ? nan : double(rng.below(4));
    std::vector<double> ry;
    std::vector<int64_t> rarg;
    const bool reads = fits && (!is_max || torch_max_pool(g, v.data(), ry, rarg));
    try {
      out = layer->setup(ins);
    } catch (const ShapeError&) {
      EXPECT_FALSE(reads) << "refused a geometry PyTorch pools";
      refused += fits;
      continue;
    }
    ASSERT_TRUE(reads) << "accepted a geometry with a window of padding only";
    ++built[is_max ? 0 : 1];
    const int64_t OH = torch_out_size(g.H, g.kh, g.pt, g.pb, g.sh, g.dh, g.ceil);
    const int64_t OW = torch_out_size(g.W, g.kw, g.pl, g.pr, g.sw, g.dw, g.ceil);
    ASSERT_EQ(out, (Shape{C, OH, OW}));
    // A 2x2 stride-2 geometry whose last window leaves the image at the bottom or right.
    fast_path_edges += g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.pt == 0 && g.pl == 0 &&
                       (2 * OH > g.H || 2 * OW > g.W);
    dropped += g.ceil && (torch_out_size(g.H, g.kh, g.pt, g.pb, g.sh, g.dh, true) <
                              (g.H + g.pt + g.pb - g.dh * (g.kh - 1) - 1 + g.sh - 1) / g.sh + 1 ||
                          torch_out_size(g.W, g.kw, g.pl, g.pr, g.sw, g.dw, true) <
                              (g.W + g.pl + g.pr - g.dw * (g.kw - 1) - 1 + g.sw - 1) / g.sw + 1);
    EXPECT_EQ(layer->out_h(), OH);
    EXPECT_EQ(layer->out_w(), OW);
    TensorD x(ins[0].batched(N), v), y(out.batched(N)), dy(out.batched(N)), dx(x.shape(), 0.0);
    for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = double(i % 7 + 1) / 4;
    test::forward_backward(*layer, x, y, dy, &dx);
    std::vector<double> want_dx(x.numel(), 0.0);
    for (int64_t pl = 0; pl < N * C; ++pl) {
      const double* xp = v.data() + pl * HW;
      const double* dyp = dy.data() + pl * OH * OW;
      if (is_max) {
        torch_max_pool(g, xp, ry, rarg);
        for (int64_t o2 = 0; o2 < OH * OW; ++o2) want_dx[pl * HW + rarg[o2]] += dyp[o2];
      } else {
        torch_avg_pool(g, xp, dyp, ry, want_dx.data() + pl * HW);
      }
      for (int64_t o2 = 0; o2 < OH * OW; ++o2) {
        const double got = y[pl * OH * OW + o2];
        if (std::isnan(ry[o2])) {
          EXPECT_TRUE(std::isnan(got)) << o2;
        } else {
          EXPECT_DOUBLE_EQ(got, ry[o2]) << "plane " << pl << " output " << o2;
        }
      }
    }
    for (int64_t i = 0; i < x.numel(); ++i) EXPECT_DOUBLE_EQ(dx[i], want_dx[i]) << "dx " << i;
    if (HasFailure()) break;  // one geometry's report is enough
  }
  EXPECT_GT(built[0], 500);
  EXPECT_GT(built[1], 500);
  EXPECT_GT(fast_path_edges, 20);
  EXPECT_GT(refused, 5);   // dilated windows of padding only
  EXPECT_GT(dropped, 20);  // ceil_mode windows dropped by the rule
}

TEST(Pool2d, CeilModeShapesFollowPyTorch) {
  const Shape in[] = {Shape{1, 5, 5}};
  // Kernel 3, stride 2 on 5: floor (5 - 3) / 2 + 1 = 2, ceil the same (no partial window).
  MaxPool2d<float> even(ceil(pool({3, 3}, {2, 2})));
  EXPECT_EQ(even.setup(in), (Shape{1, 2, 2}));
  // Kernel 2, stride 2 on 5: floor 2, ceil 3 (the last window reads the last row alone).
  MaxPool2d<float> partial(ceil(pool({2, 2})));
  EXPECT_EQ(partial.setup(in), (Shape{1, 3, 3}));
  MaxPool2d<float> floored(pool({2, 2}));
  EXPECT_EQ(floored.setup(in), (Shape{1, 2, 2}));
  // Kernel 2, stride 4, padding 1 on 5: ceil((5 + 2 - 2) / 4) + 1 = 3, but the third window
  // would start at 2 * 4 - 1 = 7, past the image: (3 - 1) * 4 >= 5 + 1 drops it (PyTorch: 2).
  AvgPool2d<float> dropped(ceil(pool({2, 2}, {4, 4}, {1, 1})));
  EXPECT_EQ(dropped.setup(in), (Shape{1, 2, 2}));
  // Kernel 3, stride 2, padding 1 on (6, 7): ceil((6 + 2 - 3) / 2) + 1 = 4 rows, the last
  // window [5, 8) reaching past the padded image; ceil((7 + 2 - 3) / 2) + 1 = 4 columns.
  AvgPool2d<float> over(ceil(pool({3, 3}, {2, 2}, {1, 1})));
  const Shape in2[] = {Shape{2, 6, 7}};
  EXPECT_EQ(over.setup(in2), (Shape{2, 4, 4}));
  EXPECT_EQ(AvgPool2d<float>(pool({3, 3}, {2, 2}, {1, 1})).setup(in2), (Shape{2, 3, 4}));
  // Dilation: the extent is dilation * (kernel - 1) + 1 = 5, (7 - 5) / 1 + 1 = 3 rows; with
  // stride 2 and ceil_mode, ceil((8 - 5) / 2) + 1 = 3 columns (floor: 2).
  MaxPool2d<float> dil(ceil(dilated(pool({3, 3}, {1, 2}), {2, 2})));
  const Shape in3[] = {Shape{1, 7, 8}};
  EXPECT_EQ(dil.setup(in3), (Shape{1, 3, 3}));
  // Asymmetric pads add to the room: (5 + 1 + 0 - 2) / 2 + 1 = 3 rows, (5 + 0 + 1 - 2) / 2 + 1
  // = 3 columns. With ceil_mode the drop rule measures from the top/left pad: pads [0, 0, 1, 1]
  // with kernel 2, stride 4 on 4: ceil((4 + 1 - 2) / 4) + 1 = 2, but (2 - 1) * 4 >= 4 + 0
  // drops the second window (it would start in the bottom padding); on 5 it starts at row 4,
  // inside, and stays.
  MaxPool2d<float> asym(ends(pool({2, 2}, {2, 2}, {1, 0}), {0, 1}));
  EXPECT_EQ(asym.setup(in), (Shape{1, 3, 3}));
  EXPECT_EQ(asym.options().padding_end, (std::array<int64_t, 2>{0, 1}));
  MaxPool2d<float> asym_ceil(ceil(ends(pool({2, 2}, {4, 4}), {1, 1})));
  const Shape in4[] = {Shape{1, 4, 4}};
  EXPECT_EQ(asym_ceil.setup(in4), (Shape{1, 1, 1}));
  EXPECT_EQ(asym_ceil.setup(in), (Shape{1, 2, 2}));
  // padding_end -1 (the default) is the padding.
  EXPECT_EQ(AvgPool2d<float>(pool({3, 3}, {1, 1}, {1, 0})).options().padding_end,
            (std::array<int64_t, 2>{1, 0}));
}

TEST(Pool2d, NewOptionErrors) {
  // Dilation is max_pool2d's; count_include_pad = false avg_pool2d's.
  EXPECT_THROW(AvgPool2d<float>(dilated(pool({2, 2}), {2, 1})), ConfigError);
  EXPECT_THROW(MaxPool2d<float>(no_pad_count(pool({2, 2}))), ConfigError);
  EXPECT_THROW(MaxPool2d<float>(dilated(pool({2, 2}), {0, 1})), ConfigError);
  // Symmetric pads: PyTorch's limit on the kernel itself, dilated or not.
  EXPECT_THROW(MaxPool2d<float>(dilated(pool({2, 2}, {1, 1}, {2, 0}), {3, 1})), ConfigError);
  // Asymmetric pads: each side at most half the dilated kernel.
  EXPECT_THROW(MaxPool2d<float>(ends(pool({2, 2}, {1, 1}, {0, 0}), {2, 0})), ConfigError);
  EXPECT_NO_THROW(MaxPool2d<float>(ends(dilated(pool({2, 2}, {1, 1}), {3, 1}), {2, 0})));
  EXPECT_THROW(AvgPool2d<float>(ends(pool({3, 3}, {1, 1}, {2, 0}), {1, 0})), ConfigError);
  EXPECT_THROW(AvgPool2d<float>(ends(pool({3, 3}), {0, -2})), ConfigError);
  // A dilated window that steps over the whole image: kernel 2, dilation 5, padding 1 on 4
  // rows reads rows -1 and 4 (PyTorch returns -inf); refused at setup.
  MaxPool2d<float> over(dilated(pool({2, 1}, {1, 1}, {1, 0}), {5, 1}));
  const Shape in[] = {Shape{1, 4, 3}};
  try {
    over.setup(in);
    ADD_FAILURE() << "a window of padding only was accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("only padding"), std::string::npos) << e.what();
  }
}

TEST(Pool2d, ShapesAndErrors) {
  MaxPool2d<float> lenet(pool({2, 2}));
  const Shape in[] = {Shape{6, 28, 28}};
  EXPECT_EQ(lenet.setup(in), (Shape{6, 14, 14}));
  EXPECT_EQ(lenet.options().stride, (std::array<int64_t, 2>{2, 2}));  // stride = kernel
  AvgPool2d<float> strided(pool({3, 3}, {2, 2}, {1, 1}));
  const Shape in2[] = {Shape{2, 7, 8}};
  EXPECT_EQ(strided.setup(in2), (Shape{2, 4, 4}));  // floor((7 + 2 - 3) / 2) + 1 = 4

  MaxPool2d<float> big(pool({5, 5}));
  const Shape small[] = {Shape{1, 4, 9}};
  try {
    big.setup(small);
    ADD_FAILURE() << "a 5x5 window fits a 4x9 image";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(1, 4, 9)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(MaxPool2d<float>(pool({2, 2}, {1, 1}, {2, 0})), ConfigError);  // pad > k / 2
  EXPECT_THROW(AvgPool2d<float>(pool({0, 2})), ConfigError);
  GlobalAvgPool2d<float> global;
  EXPECT_EQ(global.setup(in), (Shape{6}));
  const Shape flat[] = {Shape{6}};
  EXPECT_THROW(global.setup(flat), ShapeError);
}

}  // namespace
}  // namespace redes
