// Losses: a mean over the samples of a batch, and its gradient.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redes/tensor.hpp"

namespace redes {

template <class T>
class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string_view kind() const = 0;
  // pred is (N, ...). target has the same number of elements as pred, except for
  // softmax_cross_entropy where pred is (N, ..., K) and target is (N, ...) class indices
  // stored as T; a target of -1 is ignored (padding), as PyTorch's ignore_index=-1.
  // Returns the loss averaged as PyTorch's reduction="mean" does.
  virtual T forward(TensorView<const T> pred, TensorView<const T> target) = 0;
  // grad_pred += scale * d loss / d pred
  virtual void backward(TensorView<const T> pred, TensorView<const T> target, T scale,
                        TensorView<T> grad_pred) = 0;
  // What forward's mean divides by: the number of elements, unless the loss weighs them
  // (softmax_cross_entropy: the class weights of the targets not ignored). Under MPI the ranks'
  // shares of a batch count by it, so that their means add up to the batch's.
  virtual double total_weight(TensorView<const T> pred, TensorView<const T> target) {
    return static_cast<double>(pred.numel());
  }
};

struct LossSpec {
  // "bce_logits" (binary cross-entropy on logits), "softmax_cross_entropy", "mse", "mae", "huber"
  std::string kind = "bce_logits";
  std::vector<double> class_weights;  // softmax_cross_entropy: one weight per class (empty: all 1)
  double huber_delta = 1.0;
};

template <class T>
std::unique_ptr<Loss<T>> make_loss(const LossSpec& spec);

}  // namespace redes
