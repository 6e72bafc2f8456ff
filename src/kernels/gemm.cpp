#include "kernels/gemm.hpp"

#include <cblas.h>

#include <algorithm>
#include <string>
#include <type_traits>

#include "kernels/kernel_table.hpp"
#include "kernels/onednn_matmul.hpp"
#include "redes/error.hpp"

namespace redes {
namespace {

// The leading dimensions must cover a stored row; checked once per call, at the boundary.
void check_gemm_args(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t lda,
                     int64_t ldb, int64_t ldc) {
  REDES_CHECK(M >= 0 && N >= 0 && K >= 0, ShapeError,
              "gemm: negative size M=" + std::to_string(M) + " N=" + std::to_string(N) +
                  " K=" + std::to_string(K));
  const int64_t a_cols = trans_a ? M : K;  // A is (K, M) when transposed, else (M, K)
  const int64_t b_cols = trans_b ? K : N;  // B is (N, K) when transposed, else (K, N)
  REDES_CHECK(lda >= std::max<int64_t>(1, a_cols) && ldb >= std::max<int64_t>(1, b_cols) &&
                  ldc >= std::max<int64_t>(1, N),
              ShapeError,
              "gemm: leading dimensions lda=" + std::to_string(lda) +
                  " ldb=" + std::to_string(ldb) + " ldc=" + std::to_string(ldc) +
                  " too small for rows of " + std::to_string(a_cols) + ", " +
                  std::to_string(b_cols) + ", " + std::to_string(N));
}

// C (M, N) = beta * C, where beta == 0 writes zeros without reading C.
template <class T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < N; ++j) c[j] = T(0);
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

// The M == 1 rows for the scalar tier and double (kernels/gemv_body.hpp).
namespace baseline {
#define REDES_TIER
#include "kernels/gemv_body.hpp"
#undef REDES_TIER
}  // namespace baseline

void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha,
               const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, double alpha,
               const double* A, int lda, const double* B, int ldb, double beta, double* C,
               int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  check_gemm_args(trans_a, trans_b, M, N, K, lda, ldb, ldc);
  if (M == 0 || N == 0) return;
  // With nothing to sum over (or alpha == 0) the product vanishes and only beta * C is left;
  // BLAS implementations differ on whether they touch C then, so do it here.
  if (K == 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  if (M == 1) {
    // One row of C: a matrix-vector product on B where it lies (kernels/gemv_body.hpp). a is
    // A's row, or its column when transposed (stride lda).
    auto row = &baseline::gemv_row<T>;
    if constexpr (std::is_same_v<T, float>)
      if (kernels().gemv_row) row = kernels().gemv_row;
    row(trans_b, N, K, alpha, A, trans_a ? lda : 1, B, ldb, beta, C);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    // oneDNN for the large products, the tier's own kernel where it has one
    // (kernels/kernel_table.hpp), else OpenBLAS.
    if (onednn::matmul_takes(M, N, K)) {
      onednn::matmul(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return;
    }
    const KernelTable& k = kernels();
    if (k.sgemm != nullptr && M * N * K >= k.sgemm_min_work) {
      k.sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return;
    }
  }
  // The CBLAS interface takes int sizes.
  constexpr int64_t kIntMax = 2147483647;
  REDES_CHECK(M <= kIntMax && N <= kIntMax && K <= kIntMax && lda <= kIntMax && ldb <= kIntMax &&
                  ldc <= kIntMax,
              ShapeError, "gemm: sizes beyond the 32-bit range of CBLAS");
  // OpenBLAS treats beta == 0 as "overwrite C" (tests/kernels checks this with NaN in C).
  blas_gemm(trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
            static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha, A,
            static_cast<int>(lda), B, static_cast<int>(ldb), beta, C, static_cast<int>(ldc));
}

template <class T>
void PackedB<T>::pack(bool trans_b, int64_t K, int64_t N, const T* B, int64_t ldb) {
  check_gemm_args(false, trans_b, 1, N, K, std::max<int64_t>(1, K), ldb, std::max<int64_t>(1, N));
  trans_b_ = trans_b;
  K_ = K;
  N_ = N;
  B_ = B;
  ldb_ = ldb;
  packed_ = nullptr;
  if constexpr (std::is_same_v<T, float>) {
    const KernelTable& k = kernels();
    if (k.sgemm_pack_b != nullptr && K > 0 && N > 0) {
      constexpr int64_t kAlign = 16;  // floats: the packed panels are read with aligned loads
      storage_.resize(static_cast<size_t>(k.sgemm_packed_floats(K, N) + kAlign));
      float* p = storage_.data();
      p += (kAlign - reinterpret_cast<uintptr_t>(p) / sizeof(float) % kAlign) % kAlign;
      k.sgemm_pack_b(trans_b, K, N, B, ldb, p);
      packed_ = p;
    }
  }
}

template <class T>
void gemm_packed(bool trans_a, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                 const PackedB<T>& B, T beta, T* C, int64_t ldc) {
  REDES_CHECK(N == B.N_ && K == B.K_, ShapeError,
              "gemm_packed: op(B) was packed as (" + std::to_string(B.K_) + ", " +
                  std::to_string(B.N_) + "), not (" + std::to_string(K) + ", " + std::to_string(N) +
                  ")");
  if constexpr (std::is_same_v<T, float>) {
    if (B.packed_ != nullptr && M > 0 && alpha != 0.0f) {
      check_gemm_args(trans_a, false, M, N, K, lda, std::max<int64_t>(1, N), ldc);
      kernels().sgemm_packed(trans_a, M, N, K, alpha, A, lda, B.packed_, beta, C, ldc);
      return;
    }
  }
  gemm<T>(trans_a, B.trans_b_, M, N, K, alpha, A, lda, B.B_, B.ldb_, beta, C, ldc);
}

template class PackedB<float>;
template class PackedB<double>;
template void gemm_packed<float>(bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                                 const PackedB<float>&, float, float*, int64_t);
template void gemm_packed<double>(bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                  const PackedB<double>&, double, double*, int64_t);

std::string blas_kernels() { return std::string("OpenBLAS ") + openblas_get_corename(); }

template <class T>
void gemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                    const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  check_gemm_args(trans_a, trans_b, M, N, K, lda, ldb, ldc);
  // op(A)[i, k] and op(B)[k, j], reading the stored matrices through their strides.
  auto a = [&](int64_t i, int64_t k) { return trans_a ? A[k * lda + i] : A[i * lda + k]; };
  auto b = [&](int64_t k, int64_t j) { return trans_b ? B[j * ldb + k] : B[k * ldb + j]; };
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      T sum = T(0);
      for (int64_t k = 0; k < K; ++k) sum += a(i, k) * b(k, j);
      T& c = C[i * ldc + j];
      c = alpha * sum + (beta == T(0) ? T(0) : beta * c);
    }
  }
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);
template void gemm_reference<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*,
                                    int64_t, const float*, int64_t, float, float*, int64_t);
template void gemm_reference<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*,
                                     int64_t, const double*, int64_t, double, double*, int64_t);

}  // namespace redes
