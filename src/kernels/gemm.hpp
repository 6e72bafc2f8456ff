// General matrix multiply on row-major matrices: C = alpha * op(A) * op(B) + beta * C.
// gemm() calls the CBLAS of the build (OpenBLAS); gemm_reference() is the plain triple loop it
// is tested against.
#pragma once
#include <cstdint>
#include <string>

namespace redes {

// op(A) is (M, K) and op(B) is (K, N); C is (M, N) with row stride ldc >= N.
//   trans_a == false: A is stored (M, K), row stride lda >= K.
//   trans_a == true:  A is stored (K, M), row stride lda >= M, and op(A) = A^T.
//   trans_b == false: B is stored (K, N), row stride ldb >= N.
//   trans_b == true:  B is stored (N, K), row stride ldb >= K, and op(B) = B^T.
// beta == 0 overwrites C without reading it (NaN in C does not survive), as BLAS does.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// The BLAS of the build and the kernels it chose for this CPU: "OpenBLAS SkylakeX", say.
std::string blas_kernels();

// The same contract, computed by the textbook triple loop (accumulating in T, k innermost).
template <class T>
void gemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                    const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

}  // namespace redes
