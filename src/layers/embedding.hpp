// Embedding: a lookup table from token ids to learned vectors, as PyTorch's nn.Embedding:
//   y[..., :] = W[id[...], :],   ids (N, ...) stored as T, W is (vocab, dim), y is (N, ..., dim).
// Backward adds each output row's gradient into the row of W it was read from (a scatter-add:
// a token that occurs twice receives both gradients); the ids get no gradient (they are not
// differentiable), so the input gradient is left untouched. The padding_idx row receives no
// gradient and starts at 0, as in PyTorch: padding reads a constant zero vector.
#pragma once
#include <optional>

#include "redes/layer.hpp"

namespace redes {

template <class T>
class Embedding : public Layer<T> {
 public:
  // vocab > 0, dim > 0, padding_idx in [0, vocab) when given; ConfigError otherwise.
  Embedding(int64_t vocab, int64_t dim, std::optional<int64_t> padding_idx = std::nullopt);

  std::string_view kind() const override { return "embedding"; }
  // One input of per-sample shape (...), e.g. (T); returns (..., dim).
  Shape setup(std::span<const Shape> inputs) override;
  // W ~ N(0, 1), the padding_idx row 0 (nn.Embedding.reset_parameters).
  void init(Rng& rng) override;
  // Each id is rounded to the nearest integer; an id off an integer by more than 1e-3, or
  // outside [0, vocab), throws ShapeError naming it and its place.
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  std::vector<Param<T>*> params() override { return {&weight_}; }

  int64_t vocab() const { return vocab_; }
  int64_t dim() const { return dim_; }
  std::optional<int64_t> padding_idx() const { return padding_idx_; }

 private:
  int64_t vocab_, dim_;
  std::optional<int64_t> padding_idx_;
  Param<T> weight_{"weight"};  // (vocab, dim)
};

// The token id an element holds: value rounded to the nearest integer, checked against
// [0, vocab) and against being off an integer by more than 1e-3 (ShapeError naming `who` and
// the flat index i). Shared with the Mask layer.
template <class T>
int64_t token_id(T value, int64_t vocab, const char* who, int64_t i);

}  // namespace redes
