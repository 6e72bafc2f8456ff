// The AVX-512 tier: 16-float vectors in 32 registers. Its table, and the kernel bodies written
// once for every tier, compiled here with the AVX-512F target (kernels/x86/simd.hpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "kernels/kernel_table.hpp"
#include "kernels/rnn_math.hpp"
#include "kernels/x86/sgemm_avx512.hpp"
#include "kernels/x86/simd.hpp"

namespace redes::x86 {
namespace avx512 {

using V = Avx512;
#define REDES_TIER REDES_AVX512
constexpr int kOB = 8;  // forward: 8 output channels x 2 vectors = 16 accumulators
constexpr int kNV = 2;
constexpr int kKB = 7;   // weight gradient: up to 7 kernel columns x 3 channels
constexpr int kWR = 12;  // products: 12 tiles x 2 vectors = 24 accumulators
constexpr int kWNV = 2;
#include "kernels/adam_body.hpp"
#include "kernels/gemv_body.hpp"
#include "kernels/relu_pool_body.hpp"
#include "kernels/rnn_rows_body.hpp"
#include "kernels/x86/col2im_body.hpp"
#include "kernels/x86/conv_direct_body.hpp"
#include "kernels/x86/winograd_body.hpp"
#undef REDES_TIER

}  // namespace avx512

// The own GEMM from about 8K multiply-adds up: measured single-threaded on Zen 5 against
// OpenBLAS held to its AVX2 kernels, it is 1.2-2x faster on every product of the example models
// from there up, and level below, where the call overhead dominates both.
const KernelTable kAvx512Kernels{
    .isa = Isa::avx512,
    .lanes = Avx512::kLanes,
    .sgemm = &sgemm_avx512,
    .sgemm_min_work = 8192,
    .sgemm_packed_floats = &sgemm_avx512_packed_floats,
    .sgemm_pack_b = &sgemm_avx512_pack_b,
    .sgemm_packed = &sgemm_avx512_packed,
    .gemv_row = &avx512::gemv_row<float>,
    .col2im_s1 = &avx512::col2im_s1,
    .conv_block = avx512::kOB,
    .conv_forward = &avx512::conv2d_direct_forward,
    .conv_weight_grad = &avx512::conv2d_direct_weight_grad,
    .winograd_forward = &avx512::winograd_forward,
    .winograd_weight_grad = &avx512::winograd_weight_grad,
    .rnn = {.lstm_forward = &avx512::lstm_forward_row<float>,
            .lstm_backward = &avx512::lstm_backward_row<float>,
            .lstm_backward_no_dy = &avx512::lstm_backward_row_no_dy<float>,
            .gru_forward = &avx512::gru_forward_row<float>,
            .gru_backward = &avx512::gru_backward_row<float>},
    .relu_forward = &avx512::relu_forward<float>,
    .relu_backward = &avx512::relu_backward<float>,
    .tanh_forward = &avx512::tanh_forward<float>,
    .max_pool_2x2 = &avx512::max_pool_2x2<float>,
    .adam_update = &avx512::adam_update,
};

}  // namespace redes::x86
