// Direct 2-d convolution for float images with stride 1, dilation 1 and one group, with
// AVX-512F: no column matrix. Each output row is computed in chunks of up to 32 pixels for a
// block of up to 8 output channels held in registers, one multiply-add per kernel tap and
// channel on 16 pixels at once; the weights of a tap are broadcast from a repacked copy. It
// runs at the FMA units' rate where im2col + GEMM spends its time moving columns: LeNet-5's
// first layer (6 filters over 25 values) has only 6 multiply-adds per column value.
// Only called where cpu_has_avx512f() said yes.
#pragma once
#include <cstdint>

#include "kernels/im2col.hpp"

namespace redes::x86 {

// The floats of the zero-padded copy of one image that conv2d_direct_avx512 works in.
int64_t conv2d_direct_scratch(const Conv2dGeometry& g);

// wt (C*KH*KW, OC) = w (OC, C*KH*KW) transposed: the weights of one tap side by side.
void conv2d_direct_pack_weights(const float* w, int64_t out_channels, int64_t taps, float* wt);

// y (OC, OH, OW) = bias + the convolution of x (C, H, W) with the weights packed by
// conv2d_direct_pack_weights; bias may be null. Requires stride 1 and dilation 1 on both axes;
// scratch holds conv2d_direct_scratch(g) floats.
void conv2d_direct_avx512(const Conv2dGeometry& g, int64_t out_channels, const float* x,
                          const float* wt, const float* bias, float* y, float* scratch);

// The weight gradient of the same convolution over `images` images, without columns:
//   partial[(t * OC + oc) * 16 + lane] += sum over the pixels p = lane (mod 16) of each row of
//   dy[n, oc] * (the input under tap t for that pixel),
// so that dW[oc, t] = the sum of the 16 lanes of partial[t, oc] (conv2d_direct_reduce). The
// partial sums stay vectors until the end of the batch: no horizontal sums per image.
// x is (images, C, H, W), dy (images, OC, OH, OW); partial holds C*KH*KW * OC * 16 floats;
// scratch holds conv2d_direct_scratch(g) floats.
void conv2d_direct_weight_grad_avx512(const Conv2dGeometry& g, int64_t out_channels, int64_t images,
                                      const float* x, const float* dy, float* partial,
                                      float* scratch);

// dw (OC, taps) += the lane sums of partial (taps, OC, 16), lanes added in order.
void conv2d_direct_reduce(const float* partial, int64_t out_channels, int64_t taps, float* dw);

}  // namespace redes::x86
