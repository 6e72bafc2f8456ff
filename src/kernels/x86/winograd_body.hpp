// The F(2x2, 5x5) convolution of kernels/winograd.hpp for one image, written once against the
// vector traits V (kernels/x86/simd.hpp) and compiled once per tier: tier_avx512.cpp and
// tier_avx2.cpp include this file inside their own namespace, after defining there
//   V            the vector traits (Avx512, Avx2),
//   REDES_TIER   the tier's target attribute (every function here carries it),
//   kWR, kWNV    the products' register block: kWR tiles x kWNV vectors of filters.
// No include guard, on purpose.
//
// Per image: the input is copied into a zero-padded buffer with the channels innermost, so that
// a tile's 6x6 patch is 36 runs of cpad channels; then, a block of up to kWinogradBlockTiles
// tiles at a time, (1) each tile's patch is transformed (B^T d B, a vector of channels at a
// time) into v[p][tile][c], (2) for each of the 36 positions p, m[p] (tiles x kpad) = v[p]
// (tiles x cpad) u[p] (cpad x kpad), and (3) each tile's 36 m[p] are transformed back (A^T m A)
// into its 2x2 outputs, a vector of filters at a time.

namespace {

constexpr int kWL = V::kLanes;
using WReg = typename V::Reg;

// B^T d of six vectors (the rows of B^T: (4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0),
// (0, 4, -4, -1, 1, 0), (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1)).
REDES_TIER inline void winograd_in_1d(const WReg d[6], WReg t[6]) {
  const WReg four = V::set1(4.0f), minus_five = V::set1(-5.0f), two = V::set1(2.0f);
  const WReg d42 = V::sub(d[4], d[2]);
  t[0] = V::fmadd(four, d[0], V::fmadd(minus_five, d[2], d[4]));
  t[1] = V::fmadd(V::set1(-4.0f), V::add(d[1], d[2]), V::add(d[3], d[4]));
  t[2] = V::fmadd(four, V::sub(d[1], d[2]), V::sub(d[4], d[3]));
  t[3] = V::fmadd(two, V::sub(d[3], d[1]), d42);
  t[4] = V::fmadd(two, V::sub(d[1], d[3]), d42);
  t[5] = V::fmadd(four, d[1], V::fmadd(minus_five, d[3], d[5]));
}

// A^T m of six vectors (the rows of A^T: (1, 1, 1, 1, 1, 0) and (0, 1, -1, 2, -2, 1)).
REDES_TIER inline void winograd_out_1d(const WReg m[6], WReg& y0, WReg& y1) {
  y0 = V::add(V::add(m[0], V::add(m[1], m[2])), V::add(m[3], m[4]));
  y1 = V::fmadd(V::set1(2.0f), V::sub(m[3], m[4]), V::add(V::sub(m[1], m[2]), m[5]));
}

// The padded copy of x (C, H, W): buf[(yb * wb + xb) * cpad + c] = x[c, yb - pad_top,
// xb - pad_left], zero outside the image and for the padding channels.
REDES_TIER void winograd_pad_input(const Conv2dGeometry& g, const WinogradShape& s, const float* x,
                                   float* buf) {
  const int64_t H = g.height, W = g.width, C = s.channels, cp = s.cpad;
  std::fill_n(buf, s.hb * s.wb * cp, 0.0f);
  for (int64_t h = 0; h < H; ++h) {
    float* row = buf + ((h + g.pad_top) * s.wb + g.pad_left) * cp;
    for (int64_t c = 0; c < C; ++c) {
      const float* src = x + (c * H + h) * W;
      for (int64_t w = 0; w < W; ++w) row[w * cp + c] = src[w];
    }
  }
}

// v[(p * T + i) * cpad + c] = (B^T d B)[p] of tile t0 + i, for the T tiles from t0.
REDES_TIER void winograd_input_block(const WinogradShape& s, const float* buf, int64_t t0,
                                     int64_t T, float* v) {
  const int64_t cp = s.cpad, row = s.wb * cp;
  for (int64_t i = 0; i < T; ++i) {
    const int64_t t = t0 + i, ty = t / s.tiles_x, tx = t % s.tiles_x;
    const float* patch = buf + (2 * ty * s.wb + 2 * tx) * cp;
    for (int64_t c = 0; c < cp; c += kWL) {
      WReg col[6][6];  // B^T d: col[x][i] of patch column x
      for (int x = 0; x < 6; ++x) {
        WReg d[6];
#pragma GCC unroll 6
        for (int y = 0; y < 6; ++y) d[y] = V::loadu(patch + y * row + x * cp + c);
        winograd_in_1d(d, col[x]);
      }
      for (int r = 0; r < 6; ++r) {
        WReg d[6], out[6];
#pragma GCC unroll 6
        for (int x = 0; x < 6; ++x) d[x] = col[x][r];
        winograd_in_1d(d, out);
#pragma GCC unroll 6
        for (int q = 0; q < 6; ++q) V::storeu(v + ((r * 6 + q) * T + i) * cp + c, out[q]);
      }
    }
  }
}

// The products of both passes, one register block: m (R, kpad) columns [0, NV * kWL) = (or +=,
// with add) the sum over i < n of the column a[i * step + r * stride] times the row
// b[i * kpad, ...]. The forward's a is (R, cpad) rows (stride cpad, step 1), the weight
// gradient's a^T the transformed input's R channels (stride 1, step cpad).
struct WinogradOperands {
  int64_t n, stride, step, kp;
  bool add;
};

template <int R, int NV>
REDES_TIER void winograd_block(const WinogradOperands& o, const float* a, const float* b,
                               float* m) {
  WReg acc[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = o.add ? V::loadu(m + r * o.kp + v * kWL) : V::zero();
  for (int64_t i = 0; i < o.n; ++i) {
    WReg bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = V::loadu(b + i * o.kp + v * kWL);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const WReg av = V::set1(a[i * o.step + r * o.stride]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = V::fmadd(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) V::storeu(m + r * o.kp + v * kWL, acc[r][v]);
}

// The kpad columns of R rows, in blocks of kWNV vectors, the last block narrower.
template <int R>
REDES_TIER void winograd_rows(const WinogradOperands& o, const float* a, const float* b, float* m) {
  int64_t k0 = 0;
  for (; k0 + kWNV * kWL <= o.kp; k0 += kWNV * kWL) winograd_block<R, kWNV>(o, a, b + k0, m + k0);
  for (; k0 < o.kp; k0 += kWL) winograd_block<R, 1>(o, a, b + k0, m + k0);
}

// The last `rows` (< kWR) rows.
template <int R>
REDES_TIER void winograd_tail(int64_t rows, const WinogradOperands& o, const float* a,
                              const float* b, float* m) {
  if constexpr (R > 0) {
    if (rows == R)
      winograd_rows<R>(o, a, b, m);
    else
      winograd_tail<R - 1>(rows, o, a, b, m);
  }
}

// `rows` rows (m's of stride kpad, a's `stride` apart) in blocks of kWR, the last narrower.
REDES_TIER void winograd_product(int64_t rows, const WinogradOperands& o, const float* a,
                                 const float* b, float* m) {
  int64_t r = 0;
  for (; r + kWR <= rows; r += kWR) winograd_rows<kWR>(o, a + r * o.stride, b, m + r * o.kp);
  if (r < rows) winograd_tail<kWR - 1>(rows - r, o, a + r * o.stride, b, m + r * o.kp);
}

// m[p] (T, kpad) = v[p] (T, cpad) u[p] (cpad, kpad) for the 36 positions.
REDES_TIER void winograd_products(const WinogradShape& s, int64_t T, const float* v, const float* u,
                                  float* m) {
  const int64_t cp = s.cpad, kp = s.kpad;
  for (int p = 0; p < 36; ++p) {
    winograd_product(T, {cp, cp, 1, kp, false}, v + p * T * cp, u + p * cp * kp, m + p * T * kp);
  }
}

// The 2x2 outputs of the T tiles from t0: y (or y +=) A^T m A (+ bias).
REDES_TIER void winograd_output_block(const Conv2dGeometry& g, const WinogradShape& s, int64_t t0,
                                      int64_t T, const float* m, const float* bias, float* y,
                                      bool accumulate) {
  const int64_t kp = s.kpad, K = s.filters, OH = g.out_h(), OW = g.out_w(), P = OH * OW;
  for (int64_t i = 0; i < T; ++i) {
    const int64_t t = t0 + i, oy = 2 * (t / s.tiles_x), ox = 2 * (t % s.tiles_x);
    const bool rows2 = oy + 1 < OH, cols2 = ox + 1 < OW;
    for (int64_t k0 = 0; k0 < kp; k0 += kWL) {
      WReg z0[6], z1[6];  // A^T m: rows 0 and 1, column q
      for (int q = 0; q < 6; ++q) {
        WReg col[6];
#pragma GCC unroll 6
        for (int r = 0; r < 6; ++r) col[r] = V::loadu(m + ((r * 6 + q) * T + i) * kp + k0);
        winograd_out_1d(col, z0[q], z1[q]);
      }
      WReg out[4];  // (0, 0), (0, 1), (1, 0), (1, 1)
      winograd_out_1d(z0, out[0], out[1]);
      winograd_out_1d(z1, out[2], out[3]);
      const int64_t lanes = std::min<int64_t>(kWL, K - k0);
      if (!accumulate && bias) {
        const WReg b = V::maskz_loadu(V::mask(first_lanes(lanes)), bias + k0);
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) out[j] = V::add(out[j], b);
      }
      alignas(64) float lane[4][kWL];
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) V::storeu(lane[j], out[j]);
      for (int64_t l = 0; l < lanes; ++l) {
        float* o = y + (k0 + l) * P + oy * OW + ox;
        if (accumulate) {
          o[0] += lane[0][l];
          if (cols2) o[1] += lane[1][l];
          if (rows2) {
            o[OW] += lane[2][l];
            if (cols2) o[OW + 1] += lane[3][l];
          }
        } else {
          o[0] = lane[0][l];
          if (cols2) o[1] = lane[1][l];
          if (rows2) {
            o[OW] = lane[2][l];
            if (cols2) o[OW + 1] = lane[3][l];
          }
        }
      }
    }
  }
}

}  // namespace

REDES_TIER void winograd_forward(const Conv2dGeometry& g, const WinogradShape& s, const float* x,
                                 const float* u, const float* bias, float* y, float* scratch,
                                 bool accumulate) {
  const WinogradScratch at = winograd_scratch(s);
  float *buf = scratch, *v = scratch + at.v, *m = scratch + at.m;
  winograd_pad_input(g, s, x, buf);
  const int64_t tiles = s.tiles(), per_block = winograd_block_tiles(s);
  for (int64_t t0 = 0; t0 < tiles; t0 += per_block) {
    const int64_t T = std::min(per_block, tiles - t0);
    winograd_input_block(s, buf, t0, T, v);
    winograd_products(s, T, v, u, m);
    winograd_output_block(g, s, t0, T, m, bias, y, accumulate);
  }
}

namespace {

// The output gradient of one image with the filters innermost: buf[(y * 2 tiles_x + x) * kpad +
// k] = dy[k, y, x], zero past the image (the last tiles' missing row or column) and for the
// padding filters.
REDES_TIER void winograd_pad_output_grad(const Conv2dGeometry& g, const WinogradShape& s,
                                         const float* dy, float* buf) {
  const int64_t OH = g.out_h(), OW = g.out_w(), K = s.filters, kp = s.kpad, wb = 2 * s.tiles_x;
  std::fill_n(buf, 2 * s.tiles_y * wb * kp, 0.0f);
  for (int64_t h = 0; h < OH; ++h) {
    float* row = buf + h * wb * kp;
    for (int64_t k = 0; k < K; ++k) {
      const float* src = dy + (k * OH + h) * OW;
      for (int64_t w = 0; w < OW; ++w) row[w * kp + k] = src[w];
    }
  }
}

// A (a, b) of two vectors: A's rows are (1, 0), (1, 1), (1, -1), (1, 2), (1, -2), (0, 1).
REDES_TIER inline void winograd_expand(WReg a, WReg b, WReg out[6]) {
  out[0] = a;
  out[1] = V::add(a, b);
  out[2] = V::sub(a, b);
  out[3] = V::fmadd(V::set1(2.0f), b, a);
  out[4] = V::fmadd(V::set1(-2.0f), b, a);
  out[5] = b;
}

// e[(p * T + i) * kpad + k] = (A e_tile A^T)[p] of the 2x2 output gradient of tile t0 + i.
REDES_TIER void winograd_output_grad_block(const WinogradShape& s, const float* buf, int64_t t0,
                                           int64_t T, float* e) {
  const int64_t kp = s.kpad, row = 2 * s.tiles_x * kp;
  for (int64_t i = 0; i < T; ++i) {
    const int64_t t = t0 + i, ty = t / s.tiles_x, tx = t % s.tiles_x;
    const float* tile = buf + 2 * ty * row + 2 * tx * kp;
    for (int64_t k = 0; k < kp; k += kWL) {
      WReg r0[6], r1[6];  // each of the tile's two rows expanded
      winograd_expand(V::loadu(tile + k), V::loadu(tile + kp + k), r0);
      winograd_expand(V::loadu(tile + row + k), V::loadu(tile + row + kp + k), r1);
      for (int q = 0; q < 6; ++q) {
        WReg col[6];
        winograd_expand(r0[q], r1[q], col);
#pragma GCC unroll 6
        for (int r = 0; r < 6; ++r) V::storeu(e + ((r * 6 + q) * T + i) * kp + k, col[r]);
      }
    }
  }
}

}  // namespace

REDES_TIER void winograd_weight_grad(const Conv2dGeometry& g, const WinogradShape& s,
                                     const float* x, const float* dy, float* du, float* scratch) {
  const int64_t cp = s.cpad, kp = s.kpad;
  const WinogradScratch at = winograd_scratch(s);
  float *buf = scratch, *dy_buf = scratch + at.output_grad, *v = scratch + at.v,
        *e = scratch + at.m;
  winograd_pad_input(g, s, x, buf);
  winograd_pad_output_grad(g, s, dy, dy_buf);
  const int64_t tiles = s.tiles(), per_block = winograd_block_tiles(s);
  for (int64_t t0 = 0; t0 < tiles; t0 += per_block) {
    const int64_t T = std::min(per_block, tiles - t0);
    winograd_input_block(s, buf, t0, T, v);
    winograd_output_grad_block(s, dy_buf, t0, T, e);
    for (int p = 0; p < 36; ++p) {
      // du[p] (cpad, kpad) += v[p]^T (cpad, T) e[p] (T, kpad)
      winograd_product(cp, {T, 1, cp, kp, true}, v + p * T * cp, e + p * T * kp, du + p * cp * kp);
    }
  }
}
