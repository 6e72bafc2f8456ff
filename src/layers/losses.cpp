#include "layers/losses.hpp"

#include <algorithm>
#include <cmath>

namespace redes {
namespace {

// pred and target hold the same number of elements (their shapes may differ: (N, 1) vs (N)).
template <class T>
void check_elementwise(std::string_view kind, const TensorView<const T>& pred,
                       const TensorView<const T>& target) {
  REDES_CHECK(pred.numel() == target.numel() && pred.numel() > 0, ShapeError,
              std::string(kind) + ": prediction " + pred.shape().str() + " and target " +
                  target.shape().str() + " must hold the same, non-zero number of elements");
}

template <class T>
void check_grad(std::string_view kind, const TensorView<const T>& pred, const TensorView<T>& grad) {
  REDES_CHECK(grad.numel() == pred.numel(), ShapeError,
              std::string(kind) + ": gradient " + grad.shape().str() +
                  " does not match prediction " + pred.shape().str());
}

// s(x) - y without cancellation: for x >= 0, s(x) = 1 - e / (1 + e) with e = exp(-x), so
// s(x) - y = (1 - y) - e / (1 + e), which keeps the tiny gradient of a confident right answer
// (x = 50, y = 1 gives -1.9e-22, where 1 / (1 + e) - 1 rounds to 0); for x < 0, s(x) = e / (1 + e)
// with e = exp(x), and nothing overflows.
template <class T>
T sigmoid_minus(T x, T y) {
  if (x >= T(0)) {
    const T e = std::exp(-x);
    return (T(1) - y) - e / (T(1) + e);
  }
  const T e = std::exp(x);
  return e / (T(1) + e) - y;
}

}  // namespace

// bce_logits --------------------------------------------------------------------------------

template <class T>
T BceWithLogitsLoss<T>::forward(TensorView<const T> pred, TensorView<const T> target) {
  check_elementwise(kind(), pred, target);
  double sum = 0;
  for (int64_t i = 0; i < pred.numel(); ++i) {
    const double x = pred[i], y = target[i];
    sum += std::max(x, 0.0) - x * y + std::log1p(std::exp(-std::abs(x)));
  }
  return static_cast<T>(sum / static_cast<double>(pred.numel()));
}

template <class T>
void BceWithLogitsLoss<T>::backward(TensorView<const T> pred, TensorView<const T> target, T scale,
                                    TensorView<T> grad_pred) {
  check_elementwise(kind(), pred, target);
  check_grad(kind(), pred, grad_pred);
  const T s = scale / static_cast<T>(pred.numel());
  for (int64_t i = 0; i < pred.numel(); ++i) grad_pred[i] += s * sigmoid_minus(pred[i], target[i]);
}

// softmax_cross_entropy ---------------------------------------------------------------------

template <class T>
SoftmaxCrossEntropyLoss<T>::SoftmaxCrossEntropyLoss(std::vector<double> class_weights)
    : weights_(std::move(class_weights)) {
  for (size_t c = 0; c < weights_.size(); ++c) {
    REDES_CHECK(std::isfinite(weights_[c]) && weights_[c] >= 0.0, ConfigError,
                "softmax_cross_entropy: class weight " + std::to_string(c) +
                    " must be finite and >= 0, got " + std::to_string(weights_[c]));
  }
}

template <class T>
double SoftmaxCrossEntropyLoss<T>::check_and_weigh(const TensorView<const T>& pred,
                                                   const TensorView<const T>& target) const {
  // pred (N, ..., K) is rows (R, K) with R = N * ...; target holds one index per row.
  const int64_t k = pred.rank() >= 2 ? pred.dim(-1) : 0;
  REDES_CHECK(pred.rank() >= 2 && pred.dim(0) > 0 && k > 0 && target.numel() == pred.numel() / k,
              ShapeError,
              "softmax_cross_entropy: prediction must be (N, K) or (N, ..., K) logits and target "
              "(N) or (N, ...) class indices, got prediction " +
                  pred.shape().str() + " and target " + target.shape().str());
  const int64_t rows = target.numel();
  REDES_CHECK(weights_.empty() || static_cast<int64_t>(weights_.size()) == k, ShapeError,
              "softmax_cross_entropy: " + std::to_string(weights_.size()) +
                  " class weights for prediction " + pred.shape().str() + " with " +
                  std::to_string(k) + " classes");
  double total = 0;
  for (int64_t i = 0; i < rows; ++i) {
    const double t = target[i];
    if (t == kIgnore) continue;
    REDES_CHECK(t >= 0 && t < static_cast<double>(k) && t == std::floor(t), ShapeError,
                "softmax_cross_entropy: target " + std::to_string(t) + " of row " +
                    std::to_string(i) + " is not a class index in [0, " + std::to_string(k) +
                    ") nor -1 (ignored)");
    total += weight(static_cast<int64_t>(t));
  }
  return total;
}

template <class T>
T SoftmaxCrossEntropyLoss<T>::forward(TensorView<const T> pred, TensorView<const T> target) {
  const double total_weight = check_and_weigh(pred, target);
  if (total_weight == 0.0) return T(0);
  const int64_t k = pred.dim(-1), rows = target.numel();
  double sum = 0;
  for (int64_t i = 0; i < rows; ++i) {
    if (static_cast<double>(target[i]) == kIgnore) continue;
    const T* x = pred.data() + i * k;  // the logits of row i, (K)
    const int64_t y = static_cast<int64_t>(target[i]);
    // logsumexp(x) = m + log sum_j exp(x_j - m), m = max_j x_j, so no exp overflows.
    const double m = *std::max_element(x, x + k);
    double z = 0;
    for (int64_t j = 0; j < k; ++j) z += std::exp(static_cast<double>(x[j]) - m);
    sum += weight(y) * (m + std::log(z) - static_cast<double>(x[y]));
  }
  return static_cast<T>(sum / total_weight);
}

template <class T>
void SoftmaxCrossEntropyLoss<T>::backward(TensorView<const T> pred, TensorView<const T> target,
                                          T scale, TensorView<T> grad_pred) {
  check_grad(kind(), pred, grad_pred);
  const double total_weight = check_and_weigh(pred, target);
  if (total_weight == 0.0) return;
  const int64_t k = pred.dim(-1), rows = target.numel();
  for (int64_t i = 0; i < rows; ++i) {
    if (static_cast<double>(target[i]) == kIgnore) continue;  // an ignored row: no gradient
    const T* x = pred.data() + i * k;
    T* g = grad_pred.data() + i * k;
    const int64_t y = static_cast<int64_t>(target[i]);
    const double m = *std::max_element(x, x + k);
    double z = 0;
    for (int64_t j = 0; j < k; ++j) z += std::exp(static_cast<double>(x[j]) - m);
    // d loss / d x_ij = w[y_i] / sum w * (softmax_j - [j == y_i])
    const double s = static_cast<double>(scale) * weight(y) / total_weight;
    for (int64_t j = 0; j < k; ++j) {
      const double p = std::exp(static_cast<double>(x[j]) - m) / z;
      g[j] += static_cast<T>(s * (p - (j == y ? 1.0 : 0.0)));
    }
  }
}

// mse ---------------------------------------------------------------------------------------

template <class T>
T MseLoss<T>::forward(TensorView<const T> pred, TensorView<const T> target) {
  check_elementwise(kind(), pred, target);
  double sum = 0;
  for (int64_t i = 0; i < pred.numel(); ++i) {
    const double d = static_cast<double>(pred[i]) - target[i];
    sum += d * d;
  }
  return static_cast<T>(sum / static_cast<double>(pred.numel()));
}

template <class T>
void MseLoss<T>::backward(TensorView<const T> pred, TensorView<const T> target, T scale,
                          TensorView<T> grad_pred) {
  check_elementwise(kind(), pred, target);
  check_grad(kind(), pred, grad_pred);
  const T s = T(2) * scale / static_cast<T>(pred.numel());
  for (int64_t i = 0; i < pred.numel(); ++i) grad_pred[i] += s * (pred[i] - target[i]);
}

// mae ---------------------------------------------------------------------------------------

template <class T>
T MaeLoss<T>::forward(TensorView<const T> pred, TensorView<const T> target) {
  check_elementwise(kind(), pred, target);
  double sum = 0;
  for (int64_t i = 0; i < pred.numel(); ++i)
    sum += std::abs(static_cast<double>(pred[i]) - target[i]);
  return static_cast<T>(sum / static_cast<double>(pred.numel()));
}

template <class T>
void MaeLoss<T>::backward(TensorView<const T> pred, TensorView<const T> target, T scale,
                          TensorView<T> grad_pred) {
  check_elementwise(kind(), pred, target);
  check_grad(kind(), pred, grad_pred);
  const T s = scale / static_cast<T>(pred.numel());
  for (int64_t i = 0; i < pred.numel(); ++i) {
    const T d = pred[i] - target[i];
    grad_pred[i] += d > T(0) ? s : (d < T(0) ? -s : T(0));
  }
}

// huber -------------------------------------------------------------------------------------

template <class T>
HuberLoss<T>::HuberLoss(double delta) : delta_(delta) {
  REDES_CHECK(std::isfinite(delta_) && delta_ > 0.0, ConfigError,
              "huber: delta must be positive, got " + std::to_string(delta_));
}

template <class T>
T HuberLoss<T>::forward(TensorView<const T> pred, TensorView<const T> target) {
  check_elementwise(kind(), pred, target);
  double sum = 0;
  for (int64_t i = 0; i < pred.numel(); ++i) {
    const double a = std::abs(static_cast<double>(pred[i]) - target[i]);
    sum += a < delta_ ? 0.5 * a * a : delta_ * (a - 0.5 * delta_);
  }
  return static_cast<T>(sum / static_cast<double>(pred.numel()));
}

template <class T>
void HuberLoss<T>::backward(TensorView<const T> pred, TensorView<const T> target, T scale,
                            TensorView<T> grad_pred) {
  check_elementwise(kind(), pred, target);
  check_grad(kind(), pred, grad_pred);
  const T s = scale / static_cast<T>(pred.numel());
  const T delta = static_cast<T>(delta_);
  // d clamped to [-delta, delta]: the slope of the quadratic inside, +-delta outside.
  for (int64_t i = 0; i < pred.numel(); ++i) {
    grad_pred[i] += s * std::clamp(pred[i] - target[i], -delta, delta);
  }
}

// make_loss ---------------------------------------------------------------------------------

std::vector<std::string> loss_kinds() {
  return {"bce_logits", "softmax_cross_entropy", "mse", "mae", "huber"};
}

template <class T>
std::unique_ptr<Loss<T>> make_loss(const LossSpec& spec) {
  const std::string& k = spec.kind;
  const auto kinds = loss_kinds();
  if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) {
    std::string known;
    for (const auto& name : kinds) known += (known.empty() ? "" : ", ") + name;
    throw ConfigError("unknown loss kind '" + k + "' (known: " + known + ")");
  }
  REDES_CHECK(spec.class_weights.empty() || k == "softmax_cross_entropy", ConfigError,
              "loss '" + k + "' takes no class weights (only softmax_cross_entropy does)");
  if (k == "bce_logits") return std::make_unique<BceWithLogitsLoss<T>>();
  if (k == "softmax_cross_entropy")
    return std::make_unique<SoftmaxCrossEntropyLoss<T>>(spec.class_weights);
  if (k == "mse") return std::make_unique<MseLoss<T>>();
  if (k == "mae") return std::make_unique<MaeLoss<T>>();
  return std::make_unique<HuberLoss<T>>(spec.huber_delta);  // k == "huber"
}

template class BceWithLogitsLoss<float>;
template class BceWithLogitsLoss<double>;
template class SoftmaxCrossEntropyLoss<float>;
template class SoftmaxCrossEntropyLoss<double>;
template class MseLoss<float>;
template class MseLoss<double>;
template class MaeLoss<float>;
template class MaeLoss<double>;
template class HuberLoss<float>;
template class HuberLoss<double>;
template std::unique_ptr<Loss<float>> make_loss<float>(const LossSpec&);
template std::unique_ptr<Loss<double>> make_loss<double>(const LossSpec&);

}  // namespace redes
