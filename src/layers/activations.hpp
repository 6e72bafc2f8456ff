// Activation layers: element-wise ReLU, LeakyReLU, Sigmoid, Tanh, GELU, and Softmax over the
// last dimension. Each takes one input x (N, ...) and gives y of the same shape.
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

}  // namespace redes
