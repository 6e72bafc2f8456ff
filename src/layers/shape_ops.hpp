// Layers that change only the shape of each sample or pick and reorder its values, never compute
// new ones:
//   Flatten: any per-sample shape -> (numel), as PyTorch's nn.Flatten (start_dim 1);
//   Reshape: -> the given shape, one entry may be -1 (inferred). An image (1, 28, 28) reshaped
//            to [28, 28] is a sequence of 28 steps of 28 features for an LSTM.
//   Slice:   the entries [start, end) of one axis, as x[:, start:end] in PyTorch (the batch
//            axis is never sliced); x[:, -1] of an LSTM's sequence is axis 0, start -1.
//   Permute: the axes reordered, as x.permute(0, 1 + dims...) in PyTorch (the batch stays first).
// Forward copies x into y (the picked or reordered entries); backward adds dy into dx there.
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

// Python's rules for the bounds: negative counts from the end, out-of-range clamps; the result
// must hold at least one entry.
template <class T>
class Slice : public Layer<T> {
 public:
  Slice(int64_t axis, int64_t start, int64_t end);
  std::string_view kind() const override { return "slice"; }
  // Throws ShapeError for an axis outside the per-sample rank or an empty result.
  Shape setup(std::span<const Shape> inputs) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  int64_t axis() const { return axis_; }
  // The resolved bounds, once setup() has seen the input: 0 <= begin() < end() <= size.
  int64_t begin() const { return begin_; }
  int64_t end() const { return end_; }

 private:
  int64_t axis_, start_, stop_;
  int64_t begin_ = 0, end_ = 0;
  int64_t outer_ = 1, size_ = 1, inner_ = 1;  // the input as (outer, size, inner) per sample
};

template <class T>
class Permute : public Layer<T> {
 public:
  // dims: a permutation of 0..rank-1 of the per-sample axes. Throws ConfigError otherwise.
  explicit Permute(std::vector<int64_t> dims);
  std::string_view kind() const override { return "permute"; }
  Shape setup(std::span<const Shape> inputs) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  const std::vector<int64_t>& dims() const { return dims_; }

 private:
  // For each output entry (per sample, row-major), the input entry it copies.
  std::vector<int64_t> dims_, source_;
};

}  // namespace redes
