// Layers that merge several inputs (named in the layer's `inputs`; the graph wires them):
//   Add:    y = x_0 + x_1 + ... (2 or more inputs of one shape), a residual connection;
//           dx_i += dy for every i.
//   Concat: the inputs joined along one axis of the per-sample shape (axis 0, the channel axis
//           of (C, H, W), by default; negative axes count from the end); every other dimension
//           must agree. dx_i += its slice of dy.
// An input gradient may be empty() (the model input needs none): it is skipped.
#pragma once
#include <vector>

#include "redes/layer.hpp"

namespace redes {

template <class T>
class Add : public Layer<T> {
 public:
  std::string_view kind() const override { return "add"; }
  // Two or more inputs of the same shape; returns it. Throws ShapeError otherwise.
  Shape setup(std::span<const Shape> inputs) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
};

template <class T>
class Concat : public Layer<T> {
 public:
  explicit Concat(int64_t axis = 0) : axis_(axis) {}
  std::string_view kind() const override { return "concat"; }
  // Two or more inputs of one rank that agree except along the axis. Throws ShapeError
  // otherwise (or for an axis outside the rank).
  Shape setup(std::span<const Shape> inputs) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  int64_t axis() const { return axis_; }

 private:
  int64_t axis_;
  // A per-sample shape is (outer, dim along the axis, inner); input i contributes
  // chunk_[i] = its dim * inner contiguous values to every outer block.
  int64_t outer_ = 0, out_chunk_ = 0;
  std::vector<int64_t> chunk_;
};

}  // namespace redes
