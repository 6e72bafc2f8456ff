// col2im for float images with stride 1 (any dilation and padding), written once against the
// vector traits V and compiled once per tier, like conv_direct_body.hpp (which says what the
// including file defines: V and REDES_TIER). Same contract as redes::col2im
// (kernels/im2col.hpp): x (C, H, W) += the adjoint of im2col applied to col. Each piece of kL
// pixels of an input row sums the entries of every kernel tap in two registers, one for the even
// kernel columns and one for the odd (masked loads; the masks depend on the kernel column only
// and are computed once), then adds them to x with one load and one store: the portable loop
// instead adds row pieces of OW values one tap at a time, which costs more in loop overhead than
// in additions for LeNet's 10-pixel rows, and one register would wait on every addition's
// latency (LeNet-5's second convolution's backward: 1.06-1.36 to 0.87-0.89 ms a batch of 64 on
// one Zen 5 core). The two sums
// run over their taps in the portable loop's order, then add together and to x last, so the bits
// may differ from the portable loop's.
// No include guard, on purpose.

REDES_TIER void col2im_s1(const Conv2dGeometry& g, const float* col, int64_t ldcol, float* x) {
  constexpr int64_t L = V::kLanes;
  const int64_t H = g.height, W = g.width, OH = g.out_h(), OW = g.out_w();
  const int64_t KH = g.kernel_h, KW = g.kernel_w, pieces = (W + L - 1) / L;
  // Input column iw gets output column ow = iw + off(kw), off(kw) = pad_left - kw * dilation_w,
  // when 0 <= ow < OW: the bits of masks[p * KW + kw] are the lanes of piece p that do.
  thread_local std::vector<uint32_t> masks;
  masks.resize(KW * pieces);
  for (int64_t p = 0; p < pieces; ++p)
    for (int64_t kw = 0; kw < KW; ++kw) {
      const int64_t base = L * p + g.pad_left - kw * g.dilation_w;  // ow of lane 0
      masks[p * KW + kw] = lane_range(-base, OW - base) & lane_range(0, W - L * p);
    }
  const uint32_t* mask = masks.data();
  const int64_t step = ldcol - g.dilation_w;  // from tap kw to kw + 1 in col
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t ih = 0; ih < H; ++ih)
      for (int64_t p = 0; p < pieces; ++p) {
        // Two sums, even and odd kernel columns: one chain would wait on every addition.
        const uint32_t* mp = mask + p * KW;
        auto even = V::zero(), odd = V::zero();
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t oh = ih + g.pad_top - kh * g.dilation_h;  // the output row that read ih
          if (oh < 0 || oh >= OH) continue;
          const float* row = col + (c * KH + kh) * KW * ldcol + oh * OW + L * p + g.pad_left;
          int64_t kw = 0;
          for (; kw + 1 < KW; kw += 2) {
            even = V::add(even, V::maskz_loadu(V::mask(mp[kw]), row + kw * step));
            odd = V::add(odd, V::maskz_loadu(V::mask(mp[kw + 1]), row + (kw + 1) * step));
          }
          if (kw < KW) even = V::add(even, V::maskz_loadu(V::mask(mp[kw]), row + kw * step));
        }
        float* out = x + (c * H + ih) * W + L * p;
        const auto m = V::mask(lane_range(0, W - L * p));
        V::mask_storeu(out, m, V::add(V::maskz_loadu(m, out), V::add(even, odd)));
      }
}
