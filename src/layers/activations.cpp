#include "layers/activations.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/kernel_table.hpp"
#include "kernels/rnn_math.hpp"
#include "layers/checks.hpp"
#include "tensor/parallel_ranges.hpp"

namespace redes {
namespace {

// ReLU's and tanh's loops for the scalar tier and double (kernels/relu_pool_body.hpp); float
// layers take the active tier's.
namespace baseline {
#define REDES_TIER
#include "kernels/relu_pool_body.hpp"
#undef REDES_TIER
}  // namespace baseline

// Below this many elements a thread team costs more than it saves; element-wise results are
// the same with any number of threads, so the switch keeps determinism.
constexpr int64_t kParallelMin = int64_t(1) << 15;

// Each thread works on its own copy of f (firstprivate): with a shared one, GCC reloads the
// captured pointers after every store (they might alias) and the loop does not vectorise.
template <class F>
void for_each_index(int64_t n, F f) {
#pragma omp parallel for simd firstprivate(f) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) f(i);
}

template <class T>
void check_same(const TensorView<const T>& x, const TensorView<T>& y, std::string_view kind) {
  REDES_CHECK(x.shape() == y.shape(), ShapeError,
              std::string(kind) + ": input " + x.shape().str() + " and output " + y.shape().str() +
                  " differ");
}

// Sigmoid without overflow: for x < 0, exp(x) / (1 + exp(x)) avoids exp(-x) = inf.
template <class T>
T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

}  // namespace

template <class T>
Shape ElementwiseActivation<T>::setup(std::span<const Shape> inputs) {
  require_one_input(this->kind(), inputs);
  return inputs[0];
}

// ReLU --------------------------------------------------------------------------------------

template <class T>
void ReLU<T>::forward(const ForwardCtx<T>& ctx) {
  const T* x = ctx.in().data();  // (N, ...)
  T* y = ctx.out().data();       // (N, ...)
  check_same(ctx.in(), ctx.out(), kind());
  auto relu = &baseline::relu_forward<T>;  // y = max(x, 0), or the active tier's for float
  if constexpr (std::is_same_v<T, float>)
    if (kernels().relu_forward) relu = kernels().relu_forward;
  for_each_range(ctx.in().numel(), kParallelMin,
                 [=](int64_t b, int64_t e) { relu(e - b, x + b, y + b); });
}

template <class T>
void ReLU<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* x = ctx.in().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  auto relu = &baseline::relu_backward<T>;  // dx += dy where x > 0, or the active tier's
  if constexpr (std::is_same_v<T, float>)
    if (kernels().relu_backward) relu = kernels().relu_backward;
  for_each_range(ctx.in().numel(), kParallelMin,
                 [=](int64_t b, int64_t e) { relu(e - b, x + b, dy + b, dx + b); });
}

// LeakyReLU ---------------------------------------------------------------------------------

template <class T>
LeakyReLU<T>::LeakyReLU(double negative_slope) : slope_(negative_slope) {
  REDES_CHECK(std::isfinite(slope_), ConfigError, "leaky_relu: negative_slope must be finite");
}

template <class T>
void LeakyReLU<T>::forward(const ForwardCtx<T>& ctx) {
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  const T a = static_cast<T>(slope_);
  check_same(ctx.in(), ctx.out(), kind());
  for_each_index(ctx.in().numel(), [=](int64_t i) { y[i] = x[i] > T(0) ? x[i] : a * x[i]; });
}

template <class T>
void LeakyReLU<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* x = ctx.in().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  const T a = static_cast<T>(slope_);
  for_each_index(ctx.in().numel(), [=](int64_t i) {
    const T g = dy[i];
    dx[i] += x[i] > T(0) ? g : a * g;
  });
}

// Sigmoid -----------------------------------------------------------------------------------

template <class T>
void Sigmoid<T>::forward(const ForwardCtx<T>& ctx) {
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  check_same(ctx.in(), ctx.out(), kind());
  for_each_index(ctx.in().numel(), [=](int64_t i) { y[i] = sigmoid(x[i]); });
}

template <class T>
void Sigmoid<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* y = ctx.out().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  for_each_index(ctx.in().numel(), [=](int64_t i) { dx[i] += dy[i] * y[i] * (T(1) - y[i]); });
}

// Tanh --------------------------------------------------------------------------------------

template <class T>
void Tanh<T>::forward(const ForwardCtx<T>& ctx) {
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  check_same(ctx.in(), ctx.out(), kind());
  auto tanh = &baseline::tanh_forward<T>;  // or the active tier's for float
  if constexpr (std::is_same_v<T, float>)
    if (kernels().tanh_forward) tanh = kernels().tanh_forward;
  for_each_range(ctx.in().numel(), kParallelMin,
                 [=](int64_t b, int64_t e) { tanh(e - b, x + b, y + b); });
}

template <class T>
void Tanh<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* y = ctx.out().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  for_each_index(ctx.in().numel(), [=](int64_t i) { dx[i] += dy[i] * (T(1) - y[i] * y[i]); });
}

// GELU --------------------------------------------------------------------------------------

template <class T>
GELU<T>::GELU(const std::string& approximate) : tanh_(approximate == "tanh") {
  REDES_CHECK(approximate == "none" || approximate == "tanh", ConfigError,
              "gelu: approximate must be 'none' or 'tanh', got '" + approximate + "'");
}

namespace {

constexpr double kSqrt1_2 = 0.70710678118654752440;     // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi)
constexpr double kSqrt2_Pi = 0.79788456080286535588;    // sqrt(2 / pi)
constexpr double kGeluCubic = 0.044715;

// Exact GELU: y = x Phi(x); dy/dx = Phi(x) + x phi(x), phi the standard normal density.
template <class T>
T gelu_erf(T x) {
  return T(0.5) * x * (T(1) + std::erf(x * T(kSqrt1_2)));
}
template <class T>
T gelu_erf_grad(T x) {
  const T cdf = T(0.5) * (T(1) + std::erf(x * T(kSqrt1_2)));
  const T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
  return cdf + x * pdf;
}

// Tanh GELU: y = x (1 + t) / 2 with t = tanh(u), u = sqrt(2/pi) (x + c x^3);
// dy/dx = (1 + t) / 2 + x (1 - t^2) / 2 * du/dx, du/dx = sqrt(2/pi) (1 + 3 c x^2).
template <class T>
T gelu_tanh(T x) {
  const T t = std::tanh(T(kSqrt2_Pi) * (x + T(kGeluCubic) * x * x * x));
  return T(0.5) * x * (T(1) + t);
}
template <class T>
T gelu_tanh_grad(T x) {
  const T t = std::tanh(T(kSqrt2_Pi) * (x + T(kGeluCubic) * x * x * x));
  const T du = T(kSqrt2_Pi) * (T(1) + T(3 * kGeluCubic) * x * x);
  return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du;
}

}  // namespace

template <class T>
void GELU<T>::forward(const ForwardCtx<T>& ctx) {
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  check_same(ctx.in(), ctx.out(), kind());
  if (tanh_) {
    for_each_index(ctx.in().numel(), [=](int64_t i) { y[i] = gelu_tanh(x[i]); });
  } else {
    for_each_index(ctx.in().numel(), [=](int64_t i) { y[i] = gelu_erf(x[i]); });
  }
}

template <class T>
void GELU<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* x = ctx.in().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  if (tanh_) {
    for_each_index(ctx.in().numel(), [=](int64_t i) { dx[i] += dy[i] * gelu_tanh_grad(x[i]); });
  } else {
    for_each_index(ctx.in().numel(), [=](int64_t i) { dx[i] += dy[i] * gelu_erf_grad(x[i]); });
  }
}

// ELU and SELU -------------------------------------------------------------------------------

namespace {

// scale x for x > 0, else scale alpha (exp(x) - 1): PyTorch's elu kernel (input_scale 1), with
// expm1 for exp(x) - 1. Its gradient takes the x <= 0 branch at 0, as PyTorch's elu_backward.
template <class T>
void elu_forward(const ForwardCtx<T>& ctx, std::string_view kind, T alpha, T scale) {
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  check_same(ctx.in(), ctx.out(), kind);
  const T neg = alpha * scale;
  for_each_index(ctx.in().numel(),
                 [=](int64_t i) { y[i] = x[i] > T(0) ? scale * x[i] : neg * std::expm1(x[i]); });
}

template <class T>
void elu_backward(const BackwardCtx<T>& ctx, T alpha, T scale) {
  if (!ctx.wants_din()) return;
  const T* x = ctx.in().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  const T neg = alpha * scale;
  for_each_index(ctx.in().numel(), [=](int64_t i) {
    const T g = dy[i];
    dx[i] += x[i] > T(0) ? scale * g : neg * std::exp(x[i]) * g;
  });
}

}  // namespace

template <class T>
ELU<T>::ELU(double alpha) : alpha_(alpha) {
  REDES_CHECK(std::isfinite(alpha_), ConfigError, "elu: alpha must be finite");
}

template <class T>
void ELU<T>::forward(const ForwardCtx<T>& ctx) {
  elu_forward(ctx, kind(), static_cast<T>(alpha_), T(1));
}

template <class T>
void ELU<T>::backward(const BackwardCtx<T>& ctx) {
  elu_backward(ctx, static_cast<T>(alpha_), T(1));
}

template <class T>
void SELU<T>::forward(const ForwardCtx<T>& ctx) {
  elu_forward(ctx, kind(), static_cast<T>(kAlpha), static_cast<T>(kScale));
}

template <class T>
void SELU<T>::backward(const BackwardCtx<T>& ctx) {
  elu_backward(ctx, static_cast<T>(kAlpha), static_cast<T>(kScale));
}

// Softplus ----------------------------------------------------------------------------------

template <class T>
Softplus<T>::Softplus(double beta, double threshold) : beta_(beta), threshold_(threshold) {
  REDES_CHECK(std::isfinite(beta_) && beta_ > 0, ConfigError,
              "softplus: beta must be positive and finite");
  REDES_CHECK(std::isfinite(threshold_), ConfigError, "softplus: threshold must be finite");
}

template <class T>
void Softplus<T>::forward(const ForwardCtx<T>& ctx) {
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  const T beta = static_cast<T>(beta_), threshold = static_cast<T>(threshold_);
  check_same(ctx.in(), ctx.out(), kind());
  // log(1 + exp(b)) = max(b, 0) + log1p(exp(-|b|)): exp never overflows.
  for_each_index(ctx.in().numel(), [=](int64_t i) {
    const T b = x[i] * beta;
    y[i] = b > threshold ? x[i] : (std::max(b, T(0)) + std::log1p(std::exp(-std::abs(b)))) / beta;
  });
}

template <class T>
void Softplus<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* x = ctx.in().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  const T beta = static_cast<T>(beta_), threshold = static_cast<T>(threshold_);
  for_each_index(ctx.in().numel(), [=](int64_t i) {
    const T b = x[i] * beta;
    const T g = dy[i];
    dx[i] += b > threshold ? g : g * sigmoid(b);
  });
}

// Softsign ----------------------------------------------------------------------------------

template <class T>
void Softsign<T>::forward(const ForwardCtx<T>& ctx) {
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  check_same(ctx.in(), ctx.out(), kind());
  for_each_index(ctx.in().numel(), [=](int64_t i) { y[i] = x[i] / (T(1) + std::abs(x[i])); });
}

template <class T>
void Softsign<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* x = ctx.in().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  for_each_index(ctx.in().numel(), [=](int64_t i) {
    const T d = T(1) + std::abs(x[i]);
    dx[i] += dy[i] / (d * d);
  });
}

// HardSigmoid -------------------------------------------------------------------------------

template <class T>
HardSigmoid<T>::HardSigmoid(double alpha, double beta) : alpha_(alpha), beta_(beta) {
  REDES_CHECK(std::isfinite(alpha_) && std::isfinite(beta_), ConfigError,
              "hard_sigmoid: alpha and beta must be finite");
}

template <class T>
void HardSigmoid<T>::forward(const ForwardCtx<T>& ctx) {
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  const T a = static_cast<T>(alpha_), b = static_cast<T>(beta_);
  check_same(ctx.in(), ctx.out(), kind());
  for_each_index(ctx.in().numel(), [=](int64_t i) {
    const T u = a * x[i] + b;
    y[i] = u <= T(0) ? T(0) : (u >= T(1) ? T(1) : u);
  });
}

template <class T>
void HardSigmoid<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* x = ctx.in().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  const T a = static_cast<T>(alpha_), b = static_cast<T>(beta_);
  // With the defaults u is exactly 0 at x = -3 and exactly 1 at x = 3 (in float and double),
  // so the strict test is PyTorch's -3 < x < 3.
  for_each_index(ctx.in().numel(), [=](int64_t i) {
    const T u = a * x[i] + b;
    const T g = dy[i];
    dx[i] += u > T(0) && u < T(1) ? a * g : T(0);
  });
}

// Hardtanh ----------------------------------------------------------------------------------

template <class T>
Hardtanh<T>::Hardtanh(double min, double max) : min_(min), max_(max) {
  REDES_CHECK(std::isfinite(min_) && std::isfinite(max_) && min_ <= max_, ConfigError,
              "hardtanh: min and max must be finite with min <= max");
}

template <class T>
void Hardtanh<T>::forward(const ForwardCtx<T>& ctx) {
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  const T lo = static_cast<T>(min_), hi = static_cast<T>(max_);
  check_same(ctx.in(), ctx.out(), kind());
  for_each_index(ctx.in().numel(),
                 [=](int64_t i) { y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]); });
}

template <class T>
void Hardtanh<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* x = ctx.in().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  const T lo = static_cast<T>(min_), hi = static_cast<T>(max_);
  for_each_index(ctx.in().numel(), [=](int64_t i) {
    const T g = dy[i];
    dx[i] += x[i] <= lo || x[i] >= hi ? T(0) : g;
  });
}

// Softmax -----------------------------------------------------------------------------------

namespace {

// The shape rule of softmax and log_softmax: one input (..., K), K > 0, output the same.
Shape rows_of_logits(std::string_view kind, std::span<const Shape> inputs) {
  require_one_input(kind, inputs);
  REDES_CHECK(
      inputs[0].rank() >= 1 && inputs[0][-1] > 0, ShapeError,
      std::string(kind) + " needs a per-sample input (..., K) with K > 0, got " + inputs[0].str());
  return inputs[0];
}

}  // namespace

template <class T>
Shape Softmax<T>::setup(std::span<const Shape> inputs) {
  return rows_of_logits(kind(), inputs);
}

template <class T>
void Softmax<T>::forward(const ForwardCtx<T>& ctx) {
  check_same(ctx.in(), ctx.out(), kind());
  const int64_t k = ctx.in().dim(-1);  // x and y are (R, K): R rows of K logits
  const int64_t rows = ctx.in().numel() / k;
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  // One row per iteration, each summed serially: the same result with any thread count.
#pragma omp parallel for if (rows * k > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * k;
    T* yr = y + r * k;
    const T m = *std::max_element(xr, xr + k);
    T sum = T(0);
    for (int64_t j = 0; j < k; ++j) {
      yr[j] = std::exp(xr[j] - m);
      sum += yr[j];
    }
    const T inv = T(1) / sum;  // sum >= 1: the maximum contributes exp(0)
    for (int64_t j = 0; j < k; ++j) yr[j] *= inv;
  }
}

template <class T>
void Softmax<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const int64_t k = ctx.out().dim(-1);
  const int64_t rows = ctx.out().numel() / k;
  const T* y = ctx.out().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
#pragma omp parallel for if (rows * k > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const T* yr = y + r * k;
    const T* dyr = dy + r * k;
    T* dxr = dx + r * k;
    // The Jacobian dy_i/dx_j = y_i (delta_ij - y_j), applied to dy: y_i (dy_i - <dy, y>).
    T dot = T(0);
    for (int64_t j = 0; j < k; ++j) dot += dyr[j] * yr[j];
    for (int64_t j = 0; j < k; ++j) dxr[j] += yr[j] * (dyr[j] - dot);
  }
}

// LogSoftmax --------------------------------------------------------------------------------

template <class T>
Shape LogSoftmax<T>::setup(std::span<const Shape> inputs) {
  return rows_of_logits(kind(), inputs);
}

template <class T>
void LogSoftmax<T>::forward(const ForwardCtx<T>& ctx) {
  check_same(ctx.in(), ctx.out(), kind());
  const int64_t k = ctx.in().dim(-1);  // x and y are (R, K): R rows of K logits
  const int64_t rows = ctx.in().numel() / k;
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
#pragma omp parallel for if (rows * k > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * k;
    T* yr = y + r * k;
    const T m = *std::max_element(xr, xr + k);
    T sum = T(0);
    for (int64_t j = 0; j < k; ++j) sum += std::exp(xr[j] - m);
    const T lse = std::log(sum);  // sum >= 1: the maximum contributes exp(0)
    for (int64_t j = 0; j < k; ++j) yr[j] = (xr[j] - m) - lse;
  }
}

template <class T>
void LogSoftmax<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const int64_t k = ctx.out().dim(-1);
  const int64_t rows = ctx.out().numel() / k;
  const T* y = ctx.out().data();
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
#pragma omp parallel for if (rows * k > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const T* yr = y + r * k;
    const T* dyr = dy + r * k;
    T* dxr = dx + r * k;
    // The Jacobian dy_i/dx_j = delta_ij - softmax_j, with softmax_j = exp(y_j), applied to dy.
    T sum = T(0);
    for (int64_t j = 0; j < k; ++j) sum += dyr[j];
    for (int64_t j = 0; j < k; ++j) dxr[j] += dyr[j] - std::exp(yr[j]) * sum;
  }
}

template class ElementwiseActivation<float>;
template class ElementwiseActivation<double>;
template class ReLU<float>;
template class ReLU<double>;
template class LeakyReLU<float>;
template class LeakyReLU<double>;
template class Sigmoid<float>;
template class Sigmoid<double>;
template class Tanh<float>;
template class Tanh<double>;
template class GELU<float>;
template class GELU<double>;
template class ELU<float>;
template class ELU<double>;
template class SELU<float>;
template class SELU<double>;
template class Softplus<float>;
template class Softplus<double>;
template class Softsign<float>;
template class Softsign<double>;
template class HardSigmoid<float>;
template class HardSigmoid<double>;
template class Hardtanh<float>;
template class Hardtanh<double>;
template class Softmax<float>;
template class Softmax<double>;
template class LogSoftmax<float>;
template class LogSoftmax<double>;

}  // namespace redes
