// Float GEMMs through oneDNN's matmul (Debian's libdnnl, the library PyTorch runs on x86 CPUs),
// for the products where it measured faster than redes' own kernel: the large ones of wide dense
// layers, as the convnet's 3136 -> 1024 (BENCHMARKS.md). gemm (kernels/gemm.hpp) decides with
// takes(); the operands stay where they are, in redes' row-major layouts with their leading
// dimensions (oneDNN reads them through strides), so nothing is copied around the call.
// The primitives are made at a shape's first product and kept (per thread) for the next ones.
// For the same thread count a product reduces in the same order: a run gives the same bits.
#pragma once
#include <cstdint>

namespace redes::onednn {

// Whether gemm runs a float product of this size here: oneDNN runs on the active tier
// (onednn::tier_ready), the product has at least kMatmulMinWork multiply-adds and no side
// shorter than kMatmulMinSide (a thin product, as an LSTM's input projection from 28 features,
// ran as fast or faster in redes' kernel).
inline constexpr int64_t kMatmulMinWork = int64_t(1) << 24, kMatmulMinSide = 64;
bool matmul_takes(int64_t M, int64_t N, int64_t K);

// C = alpha * op(A) op(B) + beta * C, with gemm's arguments (beta == 0 overwrites C unread).
void matmul(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
            const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
            int64_t ldc);

}  // namespace redes::onednn
