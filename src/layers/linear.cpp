#include "layers/linear.hpp"

#include "kernels/gemm.hpp"
#include "layers/checks.hpp"
#include "redes/init.hpp"

namespace redes {

template <class T>
Linear<T>::Linear(int64_t units, bool bias, std::string init)
    : units_(units), has_bias_(bias), init_(std::move(init)) {
  REDES_CHECK(units_ > 0, ConfigError,
              "linear: units must be positive, got " + std::to_string(units_));
  check_init_scheme(init_);
}

template <class T>
Shape Linear<T>::setup(std::span<const Shape> inputs) {
  require_one_input("linear", inputs);
  const Shape& x = inputs[0];
  REDES_CHECK(x.rank() >= 1 && x[-1] > 0, ShapeError,
              "linear needs a per-sample input (..., F) with F > 0, got " + x.str());
  in_features_ = x[-1];
  positions_ = x.numel() / in_features_;
  weight_.shape = Shape{units_, in_features_};
  bias_.shape = Shape{units_};
  Shape y = x;
  y[-1] = units_;
  return y;
}

template <class T>
void Linear<T>::init(Rng& rng) {
  init_weight(init_, weight_.values(), in_features_, units_, rng);
  if (has_bias_) init_bias(init_, bias_.values(), in_features_, rng);
}

template <class T>
void Linear<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& x = ctx.in();   // (N, ..., F), seen as R = numel / F rows of F
  const auto& y = ctx.out();  // (N, ..., units), seen as (R, units)
  REDES_CHECK(x.rank() >= 1 && x.dim(-1) == in_features_ && y.rank() == x.rank() &&
                  y.dim(-1) == units_ && y.numel() / units_ == x.numel() / in_features_,
              ShapeError,
              "linear(" + std::to_string(in_features_) + " -> " + std::to_string(units_) +
                  "): input " + x.shape().str() + ", output " + y.shape().str());
  const int64_t rows = x.numel() / in_features_;
  // y (R, units) = x (R, F) * W^T (F, units)
  gemm<T>(false, true, rows, units_, in_features_, T(1), x.data(), in_features_, weight_.value,
          in_features_, T(0), y.data(), units_);
  if (has_bias_) {
    const T* b = bias_.value;
    for (int64_t r = 0; r < rows; ++r) {
      T* yr = y.data() + r * units_;
      for (int64_t u = 0; u < units_; ++u) yr[u] += b[u];
    }
  }
}

template <class T>
void Linear<T>::backward(const BackwardCtx<T>& ctx) {
  const auto& x = ctx.in();     // (R, F) as in forward
  const auto& dy = ctx.dout();  // (R, units)
  const int64_t rows = x.numel() / in_features_;
  // dW (units, F) += dy^T (units, R) * x (R, F): each weight sums its output's gradient times
  // the input it multiplied, over every row; written, not added, over zeros (the same values
  // without reading dW).
  gemm<T>(true, false, units_, in_features_, rows, T(1), dy.data(), units_, x.data(), in_features_,
          ctx.params_zero ? T(0) : T(1), weight_.grad, in_features_);
  if (has_bias_) {
    // db (units) += the column sums of dy, summed row by row (a fixed order).
    T* db = bias_.grad;
    for (int64_t r = 0; r < rows; ++r) {
      const T* dyr = dy.data() + r * units_;
      for (int64_t u = 0; u < units_; ++u) db[u] += dyr[u];
    }
  }
  if (ctx.wants_din()) {
    // dx (R, F) += dy (R, units) * W (units, F)
    gemm<T>(false, false, rows, in_features_, units_, T(1), dy.data(), units_, weight_.value,
            in_features_, T(1), ctx.din().data(), in_features_);
  }
}

template <class T>
std::vector<Param<T>*> Linear<T>::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

template class Linear<float>;
template class Linear<double>;

}  // namespace redes
