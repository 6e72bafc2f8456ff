// The function table of the instruction-set tiers (GUIDE, style rule 5): one table of kernels
// per tier, the active one chosen once (redes/isa.hpp: the best tier of this CPU, capped by
// REDES_ISA). An operation asks kernels() for its kernel and falls back to the plain C++ loops
// (the scalar tier) where the table has none; nothing else in the build asks which CPU it is on.
#pragma once
#include <cstdint>

#include "kernels/im2col.hpp"
#include "kernels/winograd.hpp"
#include "kernels/x86/conv_direct.hpp"
#include "redes/isa.hpp"

namespace redes {

// C = alpha op(A) op(B) + beta C with the contract of redes::gemm (kernels/gemm.hpp).
using SgemmFn = void (*)(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                         const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                         float* C, int64_t ldc);
// x (C, H, W) += col2im(col) for stride 1, the contract of redes::col2im.
using Col2imFn = void (*)(const Conv2dGeometry& g, const float* col, int64_t ldcol, float* x);

// The float rows of the recurrent cells (kernels/rnn_rows_body.hpp, kernels/lstm_cell.hpp,
// gru_cell.hpp); a null entry: the baseline row.
struct RnnRows {
  void (*lstm_forward)(int64_t H, float* a, const float* c_prev, float* c, float* tanh_c, float* h,
                       float* y) = nullptr;
  void (*lstm_backward)(int64_t H, const float* a, const float* c_prev, const float* tanh_c,
                        const float* dh, const float* dy, float* dc, float* da) = nullptr;
  void (*lstm_backward_no_dy)(int64_t H, const float* a, const float* c_prev, const float* tanh_c,
                              const float* dh, float* dc, float* da) = nullptr;
  void (*gru_forward)(int64_t H, float* a, const float* gh, const float* b, float* hn,
                      const float* h_prev, float* h, float* y) = nullptr;
  void (*gru_backward)(int64_t H, const float* a, const float* hn, const float* h_prev,
                       const float* dh, const float* dy, float* dgi, float* dgh,
                       float* dh_prev) = nullptr;
};

// The coefficients of one Adam step (optim/adam.cpp): w *= shrink; g' = g + l2 w;
// m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
// w += neg_step_size m / (sqrt(v) / bias_correction2_sqrt + eps).
struct AdamStep {
  float shrink, l2, b1, one_minus_b1, b2, one_minus_b2, bias_correction2_sqrt, eps, neg_step_size;
};

struct KernelTable {
  Isa isa = Isa::scalar;
  int lanes = 1;  // floats per vector
  // The tier's own float GEMM, for products of at least sgemm_min_work multiply-adds; null:
  // always OpenBLAS.
  SgemmFn sgemm = nullptr;
  int64_t sgemm_min_work = 0;
  // The same GEMM with op(B) packed once for many calls (kernels/gemm.hpp, PackedB): the floats
  // the packing takes, the packing, the product. Null where sgemm is.
  int64_t (*sgemm_packed_floats)(int64_t K, int64_t N) = nullptr;
  void (*sgemm_pack_b)(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb,
                       float* packed) = nullptr;
  void (*sgemm_packed)(bool trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                       int64_t lda, const float* packed, float beta, float* C,
                       int64_t ldc) = nullptr;
  // One row of a GEMM (M == 1) on B where it lies (kernels/gemv_body.hpp); null: the baseline.
  void (*gemv_row)(bool trans_b, int64_t N, int64_t K, float alpha, const float* a, int64_t inc_a,
                   const float* B, int64_t ldb, float beta, float* c) = nullptr;
  Col2imFn col2im_s1 = nullptr;  // null: col2im_portable
  // The direct convolution (kernels/x86/conv_direct.hpp); null: im2col + GEMM. Its forward
  // takes the weights packed in blocks of conv_block output channels.
  int conv_block = 1;
  x86::ConvDirectForward conv_forward = nullptr;
  x86::ConvDirectWeightGrad conv_weight_grad = nullptr;
  // The F(2x2, 5x5) convolution of one image (kernels/winograd.hpp); null: none.
  WinogradForward winograd_forward = nullptr;
  WinogradWeightGrad winograd_weight_grad = nullptr;
  RnnRows rnn;
  // ReLU and tanh over n floats and the 2x2 stride-2 max pool of one plane
  // (kernels/relu_pool_body.hpp);
  // null: the baseline loops.
  void (*relu_forward)(int64_t n, const float* x, float* y) = nullptr;
  void (*relu_backward)(int64_t n, const float* x, const float* dy, float* dx) = nullptr;
  void (*tanh_forward)(int64_t n, const float* x, float* y) = nullptr;
  void (*max_pool_2x2)(const float* in, int64_t W, int64_t OH, int64_t OW, float* out,
                       int32_t* argmax) = nullptr;
  // Adam's update of n parameters (kernels/adam_body.hpp); null: the baseline loop.
  void (*adam_update)(int64_t n, float* w, const float* g, float* m, float* v,
                      const AdamStep& s) = nullptr;
};

// The table of the active tier (active_isa()), chosen at the first call.
const KernelTable& kernels();
// The table of a tier, or null when this CPU cannot run it: for the tests, which hold every
// tier the machine runs against the scalar loops.
const KernelTable* kernels_for(Isa isa);

namespace x86 {
// Defined by tier_avx512.cpp and tier_avx2.cpp.
extern const KernelTable kAvx512Kernels;
extern const KernelTable kAvx2Kernels;
}  // namespace x86

}  // namespace redes
