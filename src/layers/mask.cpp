#include "layers/mask.hpp"

#include <limits>
#include <string>

#include "layers/embedding.hpp"

namespace redes {

template <class T>
Shape Mask<T>::setup(std::span<const Shape> inputs) {
  REDES_CHECK(inputs.size() == 1, ShapeError,
              "mask takes 1 input (token ids), got " + std::to_string(inputs.size()));
  return inputs[0];
}

template <class T>
void Mask<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& ids = ctx.in();  // (N, ...)
  const auto& m = ctx.out();   // (N, ...)
  REDES_CHECK(ids.shape() == m.shape(), ShapeError,
              "mask: input " + ids.shape().str() + " and output " + m.shape().str() + " differ");
  // Any integer is a valid id here (the vocabulary is the embedding's business).
  constexpr int64_t kAnyId = std::numeric_limits<int64_t>::max();
  for (int64_t i = 0; i < ids.numel(); ++i) {
    const T v = ids[i];
    const int64_t id = v < T(0) ? -token_id(-v, kAnyId, "mask", i) : token_id(v, kAnyId, "mask", i);
    m[i] = id == pad_ ? T(0) : T(1);
  }
}

template class Mask<float>;
template class Mask<double>;

}  // namespace redes
