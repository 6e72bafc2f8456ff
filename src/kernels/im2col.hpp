// im2col / col2im for one image, and the direct (textbook) 2-d convolution they are tested
// against.
//
// A convolution y[oc, oh, ow] = sum_{c, kh, kw} w[oc, c, kh, kw] x[c, ih, iw] with
//   ih = oh * stride_h - pad_top  + kh * dilation_h,
//   iw = ow * stride_w - pad_left + kw * dilation_w   (x = 0 outside the image)
// becomes one matrix product Y (OC, OH*OW) = W (OC, C*KH*KW) * col (C*KH*KW, OH*OW) once the
// image is unrolled into col[(c*KH + kh)*KW + kw, oh*OW + ow] = x[c, ih, iw] (im2col).
// The rows of col are ordered channel-major, so the rows of one channel group are one block.
// col2im is the adjoint: it adds each entry of a column matrix back onto the pixel it was read
// from, which is exactly d loss / d x given d loss / d col.
#pragma once
#include <cstdint>
#include <string>

namespace redes {

// The geometry of a 2-d window (convolution or pooling) over one image (C, H, W).
// Padding may differ on the two sides of an axis ("same" padding with an even kernel).
struct Conv2dGeometry {
  int64_t channels = 1, height = 1, width = 1;  // the input image (C, H, W)
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;

  // The extent of the dilated kernel: dilation * (kernel - 1) + 1.
  int64_t span_h() const { return dilation_h * (kernel_h - 1) + 1; }
  int64_t span_w() const { return dilation_w * (kernel_w - 1) + 1; }
  // floor((H + pad_top + pad_bottom - span_h) / stride_h) + 1, as PyTorch (ceil_mode false).
  int64_t out_h() const { return (height + pad_top + pad_bottom - span_h()) / stride_h + 1; }
  int64_t out_w() const { return (width + pad_left + pad_right - span_w()) / stride_w + 1; }
  // col is (col_rows, col_cols) = (C*KH*KW, OH*OW).
  int64_t col_rows() const { return channels * kernel_h * kernel_w; }
  int64_t col_cols() const { return out_h() * out_w(); }
  // Whether the padded image holds at least one window.
  bool fits() const {
    return height + pad_top + pad_bottom >= span_h() && width + pad_left + pad_right >= span_w();
  }
  // "kernel 5x5 (dilation 1x1) over padded 3x7 input (C=2, H=1, W=5, padding t1 b1 l1 r1)".
  std::string str() const;
};

// col (C*KH*KW, OH*OW), row stride ldcol >= OH*OW, = the unrolled x (C, H, W); zero where
// the window reads padding. Every entry of the (col_rows, col_cols) block is written.
template <class T>
void im2col(const Conv2dGeometry& g, const T* x, T* col, int64_t ldcol);

// x (C, H, W) += the adjoint of im2col applied to col (C*KH*KW, OH*OW), row stride ldcol:
// every col entry is added onto the pixel im2col read it from (padding entries are dropped).
template <class T>
void col2im(const Conv2dGeometry& g, const T* col, int64_t ldcol, T* x);

// The plain loops of col2im, for any geometry and CPU. col2im uses them except for float images
// with stride 1 where the tier has a vector kernel (kernels/x86/col2im_body.hpp, through
// kernels/kernel_table.hpp); the tests hold each tier's against them.
template <class T>
void col2im_portable(const Conv2dGeometry& g, const T* col, int64_t ldcol, T* x);

// The direct convolution, seven plain loops, for tests. g describes one input image; the
// convolution has out_channels filters in `groups` groups (channels and out_channels divisible
// by groups): output channel oc reads input channels [q * C/G, (q + 1) * C/G), q = oc / (OC/G).
//   x is (N, C, H, W), w is (OC, C/G, KH, KW), bias is (OC) or null, y is (N, OC, OH, OW).
// Forward overwrites y.
template <class T>
void conv2d_reference_forward(const Conv2dGeometry& g, int64_t groups, int64_t out_channels,
                              int64_t N, const T* x, const T* w, const T* bias, T* y);
// Backward ADDS dx (N, C, H, W), dw (OC, C/G, KH, KW) and db (OC) given dy (N, OC, OH, OW);
// any of dx, dw, db may be null to skip it.
template <class T>
void conv2d_reference_backward(const Conv2dGeometry& g, int64_t groups, int64_t out_channels,
                               int64_t N, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db);

}  // namespace redes
