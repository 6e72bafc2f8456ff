// 2-d convolution over NCHW images, as PyTorch's nn.Conv2d (a cross-correlation):
//   y[n, oc, oh, ow] = b[oc] + sum_{c, kh, kw} w[oc, c, kh, kw] x[n, q*C/G + c, ih, iw]
//   ih = oh * stride_h - pad_top + kh * dilation_h, iw likewise, x = 0 in the padding,
//   q = oc / (OC/G) the group of oc.
// x is (N, C, H, W), w is (OC, C/G, KH, KW), b is (OC), y is (N, OC, OH, OW) with
//   OH = floor((H + pad_top + pad_bottom - dilation_h * (KH - 1) - 1) / stride_h) + 1.
//
// Computed as im2col + GEMM (kernels/im2col.hpp) over slices of images: each image x[n] is
// unrolled into a column matrix (C*KH*KW, P), P = OH*OW, and the m images of a slice stand
// side by side in col (C*KH*KW, m*P), so that for each group q one product covers them all:
//   forward:  Y_q (OC/G, m*P) = W_q (OC/G, C/G*KH*KW) col_q, whose rows are dealt out to y;
//   backward: D (OC, m*P) gathers the slice's dy; dW_q += D_q col_q^T; dcol_q = W_q^T D_q,
//             then col2im adds each image's part of dcol into dx[n].
// A slice holds as many images as keep col near kSliceValues values (L2-sized): the products of
// small layers (LeNet's 6 filters over 25 values) become wide enough to run the GEMM
// micro-kernel at speed. A 1x1 convolution with stride 1 and no padding needs no unrolling:
// x[n] (C, H*W) already is its column matrix, and it goes image by image.
// Float layers with stride 1, dilation 1, one group and at most 64 filters run their forward
// through a direct vector kernel instead (kernels/x86/conv_direct.hpp) where the CPU's tier has
// one (AVX-512 or AVX2, kernels/kernel_table.hpp), and with at most 32 filters so does their
// weight gradient: no columns, the multiply-adds at the FMA units' rate (LeNet-5's first layer:
// forward 4.5x, backward 1.8x faster with AVX-512 on Zen 5). Their input gradient is a direct
// convolution of dy too where padding makes it no dearer ("same" padding), else W^T D and
// col2im.
// Float layers with one group and at least 16 input and 16 output channels run all three passes
// through oneDNN instead (kernels/onednn_conv.hpp) in the AVX-512 and AVX2 tiers: measured at
// batch 64 (bench/micro/conv_bench.cpp, onednn_bench.cpp; BENCHMARKS.md) it is faster there,
// the convnet's second layer most (32 -> 64 channels), and slower on LeNet-5's and the first
// layers' few channels. Of those, the 5x5 ones with stride 1 and dilation 1 run all three
// passes through Winograd's F(2x2, 5x5) instead (kernels/winograd.hpp: 2.8x fewer
// multiply-adds, results that differ by rounding), in the same tiers.
// The batch is split into contiguous blocks of images, one per OpenMP thread; each thread has
// its own buffers (grown once, then reused: nothing allocates per step) and its own partial dW
// and db, added up in thread order at the end, so the same thread count gives the same bits.
// A training forward keeps the batch's columns for the backward (up to 8M values; beyond that,
// backward unrolls the images again into the thread's own buffer).
#pragma once
#include <array>
#include <string>
#include <vector>

#include "kernels/im2col.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/onednn_conv.hpp"
#include "redes/layer.hpp"

namespace redes {

struct Conv2dOptions {
  int64_t filters = 0;                  // OC, the number of output channels
  std::array<int64_t, 2> kernel{0, 0};  // KH, KW
  std::array<int64_t, 2> stride{1, 1};
  // "explicit" (the padding below, on both sides), "same" (output as large as the input,
  // stride 1 only; an odd total goes one more to the bottom/right, as PyTorch) or "valid" (0).
  std::string padding_mode = "explicit";
  std::array<int64_t, 2> padding{0, 0};  // rows added top and bottom, columns left and right
  // Rows added at the bottom and columns at the right when they differ from padding (ONNX's
  // asymmetric pads); -1: as padding.
  std::array<int64_t, 2> padding_end{-1, -1};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
  bool bias = true;
  std::string init = "torch";  // a scheme of redes/init.hpp, fan_in = C/G*KH*KW
};

template <class T>
class Conv2d : public Layer<T> {
 public:
  // Throws ConfigError for a non-positive size, an unknown padding mode or init, "same" with a
  // stride other than 1, or filters not divisible by groups.
  explicit Conv2d(Conv2dOptions options);

  std::string_view kind() const override { return "conv2d"; }
  // One input (C, H, W); returns (OC, OH, OW). Throws ShapeError when C is not divisible by
  // groups or the kernel does not fit the padded image.
  Shape setup(std::span<const Shape> inputs) override;
  void init(Rng& rng) override;
  void forward(const ForwardCtx<T>& ctx) override;
  // Reuses the columns the last training forward kept if it saw this same input (x.data() and
  // N), else unrolls the images again.
  void backward(const BackwardCtx<T>& ctx) override;
  std::vector<Param<T>*> params() override;
  // A direct convolution (float, where oneDNN does not run it) followed by a ReLU and a 2x2 max
  // pooling on its fast path (MaxPool2d::two_by_two) runs the three image by image, each image's
  // convolution output staying in the thread's cache, with the very kernels the three layers run
  // alone. In inference the convolution's and the ReLU's outputs are not kept (LeNet-5's first
  // layer: 18 KB instead of 4.8 MB for a batch of 256 written, read and written again); in
  // training they are written for the backward, but read from the cache, and the pooling's
  // positions go to the pooling layer.
  int fusable(std::span<Layer<T>* const> next) const override;
  void forward_fused(std::span<Layer<T>* const> next, TensorView<const T> x, TensorView<T> y,
                     std::span<const TensorView<T>> kept = {}) override;
  // Each output value is C/G * KH * KW multiply-adds.
  int64_t multiply_adds() const override {
    return opt_.filters * geom_.col_cols() * (geom_.channels / opt_.groups) * geom_.kernel_h *
           geom_.kernel_w;
  }

  const Conv2dOptions& options() const { return opt_; }
  // The geometry of one input image (valid after setup).
  const Conv2dGeometry& geometry() const { return geom_; }
  // Whether the 1x1 path (no im2col) runs.
  bool pointwise() const { return pointwise_; }
  // Whether the forward, and the weight gradient, run the direct kernels of the tier
  // (kernels/x86/conv_direct.hpp).
  bool direct() const { return direct_; }
  bool direct_weight_grad() const { return direct_weight_grad_; }
  // Whether the input gradient runs as a direct convolution of dy (see direct_input_grad_).
  bool direct_input_grad() const { return direct_input_grad_; }
  // Whether oneDNN runs the three passes.
  bool onednn() const { return onednn_ != nullptr; }
  // Whether the three passes run F(2x2, 5x5) (kernels/winograd.hpp).
  bool winograd() const { return winograd_; }

 private:
  void check_batch(const TensorView<const T>& x, const Shape& y, const char* what) const;

  // The number of threads to split a batch of N over: 1 for work too small to share.
  int teams(int64_t N) const;
  // The number of images per slice (at least 1).
  int64_t slice_images() const;
  // The passes through F(2x2, 5x5) (kernels/winograd.hpp), on the batch's threads: y = the
  // convolution of x; dW += dL/dW, db += dL/db and, unless dx is null, dx += dL/dx.
  void winograd_forward(int64_t N, const float* x, float* y);
  void winograd_backward(int64_t N, const float* x, const float* dy, float* dx);

  Conv2dOptions opt_;
  Conv2dGeometry geom_;
  bool pointwise_ = false;
  bool direct_ = false;
  bool direct_weight_grad_ = false;
  // The input gradient as the direct convolution of dy with the turned weights
  // (kernels/x86/conv_direct.hpp), where the forward is direct and that convolution does at most
  // 1.2x the multiply-adds of W^T D ("same" padding: as many; valid padding: H*W / (OH*OW)
  // times as many, over dy's zero border, where W^T D and col2im stay): no column matrix to
  // write and add back. dx_geom_ is its geometry over one dy (OC, OH, OW).
  bool direct_input_grad_ = false;
  Conv2dGeometry dx_geom_;
  std::vector<T> dx_weights_, packed_dx_weights_;  // (C, OC*KH*KW), then packed
  // The kernel table of the tier that was active at setup (kernels/kernel_table.hpp).
  const KernelTable* kernels_ = nullptr;
  // The direct forward serves float layers with stride 1, dilation 1, one group and at most
  // kDirectMaxFilters filters, where the tier has direct kernels (it repacks the weights each
  // time); the direct weight gradient those with at most kDirectWeightGradMaxFilters. Measured at
  // batch 64 (bench/micro/conv_bench.cpp): with 64 filters over 32 channels the forward is 1.45x
  // faster than im2col + GEMM, the weight gradient 1.2x slower.
  static constexpr int64_t kDirectMaxFilters = 64;
  static constexpr int64_t kDirectWeightGradMaxFilters = 32;
  static constexpr int64_t kOnednnMinChannels = 16, kOnednnMinFilters = 16;
  std::unique_ptr<OnednnConv> onednn_;
  // F(2x2, 5x5) for the layers oneDNN would serve that it fits: its shapes for the forward (and
  // the weight gradient) and for the input gradient (over dy, geometry dx_geom_), and the
  // transformed weights of each.
  bool winograd_ = false;
  WinogradShape winograd_shape_, winograd_dx_shape_;
  std::vector<float> winograd_u_, winograd_dx_u_;
  std::vector<float> winograd_u_of_;  // the weights winograd_u_ was made from
  std::vector<T> packed_weights_;
  Param<T> weight_{"weight"};  // (OC, C/G, KH, KW)
  Param<T> bias_{"bias"};      // (OC)
  // One thread's work buffers, grown to the largest size seen and then reused.
  struct Scratch {
    std::vector<T> col;           // (C*KH*KW, S*P): a slice's unrolled images; Winograd's
                                  // scratch
    std::vector<T> dcol;          // (C*KH*KW, S*P): W^T D
    std::vector<T> wide;          // (OC, S*P): a slice's outputs, or its output gradients D
    std::vector<T> partial;       // (C*KH*KW, OC, lanes): the direct kernel's dW, lane by lane
    std::vector<T> dw;            // (OC, C/G*KH*KW): this thread's share of dW
    std::vector<T> db;            // (OC): this thread's share of db
    std::vector<T> dy_pad;        // the padded dy of the direct input gradient
    std::vector<T> du;            // Winograd's weight gradient sums (winograd.hpp)
    std::vector<int32_t> argmax;  // (OC, OH/2, OW/2): the fused pooling's positions, unused
  };
  std::vector<Scratch> scratch_;
  // The columns of every image of the last training forward, (N, C*KH*KW, P), kept for the
  // backward when they take at most kKeptColumnsMax values (32 MB in float); kept_for_ is
  // the input they were made from (null when nothing is kept).
  // Slice by slice, as the forward made them; kept_teams_ is the thread count that sliced.
  static constexpr int64_t kKeptColumnsMax = int64_t(8) << 20;
  std::vector<T> kept_cols_;
  const T* kept_for_ = nullptr;
  int64_t kept_n_ = 0;
  int kept_teams_ = 0;
  // The column values a slice aims at (512 KB in float).
  static constexpr int64_t kSliceValues = int64_t(1) << 17;
};

}  // namespace redes
