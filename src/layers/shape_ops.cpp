#include "layers/shape_ops.hpp"

#include <algorithm>

#include "layers/checks.hpp"

namespace redes {
namespace {

std::string list_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// y = x element for element: the batch (N, ...) keeps its numel, only the view changes.
template <class T>
void copy_through(const ForwardCtx<T>& ctx, std::string_view kind) {
  const auto& x = ctx.in();
  const auto& y = ctx.out();
  REDES_CHECK(x.numel() == y.numel() && x.rank() >= 1 && y.rank() >= 1 && x.dim(0) == y.dim(0),
              ShapeError,
              std::string(kind) + ": input " + x.shape().str() + " and output " + y.shape().str() +
                  " differ in size");
  std::copy(x.begin(), x.end(), y.begin());
}

template <class T>
void add_through(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  const int64_t n = ctx.dout().numel();
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i];
}

}  // namespace

template <class T>
Shape Flatten<T>::setup(std::span<const Shape> inputs) {
  require_one_input("flatten", inputs);
  return Shape{inputs[0].numel()};
}

template <class T>
void Flatten<T>::forward(const ForwardCtx<T>& ctx) {
  copy_through(ctx, kind());
}

template <class T>
void Flatten<T>::backward(const BackwardCtx<T>& ctx) {
  add_through(ctx);
}

template <class T>
Reshape<T>::Reshape(std::vector<int64_t> shape) : target_(std::move(shape)) {
  REDES_CHECK(!target_.empty(), ConfigError, "reshape: the shape must not be empty");
  const auto unknown = std::count(target_.begin(), target_.end(), int64_t(-1));
  const bool entries_ok =
      std::all_of(target_.begin(), target_.end(), [](int64_t d) { return d > 0 || d == -1; });
  REDES_CHECK(
      entries_ok && unknown <= 1, ConfigError,
      "reshape: the shape " + list_str(target_) + " must hold positive sizes and at most one -1");
}

template <class T>
Shape Reshape<T>::setup(std::span<const Shape> inputs) {
  require_one_input("reshape", inputs);
  const int64_t total = inputs[0].numel();
  int64_t known = 1;
  for (int64_t d : target_)
    if (d > 0) known *= d;
  std::vector<int64_t> dims = target_;
  const auto unknown = std::find(dims.begin(), dims.end(), int64_t(-1));
  if (unknown != dims.end()) {
    REDES_CHECK(total % known == 0 && total > 0, ShapeError,
                "reshape: input " + inputs[0].str() + " (" + std::to_string(total) +
                    " values) cannot fill " + list_str(target_));
    *unknown = total / known;
  }
  REDES_CHECK(Shape(dims).numel() == total, ShapeError,
              "reshape: input " + inputs[0].str() + " (" + std::to_string(total) +
                  " values) cannot be reshaped to " + list_str(target_) + " (" +
                  std::to_string(Shape(dims).numel()) + " values)");
  return Shape(std::move(dims));
}

template <class T>
void Reshape<T>::forward(const ForwardCtx<T>& ctx) {
  copy_through(ctx, kind());
}

template <class T>
void Reshape<T>::backward(const BackwardCtx<T>& ctx) {
  add_through(ctx);
}

template class Flatten<float>;
template class Flatten<double>;
template class Reshape<float>;
template class Reshape<double>;

}  // namespace redes
