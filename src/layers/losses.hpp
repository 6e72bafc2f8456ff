// The losses of redes/loss.hpp. Each returns the mean PyTorch's reduction="mean" gives and
// adds scale * d loss / d pred into grad_pred. Sums run serially in double, so the result does
// not depend on the thread count.
#pragma once
#include <string>
#include <vector>

#include "redes/loss.hpp"

namespace redes {

// Binary cross-entropy on logits x with targets y in [0, 1], as nn.BCEWithLogitsLoss:
//   l = -y log s(x) - (1 - y) log(1 - s(x)) = max(x, 0) - x y + log(1 + exp(-|x|)),
// the right-hand form never overflows. dl/dx = s(x) - y. Mean over all elements.
template <class T>
class BceWithLogitsLoss : public Loss<T> {
 public:
  std::string_view kind() const override { return "bce_logits"; }
  T forward(TensorView<const T> pred, TensorView<const T> target) override;
  void backward(TensorView<const T> pred, TensorView<const T> target, T scale,
                TensorView<T> grad_pred) override;
};

// Cross-entropy of softmax(x) against class indices, as nn.CrossEntropyLoss:
//   l_n = logsumexp(x_n) - x_n[y_n],   loss = sum_n w[y_n] l_n / sum_n w[y_n]
// with w the class weights (all 1 when none are given); dl_n/dx_n = softmax(x_n) - onehot(y_n).
// pred is (N, K) logits and target (N) class indices stored as T; or, for a prediction per
// step, pred (N, ..., K) and target (N, ...): the leading dimensions are flattened into rows
// (nn.CrossEntropyLoss on pred.reshape(-1, K), target.reshape(-1)). A target of -1 is ignored
// (ignore_index=-1): that row adds nothing to the sums above and gets no gradient, so the
// loss is the (weighted) mean over the other rows. A batch whose rows all have weight 0 or are
// all ignored has loss 0 and gradient 0 (PyTorch gives NaN).
template <class T>
class SoftmaxCrossEntropyLoss : public Loss<T> {
 public:
  // Weights must be finite and >= 0 (ConfigError); empty means all 1.
  explicit SoftmaxCrossEntropyLoss(std::vector<double> class_weights = {});
  std::string_view kind() const override { return "softmax_cross_entropy"; }
  T forward(TensorView<const T> pred, TensorView<const T> target) override;
  void backward(TensorView<const T> pred, TensorView<const T> target, T scale,
                TensorView<T> grad_pred) override;
  double total_weight(TensorView<const T> pred, TensorView<const T> target) override {
    return check_and_weigh(pred, target);
  }

 private:
  // The target that marks a row to ignore.
  static constexpr double kIgnore = -1.0;
  // Checks the shapes and every target index; returns sum_n w[y_n] over the rows not ignored.
  double check_and_weigh(const TensorView<const T>& pred, const TensorView<const T>& target) const;
  double weight(int64_t cls) const { return weights_.empty() ? 1.0 : weights_[cls]; }
  std::vector<double> weights_;
};

// Mean squared error, nn.MSELoss: l = (x - y)^2, dl/dx = 2 (x - y).
template <class T>
class MseLoss : public Loss<T> {
 public:
  std::string_view kind() const override { return "mse"; }
  T forward(TensorView<const T> pred, TensorView<const T> target) override;
  void backward(TensorView<const T> pred, TensorView<const T> target, T scale,
                TensorView<T> grad_pred) override;
};

// Mean absolute error, nn.L1Loss: l = |x - y|, dl/dx = sign(x - y), 0 where x == y.
template <class T>
class MaeLoss : public Loss<T> {
 public:
  std::string_view kind() const override { return "mae"; }
  T forward(TensorView<const T> pred, TensorView<const T> target) override;
  void backward(TensorView<const T> pred, TensorView<const T> target, T scale,
                TensorView<T> grad_pred) override;
};

// Huber loss, nn.HuberLoss(delta): with d = x - y,
//   l = d^2 / 2                    for |d| < delta  (quadratic near the target),
//   l = delta (|d| - delta / 2)    otherwise        (linear: outliers pull with force delta);
// dl/dx = d, or delta sign(d). delta > 0 (ConfigError otherwise).
template <class T>
class HuberLoss : public Loss<T> {
 public:
  explicit HuberLoss(double delta = 1.0);
  std::string_view kind() const override { return "huber"; }
  T forward(TensorView<const T> pred, TensorView<const T> target) override;
  void backward(TensorView<const T> pred, TensorView<const T> target, T scale,
                TensorView<T> grad_pred) override;

 private:
  double delta_;
};

// The kinds make_loss knows, in the order of the error message.
std::vector<std::string> loss_kinds();

}  // namespace redes
