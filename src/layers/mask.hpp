// Mask: which steps of a padded sequence of token ids are real, for the `mask` input of the
// recurrent layers:  m[...] = 0 where id == pad, else 1;  ids (N, ...) -> m (N, ...).
// A config wires it beside the embedding:
//   embedding(inputs = ["input"]), mask(inputs = ["input"]),
//   lstm(inputs = ["embedding", "mask"], masked = true)
// The recurrent layers expect padding only at the end of a sequence (and say so otherwise).
// No gradient: the output is piecewise constant in the ids.
#pragma once
#include "redes/layer.hpp"

namespace redes {

template <class T>
class Mask : public Layer<T> {
 public:
  explicit Mask(int64_t pad = 0) : pad_(pad) {}

  std::string_view kind() const override { return "mask"; }
  // One input of any per-sample shape; output of the same shape.
  Shape setup(std::span<const Shape> inputs) override;
  // Ids are rounded to the nearest integer; one off an integer by more than 1e-3 throws
  // ShapeError (as Embedding).
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override {}

  int64_t pad() const { return pad_; }

 private:
  int64_t pad_;
};

}  // namespace redes
