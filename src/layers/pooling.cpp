#include "layers/pooling.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/kernel_table.hpp"
#include "kernels/rnn_math.hpp"
#include "layers/checks.hpp"

namespace redes {
namespace {

// Below this many input values a thread team costs more than it saves; every plane is
// computed the same way with any number of threads.
constexpr int64_t kParallelMin = int64_t(1) << 15;

// The kernel taps of one output along one axis that read the image: taps [k0, k1), tap k at
// image row (or column) start + k * dilation. Empty (k0 >= k1) when the window reads only
// padding, which setup rules out.
struct Taps {
  int64_t start, k0, k1;
};

Taps taps_at(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t dilation,
             int64_t size) {
  const int64_t start = o * stride - pad;
  const int64_t k0 = start >= 0 ? 0 : (-start + dilation - 1) / dilation;           // first >= 0
  const int64_t k1 = start >= size ? 0 : (size - start + dilation - 1) / dilation;  // < size
  return {start, k0, std::min(k1, kernel)};
}

Taps row_taps(const Conv2dGeometry& g, int64_t oh) {
  return taps_at(oh, g.stride_h, g.pad_top, g.kernel_h, g.dilation_h, g.height);
}
Taps col_taps(const Conv2dGeometry& g, int64_t ow) {
  return taps_at(ow, g.stride_w, g.pad_left, g.kernel_w, g.dilation_w, g.width);
}

// PyTorch's pooling_output_shape_pad_lr: the number of windows along an axis of `size` with
// `pad_l` and `pad_r` added (the padded axis holds one window: checked before).
int64_t pool_out_size(int64_t size, int64_t kernel, int64_t pad_l, int64_t pad_r, int64_t stride,
                      int64_t dilation, bool ceil_mode) {
  const int64_t room = size + pad_l + pad_r - dilation * (kernel - 1) - 1;  // >= 0
  int64_t out = (room + (ceil_mode ? stride - 1 : 0)) / stride + 1;
  // The last window must start inside the image or the left padding.
  if (ceil_mode && (out - 1) * stride >= size + pad_l) --out;
  return out;
}

// Whether every window along an axis has a tap inside the image.
bool every_window_reads_the_image(int64_t out, int64_t stride, int64_t pad, int64_t kernel,
                                  int64_t dilation, int64_t size) {
  for (int64_t o = 0; o < out; ++o) {
    const Taps t = taps_at(o, stride, pad, kernel, dilation, size);
    if (t.k0 >= t.k1) return false;
  }
  return true;
}

}  // namespace

// Pool2d -------------------------------------------------------------------------------------

template <class T>
Pool2d<T>::Pool2d(Pool2dOptions options) : opt_(options) {
  for (int i = 0; i < 2; ++i) {
    if (opt_.stride[i] == 0) opt_.stride[i] = opt_.kernel[i];
    if (opt_.padding_end[i] == -1) opt_.padding_end[i] = opt_.padding[i];
  }
  REDES_CHECK(opt_.kernel[0] > 0 && opt_.kernel[1] > 0, ConfigError,
              "pool2d: kernel must be positive, got " + pair_str(opt_.kernel));
  REDES_CHECK(opt_.stride[0] > 0 && opt_.stride[1] > 0, ConfigError,
              "pool2d: stride must be positive, got " + pair_str(opt_.stride));
  REDES_CHECK(opt_.dilation[0] > 0 && opt_.dilation[1] > 0, ConfigError,
              "pool2d: dilation must be positive, got " + pair_str(opt_.dilation));
  for (int i = 0; i < 2; ++i) {
    const int64_t begin = opt_.padding[i], end = opt_.padding_end[i];
    if (begin == end) {
      // PyTorch's limit (on the kernel, not its dilated extent): without dilation, a window is
      // never all padding, so every output reads the image.
      REDES_CHECK(begin >= 0 && 2 * begin <= opt_.kernel[i], ConfigError,
                  "pool2d: padding must be between 0 and half the kernel " + pair_str(opt_.kernel) +
                      ", got " + pair_str(opt_.padding));
    } else {
      // Asymmetric pads (ONNX): each side at most half the dilated kernel.
      const int64_t span = opt_.dilation[i] * (opt_.kernel[i] - 1) + 1;
      REDES_CHECK(begin >= 0 && end >= 0 && 2 * begin <= span && 2 * end <= span, ConfigError,
                  std::string("pool2d: asymmetric padding must be between 0 and half the ") +
                      "dilated kernel (" + std::to_string(span) + ") on each side, got " +
                      (i == 0 ? "top " : "left ") + std::to_string(begin) +
                      (i == 0 ? ", bottom " : ", right ") + std::to_string(end));
    }
  }
}

template <class T>
Shape Pool2d<T>::setup(std::span<const Shape> inputs) {
  const Shape& x = image_input(this->kind(), inputs);
  Conv2dGeometry g;
  g.height = x[1];
  g.width = x[2];
  g.kernel_h = opt_.kernel[0];
  g.kernel_w = opt_.kernel[1];
  g.stride_h = opt_.stride[0];
  g.stride_w = opt_.stride[1];
  g.pad_top = opt_.padding[0];
  g.pad_left = opt_.padding[1];
  g.pad_bottom = opt_.padding_end[0];
  g.pad_right = opt_.padding_end[1];
  g.dilation_h = opt_.dilation[0];
  g.dilation_w = opt_.dilation[1];
  REDES_CHECK(g.fits(), ShapeError,
              std::string(this->kind()) + ": the " + g.str() + " does not fit input " + x.str());
  REDES_CHECK(x[1] * x[2] <= std::numeric_limits<int32_t>::max(), ShapeError,
              std::string(this->kind()) + ": input plane " + x.str() + " too large");
  const int64_t OH = pool_out_size(g.height, g.kernel_h, g.pad_top, g.pad_bottom, g.stride_h,
                                   g.dilation_h, opt_.ceil_mode);
  const int64_t OW = pool_out_size(g.width, g.kernel_w, g.pad_left, g.pad_right, g.stride_w,
                                   g.dilation_w, opt_.ceil_mode);
  // With dilation a window can step over the whole image (kernel 2, dilation 5, padding 1 on
  // 4 rows reads rows -1 and 4); PyTorch returns -inf there, redes refuses the geometry.
  REDES_CHECK(
      every_window_reads_the_image(OH, g.stride_h, g.pad_top, g.kernel_h, g.dilation_h, g.height) &&
          every_window_reads_the_image(OW, g.stride_w, g.pad_left, g.kernel_w, g.dilation_w,
                                       g.width),
      ShapeError,
      std::string(this->kind()) + ": with the " + g.str() + " a window reads only padding");
  geom_ = g;
  channels_ = x[0];
  out_h_ = OH;
  out_w_ = OW;
  return Shape{channels_, OH, OW};
}

template <class T>
void Pool2d<T>::check_batch(const TensorView<const T>& x, const Shape& y, const char* what) const {
  const Shape in{channels_, geom_.height, geom_.width};
  const Shape out{channels_, out_h_, out_w_};
  REDES_CHECK(x.rank() == 4 && x.shape().sample() == in && y.rank() == 4 && y[0] == x.dim(0) &&
                  y.sample() == out,
              ShapeError,
              std::string(this->kind()) + " " + what + ": input " + x.shape().str() +
                  " and output " + y.str() + " do not fit per-sample " + in.str() + " -> " +
                  out.str());
}

// MaxPool2d ----------------------------------------------------------------------------------

namespace {

// The 2x2 fast path and take_if_larger for the scalar tier and double
// (kernels/relu_pool_body.hpp); float layers take the active tier's max_pool_2x2.
namespace baseline {
#define REDES_TIER
#include "kernels/relu_pool_body.hpp"
#undef REDES_TIER
}  // namespace baseline
using baseline::take_if_larger;

}  // namespace

template <class T>
MaxPool2d<T>::MaxPool2d(Pool2dOptions options) : Pool2d<T>(options) {
  REDES_CHECK(this->opt_.count_include_pad, ConfigError,
              "max_pool2d: count_include_pad = false only applies to avg_pool2d");
}

template <class T>
bool MaxPool2d<T>::two_by_two() const {
  // The fast path reads rows [0, 2 OH) and columns [0, 2 OW) of each plane.
  const Conv2dGeometry& g = this->geom_;
  return g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 && g.stride_w == 2 &&
         g.pad_top == 0 && g.pad_left == 0 && g.dilation_h == 1 && g.dilation_w == 1 &&
         2 * this->out_h_ <= g.height && 2 * this->out_w_ <= g.width;
}

template <class T>
int32_t* MaxPool2d<T>::positions_for(int64_t n) {
  const int64_t size = n * this->channels_ * this->out_h_ * this->out_w_;
  if (static_cast<int64_t>(argmax_.size()) < size) argmax_.resize(size);
  return argmax_.data();
}

template <class T>
void MaxPool2d<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& x = ctx.in();   // (N, C, H, W)
  const auto& y = ctx.out();  // (N, C, OH, OW)
  this->check_batch(x, y.shape(), "forward");
  const Conv2dGeometry& g = this->geom_;
  const int64_t planes = x.dim(0) * this->channels_, HW = g.height * g.width;
  const int64_t OH = this->out_h_, OW = this->out_w_, OHW = OH * OW;
  int32_t* arg = positions_for(x.dim(0));
  const bool fast = two_by_two();
  const int64_t dh = g.dilation_h, dw = g.dilation_w;
  auto pool_2x2 = &baseline::max_pool_2x2<T>;  // or the active tier's, for float
  if constexpr (std::is_same_v<T, float>)
    if (kernels().max_pool_2x2) pool_2x2 = kernels().max_pool_2x2;
#pragma omp parallel for schedule(static) if (planes * HW > kParallelMin)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* in = x.data() + pl * HW;  // (H, W)
    T* out = y.data() + pl * OHW;      // (OH, OW)
    int32_t* am = arg + pl * OHW;
    if (fast) {
      pool_2x2(in, g.width, OH, OW, out, am);
      continue;
    }
    for (int64_t oh = 0; oh < OH; ++oh) {
      const Taps r = row_taps(g, oh);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const Taps c = col_taps(g, ow);
        // Starting from -inf at the first inside position, as PyTorch: a window of -inf
        // still points at a real input.
        T best = -std::numeric_limits<T>::infinity();
        int32_t at = static_cast<int32_t>((r.start + r.k0 * dh) * g.width + c.start + c.k0 * dw);
        for (int64_t kh = r.k0; kh < r.k1; ++kh) {
          const int64_t row = (r.start + kh * dh) * g.width;
          for (int64_t kw = c.k0; kw < c.k1; ++kw) {
            const int64_t i = row + c.start + kw * dw;
            take_if_larger(in[i], static_cast<int32_t>(i), best, at);
          }
        }
        out[oh * OW + ow] = best;
        am[oh * OW + ow] = at;
      }
    }
  }
}

template <class T>
template <bool kThroughRelu>
void MaxPool2d<T>::scatter(const BackwardCtx<T>& ctx) const {
  if (!ctx.wants_din()) return;
  const auto& dy = ctx.dout();  // (N, C, OH, OW)
  this->check_batch(ctx.in(), dy.shape(), "backward");
  const Conv2dGeometry& g = this->geom_;
  const int64_t planes = dy.dim(0) * this->channels_, HW = g.height * g.width;
  const int64_t OHW = this->out_h_ * this->out_w_;
  REDES_CHECK(static_cast<int64_t>(argmax_.size()) >= planes * OHW, ShapeError,
              "max_pool2d: backward of " + dy.shape().str() + " is larger than the last forward");
  const int32_t* arg = argmax_.data();
  const T* x = ctx.in().data();  // with kThroughRelu, the ReLU's input
  T* dx = ctx.din().data();
  // Each plane's gradient lands only in its own input plane: planes run in parallel.
#pragma omp parallel for schedule(static) if (planes * HW > kParallelMin)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* d = dy.data() + pl * OHW;
    const int32_t* am = arg + pl * OHW;
    const T* xp = x + pl * HW;
    T* dxp = dx + pl * HW;
    for (int64_t o = 0; o < OHW; ++o) {
      if constexpr (kThroughRelu) {
        // dy or 0 picked by index, not by a branch: whether x > 0 is a coin flip on real data.
        const T pick[2] = {T(0), d[o]};
        dxp[am[o]] += pick[xp[am[o]] > T(0)];
      } else {
        dxp[am[o]] += d[o];
      }
    }
  }
}

template <class T>
void MaxPool2d<T>::backward(const BackwardCtx<T>& ctx) {
  scatter<false>(ctx);
}

template <class T>
void MaxPool2d<T>::backward_through(const Layer<T>& before, const BackwardCtx<T>& ctx) {
  REDES_CHECK(absorbs_backward(before), Error,
              "max_pool2d: no backward through " + std::string(before.kind()));
  scatter<true>(ctx);
}

// AvgPool2d ----------------------------------------------------------------------------------

namespace {

// The image rows [h0, h1) of a window along one axis (dilation 1) and its share of the divisor:
// with count_include_pad the window clipped to the padded axis [-pad_l, size + pad_r) (PyTorch
// clips it there before it clips it to the image), else its image rows.
struct AvgSpan {
  int64_t h0, h1, count;
};

AvgSpan avg_span(int64_t o, int64_t stride, int64_t pad_l, int64_t pad_r, int64_t kernel,
                 int64_t size, bool count_include_pad) {
  const int64_t start = o * stride - pad_l;
  const int64_t end = std::min(start + kernel, size + pad_r);
  const int64_t h0 = std::max<int64_t>(start, 0), h1 = std::min(end, size);
  return {h0, h1, count_include_pad ? end - start : h1 - h0};
}

}  // namespace

template <class T>
AvgPool2d<T>::AvgPool2d(Pool2dOptions options) : Pool2d<T>(options) {
  REDES_CHECK(this->opt_.dilation[0] == 1 && this->opt_.dilation[1] == 1, ConfigError,
              "avg_pool2d: dilation must be 1 (PyTorch's average pool has none), got " +
                  pair_str(this->opt_.dilation));
}

template <class T>
void AvgPool2d<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& x = ctx.in();   // (N, C, H, W)
  const auto& y = ctx.out();  // (N, C, OH, OW)
  this->check_batch(x, y.shape(), "forward");
  const Conv2dGeometry& g = this->geom_;
  const int64_t planes = x.dim(0) * this->channels_, HW = g.height * g.width;
  const int64_t OH = this->out_h_, OW = this->out_w_, OHW = OH * OW;
  const bool with_pad = this->opt_.count_include_pad;
#pragma omp parallel for schedule(static) if (planes * HW > kParallelMin)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* in = x.data() + pl * HW;
    T* out = y.data() + pl * OHW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const AvgSpan r =
          avg_span(oh, g.stride_h, g.pad_top, g.pad_bottom, g.kernel_h, g.height, with_pad);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const AvgSpan c =
            avg_span(ow, g.stride_w, g.pad_left, g.pad_right, g.kernel_w, g.width, with_pad);
        T sum = T(0);
        for (int64_t ih = r.h0; ih < r.h1; ++ih)
          for (int64_t iw = c.h0; iw < c.h1; ++iw) sum += in[ih * g.width + iw];
        out[oh * OW + ow] = sum / static_cast<T>(r.count * c.count);
      }
    }
  }
}

template <class T>
void AvgPool2d<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const auto& dy = ctx.dout();  // (N, C, OH, OW)
  this->check_batch(ctx.in(), dy.shape(), "backward");
  const Conv2dGeometry& g = this->geom_;
  const int64_t planes = dy.dim(0) * this->channels_, HW = g.height * g.width;
  const int64_t OH = this->out_h_, OW = this->out_w_, OHW = OH * OW;
  const bool with_pad = this->opt_.count_include_pad;
  T* dx = ctx.din().data();
#pragma omp parallel for schedule(static) if (planes * HW > kParallelMin)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* d = dy.data() + pl * OHW;
    T* dxp = dx + pl * HW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const AvgSpan r =
          avg_span(oh, g.stride_h, g.pad_top, g.pad_bottom, g.kernel_h, g.height, with_pad);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const AvgSpan c =
            avg_span(ow, g.stride_w, g.pad_left, g.pad_right, g.kernel_w, g.width, with_pad);
        const T share = d[oh * OW + ow] / static_cast<T>(r.count * c.count);
        for (int64_t ih = r.h0; ih < r.h1; ++ih)
          for (int64_t iw = c.h0; iw < c.h1; ++iw) dxp[ih * g.width + iw] += share;
      }
    }
  }
}

// GlobalAvgPool2d ----------------------------------------------------------------------------

template <class T>
Shape GlobalAvgPool2d<T>::setup(std::span<const Shape> inputs) {
  const Shape& x = image_input("global_avg_pool2d", inputs);
  channels_ = x[0];
  plane_ = x[1] * x[2];
  return Shape{channels_};
}

template <class T>
void GlobalAvgPool2d<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& x = ctx.in();   // (N, C, H, W)
  const auto& y = ctx.out();  // (N, C)
  REDES_CHECK(x.rank() == 4 && x.dim(1) == channels_ && x.dim(2) * x.dim(3) == plane_ &&
                  y.rank() == 2 && y.dim(0) == x.dim(0) && y.dim(1) == channels_,
              ShapeError,
              "global_avg_pool2d: input " + x.shape().str() + ", output " + y.shape().str());
  const int64_t planes = x.dim(0) * channels_;
  const T scale = T(1) / static_cast<T>(plane_);
#pragma omp parallel for schedule(static) if (planes * plane_ > kParallelMin)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* in = x.data() + pl * plane_;
    T sum = T(0);
    for (int64_t i = 0; i < plane_; ++i) sum += in[i];
    y.data()[pl] = sum * scale;
  }
}

template <class T>
void GlobalAvgPool2d<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const auto& dy = ctx.dout();  // (N, C)
  const int64_t planes = dy.numel();
  const T scale = T(1) / static_cast<T>(plane_);
  T* dx = ctx.din().data();
#pragma omp parallel for schedule(static) if (planes * plane_ > kParallelMin)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T share = dy.data()[pl] * scale;
    T* d = dx + pl * plane_;
    for (int64_t i = 0; i < plane_; ++i) d[i] += share;
  }
}

template class Pool2d<float>;
template class Pool2d<double>;
template class MaxPool2d<float>;
template class MaxPool2d<double>;
template class AvgPool2d<float>;
template class AvgPool2d<double>;
template class GlobalAvgPool2d<float>;
template class GlobalAvgPool2d<double>;

}  // namespace redes
