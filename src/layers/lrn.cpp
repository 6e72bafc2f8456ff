#include "layers/lrn.hpp"

#include <algorithm>
#include <cmath>

#include "layers/checks.hpp"

namespace redes {

template <class T>
LocalResponseNorm<T>::LocalResponseNorm(int64_t size, double alpha, double beta, double k)
    : size_(size), alpha_(alpha), beta_(beta), k_(k) {
  REDES_CHECK(size_ >= 1, ConfigError,
              "local_response_norm: size must be positive, got " + std::to_string(size_));
  REDES_CHECK(std::isfinite(alpha_) && std::isfinite(beta_) && std::isfinite(k_), ConfigError,
              "local_response_norm: alpha, beta and k must be finite");
  REDES_CHECK(k_ > 0.0 && alpha_ >= 0.0, ConfigError,
              "local_response_norm: needs k > 0 and alpha >= 0 (so that the base stays positive), "
              "got k " +
                  std::to_string(k_) + ", alpha " + std::to_string(alpha_));
}

template <class T>
Shape LocalResponseNorm<T>::setup(std::span<const Shape> inputs) {
  require_one_input("local_response_norm", inputs);
  const Shape& x = inputs[0];
  REDES_CHECK(
      x.rank() >= 2 && x.numel() > 0, ShapeError,
      "local_response_norm needs a per-sample input (C, ...) of rank 2 or more, got " + x.str());
  channels_ = x[0];
  inner_ = x.numel() / channels_;
  return x;
}

template <class T>
void LocalResponseNorm<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& x = ctx.in();   // (N, C, ...)
  const auto& y = ctx.out();  // (N, C, ...)
  REDES_CHECK(x.shape() == y.shape() && x.rank() >= 3 && x.dim(1) == channels_ &&
                  x.numel() == x.dim(0) * channels_ * inner_,
              ShapeError,
              "local_response_norm: input " + x.shape().str() + ", output " + y.shape().str());
  const int64_t N = x.dim(0), C = channels_, L = inner_;
  if (static_cast<int64_t>(scale_.size()) < x.numel()) scale_.resize(x.numel());
  const T a = static_cast<T>(alpha_ / static_cast<double>(size_)), k = static_cast<T>(k_);
  const T mbeta = static_cast<T>(-beta_);
  const int64_t before = size_ / 2, after = (size_ - 1) / 2;  // the window [c - before, c + after]
#pragma omp parallel for schedule(static) if (x.numel() > (1 << 14))
  for (int64_t nc = 0; nc < N * C; ++nc) {
    const int64_t n = nc / C, c = nc % C;
    const int64_t lo = std::max<int64_t>(c - before, 0), hi = std::min(c + after, C - 1);
    T* s = scale_.data() + nc * L;
    std::fill(s, s + L, T(0));
    for (int64_t j = lo; j <= hi; ++j) {
      const T* xj = x.data() + (n * C + j) * L;
      for (int64_t i = 0; i < L; ++i) s[i] += xj[i] * xj[i];
    }
    const T* xr = x.data() + nc * L;
    T* yr = y.data() + nc * L;
    for (int64_t i = 0; i < L; ++i) {
      s[i] = k + a * s[i];
      yr[i] = xr[i] * std::pow(s[i], mbeta);
    }
  }
}

template <class T>
void LocalResponseNorm<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const auto& x = ctx.in();     // (N, C, ...)
  const auto& dy = ctx.dout();  // (N, C, ...)
  REDES_CHECK(
      x.shape() == dy.shape() && ctx.out().shape() == x.shape() &&
          static_cast<int64_t>(scale_.size()) >= x.numel(),
      ShapeError,
      "local_response_norm backward: input " + x.shape().str() + ", gradient " + dy.shape().str());
  const int64_t N = x.dim(0), C = channels_, L = inner_;
  const T mbeta = static_cast<T>(-beta_);
  const T coef = static_cast<T>(2.0 * alpha_ * beta_ / static_cast<double>(size_));
  // Channel j is in the window of c for c in [j - after, j + before].
  const int64_t before = size_ / 2, after = (size_ - 1) / 2;
  const T* s = scale_.data();
  const T* y = ctx.out().data();  // x s^(-beta), the last forward's output
  T* dx = ctx.din().data();
#pragma omp parallel for schedule(static) if (x.numel() > (1 << 14))
  for (int64_t nj = 0; nj < N * C; ++nj) {
    const int64_t n = nj / C, j = nj % C;
    const int64_t lo = std::max<int64_t>(j - after, 0), hi = std::min(j + before, C - 1);
    const T* xj = x.data() + nj * L;
    const T* dyj = dy.data() + nj * L;
    const T* sj = s + nj * L;
    T* gj = dx + nj * L;
    for (int64_t i = 0; i < L; ++i) {
      // sum_c dy[c] x[c] s[c]^(-beta - 1) = sum_c dy[c] y[c] / s[c] over the windows that
      // hold j
      T cross = T(0);
      for (int64_t c = lo; c <= hi; ++c) {
        const int64_t at = (n * C + c) * L + i;
        cross += dy.data()[at] * y[at] / s[at];
      }
      gj[i] += dyj[i] * std::pow(sj[i], mbeta) - coef * xj[i] * cross;
    }
  }
}

template class LocalResponseNorm<float>;
template class LocalResponseNorm<double>;

}  // namespace redes
