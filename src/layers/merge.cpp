#include "layers/merge.hpp"

#include <algorithm>

namespace redes {
namespace {

std::string shapes_str(std::span<const Shape> shapes) {
  std::string s;
  for (const auto& x : shapes) s += (s.empty() ? "" : ", ") + x.str();
  return s;
}

template <class T>
bool wants_grad(const BackwardCtx<T>& ctx, size_t i) {
  return i < ctx.grad_inputs.size() && !ctx.din(i).empty();
}

}  // namespace

// Add ----------------------------------------------------------------------------------------

template <class T>
Shape Add<T>::setup(std::span<const Shape> inputs) {
  REDES_CHECK(inputs.size() >= 2, ShapeError,
              "add takes 2 or more inputs, got " + std::to_string(inputs.size()));
  for (const auto& s : inputs)
    REDES_CHECK(s == inputs[0], ShapeError,
                "add needs inputs of one shape, got " + shapes_str(inputs));
  return inputs[0];
}

template <class T>
void Add<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& y = ctx.out();  // (N, ...), as every input
  for (const auto& x : ctx.inputs)
    REDES_CHECK(x.shape() == y.shape(), ShapeError,
                "add: input " + x.shape().str() + " and output " + y.shape().str() + " differ");
  const int64_t n = y.numel();
  T* yd = y.data();
  const T* x0 = ctx.in(0).data();
  std::copy(x0, x0 + n, yd);
  // Summed input after input, left to right: a fixed order.
  for (size_t i = 1; i < ctx.inputs.size(); ++i) {
    const T* xi = ctx.in(i).data();
    for (int64_t j = 0; j < n; ++j) yd[j] += xi[j];
  }
}

template <class T>
void Add<T>::backward(const BackwardCtx<T>& ctx) {
  const T* dy = ctx.dout().data();
  const int64_t n = ctx.dout().numel();
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    if (!wants_grad(ctx, i)) continue;
    T* dx = ctx.din(i).data();
    for (int64_t j = 0; j < n; ++j) dx[j] += dy[j];
  }
}

// Concat -------------------------------------------------------------------------------------

template <class T>
Shape Concat<T>::setup(std::span<const Shape> inputs) {
  REDES_CHECK(inputs.size() >= 2, ShapeError,
              "concat takes 2 or more inputs, got " + std::to_string(inputs.size()));
  const int rank = inputs[0].rank();
  REDES_CHECK(rank >= 1 && axis_ >= -rank && axis_ < rank, ShapeError,
              "concat: axis " + std::to_string(axis_) + " is outside per-sample inputs " +
                  shapes_str(inputs));
  const int ax = static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
  Shape out = inputs[0];
  out[ax] = 0;
  for (const auto& s : inputs) {
    bool agree = s.rank() == rank;
    for (int d = 0; agree && d < rank; ++d) agree = d == ax || s[d] == inputs[0][d];
    REDES_CHECK(agree, ShapeError,
                "concat along axis " + std::to_string(axis_) +
                    " needs inputs that agree in every other dimension, got " + shapes_str(inputs));
    out[ax] += s[ax];
  }
  int64_t inner = 1;
  outer_ = 1;
  for (int d = 0; d < ax; ++d) outer_ *= out[d];
  for (int d = ax + 1; d < rank; ++d) inner *= out[d];
  chunk_.clear();
  for (const auto& s : inputs) chunk_.push_back(s[ax] * inner);
  out_chunk_ = out[ax] * inner;
  return out;
}

template <class T>
void Concat<T>::forward(const ForwardCtx<T>& ctx) {
  const auto& y = ctx.out();  // (N, ...)
  REDES_CHECK(ctx.inputs.size() == chunk_.size(), ShapeError,
              "concat: set up for " + std::to_string(chunk_.size()) + " inputs, given " +
                  std::to_string(ctx.inputs.size()));
  const int64_t N = y.dim(0), blocks = N * outer_;
  for (size_t i = 0; i < chunk_.size(); ++i)
    REDES_CHECK(
        ctx.in(i).numel() == blocks * chunk_[i], ShapeError,
        "concat: input " + ctx.in(i).shape().str() + " does not fit output " + y.shape().str());
  // Output block b is [input 0's block b, input 1's block b, ...].
  int64_t offset = 0;
  for (size_t i = 0; i < chunk_.size(); ++i) {
    const T* x = ctx.in(i).data();
    const int64_t len = chunk_[i];
    for (int64_t b = 0; b < blocks; ++b)
      std::copy(x + b * len, x + (b + 1) * len, y.data() + b * out_chunk_ + offset);
    offset += len;
  }
}

template <class T>
void Concat<T>::backward(const BackwardCtx<T>& ctx) {
  const auto& dy = ctx.dout();
  const int64_t blocks = dy.dim(0) * outer_;
  int64_t offset = 0;
  for (size_t i = 0; i < chunk_.size(); ++i) {
    const int64_t len = chunk_[i];
    if (wants_grad(ctx, i)) {
      T* dx = ctx.din(i).data();
      for (int64_t b = 0; b < blocks; ++b) {
        const T* src = dy.data() + b * out_chunk_ + offset;
        T* dst = dx + b * len;
        for (int64_t j = 0; j < len; ++j) dst[j] += src[j];
      }
    }
    offset += len;
  }
}

template class Add<float>;
template class Add<double>;
template class Concat<float>;
template class Concat<double>;

}  // namespace redes
