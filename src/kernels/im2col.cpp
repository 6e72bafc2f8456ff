#include "kernels/im2col.hpp"

#include <algorithm>
#include <type_traits>

#include "kernels/kernel_table.hpp"

namespace redes {
namespace {

// For one kernel column kw the input column read by output column ow is iw = ow * stride + off
// with off = kw * dilation - pad_left. The outputs whose iw lies inside [0, W) form one range
// [lo, hi); outside it the window reads padding. (The same for rows.)
struct Inside {
  int64_t lo, hi;
};

Inside inside_range(int64_t off, int64_t stride, int64_t size, int64_t out) {
  // lo: the first o with o * stride + off >= 0; hi: the first o with o * stride + off >= size.
  int64_t lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int64_t hi = size - off <= 0 ? 0 : (size - off + stride - 1) / stride;
  lo = std::min(lo, out);
  hi = std::clamp(hi, lo, out);
  return {lo, hi};
}

}  // namespace

std::string Conv2dGeometry::str() const {
  auto n = [](int64_t v) { return std::to_string(v); };
  return "kernel " + n(kernel_h) + "x" + n(kernel_w) + " (dilation " + n(dilation_h) + "x" +
         n(dilation_w) + ", stride " + n(stride_h) + "x" + n(stride_w) + ") over padded " +
         n(height + pad_top + pad_bottom) + "x" + n(width + pad_left + pad_right) +
         " input (C=" + n(channels) + ", H=" + n(height) + ", W=" + n(width) + ", padding top " +
         n(pad_top) + " bottom " + n(pad_bottom) + " left " + n(pad_left) + " right " +
         n(pad_right) + ")";
}

// Rows of an image are short (tens of values): the copies and zero fills below are plain loops,
// which GCC would otherwise turn into memcpy / memset calls that cost more than they move.
template <class T>
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void im2col(const Conv2dGeometry& g,
                                                                          const T* x, T* col,
                                                                          int64_t ldcol) {
  const int64_t H = g.height, W = g.width, OH = g.out_h(), OW = g.out_w();
  const int64_t sw = g.stride_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    const T* plane = x + c * H * W;  // x[c] is (H, W)
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      const int64_t off_h = kh * g.dilation_h - g.pad_top;
      const Inside rows = inside_range(off_h, g.stride_h, H, OH);
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const int64_t off_w = kw * g.dilation_w - g.pad_left;
        const Inside cols = inside_range(off_w, sw, W, OW);
        T* row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * ldcol;  // (OH, OW)
        for (int64_t i = 0; i < rows.lo * OW; ++i) row[i] = T(0);
        for (int64_t oh = rows.lo; oh < rows.hi; ++oh) {
          const T* in = plane + (oh * g.stride_h + off_h) * W;  // input row ih
          T* out = row + oh * OW;
          for (int64_t ow = 0; ow < cols.lo; ++ow) out[ow] = T(0);
          if (sw == 1) {
            for (int64_t ow = cols.lo; ow < cols.hi; ++ow) out[ow] = in[ow + off_w];
          } else {
            for (int64_t ow = cols.lo; ow < cols.hi; ++ow) out[ow] = in[ow * sw + off_w];
          }
          for (int64_t ow = cols.hi; ow < OW; ++ow) out[ow] = T(0);
        }
        for (int64_t i = rows.hi * OW; i < OH * OW; ++i) row[i] = T(0);
      }
    }
  }
}

template <class T>
void col2im_portable(const Conv2dGeometry& g, const T* col, int64_t ldcol, T* x) {
  const int64_t H = g.height, W = g.width, OH = g.out_h(), OW = g.out_w();
  for (int64_t c = 0; c < g.channels; ++c) {
    T* plane = x + c * H * W;
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      const int64_t off_h = kh * g.dilation_h - g.pad_top;
      const Inside rows = inside_range(off_h, g.stride_h, H, OH);
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const int64_t off_w = kw * g.dilation_w - g.pad_left;
        const Inside cols = inside_range(off_w, g.stride_w, W, OW);
        const T* row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * ldcol;
        // Entries outside [lo, hi) came from padding: their gradient goes nowhere.
        for (int64_t oh = rows.lo; oh < rows.hi; ++oh) {
          T* out = plane + (oh * g.stride_h + off_h) * W;  // input row ih
          const T* in = row + oh * OW;
          if (g.stride_w == 1) {
            for (int64_t ow = cols.lo; ow < cols.hi; ++ow) out[ow + off_w] += in[ow];
          } else {
            for (int64_t ow = cols.lo; ow < cols.hi; ++ow) out[ow * g.stride_w + off_w] += in[ow];
          }
        }
      }
    }
  }
}

template <class T>
void col2im(const Conv2dGeometry& g, const T* col, int64_t ldcol, T* x) {
  if constexpr (std::is_same_v<T, float>) {
    const Col2imFn fast = kernels().col2im_s1;
    if (fast != nullptr && g.stride_h == 1 && g.stride_w == 1) return fast(g, col, ldcol, x);
  }
  col2im_portable(g, col, ldcol, x);
}

template <class T>
void conv2d_reference_forward(const Conv2dGeometry& g, int64_t groups, int64_t out_channels,
                              int64_t N, const T* x, const T* w, const T* bias, T* y) {
  const int64_t C = g.channels, H = g.height, W = g.width, OH = g.out_h(), OW = g.out_w();
  const int64_t Cg = C / groups, OCg = out_channels / groups, KH = g.kernel_h, KW = g.kernel_w;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oc = 0; oc < out_channels; ++oc)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          T sum = bias ? bias[oc] : T(0);
          const int64_t c0 = (oc / OCg) * Cg;  // the first input channel of oc's group
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
                const int64_t iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                sum += w[((oc * Cg + c) * KH + kh) * KW + kw] *
                       x[((n * C + c0 + c) * H + ih) * W + iw];
              }
          y[((n * out_channels + oc) * OH + oh) * OW + ow] = sum;
        }
}

template <class T>
void conv2d_reference_backward(const Conv2dGeometry& g, int64_t groups, int64_t out_channels,
                               int64_t N, const T* x, const T* w, const T* dy, T* dx, T* dw,
                               T* db) {
  const int64_t C = g.channels, H = g.height, W = g.width, OH = g.out_h(), OW = g.out_w();
  const int64_t Cg = C / groups, OCg = out_channels / groups, KH = g.kernel_h, KW = g.kernel_w;
  // Every product w * x of the forward sends d y back to both factors:
  //   dw[oc, c, kh, kw] += dy[n, oc, oh, ow] * x[n, c0 + c, ih, iw]
  //   dx[n, c0 + c, ih, iw] += dy[n, oc, oh, ow] * w[oc, c, kh, kw]
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oc = 0; oc < out_channels; ++oc)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const T d = dy[((n * out_channels + oc) * OH + oh) * OW + ow];
          if (db) db[oc] += d;
          const int64_t c0 = (oc / OCg) * Cg;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
                const int64_t iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const int64_t wi = ((oc * Cg + c) * KH + kh) * KW + kw;
                const int64_t xi = ((n * C + c0 + c) * H + ih) * W + iw;
                if (dw) dw[wi] += d * x[xi];
                if (dx) dx[xi] += d * w[wi];
              }
        }
}

template void im2col<float>(const Conv2dGeometry&, const float*, float*, int64_t);
template void im2col<double>(const Conv2dGeometry&, const double*, double*, int64_t);
template void col2im_portable<float>(const Conv2dGeometry&, const float*, int64_t, float*);
template void col2im_portable<double>(const Conv2dGeometry&, const double*, int64_t, double*);
template void col2im<float>(const Conv2dGeometry&, const float*, int64_t, float*);
template void col2im<double>(const Conv2dGeometry&, const double*, int64_t, double*);
template void conv2d_reference_forward<float>(const Conv2dGeometry&, int64_t, int64_t, int64_t,
                                              const float*, const float*, const float*, float*);
template void conv2d_reference_forward<double>(const Conv2dGeometry&, int64_t, int64_t, int64_t,
                                               const double*, const double*, const double*,
                                               double*);
template void conv2d_reference_backward<float>(const Conv2dGeometry&, int64_t, int64_t, int64_t,
                                               const float*, const float*, const float*, float*,
                                               float*, float*);
template void conv2d_reference_backward<double>(const Conv2dGeometry&, int64_t, int64_t, int64_t,
                                                const double*, const double*, const double*,
                                                double*, double*, double*);

}  // namespace redes
