// One row of a GEMM (kernels/gemm.hpp, M == 1: a sample at batch 1, a step of one sequence),
// as plain C++ loops that vectorise, compiled once per tier like rnn_rows_body.hpp (tier files
// with their target attribute, gemm.cpp with REDES_TIER empty for the scalar tier and double):
//   c (N) = alpha * a op(B) + beta * c, a's K values at stride inc_a,
// reading B where it lies; a GEMM would pack all of B first, and OpenBLAS's GEMV would start its
// threads for it (10x and more the time of the product at these sizes). beta == 0 writes c
// without reading it. The sums run in a fixed order: the same bits for any thread count.
// No include guard, on purpose.

template <class T>
REDES_TIER void gemv_row(bool trans_b, int64_t N, int64_t K, T alpha, const T* a, int64_t inc_a,
                         const T* B, int64_t ldb, T beta, T* c) {
  if (trans_b) {  // B stored (N, K): c[j] = alpha dot(a, B[j]) + beta c[j]
    const auto out = [&](int64_t j, T sum) {
      c[j] = alpha * sum + (beta == T(0) ? T(0) : beta * c[j]);
    };
    int64_t j = 0;
    if (inc_a == 1) {
      // Four rows at a time: four independent chains of multiply-adds, not one.
      for (; j + 4 <= N; j += 4) {
        const T *b0 = B + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
        T s0 = T(0), s1 = T(0), s2 = T(0), s3 = T(0);
#pragma omp simd reduction(+ : s0, s1, s2, s3)
        for (int64_t k = 0; k < K; ++k) {
          s0 += a[k] * b0[k];
          s1 += a[k] * b1[k];
          s2 += a[k] * b2[k];
          s3 += a[k] * b3[k];
        }
        out(j, s0);
        out(j + 1, s1);
        out(j + 2, s2);
        out(j + 3, s3);
      }
    }
    for (; j < N; ++j) {
      const T* b = B + j * ldb;
      T sum = T(0);
      for (int64_t k = 0; k < K; ++k) sum += a[k * inc_a] * b[k];
      out(j, sum);
    }
    return;
  }
  // B stored (K, N): c = beta c, then c += (alpha a[k]) B[k] row by row.
  for (int64_t j = 0; j < N; ++j) c[j] = beta == T(0) ? T(0) : beta * c[j];
  for (int64_t k = 0; k < K; ++k) {
    const T s = alpha * a[k * inc_a];
    const T* b = B + k * ldb;
#pragma omp simd
    for (int64_t j = 0; j < N; ++j) c[j] += s * b[j];
  }
}
