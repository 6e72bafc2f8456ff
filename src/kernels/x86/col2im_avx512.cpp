#include "kernels/x86/col2im_avx512.hpp"

#include <immintrin.h>

#include <vector>

#include "kernels/x86/avx512.hpp"

namespace redes::x86 {

REDES_AVX512 void col2im_s1_avx512(const Conv2dGeometry& g, const float* col, int64_t ldcol,
                                   float* x) {
  const int64_t H = g.height, W = g.width, OH = g.out_h(), OW = g.out_w();
  const int64_t KH = g.kernel_h, KW = g.kernel_w, pieces = (W + 15) / 16;
  // Input column iw gets output column ow = iw + off(kw), off(kw) = pad_left - kw * dilation_w,
  // when 0 <= ow < OW: mask[kw * pieces + p] are the lanes of piece p that do.
  thread_local std::vector<__mmask16> mask;
  mask.resize(KW * pieces);
  for (int64_t kw = 0; kw < KW; ++kw)
    for (int64_t p = 0; p < pieces; ++p) {
      const int64_t base = 16 * p + g.pad_left - kw * g.dilation_w;  // ow of lane 0
      mask[kw * pieces + p] = lanes(-base, OW - base) & lanes(0, W - 16 * p);
    }
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t ih = 0; ih < H; ++ih)
      for (int64_t p = 0; p < pieces; ++p) {
        __m512 acc = _mm512_setzero_ps();
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t oh = ih + g.pad_top - kh * g.dilation_h;  // the output row that read ih
          if (oh < 0 || oh >= OH) continue;
          const float* row = col + (c * KH + kh) * KW * ldcol + oh * OW + 16 * p + g.pad_left;
          for (int64_t kw = 0; kw < KW; ++kw)
            acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(mask[kw * pieces + p],
                                                           row + kw * ldcol - kw * g.dilation_w));
        }
        float* out = x + (c * H + ih) * W + 16 * p;
        const __mmask16 m = lanes(0, W - 16 * p);
        _mm512_mask_storeu_ps(out, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, out), acc));
      }
}

}  // namespace redes::x86
