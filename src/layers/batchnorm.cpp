#include "layers/batchnorm.hpp"

#include <cmath>

#include "layers/checks.hpp"
#include "redes/distributed.hpp"

namespace redes {

template <class T>
BatchNorm<T>::BatchNorm(int spatial_dims, double momentum, double eps, bool affine)
    : dims_(spatial_dims), momentum_(momentum), eps_(eps), affine_(affine) {
  REDES_CHECK(dims_ == 1 || dims_ == 2, ConfigError,
              "batchnorm: spatial dimensions must be 1 or 2, got " + std::to_string(dims_));
  REDES_CHECK(momentum_ >= 0.0 && momentum_ <= 1.0, ConfigError,
              "batchnorm: momentum must be in [0, 1], got " + std::to_string(momentum_));
  REDES_CHECK(eps_ > 0.0 && std::isfinite(eps_), ConfigError,
              "batchnorm: eps must be positive, got " + std::to_string(eps_));
}

template <class T>
Shape BatchNorm<T>::setup(std::span<const Shape> inputs) {
  const std::string k(kind());
  require_one_input(k, inputs);
  const Shape& x = inputs[0];
  const bool ok = dims_ == 1 ? (x.rank() == 1 || x.rank() == 2) : x.rank() == 3;
  REDES_CHECK(ok && x.numel() > 0, ShapeError,
              k + " needs a per-sample input " + (dims_ == 1 ? "(F) or (C, L)" : "(C, H, W)") +
                  ", got " + x.str());
  channels_ = x[0];
  inner_ = x.numel() / channels_;
  for (Param<T>* p : {&weight_, &bias_, &running_mean_, &running_var_}) p->shape = Shape{channels_};
  mean_.assign(channels_, T(0));
  invstd_.assign(channels_, T(1));
  sums_.assign(2 * channels_ + 1, 0.0);
  return x;
}

template <class T>
void BatchNorm<T>::init(Rng&) {
  if (affine_) {
    std::fill(weight_.value, weight_.value + channels_, T(1));
    std::fill(bias_.value, bias_.value + channels_, T(0));
  }
  if (running_mean_.value) std::fill(running_mean_.value, running_mean_.value + channels_, T(0));
  if (running_var_.value) std::fill(running_var_.value, running_var_.value + channels_, T(1));
}

template <class T>
void BatchNorm<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& x = ctx.in();   // (N, C, ...), channel c of sample n is inner_ values
  const auto& y = ctx.out();  // (N, C, ...)
  const std::string k(kind());
  REDES_CHECK(x.shape() == y.shape() && x.rank() >= 2 && x.dim(1) == channels_ &&
                  x.numel() == x.dim(0) * channels_ * inner_,
              ShapeError, k + ": input " + x.shape().str() + ", output " + y.shape().str());
  REDES_CHECK(running_mean_.value && running_var_.value, Error,
              k + ": the running statistics are not bound to storage");
  const int64_t N = x.dim(0), C = channels_, L = inner_;
  batch_stats_ = ctx.training;
  if (ctx.training) {
    T* rm = running_mean_.value;
    T* rv = running_var_.value;
    const double m = momentum_;
    // Each channel's statistics in double, in a fixed order (n, then position): the same bits
    // with any number of threads. With ctx.ranks (sync_batchnorm) the sums and the count are
    // over every rank's share of the batch.
    double* sums = sums_.data();  // C sums, then the count
    sums[C] = static_cast<double>(N * L);
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < C; ++c) {
      double sum = 0;
      for (int64_t n = 0; n < N; ++n) {
        const T* xr = x.data() + (n * C + c) * L;
        for (int64_t i = 0; i < L; ++i) sum += xr[i];
      }
      sums[c] = sum;
    }
    if (ctx.ranks) ctx.ranks->allreduce_sum(std::span<double>(sums, size_t(C + 1)));
    count_ = sums[C];
    REDES_CHECK(
        count_ > 1, ShapeError,
        k + ": training needs more than one value per channel, got input " + x.shape().str());
    // Two passes: sum (x - mean)^2 does not cancel as sum x^2 - M mean^2 does.
    double* squares = sums + C + 1;
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < C; ++c) {
      const double mean = sums[c] / count_;
      double sq = 0;
      for (int64_t n = 0; n < N; ++n) {
        const T* xr = x.data() + (n * C + c) * L;
        for (int64_t i = 0; i < L; ++i) sq += (xr[i] - mean) * (xr[i] - mean);
      }
      squares[c] = sq;
    }
    if (ctx.ranks) ctx.ranks->allreduce_sum(std::span<double>(squares, size_t(C)));
    for (int64_t c = 0; c < C; ++c) {
      const double mean = sums[c] / count_, var = squares[c] / count_;
      mean_[c] = static_cast<T>(mean);
      invstd_[c] = static_cast<T>(1.0 / std::sqrt(var + eps_));
      rm[c] = static_cast<T>((1.0 - m) * rm[c] + m * mean);
      rv[c] = static_cast<T>((1.0 - m) * rv[c] + m * squares[c] / (count_ - 1));
    }
  } else {
    for (int64_t c = 0; c < C; ++c) {
      mean_[c] = running_mean_.value[c];
      invstd_[c] =
          static_cast<T>(1.0 / std::sqrt(static_cast<double>(running_var_.value[c]) + eps_));
    }
  }
  // y = gamma * (x - mean) * invstd + beta = a * x + b per channel.
#pragma omp parallel for schedule(static) if (x.numel() > (1 << 15))
  for (int64_t nc = 0; nc < N * C; ++nc) {
    const int64_t c = nc % C;
    const T gamma = affine_ ? weight_.value[c] : T(1), beta = affine_ ? bias_.value[c] : T(0);
    const T a = gamma * invstd_[c], b = beta - a * mean_[c];
    const T* xr = x.data() + nc * L;
    T* yr = y.data() + nc * L;
    for (int64_t i = 0; i < L; ++i) yr[i] = a * xr[i] + b;
  }
}

template <class T>
void BatchNorm<T>::backward(const BackwardCtx<T>& ctx) {
  const auto& x = ctx.in();     // (N, C, ...)
  const auto& dy = ctx.dout();  // (N, C, ...)
  REDES_CHECK(x.shape() == dy.shape() && x.numel() == x.dim(0) * channels_ * inner_, ShapeError,
              std::string(kind()) + " backward: input " + x.shape().str() + ", gradient " +
                  dy.shape().str());
  const int64_t N = x.dim(0), C = channels_, L = inner_;
  const bool want_dx = ctx.wants_din();
  T* dx = want_dx ? ctx.din().data() : nullptr;
  // sum dy and sum dy * xhat over each channel: d beta and d gamma, and the two projections
  // the training backward removes (with ctx.ranks: over every rank's share).
  double* sum_dy = sums_.data();
  double* sum_dy_xhat = sum_dy + C;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    const double mean = mean_[c], invstd = invstd_[c];
    double a = 0, b = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* xr = x.data() + (n * C + c) * L;
      const T* dr = dy.data() + (n * C + c) * L;
      for (int64_t i = 0; i < L; ++i) {
        a += dr[i];
        b += dr[i] * (xr[i] - mean) * invstd;
      }
    }
    sum_dy[c] = a, sum_dy_xhat[c] = b;
    if (affine_) {  // this rank's part: the trainer sums the parameters' gradients
      weight_.grad[c] += static_cast<T>(b);
      bias_.grad[c] += static_cast<T>(a);
    }
  }
  if (!dx) return;
  if (batch_stats_ && ctx.ranks) ctx.ranks->allreduce_sum(std::span<double>(sum_dy, size_t(2 * C)));
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    const double mean = mean_[c], invstd = invstd_[c];
    const double gamma = affine_ ? static_cast<double>(weight_.value[c]) : 1.0;
    if (batch_stats_) {
      // With dxhat = gamma dy, and mean and var functions of the batch:
      //   dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
      //      = gamma invstd * (dy - sum_dy / M - xhat * sum_dy_xhat / M).
      const double a = gamma * invstd, mdy = sum_dy[c] / count_, mdyx = sum_dy_xhat[c] / count_;
      for (int64_t n = 0; n < N; ++n) {
        const T* xr = x.data() + (n * C + c) * L;
        const T* dr = dy.data() + (n * C + c) * L;
        T* gr = dx + (n * C + c) * L;
        for (int64_t i = 0; i < L; ++i) {
          const double xhat = (xr[i] - mean) * invstd;
          gr[i] += static_cast<T>(a * (dr[i] - mdy - xhat * mdyx));
        }
      }
    } else {
      // Fixed statistics: y is affine in x, dx = gamma invstd dy.
      const T a = static_cast<T>(gamma * invstd);
      for (int64_t n = 0; n < N; ++n) {
        const T* dr = dy.data() + (n * C + c) * L;
        T* gr = dx + (n * C + c) * L;
        for (int64_t i = 0; i < L; ++i) gr[i] += a * dr[i];
      }
    }
  }
}

template <class T>
std::vector<Param<T>*> BatchNorm<T>::params() {
  if (affine_) return {&weight_, &bias_};
  return {};
}

template class BatchNorm<float>;
template class BatchNorm<double>;

}  // namespace redes
