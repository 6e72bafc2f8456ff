#include "layers/dropout.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "layers/checks.hpp"

namespace redes {

template <class T>
Dropout<T>::Dropout(double rate) : rate_(rate) {
  REDES_CHECK(rate_ >= 0.0 && rate_ < 1.0, ConfigError,
              "dropout: rate must be in [0, 1), got " + std::to_string(rate_));
}

template <class T>
Shape Dropout<T>::setup(std::span<const Shape> inputs) {
  require_one_input("dropout", inputs);
  return inputs[0];
}

template <class T>
void Dropout<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& x = ctx.in();   // (N, ...)
  const auto& y = ctx.out();  // (N, ...)
  REDES_CHECK(x.shape() == y.shape(), ShapeError,
              "dropout: input " + x.shape().str() + " and output " + y.shape().str() + " differ");
  const int64_t n = x.numel();
  masked_ = ctx.training && rate_ > 0.0;
  if (!masked_) {
    std::copy(x.begin(), x.end(), y.begin());
    return;
  }
  REDES_CHECK(ctx.rng != nullptr, Error, "dropout: a training forward needs an Rng");
  if (static_cast<int64_t>(mask_.size()) < n) mask_.resize(n);
  // Keep with probability 1 - p: u ~ U[0, 1) falls at or above p with exactly that chance.
  // Drawn serially: the mask depends only on the Rng state.
  const T keep_scale = static_cast<T>(1.0 / (1.0 - rate_));
  Rng& rng = *ctx.rng;
  for (int64_t i = 0; i < n; ++i) mask_[i] = rng.uniform() >= rate_ ? keep_scale : T(0);
  const T* xd = x.data();
  const T* m = mask_.data();
  T* yd = y.data();
  for (int64_t i = 0; i < n; ++i) yd[i] = xd[i] * m[i];
}

template <class T>
void Dropout<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* dy = ctx.dout().data();  // (N, ...)
  T* dx = ctx.din().data();         // (N, ...)
  const int64_t n = ctx.dout().numel();
  if (!masked_) {
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i];
    return;
  }
  REDES_CHECK(static_cast<int64_t>(mask_.size()) >= n, ShapeError,
              "dropout: backward of " + ctx.dout().shape().str() +
                  " is larger than the last forward's mask");
  const T* m = mask_.data();
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * m[i];
}

template class Dropout<float>;
template class Dropout<double>;

}  // namespace redes
