#include "kernels/x86/conv_direct.hpp"

#include <algorithm>

namespace redes::x86 {

PaddedImage padded_image(const Conv2dGeometry& g) {
  return {g.height + g.pad_top + g.pad_bottom, g.width + g.pad_left + g.pad_right + kSlack};
}

int64_t conv2d_direct_scratch(const Conv2dGeometry& g) {
  const PaddedImage p = padded_image(g);
  return g.channels * p.hp * p.wp;
}

void pad_image(const Conv2dGeometry& g, const float* x, float* scratch) {
  const PaddedImage p = padded_image(g);
  const int64_t H = g.height, W = g.width;
  std::fill_n(scratch, g.channels * p.hp * p.wp, 0.0f);
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t h = 0; h < H; ++h)
      std::copy_n(x + (c * H + h) * W, W, scratch + (c * p.hp + h + g.pad_top) * p.wp + g.pad_left);
}

void conv2d_direct_pack_weights(const float* w, int64_t out_channels, int64_t taps, int block,
                                float* wt) {
  for (int64_t oc0 = 0; oc0 < out_channels; oc0 += block) {
    const int64_t ob = std::min<int64_t>(block, out_channels - oc0);
    float* dst = wt + oc0 * taps;
    for (int64_t o = 0; o < ob; ++o)
      for (int64_t t = 0; t < taps; ++t) dst[t * ob + o] = w[(oc0 + o) * taps + t];
  }
}

void conv2d_direct_reduce(const float* partial, int64_t out_channels, int64_t taps, int lanes,
                          float* dw) {
  for (int64_t t = 0; t < taps; ++t)
    for (int64_t oc = 0; oc < out_channels; ++oc) {
      const float* lane = partial + (t * out_channels + oc) * lanes;
      float sum = 0.0f;
      for (int l = 0; l < lanes; ++l) sum += lane[l];
      dw[oc * taps + t] += sum;
    }
}

}  // namespace redes::x86
