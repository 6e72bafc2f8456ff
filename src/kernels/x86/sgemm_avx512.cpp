// AVX-512F SGEMM: Goto-style blocking (K in blocks of kKC, M in kMC, N in kNC) around a
// register-blocked micro-kernel of kMR rows x kNR columns (kMR * kNV zmm accumulators).
// Packing puts op(A) in panels of kMR rows (k-major: kMR values per k) and op(B) in panels of
// kNR columns (kNR values per k), zero-padded at the edges; the transposes are absorbed there.
// Edge tiles run a micro-kernel instantiated for the rows and vectors actually present, with a
// masked load/store of the last vector.
//
// Every function that uses AVX-512 carries REDES_AVX512 (a target attribute) so that the rest of
// the build, and this file's other code, stay baseline x86-64; nothing here runs unless
// the tier table (kernels/kernel_table.hpp) said the CPU has AVX-512F. The standard-library
// templates they call (std::min) are instantiated for the baseline ISA, never with AVX-512
// (objdump: zmm only in the functions marked here).
#include "kernels/x86/sgemm_avx512.hpp"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

#include "kernels/x86/simd.hpp"

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 false positive in immintrin.h
namespace redes::x86 {
namespace {

constexpr int kMR = 14;            // rows of C per micro-tile
constexpr int kNV = 2;             // zmm vectors (16 floats each) across a micro-tile
constexpr int kNR = 16 * kNV;      // columns of C per micro-tile
constexpr int64_t kKC = 256;       // depth of one packed block
constexpr int64_t kMC = kMR * 24;  // rows of packed A per block (kMC x kKC floats in L2)
constexpr int64_t kNC = kNR * 16;  // columns of packed B per block (kKC x kNC floats in L2)

// A 64-byte aligned float buffer that only grows.
struct Buffer {
  float* data = nullptr;
  size_t cap = 0;
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { std::free(data); }
  float* get(size_t n) {
    if (n > cap) {
      std::free(data);
      data = nullptr;
      cap = 0;
      const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (data == nullptr) throw std::bad_alloc();
      cap = n;
    }
    return data;
  }
};
thread_local Buffer tl_packed_a, tl_packed_b;

// C[0:R, 0:16*NV] (last vector masked by `last`) = alpha * sum_k Ap[k] Bp[k] + beta * C, where
// beta == 0 does not read C.
template <int R, int NV>
REDES_AVX512 void micro_kernel(int64_t kc, const float* __restrict ap, const float* __restrict bp,
                               float* c, int64_t ldc, float alpha, float beta, __mmask16 last) {
  __m512 acc[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    __m512 b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) b[v] = _mm512_load_ps(bp + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(ap[r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
    }
    ap += kMR;
    bp += kNR;
  }
  // All loads of C before any store: with a row stride of a multiple of 4 KiB every row of
  // the tile has the same low 12 address bits, and a load issued behind a store to such an
  // address waits on it (4K aliasing), which halved the speed at small K.
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = v == NV - 1 ? last : __mmask16(0xFFFF);
      const float* cp = c + r * ldc + 16 * v;
      if (beta == 0.0f) {
        acc[r][v] = _mm512_mul_ps(acc[r][v], va);
      } else if (beta == 1.0f) {
        acc[r][v] = _mm512_fmadd_ps(acc[r][v], va, _mm512_maskz_loadu_ps(m, cp));
      } else {
        acc[r][v] = _mm512_fmadd_ps(acc[r][v], va, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m, cp)));
      }
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = v == NV - 1 ? last : __mmask16(0xFFFF);
      _mm512_mask_storeu_ps(c + r * ldc + 16 * v, m, acc[r][v]);
    }
  }
}

using MicroKernel = void (*)(int64_t, const float*, const float*, float*, int64_t, float, float,
                             __mmask16);

template <int R, int... V>
constexpr std::array<MicroKernel, kNV> kernel_row(std::integer_sequence<int, V...>) {
  return {{&micro_kernel<R, V + 1>...}};
}
template <int... R>
constexpr std::array<std::array<MicroKernel, kNV>, kMR> kernel_table(
    std::integer_sequence<int, R...>) {
  return {{kernel_row<R + 1>(std::make_integer_sequence<int, kNV>{})...}};
}
// kMicro[rows - 1][vectors - 1]
constexpr auto kMicro = kernel_table(std::make_integer_sequence<int, kMR>{});

// Transposes the 16 x 16 block r[0..15] in place: afterwards r[j] holds column j.
REDES_AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
    t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
    t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
    t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
    r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
  }
}

// dst[k * dst_stride + r] = src[r * ld + k] for r < rows (<= 16; zero for rows <= r < 16) and
// k < cols; each row of dst is written with store_mask.
REDES_AVX512 void transpose_pack(const float* src, int64_t ld, int rows, int64_t cols, float* dst,
                                 int64_t dst_stride, __mmask16 store_mask) {
  __m512 r[16];
  for (int64_t k0 = 0; k0 < cols; k0 += 16) {
    const int64_t kw = std::min<int64_t>(16, cols - k0);
    const __mmask16 lm = mask_of(kw);
    for (int i = 0; i < 16; ++i)
      r[i] = i < rows ? _mm512_maskz_loadu_ps(lm, src + i * ld + k0) : _mm512_setzero_ps();
    transpose16(r);
    for (int64_t t = 0; t < kw; ++t)
      _mm512_mask_storeu_ps(dst + (k0 + t) * dst_stride, store_mask, r[t]);
  }
}

// Packs op(A)[i0 : i0 + mc, p0 : p0 + kc] into panels of kMR rows: panel q holds
// ap[q * kMR * kc + k * kMR + r] = op(A)[i0 + q * kMR + r, p0 + k], zero past row mc.
REDES_AVX512 void pack_a(bool trans_a, const float* A, int64_t lda, int64_t i0, int64_t mc,
                         int64_t p0, int64_t kc, float* ap) {
  for (int64_t ir = 0; ir < mc; ir += kMR) {
    const int mr = static_cast<int>(std::min<int64_t>(kMR, mc - ir));
    float* dst = ap + ir * kc;
    if (trans_a) {  // A stored (K, M): the kMR values of one k are contiguous
      const float* src = A + p0 * lda + i0 + ir;
      const __mmask16 lm = mask_of(mr);
      for (int64_t k = 0; k < kc; ++k)
        _mm512_mask_storeu_ps(dst + k * kMR, mask_of(kMR),
                              _mm512_maskz_loadu_ps(lm, src + k * lda));
    } else {
      transpose_pack(A + (i0 + ir) * lda + p0, lda, mr, kc, dst, kMR, mask_of(kMR));
    }
  }
}

// Packs op(B)[p0 : p0 + kc, j0 : j0 + nc] into panels of kNR columns: panel q holds
// bp[q * kNR * kc + k * kNR + j] = op(B)[p0 + k, j0 + q * kNR + j], zero past column nc.
REDES_AVX512 void pack_b(bool trans_b, const float* B, int64_t ldb, int64_t p0, int64_t kc,
                         int64_t j0, int64_t nc, float* bp) {
  for (int64_t jr = 0; jr < nc; jr += kNR) {
    const int64_t nr = std::min<int64_t>(kNR, nc - jr);
    float* dst = bp + jr * kc;
    for (int v = 0; v < kNV; ++v) {
      const int64_t w = nr - 16 * v;  // columns present in this vector
      if (w <= 0) {
        for (int64_t k = 0; k < kc; ++k)
          _mm512_store_ps(dst + k * kNR + 16 * v, _mm512_setzero_ps());
      } else if (trans_b) {  // B stored (N, K): transpose 16 rows of B at a time
        transpose_pack(B + (j0 + jr + 16 * v) * ldb + p0, ldb,
                       static_cast<int>(std::min<int64_t>(w, 16)), kc, dst + 16 * v, kNR,
                       __mmask16(0xFFFF));
      } else {
        const float* src = B + p0 * ldb + j0 + jr + 16 * v;
        const __mmask16 lm = mask_of(w);
        for (int64_t k = 0; k < kc; ++k)
          _mm512_store_ps(dst + k * kNR + 16 * v, _mm512_maskz_loadu_ps(lm, src + k * ldb));
      }
    }
  }
}

// One micro-tile of mr rows and nr columns (at most kMR x kNR).
REDES_AVX512 inline void run_tile(int64_t kc, const float* ap, const float* bp, float* c,
                                  int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta) {
  const int64_t nv = (nr + 15) / 16;
  kMicro[mr - 1][nv - 1](kc, ap, bp, c, ldc, alpha, beta, mask_of(nr - 16 * (nv - 1)));
}

// Where the packed block (jc, pc) of a B packed whole lies: the column blocks one after the
// other, each K x (its columns rounded up to kNR), its depth blocks in order inside it.
int64_t packed_offset(int64_t K, int64_t jc, int64_t pc, int64_t nc) {
  return jc * K + pc * ((nc + kNR - 1) / kNR * kNR);
}

// bp: a buffer for one packed block of B, or null when `packed` holds all of op(B) already
// (sgemm_avx512_pack_b).
REDES_AVX512 void sgemm_blocked(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                                float alpha, const float* A, int64_t lda, const float* B,
                                int64_t ldb, float beta, float* C, int64_t ldc, float* ap,
                                float* bp, const float* packed) {
  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    for (int64_t pc = 0; pc < K; pc += kKC) {
      const int64_t kc = std::min(kKC, K - pc);
      const float b_now = pc == 0 ? beta : 1.0f;  // later K blocks accumulate
      const float* b_block = bp;
      if (packed != nullptr) {
        b_block = packed + packed_offset(K, jc, pc, nc);
      } else {
        pack_b(trans_b, B, ldb, pc, kc, jc, nc, bp);
      }
      for (int64_t ic = 0; ic < M; ic += kMC) {
        const int64_t mc = std::min(kMC, M - ic);
        pack_a(trans_a, A, lda, ic, mc, pc, kc, ap);
        // Along each row of tiles in turn: the A panel (kMR x kc) stays in L1 and the packed B
        // block (kc x nc) in L2, and consecutive tiles' C addresses differ in their low 12 bits
        // (no 4K aliasing of C loads behind C stores, which matters when K is short and ldc is
        // a multiple of 1024 floats); C is walked row-wise, as the prefetchers like.
        for (int64_t ir = 0; ir < mc; ir += kMR) {
          const int64_t mr = std::min<int64_t>(kMR, mc - ir);
          for (int64_t jr = 0; jr < nc; jr += kNR)
            run_tile(kc, ap + ir * kc, b_block + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc, mr,
                     std::min<int64_t>(kNR, nc - jr), alpha, b_now);
        }
      }
    }
  }
}

// The whole product on the calling thread, with its packing buffers.
// (packed: all of op(B), packed by sgemm_avx512_pack_b, or null.)
void sgemm_serial(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                  int64_t ldc, const float* packed = nullptr) {
  const int64_t kc = std::min(kKC, K);
  const int64_t mc = (std::min(kMC, M) + kMR - 1) / kMR * kMR;
  const int64_t nc = (std::min(kNC, N) + kNR - 1) / kNR * kNR;
  float* ap = tl_packed_a.get(static_cast<size_t>(mc * kc));
  float* bp = packed != nullptr ? nullptr : tl_packed_b.get(static_cast<size_t>(nc * kc));
  sgemm_blocked(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ap, bp, packed);
}

// Products from this many multiply-adds up are split over the OpenMP threads when called
// outside a parallel region (where OpenBLAS would have used them too).
constexpr int64_t kParallelMinWork = int64_t(1) << 20;

// The product on the OpenMP threads when it is large enough and called outside a parallel
// region, else serially (packed: all of op(B), packed by sgemm_avx512_pack_b, or null). Each
// thread takes a slice of C's columns (packing only its part of B, all of A) or of its rows
// (its part of A, all of B), whichever repeats less packing; with B packed already, rows. Every
// entry of C is summed in the same order as serially (the order depends on the K blocking
// only), so the result is the same bits for any number of threads.
void sgemm_threads(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                   const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                   int64_t ldc, const float* packed) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // no product: C = beta * C, beta == 0 overwriting
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
    return;
  }
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (threads <= 1 || M * N * K < kParallelMinWork) {
    sgemm_serial(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, packed);
    return;
  }
  const bool split_columns = packed == nullptr && M <= N;
  const int64_t unit = split_columns ? kNR : kMR, extent = split_columns ? N : M;
  const int64_t units = (extent + unit - 1) / unit;
  const int used = static_cast<int>(std::min<int64_t>(threads, units));
#pragma omp parallel num_threads(used)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = std::min(extent, units * t / nt * unit);
    const int64_t end = std::min(extent, units * (t + 1) / nt * unit);
    if (end > begin) {
      if (split_columns) {
        sgemm_serial(trans_a, trans_b, M, end - begin, K, alpha, A, lda,
                     trans_b ? B + begin * ldb : B + begin, ldb, beta, C + begin, ldc);
      } else {
        sgemm_serial(trans_a, trans_b, end - begin, N, K, alpha,
                     trans_a ? A + begin : A + begin * lda, lda, B, ldb, beta, C + begin * ldc, ldc,
                     packed);
      }
    }
  }
}

}  // namespace

void sgemm_avx512(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                  int64_t ldc) {
  sgemm_threads(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nullptr);
}

int64_t sgemm_avx512_packed_floats(int64_t K, int64_t N) { return K * ((N + kNR - 1) / kNR * kNR); }

REDES_AVX512 void sgemm_avx512_pack_b(bool trans_b, int64_t K, int64_t N, const float* B,
                                      int64_t ldb, float* packed) {
  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    for (int64_t pc = 0; pc < K; pc += kKC)
      pack_b(trans_b, B, ldb, pc, std::min(kKC, K - pc), jc, nc,
             packed + packed_offset(K, jc, pc, nc));
  }
}

void sgemm_avx512_packed(bool trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                         int64_t lda, const float* packed, float beta, float* C, int64_t ldc) {
  sgemm_threads(trans_a, false, M, N, K, alpha, A, lda, nullptr, 0, beta, C, ldc, packed);
}

}  // namespace redes::x86
