// The AVX2 tier (AVX2 + FMA, most laptops and every x86-64 CPU since 2013-2015): 8-float vectors
// in 16 registers. Its table, and the kernel bodies written once for every tier, compiled here
// with the AVX2 and FMA targets (kernels/x86/simd.hpp). The register blocks are smaller than
// AVX-512's, to fit 16 registers. GEMMs stay with OpenBLAS, whose Haswell kernels are this
// tier's.
#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "kernels/kernel_table.hpp"
#include "kernels/rnn_math.hpp"
#include "kernels/x86/simd.hpp"

namespace redes::x86 {
namespace avx2 {

using V = Avx2;
#define REDES_TIER REDES_AVX2
constexpr int kOB = 6;  // forward: 6 output channels x 2 vectors = 12 accumulators
constexpr int kNV = 2;
constexpr int kKB = 5;  // weight gradient: up to 5 kernel columns x 2 channels
constexpr int kWR = 6;  // products: 6 tiles x 2 vectors = 12 accumulators
constexpr int kWNV = 2;
#include "kernels/adam_body.hpp"
#include "kernels/gemv_body.hpp"
#include "kernels/relu_pool_body.hpp"
#include "kernels/rnn_rows_body.hpp"
#include "kernels/x86/col2im_body.hpp"
#include "kernels/x86/conv_direct_body.hpp"
#include "kernels/x86/winograd_body.hpp"
#undef REDES_TIER

}  // namespace avx2

const KernelTable kAvx2Kernels{
    .isa = Isa::avx2,
    .lanes = Avx2::kLanes,
    .gemv_row = &avx2::gemv_row<float>,
    .col2im_s1 = &avx2::col2im_s1,
    .conv_block = avx2::kOB,
    .conv_forward = &avx2::conv2d_direct_forward,
    .conv_weight_grad = &avx2::conv2d_direct_weight_grad,
    .winograd_forward = &avx2::winograd_forward,
    .winograd_weight_grad = &avx2::winograd_weight_grad,
    .rnn = {.lstm_forward = &avx2::lstm_forward_row<float>,
            .lstm_backward = &avx2::lstm_backward_row<float>,
            .lstm_backward_no_dy = &avx2::lstm_backward_row_no_dy<float>,
            .gru_forward = &avx2::gru_forward_row<float>,
            .gru_backward = &avx2::gru_backward_row<float>},
    .relu_forward = &avx2::relu_forward<float>,
    .relu_backward = &avx2::relu_backward<float>,
    .tanh_forward = &avx2::tanh_forward<float>,
    .max_pool_2x2 = &avx2::max_pool_2x2<float>,
    .adam_update = &avx2::adam_update,
};

}  // namespace redes::x86
