// Pooling over NCHW images, each channel on its own, as PyTorch's nn.MaxPool2d, nn.AvgPool2d
// and a global average pool:
//   max:    y[n, c, oh, ow] = max over the window of x[n, c, ih, iw], padding reads -inf;
//   avg:    y[n, c, oh, ow] = (1 / divisor) * sum over the window, padding reads 0;
//   global: y[n, c] = the mean of x[n, c] over H*W.
// ih = oh * stride_h - pad_top + kh * dilation_h, iw = ow * stride_w - pad_left + kw * dilation_w
// (dilation 1 for avg), kh in [0, KH), kw in [0, KW).
// OH = floor((H + pad_top + pad_bottom - dilation_h * (KH - 1) - 1) / stride_h) + 1, or with
// ceil_mode the same with ceil, less one when that last window would start at or past the end of
// the image ((OH - 1) * stride_h >= H + pad_top), as PyTorch's pooling_output_shape_pad_lr;
// OW likewise. The avg divisor, as PyTorch's CPU kernel:
//   count_include_pad = true:  (hend - hs) * (wend - ws) with hs = oh * stride_h - pad_top and
//                              hend = min(hs + KH, H + pad_bottom) (the window clipped to the
//                              padded image, so KH * KW except for ceil_mode's last windows);
//   count_include_pad = false: the number of image pixels in the window.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "kernels/im2col.hpp"
#include "redes/layer.hpp"

namespace redes {

struct Pool2dOptions {
  std::array<int64_t, 2> kernel{0, 0};  // KH, KW
  std::array<int64_t, 2> stride{0, 0};  // 0: the kernel size (PyTorch's default)
  // Rows added at the top (and bottom), columns at the left (and right).
  std::array<int64_t, 2> padding{0, 0};
  // Rows added at the bottom and columns at the right when they differ from padding (ONNX's
  // asymmetric pads [top, left, bottom, right] = [padding, padding_end]); -1: as padding.
  std::array<int64_t, 2> padding_end{-1, -1};
  // The step between the rows and columns a window reads (max_pool2d only; avg_pool2d requires
  // 1, as PyTorch's nn.AvgPool2d has none).
  std::array<int64_t, 2> dilation{1, 1};
  bool ceil_mode = false;         // OH, OW rounded up (see the top of this file)
  bool count_include_pad = true;  // avg_pool2d: the padding counts in the divisor
};

// The shared geometry of the two window pools.
template <class T>
class Pool2d : public Layer<T> {
 public:
  // Throws ConfigError for a non-positive kernel, stride or dilation, or a pad out of range:
  // padding equal on both sides of an axis (the PyTorch case) at most KH / 2 (KW / 2), PyTorch's
  // limit; asymmetric pads each at most half the dilated kernel, (dilation * (K - 1) + 1) / 2.
  // After it, stride holds the kernel where it was 0 and padding_end the padding where it was -1.
  explicit Pool2d(Pool2dOptions options);
  // One input (C, H, W); returns (C, OH, OW). Throws ShapeError when the window does not fit, or
  // when a window reads only padding (possible with dilation; PyTorch would return -inf there).
  Shape setup(std::span<const Shape> inputs) override;
  const Pool2dOptions& options() const { return opt_; }
  // The geometry of one channel plane (valid after setup): channels = 1, the four pads and the
  // dilation. geometry().out_h() always rounds down; out_h() / out_w() below follow ceil_mode.
  const Conv2dGeometry& geometry() const { return geom_; }
  int64_t out_h() const { return out_h_; }
  int64_t out_w() const { return out_w_; }

 protected:
  void check_batch(const TensorView<const T>& x, const Shape& y, const char* what) const;
  Pool2dOptions opt_;
  Conv2dGeometry geom_;  // one channel plane: channels = 1
  int64_t channels_ = 0;
  int64_t out_h_ = 0, out_w_ = 0;  // OH and OW, ceil_mode included
};

// Max pooling. Ties go to the first maximum in the window's row-major order, and NaN wins over
// any number, as PyTorch's CPU kernel (it replaces the running maximum only when x > max or x is
// NaN); backward sends each dy to that one position.
template <class T>
class MaxPool2d : public Pool2d<T> {
 public:
  // Throws ConfigError for count_include_pad = false (it only means something for averages).
  explicit MaxPool2d(Pool2dOptions options);
  std::string_view kind() const override { return "max_pool2d"; }
  void forward(const ForwardCtx<T>& ctx) override;
  // dx[argmax] += dy with the positions of the last forward.
  void backward(const BackwardCtx<T>& ctx) override;
  // After a ReLU: dx[argmax] += dy where the ReLU's input x[argmax] > 0, into the ReLU's input
  // gradient, skipping the ReLU's output gradient (a pass over it, and its zeroing).
  bool absorbs_backward(const Layer<T>& before) const override { return before.kind() == "relu"; }
  void backward_through(const Layer<T>& before, const BackwardCtx<T>& ctx) override;
  // Whether the forward takes the 2x2 fast path (the tier's max_pool_2x2 on each plane): a 2x2
  // window at stride 2 that always lies inside the image (no top/left padding, no dilation,
  // and no window of ceil_mode or of bottom/right padding past the last row or column).
  bool two_by_two() const;
  // Where the positions of a forward of n samples go, for a layer that runs this one's forward
  // within its own (Conv2d::forward_fused in training): backward reads them.
  int32_t* positions_for(int64_t n);

 private:
  // dx[argmax] += dy, with kThroughRelu only where x[argmax] > 0.
  template <bool kThroughRelu>
  void scatter(const BackwardCtx<T>& ctx) const;
  std::vector<int32_t> argmax_;  // (N, C, OH, OW): index ih * W + iw within the (H, W) plane
};

// Average pooling, the divisor as the top of this file says.
template <class T>
class AvgPool2d : public Pool2d<T> {
 public:
  // Throws ConfigError for a dilation other than 1 (PyTorch's average pool has none).
  explicit AvgPool2d(Pool2dOptions options);
  std::string_view kind() const override { return "avg_pool2d"; }
  void forward(const ForwardCtx<T>& ctx) override;
  // dx[window] += dy / divisor for every window (padding positions drop their share).
  void backward(const BackwardCtx<T>& ctx) override;
};

// (C, H, W) -> (C): the mean of each channel.
template <class T>
class GlobalAvgPool2d : public Layer<T> {
 public:
  std::string_view kind() const override { return "global_avg_pool2d"; }
  Shape setup(std::span<const Shape> inputs) override;
  void forward(const ForwardCtx<T>& ctx) override;
  // dx[n, c, :, :] += dy[n, c] / (H*W).
  void backward(const BackwardCtx<T>& ctx) override;

 private:
  int64_t channels_ = 0, plane_ = 0;  // C and H*W
};

}  // namespace redes
