// General matrix multiply on row-major matrices: C = alpha * op(A) * op(B) + beta * C.
// gemm() calls the CBLAS of the build (OpenBLAS); gemm_reference() is the plain triple loop it
// is tested against.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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

// op(B) (K, N) prepared once for many products C = alpha op(A) op(B) + beta C with the same B,
// such as an RNN's recurrent weights over the steps of a sequence: gemm_packed then skips the
// packing of B that gemm repeats on every call. Packed in the tier's own GEMM layout where the
// tier has a float GEMM (kernels/kernel_table.hpp); otherwise only B's address is kept, and
// gemm_packed calls gemm. B must not change while the packing is in use.
template <class T>
class PackedB {
 public:
  void pack(bool trans_b, int64_t K, int64_t N, const T* B, int64_t ldb);
  int64_t K() const { return K_; }
  int64_t N() const { return N_; }

 private:
  template <class U>
  friend void gemm_packed(bool, int64_t, int64_t, int64_t, U, const U*, int64_t, const PackedB<U>&,
                          U, U*, int64_t);
  bool trans_b_ = false;
  int64_t K_ = 0, N_ = 0, ldb_ = 1;
  const T* B_ = nullptr;
  std::vector<T> storage_;     // the packed B, from an aligned offset (own layout only)
  const T* packed_ = nullptr;  // null: B_ is used as it is
};

// C = alpha op(A) op(B) + beta C with B packed by PackedB::pack; the contract of gemm, where N and
// K must be those B was packed with.
template <class T>
void gemm_packed(bool trans_a, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                 const PackedB<T>& B, T beta, T* C, int64_t ldc);

// The BLAS of the build and the kernels it chose for this CPU: "OpenBLAS SkylakeX", say.
std::string blas_kernels();

// The same contract, computed by the textbook triple loop (accumulating in T, k innermost).
template <class T>
void gemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                    const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

}  // namespace redes
