// Linear (fully connected) layer over the last dimension, as PyTorch's nn.Linear:
//   y = x W^T + b,   x is (N, ..., F), W is (units, F), b is (units), y is (N, ..., units).
#pragma once
#include <string>

#include "redes/layer.hpp"

namespace redes {

template <class T>
class Linear : public Layer<T> {
 public:
  // units > 0; init names a scheme of redes/init.hpp. Throws ConfigError otherwise.
  explicit Linear(int64_t units, bool bias = true, std::string init = "torch");

  std::string_view kind() const override { return "linear"; }
  // One input of per-sample shape (..., F); returns (..., units).
  Shape setup(std::span<const Shape> inputs) override;
  void init(Rng& rng) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  std::vector<Param<T>*> params() override;
  // F * units at each position of the input's leading dimensions.
  int64_t multiply_adds() const override { return positions_ * in_features_ * units_; }

  int64_t units() const { return units_; }
  int64_t in_features() const { return in_features_; }
  bool has_bias() const { return has_bias_; }

 private:
  int64_t units_;
  bool has_bias_;
  std::string init_;
  int64_t in_features_ = 0;
  int64_t positions_ = 1;      // the per-sample input's size without its last dimension
  Param<T> weight_{"weight"};  // (units, F)
  Param<T> bias_{"bias"};      // (units)
};

}  // namespace redes
