// Activation layers: element-wise ReLU, LeakyReLU, Sigmoid, Tanh, GELU, ELU, SELU, Softplus,
// Softsign, HardSigmoid and Hardtanh, and Softmax and LogSoftmax over the last dimension. Each
// takes one input x (N, ...) and gives y of the same shape.
#pragma once
#include <string>

#include "redes/layer.hpp"

namespace redes {

// The shared shape rule of the element-wise activations: one input, output of the same shape.
template <class T>
class ElementwiseActivation : public Layer<T> {
 public:
  Shape setup(std::span<const Shape> inputs) override;
};

// y = max(x, 0); dy/dx = 1 for x > 0, else 0 (0 at the kink, as PyTorch).
template <class T>
class ReLU : public ElementwiseActivation<T> {
 public:
  std::string_view kind() const override { return "relu"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
};

// y = x for x > 0, else negative_slope * x.
template <class T>
class LeakyReLU : public ElementwiseActivation<T> {
 public:
  explicit LeakyReLU(double negative_slope = 0.01);
  std::string_view kind() const override { return "leaky_relu"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  double negative_slope() const { return slope_; }

 private:
  double slope_;
};

// y = 1 / (1 + exp(-x)); dy/dx = y (1 - y).
template <class T>
class Sigmoid : public ElementwiseActivation<T> {
 public:
  std::string_view kind() const override { return "sigmoid"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
};

// y = tanh(x); dy/dx = 1 - y^2.
template <class T>
class Tanh : public ElementwiseActivation<T> {
 public:
  std::string_view kind() const override { return "tanh"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
};

// y = x Phi(x), Phi the standard normal CDF, as PyTorch's nn.GELU:
//   approximate "none": Phi(x) = (1 + erf(x / sqrt 2)) / 2, exactly;
//   approximate "tanh": Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2.
// Throws ConfigError for another approximate.
template <class T>
class GELU : public ElementwiseActivation<T> {
 public:
  explicit GELU(const std::string& approximate = "none");
  std::string_view kind() const override { return "gelu"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  bool tanh_approximation() const { return tanh_; }

 private:
  bool tanh_;
};

// y = x for x > 0, else alpha (exp(x) - 1), as PyTorch's nn.ELU; dy/dx = 1 for x > 0, else
// alpha exp(x) (alpha at 0, as PyTorch: the x <= 0 branch). Throws ConfigError unless alpha is
// finite.
template <class T>
class ELU : public ElementwiseActivation<T> {
 public:
  explicit ELU(double alpha = 1.0);
  std::string_view kind() const override { return "elu"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  double alpha() const { return alpha_; }

 private:
  double alpha_;
};

// y = scale x for x > 0, else scale alpha (exp(x) - 1), as PyTorch's nn.SELU (ELU scaled, with
// the constants below); dy/dx = scale for x > 0, else scale alpha exp(x) (also at 0).
template <class T>
class SELU : public ElementwiseActivation<T> {
 public:
  static constexpr double kAlpha = 1.6732632423543772848170429916717;
  static constexpr double kScale = 1.0507009873554804934193349852946;
  std::string_view kind() const override { return "selu"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
};

// y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold (strictly), as PyTorch's
// nn.Softplus; dy/dx = sigmoid(beta x), and 1 where beta x > threshold. Evaluated as
// (max(bx, 0) + log1p(exp(-|bx|))) / beta, which equals PyTorch's log1p(exp(bx)) / beta but
// stays finite for a threshold above exp's range. Throws ConfigError unless beta > 0 and both
// are finite.
template <class T>
class Softplus : public ElementwiseActivation<T> {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0);
  std::string_view kind() const override { return "softplus"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  double beta() const { return beta_; }
  double threshold() const { return threshold_; }

 private:
  double beta_, threshold_;
};

// y = x / (1 + |x|), as PyTorch's nn.Softsign; dy/dx = 1 / (1 + |x|)^2.
template <class T>
class Softsign : public ElementwiseActivation<T> {
 public:
  std::string_view kind() const override { return "softsign"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
};

// y = max(0, min(1, alpha x + beta)); dy/dx = alpha where 0 < alpha x + beta < 1 strictly, else
// 0 (0 on both boundaries). With the defaults alpha 1/6, beta 1/2 it is PyTorch's
// nn.Hardsigmoid (relu6(x + 3) / 6, gradient 1/6 for -3 < x < 3); alpha and beta are general,
// for ONNX's HardSigmoid (alpha 0.2 by default) and Keras's hard_sigmoid. Throws ConfigError
// unless both are finite.
template <class T>
class HardSigmoid : public ElementwiseActivation<T> {
 public:
  explicit HardSigmoid(double alpha = 1.0 / 6, double beta = 0.5);
  std::string_view kind() const override { return "hard_sigmoid"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  double alpha() const { return alpha_; }
  double beta() const { return beta_; }

 private:
  double alpha_, beta_;
};

// y = min(max(x, min), max), as PyTorch's nn.Hardtanh (ReLU6 is min 0, max 6; ONNX's Clip);
// dy/dx = 1 where min < x < max strictly, else 0 (0 on both boundaries, as PyTorch's
// hardtanh_backward). Throws ConfigError unless both are finite and min <= max (min == max
// gives a constant, as F.hardtanh and Clip do; nn.Hardtanh itself asserts min < max).
template <class T>
class Hardtanh : public ElementwiseActivation<T> {
 public:
  explicit Hardtanh(double min = -1.0, double max = 1.0);
  std::string_view kind() const override { return "hardtanh"; }
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  double min() const { return min_; }
  double max() const { return max_; }

 private:
  double min_, max_;
};

// y_i = exp(x_i - m) / sum_j exp(x_j - m) over the last dimension, m the row's maximum
// (subtracting m changes nothing mathematically and keeps exp from overflowing).
// dx_i = y_i (dy_i - sum_j dy_j y_j).
template <class T>
class Softmax : public Layer<T> {
 public:
  std::string_view kind() const override { return "softmax"; }
  // One input of per-sample rank >= 1; output of the same shape.
  Shape setup(std::span<const Shape> inputs) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
};

// y_i = (x_i - m) - log(sum_j exp(x_j - m)) over the last dimension, m the row's maximum, as
// PyTorch's F.log_softmax(x, dim=-1) (finite for any finite logits);
// dx_i = dy_i - exp(y_i) sum_j dy_j.
template <class T>
class LogSoftmax : public Layer<T> {
 public:
  std::string_view kind() const override { return "log_softmax"; }
  // One input of per-sample rank >= 1; output of the same shape.
  Shape setup(std::span<const Shape> inputs) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
};

}  // namespace redes
