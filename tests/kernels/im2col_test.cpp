// im2col / col2im + GEMM against the direct convolution (kernels/im2col.hpp) on random awkward
// geometries, in float: odd sizes, non-square kernels, strides, dilation, asymmetric padding,
// groups, 1x1.
#include "kernels/im2col.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/gemm.hpp"
#include "redes/rng.hpp"
#include "support/conv_case.hpp"

namespace redes {
namespace {

using test::ConvCase;
using test::geometry;
using test::random_floats;

// Hand-picked awkward cases, then random ones.
std::vector<ConvCase> cases() {
  std::vector<ConvCase> out = {
      // N  C  H  W OC KH KW sh sw pt pb pl pr dh dw g
      {1, 1, 4, 3, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1},  // the lecture's 4x3 image, 2x2 filter
      {2, 3, 7, 5, 4, 3, 2, 2, 1, 1, 1, 0, 2, 1, 1, 1},  // stride 2 rows, padding 0/2 columns
      {3, 2, 9, 8, 3, 3, 3, 1, 2, 2, 2, 2, 2, 2, 2, 1},  // dilation 2
      {2, 4, 6, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},  // groups 2
      {1, 5, 5, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5},  // depthwise, stride 2
      {2, 3, 6, 5, 2, 4, 2, 1, 1, 1, 2, 0, 1, 1, 1, 1},  // "same" for an even kernel
      {3, 5, 4, 6, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},  // 1x1
      {2, 4, 5, 5, 2, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 2},  // 1x1 stride 2, groups 2
      {1, 2, 3, 3, 2, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1},  // one output pixel
      {1, 1, 2, 2, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  // kernel larger than the image
      {2, 1, 7, 3, 2, 2, 5, 3, 1, 0, 1, 2, 2, 1, 1, 1},  // wide kernel on a narrow image
  };
  Rng rng(2024);
  for (int i = 0; i < 30; ++i) {
    ConvCase c;
    c.N = 1 + rng.below(3);
    c.groups = 1 + rng.below(3);
    c.C = c.groups * (1 + rng.below(3));
    c.OC = c.groups * (1 + rng.below(3));
    c.KH = 1 + rng.below(4);
    c.KW = 1 + rng.below(4);
    c.sh = 1 + rng.below(3);
    c.sw = 1 + rng.below(3);
    c.dh = 1 + rng.below(2);
    c.dw = 1 + rng.below(2);
    c.pt = rng.below(3);
    c.pb = rng.below(3);
    c.pl = rng.below(3);
    c.pr = rng.below(3);
    c.H = 1 + rng.below(9);
    c.W = 1 + rng.below(9);
    if (!geometry(c).fits()) {
      --i;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string describe(const ConvCase& c) {
  return "N" + std::to_string(c.N) + " " + geometry(c).str() + " OC=" + std::to_string(c.OC) +
         " groups " + std::to_string(c.groups);
}

// The im2col path for one batch, image by image:
//   y[n]_q = W_q col(x[n])_q;  dW_q += dy[n]_q col_q^T;  dx[n] += col2im(W_q^T dy[n]_q).
struct Im2colConv {
  std::vector<float> y, dx, dw;
};

Im2colConv im2col_conv(const ConvCase& c, const Conv2dGeometry& g, const std::vector<float>& x,
                       const std::vector<float>& w, const std::vector<float>& dy) {
  const int64_t G = c.groups, OCg = c.OC / G, Kg = g.col_rows() / G, P = g.col_cols();
  const int64_t CHW = c.C * c.H * c.W;
  Im2colConv r{std::vector<float>(c.N * c.OC * P), std::vector<float>(x.size(), 0.f),
               std::vector<float>(w.size(), 0.f)};
  std::vector<float> col(g.col_rows() * P), dcol(g.col_rows() * P);
  for (int64_t n = 0; n < c.N; ++n) {
    im2col(g, x.data() + n * CHW, col.data(), P);
    for (int64_t q = 0; q < G; ++q) {
      const float* wq = w.data() + q * OCg * Kg;
      const float* dyq = dy.data() + (n * c.OC + q * OCg) * P;
      gemm<float>(false, false, OCg, P, Kg, 1.f, wq, Kg, col.data() + q * Kg * P, P, 0.f,
                  r.y.data() + (n * c.OC + q * OCg) * P, P);
      gemm<float>(false, true, OCg, Kg, P, 1.f, dyq, P, col.data() + q * Kg * P, P, 1.f,
                  r.dw.data() + q * OCg * Kg, Kg);
      gemm<float>(true, false, Kg, P, OCg, 1.f, wq, Kg, dyq, P, 0.f, dcol.data() + q * Kg * P, P);
    }
    col2im(g, dcol.data(), P, r.dx.data() + n * CHW);
  }
  return r;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, double tol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tol) << what << " [" << i << "]";
}

TEST(Im2col, GemmConvolutionMatchesDirectConvolution) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(describe(c));
    const Conv2dGeometry g = geometry(c);
    Rng rng(c.N * 7 + c.C * 131 + c.H * 17 + c.KW);
    const int64_t Kg = g.col_rows() / c.groups, P = g.col_cols();
    const auto x = random_floats(c.N * c.C * c.H * c.W, rng);
    const auto w = random_floats(c.OC * Kg, rng);
    const auto dy = random_floats(c.N * c.OC * P, rng);
    const auto fast = im2col_conv(c, g, x, w, dy);

    std::vector<float> y(c.N * c.OC * P), dx(x.size(), 0.f), dw(w.size(), 0.f);
    conv2d_reference_forward<float>(g, c.groups, c.OC, c.N, x.data(), w.data(), nullptr, y.data());
    conv2d_reference_backward<float>(g, c.groups, c.OC, c.N, x.data(), w.data(), dy.data(),
                                     dx.data(), dw.data(), nullptr);
    // Sums of at most a few hundred products of values in [-1, 1].
    expect_close(fast.y, y, 1e-5, "y");
    expect_close(fast.dx, dx, 1e-5, "dx");
    expect_close(fast.dw, dw, 1e-4, "dw");
  }
}

TEST(Im2col, Col2imIsTheAdjointOfIm2col) {
  // <im2col(x), c> = <x, col2im(c)> for every x and c: col2im is exactly the transpose.
  for (const auto& c : cases()) {
    SCOPED_TRACE(describe(c));
    const Conv2dGeometry g = geometry(c);
    Rng rng(99 + c.H * 13 + c.W);
    const int64_t pad = 3;  // a row stride beyond the row: columns past it stay untouched
    const int64_t ld = g.col_cols() + pad;
    const auto x = random_floats(c.C * c.H * c.W, rng);
    const auto cvals = random_floats(g.col_rows() * ld, rng);
    std::vector<float> col(g.col_rows() * ld, 7.f), back(x.size(), 0.f);
    im2col(g, x.data(), col.data(), ld);
    col2im(g, cvals.data(), ld, back.data());
    double lhs = 0, rhs = 0;
    for (int64_t r = 0; r < g.col_rows(); ++r)
      for (int64_t j = 0; j < ld; ++j) {
        if (j >= g.col_cols()) {
          ASSERT_EQ(col[r * ld + j], 7.f) << "im2col wrote past its row";
          continue;
        }
        lhs += double(col[r * ld + j]) * cvals[r * ld + j];
      }
    for (size_t i = 0; i < x.size(); ++i) rhs += double(x[i]) * back[i];
    EXPECT_NEAR(lhs, rhs, 1e-4 * (1 + std::abs(lhs)));
  }
}

// col2im against its portable loops, where col2im takes the active tier's kernel (float, stride
// 1; in the scalar tier both are the portable loops): rows wider than 16 pixels, large
// padding, dilation, a row stride beyond the row, and x not zero before (col2im adds).
TEST(Im2col, Col2imMatchesItsPortableLoops) {
  std::vector<ConvCase> wide = cases();
  //              N  C  H   W OC KH KW sh sw pt pb pl pr dh dw g
  wide.push_back({1, 2, 5, 37, 1, 3, 5, 1, 1, 1, 2, 4, 3, 1, 1, 1});
  wide.push_back({1, 3, 6, 20, 1, 2, 3, 1, 1, 0, 0, 5, 5, 2, 3, 1});
  wide.push_back({1, 1, 28, 28, 1, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1});
  for (const auto& c : wide) {
    SCOPED_TRACE(describe(c));
    const Conv2dGeometry g = geometry(c);
    Rng rng(7 + c.H * 13 + c.W);
    const int64_t ld = g.col_cols() + 5;
    const auto cvals = random_floats(g.col_rows() * ld, rng);
    auto fast = random_floats(c.C * c.H * c.W, rng);
    auto slow = fast;
    col2im(g, cvals.data(), ld, fast.data());
    col2im_portable(g, cvals.data(), ld, slow.data());
    for (size_t i = 0; i < fast.size(); ++i) ASSERT_NEAR(fast[i], slow[i], 1e-5) << i;
  }
}

TEST(Im2col, KnownUnrolling) {
  // The lecture's 4x3 image (H=4, W=3) and a 2x2 window: 3x2 outputs, each column one window.
  Conv2dGeometry g;
  g.height = 4;
  g.width = 3;
  g.kernel_h = g.kernel_w = 2;
  ASSERT_EQ(g.out_h(), 3);
  ASSERT_EQ(g.out_w(), 2);
  const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::vector<float> col(4 * 6);
  im2col(g, x, col.data(), 6);
  const std::vector<float> want = {1, 2, 4, 5, 7,  8,    // (kh, kw) = (0, 0)
                                   2, 3, 5, 6, 8,  9,    // (0, 1)
                                   4, 5, 7, 8, 10, 11,   // (1, 0)
                                   5, 6, 8, 9, 11, 12};  // (1, 1)
  EXPECT_EQ(col, want);
  // Padding 1 with stride 2: zeros where the window leaves the image.
  g.pad_top = g.pad_bottom = g.pad_left = g.pad_right = 1;
  g.stride_h = g.stride_w = 2;
  ASSERT_EQ(g.out_h(), 3);
  ASSERT_EQ(g.out_w(), 2);
  im2col(g, x, col.data(), 6);
  const std::vector<float> padded = {0, 0, 0, 5, 0,  11,  // (0, 0): x[2oh-1, 2ow-1]
                                     0, 0, 4, 6, 10, 12,  // (0, 1)
                                     0, 2, 0, 8, 0,  0,   // (1, 0)
                                     1, 3, 7, 9, 0,  0};  // (1, 1)
  EXPECT_EQ(col, padded);
}

TEST(Im2col, PointwiseNeedsNoUnrolling) {
  // For a 1x1 kernel with stride 1 and no padding, col is x itself: the 1x1 path multiplies
  // x (C, H*W) directly and must agree with the im2col path.
  Conv2dGeometry g;
  g.channels = 5;
  g.height = 3;
  g.width = 7;
  const int64_t P = 21, OC = 4;
  Rng rng(5);
  const auto x = random_floats(g.channels * P, rng);
  const auto w = random_floats(OC * g.channels, rng);
  std::vector<float> col(g.col_rows() * P), direct(OC * P), unrolled(OC * P), ref(OC * P);
  im2col(g, x.data(), col.data(), P);
  EXPECT_EQ(col, x);
  gemm<float>(false, false, OC, P, g.channels, 1.f, w.data(), g.channels, x.data(), P, 0.f,
              direct.data(), P);
  gemm<float>(false, false, OC, P, g.channels, 1.f, w.data(), g.channels, col.data(), P, 0.f,
              unrolled.data(), P);
  conv2d_reference_forward<float>(g, 1, OC, 1, x.data(), w.data(), nullptr, ref.data());
  EXPECT_EQ(direct, unrolled);
  expect_close(direct, ref, 1e-5, "1x1");
}

TEST(Im2col, GeometryFollowsPyTorchsFormula) {
  Conv2dGeometry g;
  g.height = 28;
  g.width = 28;
  g.kernel_h = g.kernel_w = 5;
  g.pad_top = g.pad_bottom = g.pad_left = g.pad_right = 2;
  EXPECT_EQ(g.out_h(), 28);  // LeNet-5's first convolution keeps 28x28
  g.pad_top = g.pad_bottom = g.pad_left = g.pad_right = 0;
  g.height = g.width = 14;
  EXPECT_EQ(g.out_h(), 10);
  g.stride_h = 3;  // floor((14 - 5) / 3) + 1
  EXPECT_EQ(g.out_h(), 4);
  g.dilation_w = 3;  // span 13: floor((14 - 13) / 1) + 1
  EXPECT_EQ(g.out_w(), 2);
  g.width = 12;
  EXPECT_FALSE(g.fits());
}

}  // namespace
}  // namespace redes
