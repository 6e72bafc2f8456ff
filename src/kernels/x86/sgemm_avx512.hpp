// Single-precision GEMM with AVX-512F, for CPUs whose BLAS kernel is held below AVX-512.
// Same contract as redes::gemm (src/kernels/gemm.hpp): row-major, C = alpha op(A) op(B) + beta C,
// beta == 0 overwrites C without reading it. Inside an OpenMP parallel region it runs on the
// calling thread only; outside one, a product of 2^20 multiply-adds or more is split over the
// OpenMP threads by slices of C. Deterministic: the summation order depends on the shape only,
// not on the thread count. Packing buffers are thread_local and reused, so a warm thread
// allocates nothing.
//
// Reached through the AVX-512 tier's table (kernels/kernel_table.hpp), which gemm() consults;
// only on a CPU with AVX-512F. This header needs no special compiler flags.
#pragma once
#include <cstdint>

namespace redes::x86 {

// Requires M, N, K >= 0 and lda, ldb, ldc covering a stored row, as gemm checks.
void sgemm_avx512(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                  int64_t ldc);

// The same product with op(B) (K, N) packed once for many calls (an RNN's recurrent weights
// over the steps of a sequence), so that the calls skip packing it:
// sgemm_avx512_packed_floats(K, N) floats, 64-byte aligned, filled by sgemm_avx512_pack_b.
int64_t sgemm_avx512_packed_floats(int64_t K, int64_t N);
void sgemm_avx512_pack_b(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb,
                         float* packed);
void sgemm_avx512_packed(bool trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                         int64_t lda, const float* packed, float beta, float* C, int64_t ldc);

}  // namespace redes::x86
