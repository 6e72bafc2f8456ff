// Layers that change only the shape of each sample, never its values (row-major order is kept):
//   Flatten: any per-sample shape -> (numel), as PyTorch's nn.Flatten (start_dim 1);
//   Reshape: -> the given shape, one entry may be -1 (inferred). An image (1, 28, 28) reshaped
//            to [28, 28] is a sequence of 28 steps of 28 features for an LSTM.
// Forward copies x into y; backward adds dy into dx.
#pragma once
#include <vector>

#include "redes/layer.hpp"

namespace redes {

template <class T>
class Flatten : public Layer<T> {
 public:
  std::string_view kind() const override { return "flatten"; }
  Shape setup(std::span<const Shape> inputs) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
};

template <class T>
class Reshape : public Layer<T> {
 public:
  // Every entry positive, except at most one -1. Throws ConfigError otherwise.
  explicit Reshape(std::vector<int64_t> shape);
  std::string_view kind() const override { return "reshape"; }
  // Throws ShapeError when the element counts cannot agree.
  Shape setup(std::span<const Shape> inputs) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  const std::vector<int64_t>& target() const { return target_; }

 private:
  std::vector<int64_t> target_;
};

}  // namespace redes
