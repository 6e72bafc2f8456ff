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

// Slice ----------------------------------------------------------------------------------------

template <class T>
Slice<T>::Slice(int64_t axis, int64_t start, int64_t end)
    : axis_(axis), start_(start), stop_(end) {}

template <class T>
Shape Slice<T>::setup(std::span<const Shape> inputs) {
  require_one_input("slice", inputs);
  const Shape& x = inputs[0];
  const int64_t r = x.rank();
  REDES_CHECK(axis_ >= -r && axis_ < r, ShapeError,
              "slice: axis " + std::to_string(axis_) + " is outside input " + x.str());
  const int64_t a = axis_ < 0 ? axis_ + r : axis_;
  const int64_t n = x[a];
  const auto bound = [n](int64_t v) { return std::clamp(v < 0 ? v + n : v, int64_t{0}, n); };
  begin_ = bound(start_);
  end_ = bound(stop_);
  REDES_CHECK(end_ > begin_, ShapeError,
              "slice: [" + std::to_string(start_) + ", " + std::to_string(stop_) + ") of axis " +
                  std::to_string(axis_) + " of input " + x.str() + " is empty");
  outer_ = inner_ = 1;
  for (int64_t k = 0; k < a; ++k) outer_ *= x[k];
  for (int64_t k = a + 1; k < r; ++k) inner_ *= x[k];
  size_ = n;
  std::vector<int64_t> dims = x.dims();
  dims[a] = end_ - begin_;
  return Shape(std::move(dims));
}

template <class T>
void Slice<T>::forward(const ForwardCtx<T>& ctx) {
  const int64_t N = ctx.in().dim(0), rows = N * outer_, len = (end_ - begin_) * inner_;
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  for (int64_t o = 0; o < rows; ++o)
    std::copy(x + (o * size_ + begin_) * inner_, x + (o * size_ + begin_) * inner_ + len,
              y + o * len);
}

template <class T>
void Slice<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const int64_t N = ctx.in().dim(0), rows = N * outer_, len = (end_ - begin_) * inner_;
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  for (int64_t o = 0; o < rows; ++o) {
    T* d = dx + (o * size_ + begin_) * inner_;
    for (int64_t k = 0; k < len; ++k) d[k] += dy[o * len + k];
  }
}

// Permute --------------------------------------------------------------------------------------

template <class T>
Permute<T>::Permute(std::vector<int64_t> dims) : dims_(std::move(dims)) {
  std::vector<int64_t> sorted = dims_;
  std::sort(sorted.begin(), sorted.end());
  bool ok = !sorted.empty();
  for (size_t k = 0; k < sorted.size(); ++k) ok = ok && sorted[k] == int64_t(k);
  REDES_CHECK(ok, ConfigError,
              "permute: dims " + list_str(dims_) + " must be a permutation of 0.." +
                  std::to_string(int64_t(dims_.size()) - 1));
}

template <class T>
Shape Permute<T>::setup(std::span<const Shape> inputs) {
  require_one_input("permute", inputs);
  const Shape& x = inputs[0];
  const auto r = int64_t(dims_.size());
  REDES_CHECK(x.rank() == r, ShapeError,
              "permute: dims " + list_str(dims_) + " do not fit input " + x.str());
  std::vector<int64_t> out(static_cast<size_t>(r)), stride(static_cast<size_t>(r), 1);
  for (int64_t k = r - 2; k >= 0; --k) stride[size_t(k)] = stride[size_t(k + 1)] * x[k + 1];
  for (int64_t k = 0; k < r; ++k) out[size_t(k)] = x[dims_[size_t(k)]];
  // Output entry o, at index (i_0, ..., i_r-1) of the output, reads input index i with
  // i[dims[k]] = i_k.
  source_.assign(static_cast<size_t>(x.numel()), 0);
  std::vector<int64_t> idx(static_cast<size_t>(r), 0);
  for (int64_t o = 0; o < x.numel(); ++o) {
    int64_t at = 0;
    for (int64_t k = 0; k < r; ++k) at += idx[size_t(k)] * stride[size_t(dims_[size_t(k)])];
    source_[size_t(o)] = at;
    for (int64_t k = r - 1; k >= 0 && ++idx[size_t(k)] == out[size_t(k)]; --k) idx[size_t(k)] = 0;
  }
  return Shape(std::move(out));
}

template <class T>
void Permute<T>::forward(const ForwardCtx<T>& ctx) {
  const int64_t N = ctx.in().dim(0), m = int64_t(source_.size());
  const T* x = ctx.in().data();
  T* y = ctx.out().data();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < m; ++o) y[n * m + o] = x[n * m + source_[size_t(o)]];
}

template <class T>
void Permute<T>::backward(const BackwardCtx<T>& ctx) {
  if (!ctx.wants_din()) return;
  const int64_t N = ctx.in().dim(0), m = int64_t(source_.size());
  const T* dy = ctx.dout().data();
  T* dx = ctx.din().data();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < m; ++o) dx[n * m + source_[size_t(o)]] += dy[n * m + o];
}

template class Flatten<float>;
template class Flatten<double>;
template class Reshape<float>;
template class Reshape<double>;
template class Slice<float>;
template class Slice<double>;
template class Permute<float>;
template class Permute<double>;

}  // namespace redes
