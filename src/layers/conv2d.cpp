#include "layers/conv2d.hpp"

#include <omp.h>

#include <algorithm>

#include "kernels/blas_threads.hpp"
#include "kernels/gemm.hpp"
#include "kernels/x86/conv_direct.hpp"
#include "layers/activations.hpp"
#include "layers/checks.hpp"
#include "layers/pooling.hpp"
#include "redes/init.hpp"
#include "redes/threads.hpp"

namespace redes {
namespace {

// Grows a work buffer to at least n entries; it never shrinks, so that after the first step
// of the largest batch nothing allocates.
template <class T>
T* grow(std::vector<T>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(n);
  return v.data();
}

// sum v[0..n) in a fixed order, in 8 interleaved partial sums (v[i] goes to lane i % 8) that
// are added at the end: the lanes vectorise, where one running sum waits on every addition.
template <class T>
T sum_of(const T* v, int64_t n) {
  constexpr int64_t kLanes = 8;
  T lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) lane[l] += v[i + l];
  for (; i < n; ++i) lane[i % kLanes] += v[i];
  T sum = T(0);
  for (int64_t l = 0; l < kLanes; ++l) sum += lane[l];
  return sum;
}

}  // namespace

template <class T>
Conv2d<T>::Conv2d(Conv2dOptions options) : opt_(std::move(options)) {
  auto positive = [](const std::array<int64_t, 2>& p) { return p[0] > 0 && p[1] > 0; };
  REDES_CHECK(opt_.filters > 0, ConfigError,
              "conv2d: filters must be positive, got " + std::to_string(opt_.filters));
  REDES_CHECK(positive(opt_.kernel), ConfigError,
              "conv2d: kernel must be positive, got " + pair_str(opt_.kernel));
  REDES_CHECK(positive(opt_.stride), ConfigError,
              "conv2d: stride must be positive, got " + pair_str(opt_.stride));
  REDES_CHECK(positive(opt_.dilation), ConfigError,
              "conv2d: dilation must be positive, got " + pair_str(opt_.dilation));
  REDES_CHECK(opt_.padding[0] >= 0 && opt_.padding[1] >= 0, ConfigError,
              "conv2d: padding must not be negative, got " + pair_str(opt_.padding));
  for (int i = 0; i < 2; ++i)
    if (opt_.padding_end[i] < 0) opt_.padding_end[i] = opt_.padding[i];
  REDES_CHECK(
      opt_.padding_mode == "explicit" || opt_.padding_mode == "same" ||
          opt_.padding_mode == "valid",
      ConfigError,
      "conv2d: padding mode must be explicit, same or valid, got '" + opt_.padding_mode + "'");
  REDES_CHECK(opt_.padding_mode != "same" || (opt_.stride[0] == 1 && opt_.stride[1] == 1),
              ConfigError,
              "conv2d: padding \"same\" needs stride 1 (as PyTorch), got " + pair_str(opt_.stride));
  REDES_CHECK(opt_.groups > 0 && opt_.filters % opt_.groups == 0, ConfigError,
              "conv2d: filters (" + std::to_string(opt_.filters) +
                  ") must be divisible by groups (" + std::to_string(opt_.groups) + ")");
  check_init_scheme(opt_.init);
}

template <class T>
Shape Conv2d<T>::setup(std::span<const Shape> inputs) {
  const Shape& x = image_input("conv2d", inputs);
  REDES_CHECK(x[0] % opt_.groups == 0, ShapeError,
              "conv2d: input channels " + std::to_string(x[0]) + " of input " + x.str() +
                  " are not divisible by groups " + std::to_string(opt_.groups));
  Conv2dGeometry g;
  g.channels = x[0];
  g.height = x[1];
  g.width = x[2];
  g.kernel_h = opt_.kernel[0];
  g.kernel_w = opt_.kernel[1];
  g.stride_h = opt_.stride[0];
  g.stride_w = opt_.stride[1];
  g.dilation_h = opt_.dilation[0];
  g.dilation_w = opt_.dilation[1];
  if (opt_.padding_mode == "same") {
    // The output keeps H and W when the padded input is H + span - 1: a total of
    // dilation * (K - 1) per axis, the odd one more at the bottom/right (PyTorch's rule).
    const int64_t total_h = g.span_h() - 1, total_w = g.span_w() - 1;
    g.pad_top = total_h / 2;
    g.pad_bottom = total_h - g.pad_top;
    g.pad_left = total_w / 2;
    g.pad_right = total_w - g.pad_left;
  } else if (opt_.padding_mode == "explicit") {
    g.pad_top = opt_.padding[0];
    g.pad_left = opt_.padding[1];
    g.pad_bottom = opt_.padding_end[0];
    g.pad_right = opt_.padding_end[1];
  }
  REDES_CHECK(g.fits(), ShapeError,
              "conv2d: the " + g.str() + " does not fit: input " + x.str() + ", kernel " +
                  pair_str(opt_.kernel));
  geom_ = g;
  pointwise_ = g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
               g.pad_top == 0 && g.pad_bottom == 0 && g.pad_left == 0 && g.pad_right == 0;
  kernels_ = &kernels();
  const bool many_channels = std::is_same_v<T, float> && opt_.groups == 1 &&
                             g.channels >= kOnednnMinChannels && opt_.filters >= kOnednnMinFilters;
  winograd_ = many_channels && kernels_->winograd_forward && winograd_fits(g) &&
              x86::conv2d_direct_input_grad_geometry(g, opt_.filters, &dx_geom_);
  winograd_u_of_.clear();
  if (winograd_) {
    winograd_shape_ = winograd_shape(g, opt_.filters, kernels_->lanes);
    winograd_dx_shape_ = winograd_shape(dx_geom_, g.channels, kernels_->lanes);
  }
  direct_ = !winograd_ && std::is_same_v<T, float> && kernels_->conv_forward != nullptr &&
            g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 && g.dilation_w == 1 &&
            opt_.groups == 1 && !pointwise_ && opt_.filters <= kDirectMaxFilters;
  direct_weight_grad_ = direct_ && opt_.filters <= kDirectWeightGradMaxFilters;
  direct_input_grad_ = direct_ &&
                       x86::conv2d_direct_input_grad_geometry(g, opt_.filters, &dx_geom_) &&
                       g.height * g.width * 5 <= g.out_h() * g.out_w() * 6;
  onednn_.reset();
  if (many_channels && !winograd_ && OnednnConv::available())
    onednn_ = std::make_unique<OnednnConv>(g, opt_.filters, opt_.bias);
  weight_.shape = Shape{opt_.filters, g.channels / opt_.groups, g.kernel_h, g.kernel_w};
  bias_.shape = Shape{opt_.filters};
  return Shape{opt_.filters, g.out_h(), g.out_w()};
}

template <class T>
void Conv2d<T>::init(Rng& rng) {
  // PyTorch's fans: fan_in = C/G * KH * KW (what one output sums over), fan_out = OC * KH * KW.
  const int64_t k = geom_.kernel_h * geom_.kernel_w;
  const int64_t fan_in = geom_.channels / opt_.groups * k;
  init_weight(opt_.init, weight_.values(), fan_in, opt_.filters * k, rng);
  if (opt_.bias) init_bias(opt_.init, bias_.values(), fan_in, rng);
}

template <class T>
void Conv2d<T>::check_batch(const TensorView<const T>& x, const Shape& y, const char* what) const {
  const Shape in{geom_.channels, geom_.height, geom_.width};
  const Shape out{opt_.filters, geom_.out_h(), geom_.out_w()};
  REDES_CHECK(x.rank() == 4 && x.shape().sample() == in && y.rank() == 4 && y[0] == x.dim(0) &&
                  y.sample() == out,
              ShapeError,
              std::string("conv2d ") + what + ": input " + x.shape().str() + " and output " +
                  y.str() + " do not fit per-sample " + in.str() + " -> " + out.str());
}

template <class T>
int Conv2d<T>::teams(int64_t N) const {
  // Below ~64k multiply-adds per batch a thread team costs more than it saves (gradient checks
  // run thousands of such tiny steps).
  const int64_t macs = N * opt_.filters * (geom_.col_rows() / opt_.groups) * geom_.col_cols();
  if (macs < (int64_t(1) << 16)) return 1;
  return static_cast<int>(std::clamp<int64_t>(num_threads(), 1, N));
}

namespace {

// Runs body(team, n0, m) over the images [0, N) in slices [n0, n0 + m) of at most S images:
// with one team in order on this thread, else on `teams` OpenMP threads, thread t taking the
// t-th contiguous block of images (the same blocks and slices for the same N, S and thread
// count). OpenBLAS stays on each calling thread meanwhile.
template <class F>
void for_each_slice(int64_t N, int teams, int64_t S, F&& body) {
  auto block = [&](int t, int64_t begin, int64_t end) {
    for (int64_t n0 = begin; n0 < end; n0 += S) body(t, n0, std::min(S, end - n0));
  };
  if (teams <= 1) {
    block(0, 0, N);
    return;
  }
  SerialBlas serial_blas;
#pragma omp parallel num_threads(teams)
  {
    const int t = omp_get_thread_num(), got = omp_get_num_threads();
    block(t, N * t / got, N * (t + 1) / got);
  }
}

}  // namespace

template <class T>
void Conv2d<T>::winograd_forward(int64_t N, const float* x, float* y) {
  if constexpr (std::is_same_v<T, float>) {  // winograd_ is never set for double layers
    const WinogradShape& s = winograd_shape_;
    // Transformed again only when the weights changed: a model's inference calls, one image each,
    // would otherwise spend most of their time here.
    const float* w = weight_.value;
    const int64_t n = weight_.numel();
    if (static_cast<int64_t>(winograd_u_of_.size()) != n ||
        !std::equal(w, w + n, winograd_u_of_.begin())) {
      winograd_transform_weights(s, w, grow(winograd_u_, winograd_weights_floats(s)));
      winograd_u_of_.assign(w, w + n);
    }
    const float* b = opt_.bias ? bias_.value : nullptr;
    const int64_t CHW = geom_.channels * geom_.height * geom_.width;
    const int64_t out = s.filters * geom_.col_cols();
    const int nt = teams(N);
    if (static_cast<int>(scratch_.size()) < nt) scratch_.resize(nt);
    for (int t = 0; t < nt; ++t) grow(scratch_[t].col, winograd_scratch_floats(s));
    for_each_slice(N, nt, 1, [&](int t, int64_t n, int64_t) {
      kernels_->winograd_forward(geom_, s, x + n * CHW, winograd_u_.data(), b, y + n * out,
                                 scratch_[t].col.data(), false);
    });
  }
}

template <class T>
void Conv2d<T>::winograd_backward(int64_t N, const float* x, const float* dy, float* dx) {
  if constexpr (std::is_same_v<T, float>) {
    const WinogradShape& s = winograd_shape_;
    const int64_t OC = opt_.filters, P = geom_.col_cols();
    const int64_t CHW = geom_.channels * geom_.height * geom_.width;
    if (dx) {
      // The input gradient's weights: w turned (C, OC, KH, KW), then transformed.
      x86::conv2d_direct_input_grad_weights(weight_.value, OC, geom_,
                                            grow(dx_weights_, OC * geom_.col_rows()));
      winograd_transform_weights(winograd_dx_shape_, dx_weights_.data(),
                                 grow(winograd_dx_u_, winograd_weights_floats(winograd_dx_shape_)));
    }
    const int nt = teams(N);
    if (static_cast<int>(scratch_.size()) < nt) scratch_.resize(nt);
    const int64_t sums = winograd_weights_floats(s);
    for (int t = 0; t < nt; ++t) {
      Scratch& sc = scratch_[t];
      grow(sc.col,
           std::max(winograd_scratch_floats(s), winograd_scratch_floats(winograd_dx_shape_)));
      std::fill_n(grow(sc.du, sums), sums, 0.0f);
      std::fill_n(grow(sc.db, OC), OC, 0.0f);
    }
    for_each_slice(N, nt, 1, [&](int t, int64_t n, int64_t) {
      Scratch& sc = scratch_[t];
      const float* dyn = dy + n * OC * P;
      kernels_->winograd_weight_grad(geom_, s, x + n * CHW, dyn, sc.du.data(), sc.col.data());
      if (opt_.bias)
        for (int64_t oc = 0; oc < OC; ++oc) sc.db[oc] += sum_of(dyn + oc * P, P);
      if (dx)
        kernels_->winograd_forward(dx_geom_, winograd_dx_shape_, dyn, winograd_dx_u_.data(),
                                   nullptr, dx + n * CHW, sc.col.data(), true);
    });
    // The threads' sums in thread order: the same thread count gives the same bits.
    std::vector<const float*> parts(nt);
    for (int t = 0; t < nt; ++t) {
      parts[t] = scratch_[t].du.data();
      if (opt_.bias)
        for (int64_t oc = 0; oc < OC; ++oc) bias_.grad[oc] += scratch_[t].db[oc];
    }
    winograd_weight_grad_finish(s, parts, weight_.grad);
  }
}

template <class T>
int64_t Conv2d<T>::slice_images() const {
  if (pointwise_) return 1;  // x[n] is its own column matrix: nothing to lay side by side
  return std::max<int64_t>(1, kSliceValues / (geom_.col_rows() * geom_.col_cols()));
}

template <class T>
void Conv2d<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& x = ctx.in();   // (N, C, H, W)
  const auto& y = ctx.out();  // (N, OC, OH, OW)
  check_batch(x, y.shape(), "forward");
  const int64_t N = x.dim(0), G = opt_.groups, OC = opt_.filters, OCg = OC / G;
  const int64_t CHW = geom_.channels * geom_.height * geom_.width;
  const int64_t P = geom_.col_cols(), K = geom_.col_rows(), Kg = K / G;  // Kg = C/G * KH * KW
  const T* w = weight_.value;  // (OC, Kg): group q is rows [q * OCg, (q + 1) * OCg)
  const T* b = opt_.bias ? bias_.value : nullptr;
  kept_for_ = nullptr;
  if constexpr (std::is_same_v<T, float>) {  // never set for double layers
    if (winograd_) {
      winograd_forward(N, x.data(), y.data());
      return;
    }
    if (onednn_) {
      onednn_->forward(N, x.data(), w, b, y.data());
      return;
    }
  }
  const int nt = teams(N);
  if (static_cast<int>(scratch_.size()) < nt) scratch_.resize(nt);
  if constexpr (std::is_same_v<T, float>) {  // direct_ is never set for double layers
    if (direct_) {
      x86::conv2d_direct_pack_weights(w, OC, K, kernels_->conv_block,
                                      grow(packed_weights_, OC * K));
      for (int t = 0; t < nt; ++t) grow(scratch_[t].col, x86::conv2d_direct_scratch(geom_));
      for_each_slice(N, nt, 1, [&](int t, int64_t n, int64_t) {
        kernels_->conv_forward(geom_, OC, x.data() + n * CHW, packed_weights_.data(), b,
                               y.data() + n * OC * P, scratch_[t].col.data(), false);
      });
      return;
    }
  }
  const int64_t S = slice_images();
  // A training forward keeps every image's columns for the backward that follows, when they
  // fit the budget; otherwise each thread unrolls into its own buffer, and backward again.
  const bool keep = !pointwise_ && ctx.training && N * K * P <= kKeptColumnsMax;
  if (keep) grow(kept_cols_, N * K * P);
  for (int t = 0; t < nt; ++t) {
    if (!pointwise_ && !keep) grow(scratch_[t].col, K * S * P);
    if (S > 1) grow(scratch_[t].wide, OC * S * P);
  }

  for_each_slice(N, nt, S, [&](int t, int64_t n0, int64_t m) {
    const int64_t width = m * P;  // the slice's images side by side
    // col (K, width): image j of the slice in columns [j * P, (j + 1) * P), or x[n0] itself
    // for a 1x1 convolution.
    const T* col = x.data() + n0 * CHW;
    if (!pointwise_) {
      T* c = keep ? kept_cols_.data() + n0 * K * P : scratch_[t].col.data();
      for (int64_t j = 0; j < m; ++j) im2col(geom_, x.data() + (n0 + j) * CHW, c + j * P, width);
      col = c;
    }
    // out_q (OCg, width) = W_q (OCg, Kg) col_q (Kg, width): straight into y[n0] for one image,
    // else into the wide buffer, whose rows are then dealt out to the images.
    T* out = m == 1 ? y.data() + n0 * OC * P : scratch_[t].wide.data();
    for (int64_t q = 0; q < G; ++q)
      gemm<T>(false, false, OCg, width, Kg, T(1), w + q * OCg * Kg, Kg, col + q * Kg * width, width,
              T(0), out + q * OCg * width, width);
    for (int64_t j = 0; j < m; ++j)
      for (int64_t oc = 0; oc < OC; ++oc) {
        const T* src = out + oc * width + j * P;
        T* dst = y.data() + ((n0 + j) * OC + oc) * P;
        const T bias = b ? b[oc] : T(0);
        for (int64_t p = 0; p < P; ++p) dst[p] = src[p] + bias;
      }
  });
  if (keep) {
    kept_for_ = x.data();
    kept_n_ = N;
    kept_teams_ = nt;
  }
}

template <class T>
int Conv2d<T>::fusable(std::span<Layer<T>* const> next) const {
  if constexpr (std::is_same_v<T, float>) {
    if (!direct_ || onednn_ || !kernels_->relu_forward || !kernels_->max_pool_2x2 ||
        next.size() < 2)
      return 0;
    const auto* pool = dynamic_cast<const MaxPool2d<T>*>(next[1]);
    return dynamic_cast<const ReLU<T>*>(next[0]) && pool && pool->two_by_two() ? 2 : 0;
  }
  return 0;
}

template <class T>
void Conv2d<T>::forward_fused(std::span<Layer<T>* const> next, TensorView<const T> x,
                              TensorView<T> y, std::span<const TensorView<T>> kept) {
  REDES_CHECK(fusable(next) == 2, Error, "conv2d: nothing to fuse with");
  const bool training = !kept.empty();
  if constexpr (std::is_same_v<T, float>) {
    const int64_t N = x.dim(0), OC = opt_.filters, P = geom_.col_cols(), OW = geom_.out_w();
    const int64_t CHW = geom_.channels * geom_.height * geom_.width;
    REDES_CHECK(x.rank() == 4 &&
                    x.shape().sample() == Shape({geom_.channels, geom_.height, geom_.width}) &&
                    y.rank() == 4 && y.dim(0) == N && y.dim(1) == OC &&
                    2 * y.dim(2) <= geom_.out_h() && 2 * y.dim(3) <= OW,
                ShapeError,
                "conv2d with ReLU and pooling: input " + x.shape().str() + " and output " +
                    y.shape().str() + " do not fit");
    const Shape between{N, OC, geom_.out_h(), OW};
    REDES_CHECK(
        !training || (kept.size() == 2 && kept[0].shape() == between && kept[1].shape() == between),
        ShapeError, "conv2d with ReLU and pooling: the outputs to keep are not " + between.str());
    const int64_t PH = y.dim(2), PW = y.dim(3), PHW = PH * PW;
    const T* b = opt_.bias ? bias_.value : nullptr;
    const int nt = teams(N);
    if (static_cast<int>(scratch_.size()) < nt) scratch_.resize(nt);
    x86::conv2d_direct_pack_weights(weight_.value, OC, geom_.col_rows(), kernels_->conv_block,
                                    grow(packed_weights_, OC * geom_.col_rows()));
    for (int t = 0; t < nt; ++t) {
      grow(scratch_[t].col, x86::conv2d_direct_scratch(geom_));
      if (!training) {  // the outputs between stay in the thread's scratch
        grow(scratch_[t].wide, OC * P);
        grow(scratch_[t].argmax, OC * PHW);
      }
    }
    // Training: the pooling's positions where its backward reads them.
    int32_t* positions = training ? static_cast<MaxPool2d<T>*>(next[1])->positions_for(N) : nullptr;
    kept_for_ = nullptr;
    for_each_slice(N, nt, 1, [&](int t, int64_t n, int64_t) {
      // (OC, OH, OW) of image n: the convolution's and the ReLU's outputs, or one scratch for both
      T* conv = training ? kept[0].data() + n * OC * P : scratch_[t].wide.data();
      T* relu = training ? kept[1].data() + n * OC * P : conv;
      int32_t* at = training ? positions + n * OC * PHW : scratch_[t].argmax.data();
      kernels_->conv_forward(geom_, OC, x.data() + n * CHW, packed_weights_.data(), b, conv,
                             scratch_[t].col.data(), false);
      kernels_->relu_forward(OC * P, conv, relu);
      for (int64_t oc = 0; oc < OC; ++oc)
        kernels_->max_pool_2x2(relu + oc * P, OW, PH, PW, y.data() + (n * OC + oc) * PHW,
                               at + oc * PHW);
    });
  }
}

template <class T>
void Conv2d<T>::backward(const BackwardCtx<T>& ctx) {
  const auto& x = ctx.in();     // (N, C, H, W)
  const auto& dy = ctx.dout();  // (N, OC, OH, OW)
  check_batch(x, dy.shape(), "backward");
  const int64_t N = x.dim(0), G = opt_.groups, OC = opt_.filters, OCg = OC / G;
  const int64_t CHW = geom_.channels * geom_.height * geom_.width;
  const int64_t P = geom_.col_cols(), K = geom_.col_rows(), Kg = K / G;
  const T* w = weight_.value;
  T* dx = ctx.wants_din() ? ctx.din().data() : nullptr;
  if constexpr (std::is_same_v<T, float>) {
    if (winograd_) {
      winograd_backward(N, x.data(), dy.data(), dx);
      return;
    }
    if (onednn_) {
      onednn_->backward(N, x.data(), dy.data(), w, weight_.grad, bias_.grad, dx);
      return;
    }
  }
  const int nt = teams(N);
  const int64_t S = slice_images();
  if (static_cast<int>(scratch_.size()) < nt) scratch_.resize(nt);
  // The forward's columns, if it kept them for this very input (and sliced it alike).
  const bool kept = kept_for_ == x.data() && kept_n_ == N && kept_teams_ == nt;
  for (int t = 0; t < nt; ++t) {
    Scratch& s = scratch_[t];
    if (direct_weight_grad_) {
      grow(s.col, x86::conv2d_direct_scratch(geom_));
      const int64_t n = K * OC * kernels_->lanes;
      std::fill_n(grow(s.partial, n), n, T(0));
    } else if (!pointwise_ && !kept) {
      grow(s.col, K * S * P);
    }
    if (direct_input_grad_ && dx) {
      grow(s.dy_pad, x86::conv2d_direct_scratch(dx_geom_));
    } else if (!pointwise_ && dx) {
      grow(s.dcol, K * S * P);
    }
    if (S > 1) grow(s.wide, OC * S * P);
    // With one thread the gradients go straight into the parameters' gradients; with more,
    // each thread sums its images into its own zeroed share first.
    if (nt > 1) {
      std::fill_n(grow(s.dw, OC * Kg), OC * Kg, T(0));
      std::fill_n(grow(s.db, OC), OC, T(0));
    }
  }

  if constexpr (std::is_same_v<T, float>) {
    if (direct_input_grad_ && dx) {
      // The turned weights (C, OC*KH*KW), packed for the forward kernel.
      const int64_t taps = OC * geom_.kernel_h * geom_.kernel_w;
      x86::conv2d_direct_input_grad_weights(w, OC, geom_, grow(dx_weights_, OC * K));
      x86::conv2d_direct_pack_weights(dx_weights_.data(), geom_.channels, taps,
                                      kernels_->conv_block, grow(packed_dx_weights_, OC * K));
    }
  }

  for_each_slice(N, nt, S, [&](int t, int64_t n0, int64_t m) {
    Scratch& s = scratch_[t];
    T* db = nt > 1 ? s.db.data() : bias_.grad;
    const int64_t width = m * P;
    if (direct_weight_grad_) {
      // dW without columns, into the thread's vector partial sums (reduced below).
      if constexpr (std::is_same_v<T, float>)
        kernels_->conv_weight_grad(geom_, OC, m, x.data() + n0 * CHW, dy.data() + n0 * OC * P,
                                   s.partial.data(), s.col.data());
      if (opt_.bias)
        for (int64_t j = 0; j < m; ++j)
          for (int64_t oc = 0; oc < OC; ++oc)
            db[oc] += sum_of(dy.data() + ((n0 + j) * OC + oc) * P, P);
      if (!dx) return;
    }
    // d (OC, width): the slice's output gradients side by side (dy[n0] itself for one image),
    // for the GEMMs; the direct kernels read dy as it is.
    const T* d = dy.data() + n0 * OC * P;
    if (m > 1 && !(direct_weight_grad_ && direct_input_grad_)) {
      T* wide = s.wide.data();
      for (int64_t j = 0; j < m; ++j)
        for (int64_t oc = 0; oc < OC; ++oc)
          std::copy_n(dy.data() + ((n0 + j) * OC + oc) * P, P, wide + oc * width + j * P);
      d = wide;
    }
    if (!direct_weight_grad_) {
      T* dw = nt > 1 ? s.dw.data() : weight_.grad;
      const T* col = x.data() + n0 * CHW;
      if (kept) {
        col = kept_cols_.data() + n0 * K * P;
      } else if (!pointwise_) {
        for (int64_t j = 0; j < m; ++j)
          im2col(geom_, x.data() + (n0 + j) * CHW, s.col.data() + j * P, width);
        col = s.col.data();
      }
      for (int64_t q = 0; q < G; ++q) {
        // dW_q (OCg, Kg) += d_q (OCg, width) col_q^T (width, Kg): each weight sums its
        // output's gradient times the input it multiplied.
        gemm<T>(false, true, OCg, Kg, width, T(1), d + q * OCg * width, width, col + q * Kg * width,
                width, T(1), dw + q * OCg * Kg, Kg);
      }
      if (opt_.bias)
        for (int64_t oc = 0; oc < OC; ++oc) db[oc] += sum_of(d + oc * width, width);
    }
    if (!dx) return;
    if constexpr (std::is_same_v<T, float>) {
      if (direct_input_grad_) {  // dx[n] += the convolution of dy[n] with the turned weights
        for (int64_t j = 0; j < m; ++j)
          kernels_->conv_forward(dx_geom_, geom_.channels, dy.data() + (n0 + j) * OC * P,
                                 packed_dx_weights_.data(), nullptr, dx + (n0 + j) * CHW,
                                 s.dy_pad.data(), true);
        return;
      }
    }
    for (int64_t q = 0; q < G; ++q) {
      // dcol_q (Kg, width) = W_q^T (Kg, OCg) d_q (OCg, width); for a 1x1 convolution dcol is
      // dx[n0] itself and the product adds into it directly.
      const T* wq = w + q * OCg * Kg;
      const T* dq = d + q * OCg * width;
      if (pointwise_) {
        gemm<T>(true, false, Kg, width, OCg, T(1), wq, Kg, dq, width, T(1),
                dx + n0 * CHW + q * Kg * P, P);
      } else {
        gemm<T>(true, false, Kg, width, OCg, T(1), wq, Kg, dq, width, T(0),
                s.dcol.data() + q * Kg * width, width);
      }
    }
    if (!pointwise_)
      for (int64_t j = 0; j < m; ++j)
        col2im(geom_, s.dcol.data() + j * P, width, dx + (n0 + j) * CHW);
  });

  if constexpr (std::is_same_v<T, float>)
    if (direct_weight_grad_)
      for (int t = 0; t < nt; ++t)
        x86::conv2d_direct_reduce(scratch_[t].partial.data(), OC, K, kernels_->lanes,
                                  nt > 1 ? scratch_[t].dw.data() : weight_.grad);
  if (nt > 1) {
    // The threads' shares, added in thread order.
    for (int t = 0; t < nt; ++t) {
      const T* pw = scratch_[t].dw.data();
      for (int64_t i = 0; i < OC * Kg; ++i) weight_.grad[i] += pw[i];
      if (opt_.bias) {
        const T* pb = scratch_[t].db.data();
        for (int64_t i = 0; i < OC; ++i) bias_.grad[i] += pb[i];
      }
    }
  }
}

template <class T>
std::vector<Param<T>*> Conv2d<T>::params() {
  if (opt_.bias) return {&weight_, &bias_};
  return {&weight_};
}

template class Conv2d<float>;
template class Conv2d<double>;

}  // namespace redes
