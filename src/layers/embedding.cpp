#include "layers/embedding.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "redes/init.hpp"

namespace redes {

template <class T>
int64_t token_id(T value, int64_t vocab, const char* who, int64_t i) {
  const double v = static_cast<double>(value);
  const double r = std::nearbyint(v);
  REDES_CHECK(std::isfinite(v) && std::abs(v - r) <= 1e-3, ShapeError,
              std::string(who) + ": element " + std::to_string(i) + " is " + std::to_string(v) +
                  ", not an integer token id");
  char id[32];
  std::snprintf(id, sizeof id, "%.0f", r);
  REDES_CHECK(r >= 0 && r < static_cast<double>(vocab), ShapeError,
              std::string(who) + ": token id " + id + " at element " + std::to_string(i) +
                  " is outside [0, " + std::to_string(vocab) + ")");
  return static_cast<int64_t>(r);
}

template <class T>
Embedding<T>::Embedding(int64_t vocab, int64_t dim, std::optional<int64_t> padding_idx)
    : vocab_(vocab), dim_(dim), padding_idx_(padding_idx) {
  REDES_CHECK(vocab_ > 0, ConfigError,
              "embedding: vocab must be positive, got " + std::to_string(vocab_));
  REDES_CHECK(dim_ > 0, ConfigError,
              "embedding: dim must be positive, got " + std::to_string(dim_));
  REDES_CHECK(!padding_idx_ || (*padding_idx_ >= 0 && *padding_idx_ < vocab_), ConfigError,
              "embedding: padding_idx must be in [0, vocab = " + std::to_string(vocab_) +
                  "), got " + std::to_string(padding_idx_.value_or(0)));
}

template <class T>
Shape Embedding<T>::setup(std::span<const Shape> inputs) {
  REDES_CHECK(inputs.size() == 1, ShapeError,
              "embedding takes 1 input (token ids), got " + std::to_string(inputs.size()));
  weight_.shape = Shape{vocab_, dim_};
  std::vector<int64_t> out = inputs[0].dims();
  out.push_back(dim_);
  return Shape(std::move(out));
}

template <class T>
void Embedding<T>::init(Rng& rng) {
  normal(weight_.values(), 0.0, 1.0, rng);
  if (padding_idx_)
    std::fill(weight_.value + *padding_idx_ * dim_, weight_.value + (*padding_idx_ + 1) * dim_,
              T(0));
}

template <class T>
void Embedding<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& ids = ctx.in();  // (N, ...)
  const auto& y = ctx.out();   // (N, ..., dim)
  REDES_CHECK(y.numel() == ids.numel() * dim_, ShapeError,
              "embedding: output " + y.shape().str() + " does not fit ids " + ids.shape().str() +
                  " times dim " + std::to_string(dim_));
  for (int64_t i = 0; i < ids.numel(); ++i) {
    const T* row = weight_.value + token_id(ids[i], vocab_, "embedding", i) * dim_;
    std::copy(row, row + dim_, y.data() + i * dim_);
  }
}

template <class T>
void Embedding<T>::backward(const BackwardCtx<T>& ctx) {
  const auto& ids = ctx.in();   // (N, ...)
  const auto& dy = ctx.dout();  // (N, ..., dim)
  // dW[id] += dy row, in element order (a fixed order: the sums do not depend on threads).
  for (int64_t i = 0; i < ids.numel(); ++i) {
    const int64_t id = token_id(ids[i], vocab_, "embedding", i);
    if (padding_idx_ && id == *padding_idx_) continue;
    const T* g = dy.data() + i * dim_;
    T* dw = weight_.grad + id * dim_;
    for (int64_t j = 0; j < dim_; ++j) dw[j] += g[j];
  }
}

template class Embedding<float>;
template class Embedding<double>;
template int64_t token_id<float>(float, int64_t, const char*, int64_t);
template int64_t token_id<double>(double, int64_t, const char*, int64_t);

}  // namespace redes
