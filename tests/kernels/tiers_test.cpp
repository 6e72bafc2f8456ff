// Every instruction-set tier this machine runs (kernels/kernel_table.hpp), its vector kernels
// called directly against the plain loops they replace: the direct convolution's forward and
// weight gradient against conv2d_reference_*, col2im against col2im_portable, on shapes that
// hit each tier's register blocks and their remainders (output channels past a block of 6 or 8,
// kernels wider than a block of 5 or 7 columns, rows shorter than a vector, between one and two,
// longer than a chunk, an odd number of short rows, rows that fill the lanes poorly and run flat
// (kernels/x86/conv_direct.hpp)), asymmetric padding, dilation in col2im, no bias; the recurrent
// cells' rows against the libm reference. Tiers the CPU lacks are skipped, by name. (ctest also
// runs the layer tests under REDES_ISA=avx2 and REDES_ISA=scalar: tests/CMakeLists.txt.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/im2col.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/lstm_cell.hpp"
#include "redes/error.hpp"
#include "redes/isa.hpp"
#include "redes/rng.hpp"
#include "support/conv_case.hpp"

namespace redes {
namespace {

using test::random_floats;

// A stride-1, dilation-1, one-group case (what the direct kernels take), with or without bias.
struct DirectCase {
  int64_t N, C, H, W, OC, KH, KW, pt, pb, pl, pr;
  bool bias;
};

Conv2dGeometry geometry(const DirectCase& c) {
  return test::geometry(
      {c.N, c.C, c.H, c.W, c.OC, c.KH, c.KW, 1, 1, c.pt, c.pb, c.pl, c.pr, 1, 1, 1});
}

std::vector<DirectCase> direct_cases() {
  return {
      // N  C   H   W  OC KH KW pt pb pl pr bias
      {2, 1, 28, 28, 6, 5, 5, 2, 2, 2, 2, true},    // LeNet-5's first layer
      {2, 6, 14, 14, 16, 5, 5, 0, 0, 0, 0, false},  // its second: rows of 10
      {1, 3, 7, 41, 11, 3, 4, 1, 2, 1, 2, true},    // "same" with an even kernel, long rows
      {3, 2, 9, 7, 5, 3, 3, 0, 0, 0, 0, true},      // 7-pixel rows, 7 of them
      {1, 2, 6, 20, 13, 2, 9, 0, 0, 0, 0, true},    // 9 columns: a block and a remainder
      {2, 4, 5, 12, 7, 3, 3, 1, 1, 1, 1, false},    // 12-pixel rows: one vector and a bit
      {1, 1, 3, 70, 17, 1, 3, 0, 0, 1, 1, true},    // 70 pixels: chunks and a short last one
      {1, 3, 4, 4, 1, 4, 4, 0, 0, 0, 0, true},      // one output pixel, one filter
      {2, 2, 6, 9, 5, 3, 4, 2, 0, 1, 2, true},      // 9-pixel rows (flat), padding apart
  };
}

// The tiers that have vector kernels and run here, by name for the trace; a skipped tier says so.
std::vector<const KernelTable*> vector_tiers() {
  std::vector<const KernelTable*> out;
  for (Isa isa : {Isa::avx512, Isa::avx2}) {
    const KernelTable* k = kernels_for(isa);
    if (k != nullptr)
      out.push_back(k);
    else
      std::cout << "[ skipped  ] tier " << isa_name(isa) << ": this CPU does not run it\n";
  }
  return out;
}

std::string describe(const DirectCase& c) {
  return geometry(c).str() + ", N=" + std::to_string(c.N) + " OC=" + std::to_string(c.OC) +
         (c.bias ? "" : ", no bias");
}

TEST(Tiers, DirectForwardMatchesReference) {
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    ASSERT_NE(k->conv_forward, nullptr);
    for (const auto& c : direct_cases()) {
      SCOPED_TRACE(describe(c));
      const Conv2dGeometry g = geometry(c);
      const int64_t taps = g.col_rows(), P = g.col_cols(), CHW = c.C * c.H * c.W;
      Rng rng(11 + c.W * 7 + c.OC);
      const auto x = random_floats(c.N * CHW, rng), w = random_floats(c.OC * taps, rng);
      const auto b = random_floats(c.OC, rng);
      const float* bias = c.bias ? b.data() : nullptr;
      std::vector<float> wt(w.size()), scratch(x86::conv2d_direct_scratch(g));
      std::vector<float> y(c.N * c.OC * P, NAN), ref(y.size());
      x86::conv2d_direct_pack_weights(w.data(), c.OC, taps, k->conv_block, wt.data());
      for (int64_t n = 0; n < c.N; ++n)
        k->conv_forward(g, c.OC, x.data() + n * CHW, wt.data(), bias, y.data() + n * c.OC * P,
                        scratch.data(), false);
      conv2d_reference_forward<float>(g, 1, c.OC, c.N, x.data(), w.data(), bias, ref.data());
      for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], ref[i], 1e-5) << "y " << i;
    }
  }
}

TEST(Tiers, DirectWeightGradMatchesReference) {
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    ASSERT_NE(k->conv_weight_grad, nullptr);
    for (const auto& c : direct_cases()) {
      SCOPED_TRACE(describe(c));
      const Conv2dGeometry g = geometry(c);
      const int64_t taps = g.col_rows(), P = g.col_cols(), CHW = c.C * c.H * c.W;
      Rng rng(5 + c.H * 3 + c.OC);
      const auto x = random_floats(c.N * CHW, rng), dy = random_floats(c.N * c.OC * P, rng);
      const auto w = random_floats(c.OC * taps, rng);
      std::vector<float> partial(taps * c.OC * k->lanes, 0.0f),
          scratch(x86::conv2d_direct_scratch(g));
      std::vector<float> dw(c.OC * taps, 0.25f), ref(dw.size(), 0.25f);  // both add
      k->conv_weight_grad(g, c.OC, c.N, x.data(), dy.data(), partial.data(), scratch.data());
      x86::conv2d_direct_reduce(partial.data(), c.OC, taps, k->lanes, dw.data());
      conv2d_reference_backward<float>(g, 1, c.OC, c.N, x.data(), w.data(), dy.data(), nullptr,
                                       ref.data(), nullptr);
      for (size_t i = 0; i < dw.size(); ++i)
        ASSERT_NEAR(dw[i], ref[i], 2e-4 + 1e-5 * std::fabs(ref[i])) << "dw " << i;
    }
  }
}

// The input gradient as a convolution of dy (the forward kernel, accumulating) against the
// reference backward, where every pad is at most kernel - 1; dx is not zero before (it adds).
TEST(Tiers, DirectInputGradMatchesReference) {
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    for (const auto& c : direct_cases()) {
      const Conv2dGeometry g = geometry(c);
      Conv2dGeometry gd;
      if (!x86::conv2d_direct_input_grad_geometry(g, c.OC, &gd)) continue;
      SCOPED_TRACE(describe(c));
      ASSERT_EQ(gd.out_h(), c.H);
      ASSERT_EQ(gd.out_w(), c.W);
      const int64_t taps = g.col_rows(), P = g.col_cols(), CHW = c.C * c.H * c.W;
      Rng rng(17 + c.W * 5 + c.OC);
      const auto w = random_floats(c.OC * taps, rng), dy = random_floats(c.N * c.OC * P, rng);
      auto dx = random_floats(c.N * CHW, rng);
      auto ref = dx;
      std::vector<float> turned(w.size()), wt(w.size()), scratch(x86::conv2d_direct_scratch(gd));
      x86::conv2d_direct_input_grad_weights(w.data(), c.OC, g, turned.data());
      x86::conv2d_direct_pack_weights(turned.data(), c.C, c.OC * c.KH * c.KW, k->conv_block,
                                      wt.data());
      for (int64_t n = 0; n < c.N; ++n)
        k->conv_forward(gd, c.C, dy.data() + n * c.OC * P, wt.data(), nullptr, dx.data() + n * CHW,
                        scratch.data(), true);
      conv2d_reference_backward<float>(g, 1, c.OC, c.N, nullptr, w.data(), dy.data(), ref.data(),
                                       nullptr, nullptr);
      for (size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(dx[i], ref[i], 1e-5) << "dx " << i;
    }
  }
}

// The F(2x2, 5x5) cases: the convnet's second layer and its input gradient's shape, channels
// and filters short of a vector and past a block of vectors, odd outputs (a last tile row and
// column of one pixel), asymmetric and no padding, one output pixel, tiles in unequal blocks.
std::vector<DirectCase> winograd_cases() {
  return {
      // N  C   H   W  OC KH KW pt pb pl pr bias
      {2, 32, 14, 14, 64, 5, 5, 2, 2, 2, 2, true},   // the convnet's second layer
      {1, 64, 14, 14, 32, 5, 5, 2, 2, 2, 2, false},  // its input gradient
      {1, 3, 9, 11, 5, 5, 5, 2, 2, 2, 2, true},      // 9 x 11 out, 3 channels, 5 filters
      {2, 17, 7, 6, 19, 5, 5, 1, 2, 0, 3, false},    // asymmetric padding
      {1, 6, 14, 14, 16, 5, 5, 0, 0, 0, 0, true},    // LeNet-5's second layer: 10 x 10 out
      {1, 2, 5, 5, 3, 5, 5, 0, 0, 0, 0, true},       // one output pixel
      {1, 20, 8, 30, 40, 5, 5, 2, 2, 2, 2, true},    // 60 tiles, 40 filters
  };
}

// How far F(2x2, 5x5) may be from the direct sums of C * 25 products of values in [-1, 1):
// rounding only, measured at most 6e-6 times the square root of the terms.
float winograd_tolerance(const DirectCase& c) {
  return 2e-5f * std::sqrt(static_cast<float>(c.C * 25));
}

TEST(Tiers, WinogradForwardMatchesReference) {
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    ASSERT_NE(k->winograd_forward, nullptr);
    for (const auto& c : winograd_cases()) {
      SCOPED_TRACE(describe(c));
      const Conv2dGeometry g = geometry(c);
      ASSERT_TRUE(winograd_fits(g));
      const WinogradShape s = winograd_shape(g, c.OC, k->lanes);
      const int64_t P = g.col_cols(), CHW = c.C * c.H * c.W;
      Rng rng(23 + c.W * 7 + c.OC);
      const auto x = random_floats(c.N * CHW, rng), w = random_floats(c.OC * c.C * 25, rng);
      const auto b = random_floats(c.OC, rng);
      const float* bias = c.bias ? b.data() : nullptr;
      std::vector<float> u(winograd_weights_floats(s)), scratch(winograd_scratch_floats(s), NAN);
      std::vector<float> y(c.N * c.OC * P, NAN), ref(y.size());
      winograd_transform_weights(s, w.data(), u.data());
      for (int64_t n = 0; n < c.N; ++n)
        k->winograd_forward(g, s, x.data() + n * CHW, u.data(), bias, y.data() + n * c.OC * P,
                            scratch.data(), false);
      conv2d_reference_forward<float>(g, 1, c.OC, c.N, x.data(), w.data(), bias, ref.data());
      for (size_t i = 0; i < y.size(); ++i)
        ASSERT_NEAR(y[i], ref[i], winograd_tolerance(c)) << "y " << i;
    }
  }
}

// The input gradient through F(2x2, 5x5): the convolution of dy with the turned weights, added
// into dx (which is not zero before).
TEST(Tiers, WinogradInputGradMatchesReference) {
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    for (const auto& c : winograd_cases()) {
      const Conv2dGeometry g = geometry(c);
      Conv2dGeometry gd;
      if (!x86::conv2d_direct_input_grad_geometry(g, c.OC, &gd)) continue;
      SCOPED_TRACE(describe(c));
      const WinogradShape s = winograd_shape(gd, c.C, k->lanes);
      const int64_t P = g.col_cols(), CHW = c.C * c.H * c.W;
      Rng rng(29 + c.W * 5 + c.OC);
      const auto w = random_floats(c.OC * c.C * 25, rng), dy = random_floats(c.N * c.OC * P, rng);
      auto dx = random_floats(c.N * CHW, rng);
      auto ref = dx;
      std::vector<float> turned(w.size()), u(winograd_weights_floats(s));
      std::vector<float> scratch(winograd_scratch_floats(s), NAN);
      x86::conv2d_direct_input_grad_weights(w.data(), c.OC, g, turned.data());
      winograd_transform_weights(s, turned.data(), u.data());
      for (int64_t n = 0; n < c.N; ++n)
        k->winograd_forward(gd, s, dy.data() + n * c.OC * P, u.data(), nullptr, dx.data() + n * CHW,
                            scratch.data(), true);
      conv2d_reference_backward<float>(g, 1, c.OC, c.N, nullptr, w.data(), dy.data(), ref.data(),
                                       nullptr, nullptr);
      const float tolerance = 2e-5f * std::sqrt(static_cast<float>(c.OC * 25));  // as above
      for (size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(dx[i], ref[i], tolerance) << "dx " << i;
    }
  }
}

// The weight gradient through F(2x2, 5x5): the images' sums in two parts (as two threads), then
// added and turned into dW, which is not zero before (it adds).
TEST(Tiers, WinogradWeightGradMatchesReference) {
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    ASSERT_NE(k->winograd_weight_grad, nullptr);
    for (const auto& c : winograd_cases()) {
      SCOPED_TRACE(describe(c));
      const Conv2dGeometry g = geometry(c);
      const WinogradShape s = winograd_shape(g, c.OC, k->lanes);
      const int64_t P = g.col_cols(), CHW = c.C * c.H * c.W;
      Rng rng(31 + c.H * 3 + c.OC);
      const auto x = random_floats(c.N * CHW, rng), dy = random_floats(c.N * c.OC * P, rng);
      const auto w = random_floats(c.OC * c.C * 25, rng);
      std::vector<float> scratch(winograd_scratch_floats(s), NAN);
      std::vector<std::vector<float>> du(2, std::vector<float>(winograd_weights_floats(s), 0.0f));
      for (int64_t n = 0; n < c.N; ++n)
        k->winograd_weight_grad(g, s, x.data() + n * CHW, dy.data() + n * c.OC * P,
                                du[n % 2].data(), scratch.data());
      std::vector<float> dw(c.OC * c.C * 25, 0.25f), ref(dw.size(), 0.25f);
      const float* parts[] = {du[0].data(), du[1].data()};
      winograd_weight_grad_finish(s, parts, dw.data());
      conv2d_reference_backward<float>(g, 1, c.OC, c.N, x.data(), w.data(), dy.data(), nullptr,
                                       ref.data(), nullptr);
      // Each weight sums N * OH * OW products; measured at most 1e-5 times their square root.
      const float tolerance = 4e-5f * std::sqrt(static_cast<float>(c.N * P));
      for (size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(dw[i], ref[i], tolerance) << "dw " << i;
    }
  }
}

TEST(Tiers, Col2imMatchesPortableLoops) {
  auto cases = direct_cases();
  //              N  C   H   W OC KH KW pt pb pl pr
  cases.push_back({1, 2, 5, 37, 1, 3, 5, 1, 2, 4, 3, true});
  cases.push_back({1, 1, 9, 9, 1, 7, 7, 6, 6, 6, 6, true});  // padding near the kernel's size
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    ASSERT_NE(k->col2im_s1, nullptr);
    for (const auto& c : cases)
      for (int64_t dilation : {1, 2}) {
        Conv2dGeometry g = geometry(c);
        g.dilation_h = g.dilation_w = dilation;
        if (!g.fits()) continue;
        SCOPED_TRACE(g.str());
        Rng rng(7 + c.H * 13 + c.W + dilation);
        const int64_t ld = g.col_cols() + 5;  // a row stride beyond the row
        const auto col = random_floats(g.col_rows() * ld, rng);
        auto fast = random_floats(c.C * c.H * c.W, rng);  // x is not zero: col2im adds
        auto slow = fast;
        k->col2im_s1(g, col.data(), ld, fast.data());
        col2im_portable(g, col.data(), ld, slow.data());
        for (size_t i = 0; i < fast.size(); ++i) ASSERT_NEAR(fast[i], slow[i], 1e-5) << i;
      }
  }
}

// The recurrent cells' rows of each tier against the libm reference, and against each other bit
// for bit (contraction is off: every tier computes the same bits), over rows longer than a
// vector with a remainder (H = 37) and inputs wide enough to saturate the gates.
TEST(Tiers, RnnRowsMatchReferenceAndEachOther) {
  const int64_t H = 37;
  Rng rng(29);
  const auto a0 = random_floats(4 * H, rng), c_prev = random_floats(H, rng);
  const auto dh = random_floats(H, rng), dy = random_floats(H, rng), dc0 = random_floats(H, rng);
  const auto gh = random_floats(3 * H, rng), b = random_floats(3 * H, rng);  // the GRU's
  std::vector<float> scaled(a0);
  for (auto& v : scaled) v *= 12.0f;      // beyond the linear part of sigmoid and tanh
  std::vector<std::vector<float>> first;  // the first tier's outputs, for the others
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    const RnnRows& rows = k->rnn;
    ASSERT_TRUE(rows.lstm_forward && rows.lstm_backward && rows.lstm_backward_no_dy &&
                rows.gru_forward && rows.gru_backward);
    // LSTM forward, then backward with and without an output gradient.
    std::vector<float> a(scaled), c(H), tc(H), h(H), y(H);
    rows.lstm_forward(H, a.data(), c_prev.data(), c.data(), tc.data(), h.data(), y.data());
    std::vector<float> ra(scaled), rc(H), rtc(H), rh(H), ry(H), h_prev(H, 0.0f);
    lstm_cell_forward_reference<float>(1, H, ra.data(), c_prev.data(), h_prev.data(), rc.data(),
                                       rtc.data(), rh.data(), ry.data(), H, nullptr);
    for (int64_t j = 0; j < H; ++j) {
      ASSERT_NEAR(h[j], rh[j], 1e-6) << j;
      ASSERT_NEAR(c[j], rc[j], 1e-6) << j;
    }
    std::vector<float> dc(dc0), da(4 * H), dc2(dc0), da2(4 * H);
    rows.lstm_backward(H, a.data(), c_prev.data(), tc.data(), dh.data(), dy.data(), dc.data(),
                       da.data());
    rows.lstm_backward_no_dy(H, a.data(), c_prev.data(), tc.data(), dh.data(), dc2.data(),
                             da2.data());
    std::vector<float> rdc(dc0), rda(4 * H), rdh_prev(H);
    lstm_cell_backward_reference<float>(1, H, ra.data(), c_prev.data(), rtc.data(), dh.data(),
                                        dy.data(), H, rdc.data(), rda.data(), rdh_prev.data(),
                                        nullptr);
    for (int64_t j = 0; j < 4 * H; ++j) ASSERT_NEAR(da[j], rda[j], 1e-5) << j;
    // GRU forward and backward.
    std::vector<float> ga(scaled.begin(), scaled.begin() + 3 * H), hn(H), gh_out(H), gy(H);
    rows.gru_forward(H, ga.data(), gh.data(), b.data(), hn.data(), c_prev.data(), gh_out.data(),
                     gy.data());
    std::vector<float> dgi(3 * H), dgh(3 * H), dh_prev(H);
    rows.gru_backward(H, ga.data(), hn.data(), c_prev.data(), dh.data(), dy.data(), dgi.data(),
                      dgh.data(), dh_prev.data());
    const std::vector<std::vector<float>> outs = {a,   c,  tc,     h,   da,  dc,     da2,
                                                  dc2, ga, gh_out, dgi, dgh, dh_prev};
    if (first.empty()) first = outs;
    for (size_t i = 0; i < outs.size(); ++i) EXPECT_EQ(outs[i], first[i]) << "output " << i;
  }
}

// tanh in each tier against libm's (double) within a few float ulps, relative near 0 where the
// value is tiny, and the tiers against each other bit for bit: on the two sides of 0.625 where
// the formula changes, zeros, tiny, large and infinite values, NaN, and a remainder (n = 53).
TEST(Tiers, TanhMatchesLibmAndEachOther) {
  std::vector<float> x = {0.0f,
                          -0.0f,
                          1e-30f,
                          -1e-8f,
                          1e-3f,
                          0.3f,
                          0.62499f,
                          0.625f,
                          -0.625f,
                          0.62501f,
                          1.0f,
                          -2.5f,
                          9.0f,
                          20.0f,
                          -50.0f,
                          3e38f,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()};
  Rng rng(43);
  for (float v : random_floats(34, rng)) x.push_back(4.0f * v);
  x.push_back(std::nanf(""));
  std::vector<float> first;
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    ASSERT_TRUE(k->tanh_forward);
    std::vector<float> y(x.size());
    k->tanh_forward(static_cast<int64_t>(x.size()), x.data(), y.data());
    for (size_t i = 0; i + 1 < x.size(); ++i) {
      const double want = std::tanh(static_cast<double>(x[i]));
      ASSERT_NEAR(y[i], want, 3e-7 * std::max(std::fabs(want), 1e-30) + 1e-38) << x[i];
      EXPECT_EQ(std::signbit(y[i]), std::signbit(want)) << x[i];
    }
    EXPECT_TRUE(std::isnan(y.back()));
    if (first.empty()) first = y;
    EXPECT_EQ(std::memcmp(y.data(), first.data(), y.size() * sizeof(float)), 0);
  }
}

// Adam's update in each tier against the equations written out here in double, and the tiers
// against each other bit for bit (sqrt and division round exactly everywhere).
TEST(Tiers, AdamUpdateMatchesEquationsAndEachOther) {
  const int64_t n = 1000 + 13;  // vectors and a remainder
  Rng rng(41);
  const auto w0 = random_floats(n, rng), g = random_floats(n, rng), m0 = random_floats(n, rng);
  auto v0 = random_floats(n, rng);
  for (auto& x : v0) x = x * x;  // a second moment is not negative
  const AdamStep s{0.999f, 0.01f, 0.9f, 0.1f, 0.999f, 0.001f, 0.3f, 1e-8f, -0.002f};
  std::vector<float> first;
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    ASSERT_NE(k->adam_update, nullptr);
    auto w = w0, m = m0, v = v0;
    k->adam_update(n, w.data(), g.data(), m.data(), v.data(), s);
    for (int64_t i = 0; i < n; ++i) {
      const double wi = double(w0[i]) * s.shrink, gi = g[i] + s.l2 * wi;
      const double mi = m0[i] * double(s.b1) + s.one_minus_b1 * gi;
      const double vi = v0[i] * double(s.b2) + s.one_minus_b2 * gi * gi;
      const double want =
          wi + s.neg_step_size * mi / (std::sqrt(vi) / s.bias_correction2_sqrt + s.eps);
      ASSERT_NEAR(w[i], want, 1e-5 * (1 + std::fabs(want))) << i;
      ASSERT_NEAR(m[i], mi, 1e-6) << i;
    }
    if (first.empty()) first = w;
    EXPECT_EQ(w, first);
  }
}

// ReLU forward and backward, and the 2x2 max pool with its argmax (the first of equal values,
// NaN winning, as PyTorch), in each tier against the rules written out here, on lengths and rows
// with remainders.
TEST(Tiers, ReluAndMaxPoolMatchTheirRules) {
  Rng rng(53);
  const int64_t n = 16 * 9 + 5;
  auto x = random_floats(n, rng);
  x[3] = 0.0f;
  x[7] = -0.0f;
  const auto dy = random_floats(n, rng), dx0 = random_floats(n, rng);
  const int64_t H = 9, W = 22, OH = 4, OW = 11;  // rows of 11 outputs: a block of 8 and a rest
  auto plane = random_floats(H * W, rng);
  plane[W + 1] = plane[0];  // a tie: the first in window order wins
  plane[2 * W + 5] = NAN;
  for (const KernelTable* k : vector_tiers()) {
    SCOPED_TRACE(isa_name(k->isa));
    ASSERT_TRUE(k->relu_forward && k->relu_backward && k->max_pool_2x2);
    std::vector<float> y(n), dx(dx0);
    k->relu_forward(n, x.data(), y.data());
    k->relu_backward(n, x.data(), dy.data(), dx.data());
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(y[i], x[i] > 0 ? x[i] : 0.0f) << i;
      ASSERT_EQ(dx[i], dx0[i] + (x[i] > 0 ? dy[i] : 0.0f)) << i;
    }
    std::vector<float> out(OH * OW);
    std::vector<int32_t> arg(OH * OW);
    k->max_pool_2x2(plane.data(), W, OH, OW, out.data(), arg.data());
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        int32_t best = static_cast<int32_t>(2 * oh * W + 2 * ow);
        for (int64_t t = 1; t < 4; ++t) {
          const int32_t at = static_cast<int32_t>((2 * oh + t / 2) * W + 2 * ow + t % 2);
          if (plane[at] > plane[best] || std::isnan(plane[at])) best = at;
        }
        ASSERT_EQ(arg[oh * OW + ow], best) << oh << ", " << ow;
        if (!std::isnan(plane[best])) ASSERT_EQ(out[oh * OW + ow], plane[best]);
      }
  }
}

TEST(Tiers, TheScalarTierRunsEverywhereAndHasNoVectorKernels) {
  const KernelTable* scalar = kernels_for(Isa::scalar);
  ASSERT_NE(scalar, nullptr);
  EXPECT_EQ(scalar->isa, Isa::scalar);
  EXPECT_EQ(scalar->sgemm, nullptr);
  EXPECT_EQ(scalar->col2im_s1, nullptr);
  EXPECT_EQ(scalar->conv_forward, nullptr);
  EXPECT_EQ(scalar->winograd_forward, nullptr);
  EXPECT_EQ(scalar->winograd_weight_grad, nullptr);
  // A tier runs here exactly when it is at most the CPU's best, and its table says which it is.
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    const KernelTable* k = kernels_for(isa);
    EXPECT_EQ(k != nullptr, isa <= cpu_isa()) << isa_name(isa);
    if (k != nullptr) EXPECT_EQ(k->isa, isa);
  }
}

TEST(Tiers, TheActiveTierIsTheCpusCappedByRedesIsa) {
  const char* cap = std::getenv("REDES_ISA");
  const Isa want =
      cap != nullptr && *cap != '\0' ? std::min(cpu_isa(), parse_isa(cap, "REDES_ISA")) : cpu_isa();
  EXPECT_EQ(active_isa(), want);
  EXPECT_EQ(&kernels(), kernels_for(want));
}

TEST(Tiers, NamesParseBackAndUnknownOnesAreRefused) {
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512})
    EXPECT_EQ(parse_isa(isa_name(isa), "test"), isa);
  try {
    parse_isa("sse9", "REDES_ISA");
    FAIL() << "sse9 was accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "REDES_ISA: 'sse9' is no instruction-set tier (avx512, avx2 or scalar)");
  }
}

}  // namespace
}  // namespace redes
