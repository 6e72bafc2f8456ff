// Pooling over NCHW images, each channel on its own, as PyTorch's nn.MaxPool2d, nn.AvgPool2d
// (ceil_mode false) and a global average pool:
//   max:    y[n, c, oh, ow] = max over the window of x[n, c, ih, iw], padding reads -inf;
//   avg:    y[n, c, oh, ow] = (1 / (KH*KW)) * sum over the window, padding reads 0 and still
//           counts in the divisor (count_include_pad = true, PyTorch's default);
//   global: y[n, c] = the mean of x[n, c] over H*W.
// ih = oh * stride_h - pad_h + kh, iw = ow * stride_w - pad_w + kw;
// OH = floor((H + 2 pad_h - KH) / stride_h) + 1.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "kernels/im2col.hpp"
#include "redes/layer.hpp"

namespace redes {

struct Pool2dOptions {
  std::array<int64_t, 2> kernel{0, 0};   // KH, KW
  std::array<int64_t, 2> stride{0, 0};   // 0: the kernel size (PyTorch's default)
  std::array<int64_t, 2> padding{0, 0};  // on both sides; at most half the kernel (PyTorch)
};

// The shared geometry of the two window pools.
template <class T>
class Pool2d : public Layer<T> {
 public:
  // Throws ConfigError for a non-positive kernel or stride, or padding above kernel / 2.
  explicit Pool2d(Pool2dOptions options);
  // One input (C, H, W); returns (C, OH, OW). Throws ShapeError when the window does not fit.
  Shape setup(std::span<const Shape> inputs) override;
  const Pool2dOptions& options() const { return opt_; }

 protected:
  void check_batch(const TensorView<const T>& x, const Shape& y, const char* what) const;
  Pool2dOptions opt_;
  Conv2dGeometry geom_;  // one channel plane: channels = 1
  int64_t channels_ = 0;
};

// Max pooling. Ties go to the first maximum in the window's row-major order, and NaN wins over
// any number, as PyTorch's CPU kernel (it replaces the running maximum only when x > max or x is
// NaN); backward sends each dy to that one position.
template <class T>
class MaxPool2d : public Pool2d<T> {
 public:
  using Pool2d<T>::Pool2d;
  std::string_view kind() const override { return "max_pool2d"; }
  void forward(const ForwardCtx<T>& ctx) override;
  // dx[argmax] += dy with the positions of the last forward.
  void backward(const BackwardCtx<T>& ctx) override;

 private:
  std::vector<int32_t> argmax_;  // (N, C, OH, OW): index ih * W + iw within the (H, W) plane
};

// Average pooling with count_include_pad = true.
template <class T>
class AvgPool2d : public Pool2d<T> {
 public:
  using Pool2d<T>::Pool2d;
  std::string_view kind() const override { return "avg_pool2d"; }
  void forward(const ForwardCtx<T>& ctx) override;
  // dx[window] += dy / (KH*KW) for every window (padding positions drop their share).
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
