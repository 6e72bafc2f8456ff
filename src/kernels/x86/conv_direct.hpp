// Direct 2-d convolution for float images with stride 1, dilation 1 and one group: no column
// matrix. Each output row is computed in chunks of a few vectors of pixels for a block of
// output channels held in registers, one multiply-add per kernel tap and channel on a vector of
// pixels at once; the weights of a tap are broadcast from a repacked copy. It runs at the FMA
// units' rate where im2col + GEMM spends its time moving columns: LeNet-5's first layer (6
// filters over 25 values) has only 6 multiply-adds per column value.
//
// The vector kernels exist once per tier (conv_direct_body.hpp, compiled by tier_avx512.cpp and
// tier_avx2.cpp) and are reached through the tier table (kernels/kernel_table.hpp); the helpers
// declared here are plain C++, shared by every tier.
#pragma once
#include <cstdint>

#include "kernels/im2col.hpp"

namespace redes::x86 {

// The zero-padded copy of one image the kernels work in, in one of two layouts:
// - rows: each channel (hp, wp) with wp = W + pad_left + pad_right + kSlack, so that the loads
//   of a chunk (up to kSlack floats from any column of a row) stay inside the buffer; the
//   kernels walk the output row by row (oh x ow = OH x OW), kernel column kw kw floats on;
// - flat, where a row of the output fills a vector's lanes poorly (under 80 %: LeNet-5's second
//   layer's 10-pixel rows in 16 lanes): for each kernel column kw a copy of the padded image
//   shifted left by kw columns and cut to OW columns (wp = OW), the copies kw_stride floats
//   apart. The pixel under tap (kh, kw) of output pixel f = oh * OW + ow is then at
//   (c * hp + kh) * OW + f of copy kw, so the kernels walk the output as one row of OH * OW
//   pixels (oh x ow = 1 x OH * OW), every lane busy.
struct PaddedImage {
  int64_t hp, wp;
  int64_t kw_stride;  // 1 (rows) or C * hp * OW (flat)
  int64_t oh, ow;     // the output as the kernels walk it
};
constexpr int64_t kSlack = 32;
// The layout for a tier of `lanes` floats per vector.
PaddedImage padded_image(const Conv2dGeometry& g, int lanes);
// The floats of that copy, in either layout.
int64_t conv2d_direct_scratch(const Conv2dGeometry& g);
// Writes the zero-padded copy of x (C, H, W) in layout p into scratch.
void pad_image(const Conv2dGeometry& g, PaddedImage p, const float* x, float* scratch);

// wt = w (OC, taps) in blocks of `block` output channels (the last block may be narrower), each
// block transposed to (taps, block): the weights of one tap side by side, and a block's weights
// one contiguous run that the forward reads in order. Block b starts at wt + b * block * taps.
void conv2d_direct_pack_weights(const float* w, int64_t out_channels, int64_t taps, int block,
                                float* wt);

// The input gradient of a stride-1 convolution is a convolution too: dx[c] = sum over oc of
// dy[oc] correlated with w[oc, c] turned by 180 degrees, over dy padded by KH-1-pad_top rows on
// top (and so on), which gives back H x W. conv2d_direct_input_grad_geometry says how (it
// exists when every pad is at most kernel - 1), conv2d_direct_input_grad_weights turns w (OC, C,
// KH, KW) into that convolution's weights (C, OC, KH, KW), ready to be packed.
bool conv2d_direct_input_grad_geometry(const Conv2dGeometry& g, int64_t out_channels,
                                       Conv2dGeometry* dx_geometry);
void conv2d_direct_input_grad_weights(const float* w, int64_t out_channels, const Conv2dGeometry& g,
                                      float* w_dx);

// dw (OC, taps) += the lane sums of partial (taps, OC, lanes), lanes added in order.
void conv2d_direct_reduce(const float* partial, int64_t out_channels, int64_t taps, int lanes,
                          float* dw);

// The kernels of one tier (requires stride 1 and dilation 1 on both axes; scratch holds
// conv2d_direct_scratch(g) floats):
//
// forward: y (OC, OH, OW) = bias + the convolution of x (C, H, W) with the weights packed by
// conv2d_direct_pack_weights; bias may be null. With accumulate, y += the convolution instead
// (bias unused): the input gradient runs as such a convolution (conv2d_direct_input_grad_*).
using ConvDirectForward = void (*)(const Conv2dGeometry& g, int64_t out_channels, const float* x,
                                   const float* wt, const float* bias, float* y, float* scratch,
                                   bool accumulate);
// weight_grad: the weight gradient of the same convolution over `images` images, without
// columns:
//   partial[(t * OC + oc) * lanes + l] += sum over the pixels p = l (mod lanes) of each row of
//   dy[n, oc] * (the input under tap t for that pixel),
// so that dW[oc, t] = the sum of the lanes of partial[t, oc] (conv2d_direct_reduce). The
// partial sums stay vectors until the end of the batch: no horizontal sums per image.
// x is (images, C, H, W), dy (images, OC, OH, OW); partial holds C*KH*KW * OC * lanes floats.
using ConvDirectWeightGrad = void (*)(const Conv2dGeometry& g, int64_t out_channels, int64_t images,
                                      const float* x, const float* dy, float* partial,
                                      float* scratch);

}  // namespace redes::x86
