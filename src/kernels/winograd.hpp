// Winograd's minimal filtering F(2x2, 5x5) for float convolutions with a 5x5 kernel, stride 1 and
// dilation 1 (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
//
// The output is cut into tiles of 2x2 pixels, each computed from the 6x6 input patch under it:
//   y_tile[k] = A^T [ sum over c of (G w[k, c] G^T) .* (B^T d_tile[c] B) ] A
// where .* multiplies element by element. The sum over the input channels at each of the 36
// positions of the 6x6 transforms is a matrix product, (tiles x C) times (C x K): 36 x C x K
// multiply-adds per tile where the direct convolution does 4 x 25 x C x K, 2.8 times fewer. The
// transforms around them cost a pass over the input and the output each. The matrices come from the
// points 0, 1, -1, 2, -2 and infinity (tools/winograd_matrices.py derives them and checks them
// exactly); the results differ from the direct convolution's by rounding only, more of it: up to
// 6e-6 times the square root of the products summed, where the direct sum stays near 1e-7 times it
// (tests/kernels/tiers_test.cpp bounds both).
//
// The weight gradient runs the same transforms backwards: the gradient of G w G^T at position p
// is the sum over the tiles of (B^T d B)[p] times (A dy A^T)[p], a product (C x tiles) times
// (tiles x K) per position, and G^T turns it into dW; it rounds more (the tiles' sum is over
// larger terms): up to 1e-5 times the square root of the products summed, in the tests.
//
// The tier kernels (kernels/x86/winograd_body.hpp) work on one image at a time, in the layouts
// below; the helpers here are plain C++, shared by every tier. Conv2d (layers/conv2d.hpp) runs
// its three passes through them (the input gradient of a stride-1 convolution is itself one,
// kernels/x86/conv_direct.hpp).
#pragma once
#include <cstdint>
#include <span>

#include "kernels/im2col.hpp"

namespace redes {

// The sizes of one convolution in the Winograd layouts: C and K rounded up to whole vectors,
// the tiles (ty x tx of them cover the output), and the zero-padded input buffer (hb x wb
// pixels of cpad channels, the channels innermost) every tile's 6x6 patch lies in.
struct WinogradShape {
  int64_t channels = 0, filters = 0;  // C and K
  int64_t cpad = 0, kpad = 0;         // rounded up to multiples of the tier's lanes
  int64_t tiles_y = 0, tiles_x = 0;   // ceil(OH / 2), ceil(OW / 2)
  int64_t hb = 0, wb = 0;             // 2 * tiles + 4
  int64_t tiles() const { return tiles_y * tiles_x; }
};

// Whether F(2x2, 5x5) computes this convolution: a 5x5 kernel, stride 1, dilation 1.
bool winograd_fits(const Conv2dGeometry& g);
WinogradShape winograd_shape(const Conv2dGeometry& g, int64_t filters, int lanes);

// The transformed weights: u[(p * cpad + c) * kpad + k] = (G w[k, c] G^T) at position p of the
// 6x6, zero for the padding channels and filters. w is (K, C, 5, 5).
int64_t winograd_weights_floats(const WinogradShape& s);
void winograd_transform_weights(const WinogradShape& s, const float* w, float* u);

// The gradient of the weights from the sums du[(p * cpad + c) * kpad + k] of the tier's
// weight_grad (one per thread, added in the order given): dw (K, C, 5, 5) += G^T du G.
void winograd_weight_grad_finish(const WinogradShape& s, std::span<const float* const> du,
                                 float* dw);

// The tile rows one block of the tier kernel transforms and multiplies at a time.
constexpr int64_t kWinogradBlockTiles = 18;
// One thread's scratch, cut into the tier kernels' buffers at these offsets: the padded input
// (hb x wb x cpad, at 0), the weight gradient's output gradient (2 tiles_y x 2 tiles_x x kpad),
// a block's transformed input (36 x block x cpad) and its products, or the weight gradient's
// transformed output gradient (36 x block x kpad); `floats` in all.
struct WinogradScratch {
  int64_t output_grad, v, m, floats;
};
WinogradScratch winograd_scratch(const WinogradShape& s);
inline int64_t winograd_scratch_floats(const WinogradShape& s) {
  return winograd_scratch(s).floats;
}
// The tiles of each block but the last: the image's tiles in blocks of equal size, at most
// kWinogradBlockTiles (49 tiles as 17 + 17 + 15).
int64_t winograd_block_tiles(const WinogradShape& s);

// The tier kernel: y (K, OH, OW) = bias + the convolution of x (C, H, W) whose weights u holds,
// or with accumulate y += the convolution (bias unused, may be null either way).
using WinogradForward = void (*)(const Conv2dGeometry& g, const WinogradShape& s, const float* x,
                                 const float* u, const float* bias, float* y, float* scratch,
                                 bool accumulate);
// The tier kernel of the weight gradient: du[(p * cpad + c) * kpad + k] += sum over the tiles of
// (B^T d B)[p] of channel c of x (C, H, W) times (A dy A^T)[p] of filter k of dy (K, OH, OW):
// the gradient of G w G^T, which winograd_weight_grad_finish turns into the weights'.
using WinogradWeightGrad = void (*)(const Conv2dGeometry& g, const WinogradShape& s, const float* x,
                                    const float* dy, float* du, float* scratch);

}  // namespace redes
