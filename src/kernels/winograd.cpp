#include "kernels/winograd.hpp"

#include <algorithm>
#include <span>

namespace redes {
namespace {

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

// G g for one column of 5 taps g[0], g[s], ..., g[4s] into out[0], out[o], ..., out[5o]: the
// rows of G are (1/4, 0, 0, 0, 0), -(1, 1, 1, 1, 1)/6, -(1, -1, 1, -1, 1)/6,
// (1, 2, 4, 8, 16)/24, (1, -2, 4, -8, 16)/24 and (0, 0, 0, 0, 1).
void filter_1d(const float* g, int64_t s, float* out, int64_t o) {
  const float g0 = g[0], g1 = g[s], g2 = g[2 * s], g3 = g[3 * s], g4 = g[4 * s];
  const float even = g0 + g2 + g4, odd = g1 + g3;
  const float even4 = g0 + 4 * g2 + 16 * g4, odd4 = 2 * g1 + 8 * g3;
  constexpr float kSixth = 1.0f / 6, kTwentyFourth = 1.0f / 24;
  out[0] = g0 * 0.25f;
  out[o] = -(even + odd) * kSixth;
  out[2 * o] = -(even - odd) * kSixth;
  out[3 * o] = (even4 + odd4) * kTwentyFourth;
  out[4 * o] = (even4 - odd4) * kTwentyFourth;
  out[5 * o] = g4;
}

// G^T x of six values x[0], x[s], ..., x[5s] into out[0], out[o], ..., out[4o]: the adjoint
// of filter_1d, by which a gradient of G g G^T becomes one of g.
void filter_1d_adjoint(const float* x, int64_t s, float* out, int64_t o) {
  constexpr float kSixth = 1.0f / 6, kTwentyFourth = 1.0f / 24;
  const float x0 = x[0], x1 = x[s], x2 = x[2 * s], x3 = x[3 * s], x4 = x[4 * s], x5 = x[5 * s];
  const float a = -(x1 + x2) * kSixth, b = (x2 - x1) * kSixth;               // rows 1 and 2
  const float c = (x3 + x4) * kTwentyFourth, d = (x3 - x4) * kTwentyFourth;  // rows 3 and 4
  out[0] = x0 * 0.25f + a + c;
  out[o] = b + 2 * d;
  out[2 * o] = a + 4 * c;
  out[3 * o] = b + 8 * d;
  out[4 * o] = a + 16 * c + x5;
}

}  // namespace

bool winograd_fits(const Conv2dGeometry& g) {
  return g.kernel_h == 5 && g.kernel_w == 5 && g.stride_h == 1 && g.stride_w == 1 &&
         g.dilation_h == 1 && g.dilation_w == 1 && g.fits();
}

WinogradShape winograd_shape(const Conv2dGeometry& g, int64_t filters, int lanes) {
  WinogradShape s;
  s.channels = g.channels;
  s.filters = filters;
  s.cpad = round_up(g.channels, lanes);
  s.kpad = round_up(filters, lanes);
  s.tiles_y = (g.out_h() + 1) / 2;
  s.tiles_x = (g.out_w() + 1) / 2;
  s.hb = 2 * s.tiles_y + 4;
  s.wb = 2 * s.tiles_x + 4;
  return s;
}

int64_t winograd_weights_floats(const WinogradShape& s) { return 36 * s.cpad * s.kpad; }

void winograd_transform_weights(const WinogradShape& s, const float* w, float* u) {
  const int64_t C = s.channels, K = s.filters;
  std::fill_n(u, winograd_weights_floats(s), 0.0f);
  for (int64_t c = 0; c < C; ++c)  // k innermost: the writes of each position go in order
    for (int64_t k = 0; k < K; ++k) {
      const float* g = w + (k * C + c) * 25;
      float gt[5 * 6];  // (g G^T): row a of g transformed, gt[a * 6 + j]
      float ggt[36];    // G g G^T
      for (int a = 0; a < 5; ++a) filter_1d(g + a * 5, 1, gt + a * 6, 1);
      for (int j = 0; j < 6; ++j) filter_1d(gt + j, 6, ggt + j, 6);
      for (int p = 0; p < 36; ++p) u[(p * s.cpad + c) * s.kpad + k] = ggt[p];
    }
}

WinogradScratch winograd_scratch(const WinogradShape& s) {
  WinogradScratch w;
  w.output_grad = s.hb * s.wb * s.cpad;
  w.v = w.output_grad + 4 * s.tiles() * s.kpad;
  w.m = w.v + 36 * kWinogradBlockTiles * s.cpad;
  w.floats = w.m + 36 * kWinogradBlockTiles * s.kpad;
  return w;
}

int64_t winograd_block_tiles(const WinogradShape& s) {
  const int64_t blocks = (s.tiles() + kWinogradBlockTiles - 1) / kWinogradBlockTiles;
  return (s.tiles() + blocks - 1) / blocks;
}

void winograd_weight_grad_finish(const WinogradShape& s, std::span<const float* const> du,
                                 float* dw) {
  const int64_t C = s.channels, K = s.filters, cp = s.cpad, kp = s.kpad;
  for (int64_t k = 0; k < K; ++k)
    for (int64_t c = 0; c < C; ++c) {
      float sum[36];
      for (int p = 0; p < 36; ++p) {
        float v = 0;
        for (const float* part : du) v += part[(p * cp + c) * kp + k];
        sum[p] = v;
      }
      float rows[6 * 5], g[25];  // G^T applied to each row of sum, then to each column
      for (int i = 0; i < 6; ++i) filter_1d_adjoint(sum + i * 6, 1, rows + i * 5, 1);
      for (int b = 0; b < 5; ++b) filter_1d_adjoint(rows + b, 5, g + b, 5);
      float* out = dw + (k * C + c) * 25;
      for (int i = 0; i < 25; ++i) out[i] += g[i];
    }
}

}  // namespace redes
