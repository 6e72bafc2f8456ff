#include "kernels/x86/conv_direct_avx512.hpp"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/x86/avx512.hpp"

namespace redes::x86 {
namespace {

constexpr int kOB = 8;  // output channels per register block
constexpr int kNV = 2;  // 16-float vectors per chunk of an output row

// The padded copy: each channel (Hp, Wp) with Wp = W + pad_left + pad_right + 32, so that the
// loads of a chunk (up to 32 floats from any column of a row) stay inside the buffer.
struct Padded {
  int64_t hp, wp;
};
Padded padded(const Conv2dGeometry& g) {
  return {g.height + g.pad_top + g.pad_bottom, g.width + g.pad_left + g.pad_right + 32};
}

// Where the NV vectors of a chunk lie: vector v reads the padded input from v * in_step and
// writes the output from v * out_step, masked by `full` except the last (masked by `last`).
// A wide row is cut into chunks of consecutive vectors (steps 16); rows of at most 16 pixels
// go NV rows at a time (steps of one input and one output row), so that the accumulators
// keep the FMA units busy either way.
struct Step {
  int64_t in, out;
  __mmask16 full, last;
};

// OB output channels [oc0, oc0 + OB) from output row oh, column ow0, NV vectors placed by
// `step`: acc = bias + sum over taps of wt[tap, oc] * the input under the tap.
template <int OB, int NV>
REDES_AVX512 void chunk(const Conv2dGeometry& g, Padded p, int64_t OC, const float* xp,
                        const float* wt, const float* bias, float* y, int64_t oc0, int64_t oh,
                        int64_t ow0, Step step) {
  __m512 acc[OB][NV];
#pragma GCC unroll 8
  for (int o = 0; o < OB; ++o) {
    const __m512 b = _mm512_set1_ps(bias ? bias[oc0 + o] : 0.0f);
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[o][v] = b;
  }
  const int64_t KH = g.kernel_h, KW = g.kernel_w;
  const float* w = wt + oc0;
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t kh = 0; kh < KH; ++kh) {
      const float* row = xp + (c * p.hp + oh + kh) * p.wp + ow0;
      for (int64_t kw = 0; kw < KW; ++kw, w += OC) {
        __m512 in[NV];
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) in[v] = _mm512_loadu_ps(row + kw + v * step.in);
#pragma GCC unroll 8
        for (int o = 0; o < OB; ++o) {
          const __m512 a = _mm512_set1_ps(w[o]);
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) acc[o][v] = _mm512_fmadd_ps(a, in[v], acc[o][v]);
        }
      }
    }
  const int64_t P = g.out_h() * g.out_w();
  float* out = y + oc0 * P + oh * g.out_w() + ow0;
#pragma GCC unroll 8
  for (int o = 0; o < OB; ++o)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      _mm512_mask_storeu_ps(out + o * P + v * step.out, v == NV - 1 ? step.last : step.full,
                            acc[o][v]);
}

using Chunk = void (*)(const Conv2dGeometry&, Padded, int64_t, const float*, const float*,
                       const float*, float*, int64_t, int64_t, int64_t, Step);

template <int OB, int... V>
constexpr std::array<Chunk, kNV> chunk_row(std::integer_sequence<int, V...>) {
  return {{&chunk<OB, V + 1>...}};
}
template <int... O>
constexpr std::array<std::array<Chunk, kNV>, kOB> chunk_table(std::integer_sequence<int, O...>) {
  return {{chunk_row<O + 1>(std::make_integer_sequence<int, kNV>{})...}};
}
// kChunk[channels - 1][vectors - 1]
constexpr auto kChunk = chunk_table(std::make_integer_sequence<int, kOB>{});

}  // namespace

int64_t conv2d_direct_scratch(const Conv2dGeometry& g) {
  const Padded p = padded(g);
  return g.channels * p.hp * p.wp;
}

void conv2d_direct_pack_weights(const float* w, int64_t out_channels, int64_t taps, float* wt) {
  for (int64_t oc = 0; oc < out_channels; ++oc)
    for (int64_t t = 0; t < taps; ++t) wt[t * out_channels + oc] = w[oc * taps + t];
}

namespace {

// The zero-padded copy of one image x (C, H, W).
void pad_image(const Conv2dGeometry& g, Padded p, const float* x, float* scratch) {
  const int64_t H = g.height, W = g.width;
  std::fill_n(scratch, g.channels * p.hp * p.wp, 0.0f);
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t h = 0; h < H; ++h)
      std::copy_n(x + (c * H + h) * W, W, scratch + (c * p.hp + h + g.pad_top) * p.wp + g.pad_left);
}

// partial[t, oc0 + o] += the products of the taps t = (c, kh, kw0 + j), j < KB, for OB output
// channels of one image (padded copy xp, output gradient dy (OC, OH, OW)): KB x OB vector sums
// in registers, so that each piece of an output row loads its OB gradient vectors and KB
// input vectors once for KB * OB multiply-adds. The input is read unmasked (the padded rows
// have slack), the output gradient masked to the row: lanes past the row add 0.
template <int OB, int KB>
REDES_AVX512 void weight_grad_block(const Conv2dGeometry& g, Padded p, int64_t OC, const float* xp,
                                    const float* dy, float* partial, int64_t oc0, int64_t kw0) {
  const int64_t OH = g.out_h(), OW = g.out_w(), P = OH * OW;
  const float* d = dy + oc0 * P;
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      __m512 acc[KB][OB];
#pragma GCC unroll 8
      for (int j = 0; j < KB; ++j)
#pragma GCC unroll 8
        for (int o = 0; o < OB; ++o) acc[j][o] = _mm512_setzero_ps();
      for (int64_t oh = 0; oh < OH; ++oh) {
        const float* in = xp + (c * p.hp + oh + kh) * p.wp + kw0;
        const float* drow = d + oh * OW;
        for (int64_t ow = 0; ow < OW; ow += 16) {
          const __mmask16 m = mask_of(OW - ow);
          __m512 dv[OB];
#pragma GCC unroll 8
          for (int o = 0; o < OB; ++o) dv[o] = _mm512_maskz_loadu_ps(m, drow + o * P + ow);
#pragma GCC unroll 8
          for (int j = 0; j < KB; ++j) {
            const __m512 v = _mm512_loadu_ps(in + ow + j);
#pragma GCC unroll 8
            for (int o = 0; o < OB; ++o) acc[j][o] = _mm512_fmadd_ps(dv[o], v, acc[j][o]);
          }
        }
      }
#pragma GCC unroll 8
      for (int j = 0; j < KB; ++j) {
        float* part = partial + (((c * g.kernel_h + kh) * g.kernel_w + kw0 + j) * OC + oc0) * 16;
#pragma GCC unroll 8
        for (int o = 0; o < OB; ++o)
          _mm512_storeu_ps(part + 16 * o, _mm512_add_ps(_mm512_loadu_ps(part + 16 * o), acc[j][o]));
      }
    }
}

constexpr int kKB = 7;  // kernel columns per block
// The output channels a block of kb kernel columns takes at once: kb * ob sums, ob gradient
// vectors and one input vector in the 32 registers.
constexpr int64_t channels_for(int64_t kb) { return std::min<int64_t>(kOB, 31 / (kb + 1)); }

using WeightGradBlock = void (*)(const Conv2dGeometry&, Padded, int64_t, const float*, const float*,
                                 float*, int64_t, int64_t);
template <int OB, int... J>
constexpr std::array<WeightGradBlock, kKB> weight_grad_row(std::integer_sequence<int, J...>) {
  return {{&weight_grad_block<OB, J + 1>...}};
}
template <int... O>
constexpr std::array<std::array<WeightGradBlock, kKB>, kOB> weight_grad_table(
    std::integer_sequence<int, O...>) {
  return {{weight_grad_row<O + 1>(std::make_integer_sequence<int, kKB>{})...}};
}
// kWeightGrad[channels - 1][kernel columns - 1]
constexpr auto kWeightGrad = weight_grad_table(std::make_integer_sequence<int, kOB>{});

}  // namespace

REDES_AVX512 void conv2d_direct_weight_grad_avx512(const Conv2dGeometry& g, int64_t out_channels,
                                                   int64_t images, const float* x, const float* dy,
                                                   float* partial, float* scratch) {
  const Padded p = padded(g);
  const int64_t CHW = g.channels * g.height * g.width, P = g.out_h() * g.out_w();
  for (int64_t n = 0; n < images; ++n) {
    pad_image(g, p, x + n * CHW, scratch);
    for (int64_t kw0 = 0; kw0 < g.kernel_w; kw0 += kKB) {
      const int64_t kb = std::min<int64_t>(kKB, g.kernel_w - kw0), step = channels_for(kb);
      for (int64_t oc0 = 0; oc0 < out_channels; oc0 += step)
        kWeightGrad[std::min<int64_t>(step, out_channels - oc0) - 1][kb - 1](
            g, p, out_channels, scratch, dy + n * out_channels * P, partial, oc0, kw0);
    }
  }
}

void conv2d_direct_reduce(const float* partial, int64_t out_channels, int64_t taps, float* dw) {
  for (int64_t t = 0; t < taps; ++t)
    for (int64_t oc = 0; oc < out_channels; ++oc) {
      const float* lanes = partial + (t * out_channels + oc) * 16;
      float sum = 0.0f;
      for (int l = 0; l < 16; ++l) sum += lanes[l];
      dw[oc * taps + t] += sum;
    }
}

REDES_AVX512 void conv2d_direct_avx512(const Conv2dGeometry& g, int64_t out_channels,
                                       const float* x, const float* wt, const float* bias, float* y,
                                       float* scratch) {
  const Padded p = padded(g);
  const int64_t OH = g.out_h(), OW = g.out_w();
  pad_image(g, p, x, scratch);
  for (int64_t oc0 = 0; oc0 < out_channels; oc0 += kOB) {
    const int64_t ob = std::min<int64_t>(kOB, out_channels - oc0);
    if (OW <= 16) {  // kNV rows at a time
      const Step step{p.wp, OW, mask_of(OW), mask_of(OW)};
      for (int64_t oh = 0; oh < OH; oh += kNV)
        kChunk[ob - 1][std::min<int64_t>(kNV, OH - oh) - 1](g, p, out_channels, scratch, wt, bias,
                                                            y, oc0, oh, 0, step);
      continue;
    }
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow0 = 0; ow0 < OW; ow0 += 16 * kNV) {
        const int64_t n = std::min<int64_t>(16 * kNV, OW - ow0);
        const int64_t nv = (n + 15) / 16;
        const Step step{16, 16, __mmask16(0xFFFF), mask_of(n - 16 * (nv - 1))};
        kChunk[ob - 1][nv - 1](g, p, out_channels, scratch, wt, bias, y, oc0, oh, ow0, step);
      }
  }
}

}  // namespace redes::x86
