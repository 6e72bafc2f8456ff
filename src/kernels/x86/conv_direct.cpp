#include "kernels/x86/conv_direct.hpp"

#include <algorithm>

namespace redes::x86 {

namespace {

// The two layouts of PaddedImage, and the floats each takes.
PaddedImage rows_layout(const Conv2dGeometry& g) {
  const int64_t hp = g.height + g.pad_top + g.pad_bottom;
  return {hp, g.width + g.pad_left + g.pad_right + kSlack, 1, g.out_h(), g.out_w()};
}
PaddedImage flat_layout(const Conv2dGeometry& g) {
  const int64_t hp = g.height + g.pad_top + g.pad_bottom, OW = g.out_w();
  return {hp, OW, g.channels * hp * OW, 1, g.out_h() * OW};
}
int64_t floats_of(const Conv2dGeometry& g, const PaddedImage& p) {
  return p.kw_stride == 1 ? g.channels * p.hp * p.wp : g.kernel_w * p.kw_stride + kSlack;
}

}  // namespace

PaddedImage padded_image(const Conv2dGeometry& g, int lanes) {
  const int64_t OW = g.out_w(), row_lanes = (OW + lanes - 1) / lanes * lanes;
  return row_lanes * 4 > OW * 5 ? flat_layout(g) : rows_layout(g);
}

int64_t conv2d_direct_scratch(const Conv2dGeometry& g) {
  return std::max(floats_of(g, rows_layout(g)), floats_of(g, flat_layout(g)));
}

void pad_image(const Conv2dGeometry& g, PaddedImage p, const float* x, float* scratch) {
  const int64_t C = g.channels, H = g.height, W = g.width;
  std::fill_n(scratch, floats_of(g, p), 0.0f);
  if (p.kw_stride == 1) {
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        std::copy_n(x + (c * H + h) * W, W,
                    scratch + (c * p.hp + h + g.pad_top) * p.wp + g.pad_left);
    return;
  }
  // Copy kw, row r of channel c, column j: the padded image at (r, j + kw), x at
  // (r - pad_top, j + kw - pad_left).
  const int64_t OW = p.wp;
  for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
    const int64_t j0 = std::max<int64_t>(0, g.pad_left - kw);       // first column inside
    const int64_t j1 = std::min<int64_t>(OW, W + g.pad_left - kw);  // past the last
    if (j1 <= j0) continue;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        std::copy_n(x + (c * H + h) * W + j0 + kw - g.pad_left, j1 - j0,
                    scratch + kw * p.kw_stride + (c * p.hp + h + g.pad_top) * OW + j0);
  }
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

bool conv2d_direct_input_grad_geometry(const Conv2dGeometry& g, int64_t out_channels,
                                       Conv2dGeometry* d) {
  const int64_t KH = g.kernel_h, KW = g.kernel_w;
  if (g.stride_h != 1 || g.stride_w != 1 || g.dilation_h != 1 || g.dilation_w != 1) return false;
  if (g.pad_top > KH - 1 || g.pad_bottom > KH - 1 || g.pad_left > KW - 1 || g.pad_right > KW - 1)
    return false;
  *d = g;
  d->channels = out_channels;
  d->height = g.out_h();
  d->width = g.out_w();
  d->pad_top = KH - 1 - g.pad_top;
  d->pad_bottom = KH - 1 - g.pad_bottom;
  d->pad_left = KW - 1 - g.pad_left;
  d->pad_right = KW - 1 - g.pad_right;
  return true;
}

void conv2d_direct_input_grad_weights(const float* w, int64_t out_channels, const Conv2dGeometry& g,
                                      float* w_dx) {
  const int64_t C = g.channels, KH = g.kernel_h, KW = g.kernel_w;
  for (int64_t oc = 0; oc < out_channels; ++oc)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw)
          w_dx[((c * out_channels + oc) * KH + (KH - 1 - kh)) * KW + (KW - 1 - kw)] =
              w[((oc * C + c) * KH + kh) * KW + kw];
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
