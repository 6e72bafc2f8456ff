// The direct convolution kernels of kernels/x86/conv_direct.hpp, written once against the vector
// traits V (kernels/x86/simd.hpp) and compiled once per tier: tier_avx512.cpp and tier_avx2.cpp
// include this file inside their own namespace, after defining there
//   V            the vector traits (Avx512, Avx2),
//   REDES_TIER   the tier's target attribute (every function here carries it),
//   kOB, kNV     the forward's register block: kOB output channels x kNV vectors of a row,
//   kKB          the weight gradient's block of kernel columns.
// No include guard, on purpose.

namespace {

constexpr int kL = V::kLanes;

// Where the NV vectors of a forward chunk lie: vector v reads the padded input from v * in and
// writes the output from v * out, masked by `full` except the last (masked by `last`). A wide
// row is cut into chunks of consecutive vectors (steps of kL); rows of at most kL pixels go NV
// rows at a time (steps of one input and one output row), so that the accumulators keep the
// FMA units busy either way.
struct Step {
  int64_t in, out;
  uint32_t full, last;
  bool accumulate;  // add to the output instead of overwriting it
};

// OB output channels [oc0, oc0 + OB) from output row oh, column ow0, NV vectors placed by
// `step`: acc = bias (or the output, when accumulating) + sum over taps of w[tap, o] * the input
// under the tap, where w is the block's weights (taps, OB), packed side by side
// (conv2d_direct_pack_weights).
template <int OB, int NV>
REDES_TIER void chunk(const Conv2dGeometry& g, PaddedImage p, int64_t OC, const float* xp,
                      const float* wt, const float* bias, float* y, int64_t oc0, int64_t oh,
                      int64_t ow0, Step step) {
  const int64_t P = g.out_h() * g.out_w();
  float* out = y + oc0 * P + oh * g.out_w() + ow0;
  const auto full = V::mask(step.full), last = V::mask(step.last);
  typename V::Reg acc[OB][NV];
  if (step.accumulate) {
#pragma GCC unroll 8
    for (int o = 0; o < OB; ++o)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v)
        acc[o][v] = V::maskz_loadu(v == NV - 1 ? last : full, out + o * P + v * step.out);
  } else {
#pragma GCC unroll 8
    for (int o = 0; o < OB; ++o) {
      const auto b = V::set1(bias ? bias[oc0 + o] : 0.0f);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[o][v] = b;
    }
  }
  const int64_t KH = g.kernel_h, KW = g.kernel_w;
  const float* w = wt + oc0 * g.col_rows();
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t kh = 0; kh < KH; ++kh) {
      const float* row = xp + (c * p.hp + oh + kh) * p.wp + ow0;
      for (int64_t kw = 0; kw < KW; ++kw, w += OB) {
        typename V::Reg in[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) in[v] = V::loadu(row + kw * p.kw_stride + v * step.in);
#pragma GCC unroll 8
        for (int o = 0; o < OB; ++o) {
          const auto a = V::set1(w[o]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[o][v] = V::fmadd(a, in[v], acc[o][v]);
        }
      }
    }
#pragma GCC unroll 8
  for (int o = 0; o < OB; ++o)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      V::mask_storeu(out + o * P + v * step.out, v == NV - 1 ? last : full, acc[o][v]);
}

using Chunk = void (*)(const Conv2dGeometry&, PaddedImage, int64_t, const float*, const float*,
                       const float*, float*, int64_t, int64_t, int64_t, Step);

template <int OB, int... N>
constexpr std::array<Chunk, kNV> chunk_row(std::integer_sequence<int, N...>) {
  return {{&chunk<OB, N + 1>...}};
}
template <int... O>
constexpr std::array<std::array<Chunk, kNV>, kOB> chunk_table(std::integer_sequence<int, O...>) {
  return {{chunk_row<O + 1>(std::make_integer_sequence<int, kNV>{})...}};
}
// kChunk[channels - 1][vectors - 1]
constexpr auto kChunk = chunk_table(std::make_integer_sequence<int, kOB>{});

// partial[t, oc0 + o] += the products of the taps t = (c, kh, kw0 + j), j < KB, for OB output
// channels of one image (padded copy xp, output gradient dy (OC, OH, OW)): KB x OB vector sums
// in registers, so that each piece of an output row loads its OB gradient vectors and KB
// input vectors once for KB * OB multiply-adds. The input is read unmasked (the padded rows
// have slack), the output gradient masked to the row: lanes past the row add 0.
template <int OB, int KB>
REDES_TIER void weight_grad_block(const Conv2dGeometry& g, PaddedImage p, int64_t OC,
                                  const float* xp, const float* dy, float* partial, int64_t oc0,
                                  int64_t kw0) {
  const int64_t OH = p.oh, OW = p.ow, P = g.out_h() * g.out_w();
  const float* d = dy + oc0 * P;
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      typename V::Reg acc[KB][OB];
#pragma GCC unroll 8
      for (int j = 0; j < KB; ++j)
#pragma GCC unroll 8
        for (int o = 0; o < OB; ++o) acc[j][o] = V::zero();
      for (int64_t oh = 0; oh < OH; ++oh) {
        const float* in = xp + (c * p.hp + oh + kh) * p.wp + kw0 * p.kw_stride;
        const float* drow = d + oh * OW;
        for (int64_t ow = 0; ow < OW; ow += kL) {
          const auto m = V::mask(first_lanes(OW - ow));
          typename V::Reg dv[OB];
#pragma GCC unroll 8
          for (int o = 0; o < OB; ++o) dv[o] = V::maskz_loadu(m, drow + o * P + ow);
#pragma GCC unroll 8
          for (int j = 0; j < KB; ++j) {
            const auto v = V::loadu(in + ow + j * p.kw_stride);
#pragma GCC unroll 8
            for (int o = 0; o < OB; ++o) acc[j][o] = V::fmadd(dv[o], v, acc[j][o]);
          }
        }
      }
#pragma GCC unroll 8
      for (int j = 0; j < KB; ++j) {
        float* part = partial + (((c * g.kernel_h + kh) * g.kernel_w + kw0 + j) * OC + oc0) * kL;
#pragma GCC unroll 8
        for (int o = 0; o < OB; ++o)
          V::storeu(part + kL * o, V::add(V::loadu(part + kL * o), acc[j][o]));
      }
    }
}

// The output channels a block of kb kernel columns takes at once: kb * ob sums, ob gradient
// vectors and one input vector in the registers.
constexpr int64_t channels_for(int64_t kb) {
  return std::min<int64_t>(kOB, (V::kRegisters - 1) / (kb + 1));
}

using WeightGradBlock = void (*)(const Conv2dGeometry&, PaddedImage, int64_t, const float*,
                                 const float*, float*, int64_t, int64_t);
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

REDES_TIER void conv2d_direct_forward(const Conv2dGeometry& g, int64_t out_channels, const float* x,
                                      const float* wt, const float* bias, float* y, float* scratch,
                                      bool accumulate) {
  const PaddedImage p = padded_image(g, kL);
  const int64_t OH = p.oh, OW = p.ow;
  pad_image(g, p, x, scratch);
  for (int64_t oc0 = 0; oc0 < out_channels; oc0 += kOB) {
    const int64_t ob = std::min<int64_t>(kOB, out_channels - oc0);
    if (OW <= kL) {  // kNV rows at a time
      const Step step{p.wp, OW, first_lanes(OW), first_lanes(OW), accumulate};
      for (int64_t oh = 0; oh < OH; oh += kNV)
        kChunk[ob - 1][std::min<int64_t>(kNV, OH - oh) - 1](g, p, out_channels, scratch, wt, bias,
                                                            y, oc0, oh, 0, step);
      continue;
    }
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow0 = 0; ow0 < OW; ow0 += kL * kNV) {
        const int64_t n = std::min<int64_t>(kL * kNV, OW - ow0);
        const int64_t nv = (n + kL - 1) / kL;
        const Step step{kL, kL, first_lanes(kL), first_lanes(n - kL * (nv - 1)), accumulate};
        kChunk[ob - 1][nv - 1](g, p, out_channels, scratch, wt, bias, y, oc0, oh, ow0, step);
      }
  }
}

REDES_TIER void conv2d_direct_weight_grad(const Conv2dGeometry& g, int64_t out_channels,
                                          int64_t images, const float* x, const float* dy,
                                          float* partial, float* scratch) {
  const PaddedImage p = padded_image(g, kL);
  const int64_t CHW = g.channels * g.height * g.width, P = g.out_h() * g.out_w();
  for (int64_t n = 0; n < images; ++n) {
    pad_image(g, p, x + n * CHW, scratch);
    for (int64_t kw0 = 0; kw0 < g.kernel_w; kw0 += kKB) {
      // From three blocks up, blocks of equal width: LeNet-5's 16 channels as 4 x 4, not
      // 5 + 5 + 5 + 1 (its backward 601-632 against 645 us a batch, AVX-512, one Zen 5 core);
      // its first layer's 6 as 3 + 3 was 1.5x slower than 5 + 1, measured, and stays so.
      const int64_t kb = std::min<int64_t>(kKB, g.kernel_w - kw0), most = channels_for(kb);
      const int64_t blocks = (out_channels + most - 1) / most;
      const int64_t step = blocks >= 3 ? (out_channels + blocks - 1) / blocks : most;
      for (int64_t oc0 = 0; oc0 < out_channels; oc0 += step)
        kWeightGrad[std::min<int64_t>(step, out_channels - oc0) - 1][kb - 1](
            g, p, out_channels, scratch, dy + n * out_channels * P, partial, oc0, kw0);
    }
  }
}
