// Shape, TensorView (non-owning) and Tensor (owning): float or double, contiguous, row-major.
// Letters mean the same everywhere: N batch, C channels, H height, W width, T time, F features.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "redes/error.hpp"

namespace redes {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int i) const { return dims_[i < 0 ? i + rank() : i]; }
  int64_t& operator[](int i) { return dims_[i < 0 ? i + rank() : i]; }
  int64_t numel() const {
    int64_t n = 1;
    for (auto d : dims_) n *= d;
    return n;
  }
  const std::vector<int64_t>& dims() const { return dims_; }
  // (N) + this: the shape of a batch of N samples of this per-sample shape.
  Shape batched(int64_t n) const {
    std::vector<int64_t> d{n};
    d.insert(d.end(), dims_.begin(), dims_.end());
    return Shape(std::move(d));
  }
  // This shape without its first (batch) dimension.
  Shape sample() const {
    return Shape(std::vector<int64_t>(dims_.begin() + (dims_.empty() ? 0 : 1), dims_.end()));
  }
  std::string str() const {
    std::string s = "(";
    for (size_t i = 0; i < dims_.size(); ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
    return s + (dims_.size() == 1 ? ",)" : ")");
  }
  bool operator==(const Shape&) const = default;

 private:
  std::vector<int64_t> dims_;
};

template <class T>
class TensorView {
 public:
  TensorView() = default;
  TensorView(T* data, Shape shape) : data_(data), shape_(std::move(shape)) {}
  // A view of non-const data converts to a view of const data.
  template <class U>
  requires std::is_same_v<const U, T> &&(!std::is_same_v<U, T>)TensorView(const TensorView<U>& v)
      : data_(v.data()), shape_(v.shape()) {}

  T* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return shape_.numel(); }
  int64_t dim(int i) const { return shape_[i]; }
  int rank() const { return shape_.rank(); }
  bool empty() const { return data_ == nullptr; }
  T& operator[](int64_t i) const { return data_[i]; }
  T* begin() const { return data_; }
  T* end() const { return data_ + numel(); }
  // Rows [begin, end) of the first dimension.
  TensorView slice(int64_t begin, int64_t end) const {
    Shape s = shape_;
    const int64_t row = s[0] ? numel() / s[0] : 0;
    s[0] = end - begin;
    return TensorView(data_ + begin * row, s);
  }
  TensorView reshaped(Shape s) const {
    REDES_CHECK(s.numel() == numel(), ShapeError,
                "cannot reshape " + shape_.str() + " to " + s.str());
    return TensorView(data_, std::move(s));
  }

 private:
  T* data_ = nullptr;
  Shape shape_;
};

template <class T>
class BasicTensor {
 public:
  BasicTensor() = default;
  explicit BasicTensor(Shape shape, T fill = T(0))
      : shape_(std::move(shape)), data_(shape_.numel(), fill) {}
  BasicTensor(Shape shape, std::vector<T> values)
      : shape_(std::move(shape)), data_(std::move(values)) {
    REDES_CHECK(
        static_cast<int64_t>(data_.size()) == shape_.numel(), ShapeError,
        "tensor of shape " + shape_.str() + " given " + std::to_string(data_.size()) + " values");
  }

  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return shape_.numel(); }
  int64_t dim(int i) const { return shape_[i]; }
  T& operator[](int64_t i) { return data_[i]; }
  const T& operator[](int64_t i) const { return data_[i]; }
  std::vector<T>& values() { return data_; }
  const std::vector<T>& values() const { return data_; }
  void fill(T v) { std::fill(data_.begin(), data_.end(), v); }
  void reshape(Shape s) {
    REDES_CHECK(s.numel() == numel(), ShapeError,
                "cannot reshape " + shape_.str() + " to " + s.str());
    shape_ = std::move(s);
  }
  // Resizes storage only when it must grow; the contents are unspecified afterwards.
  void resize(Shape s) {
    shape_ = std::move(s);
    if (static_cast<int64_t>(data_.size()) < shape_.numel()) data_.resize(shape_.numel());
  }

  TensorView<T> view() { return {data_.data(), shape_}; }
  TensorView<const T> view() const { return {data_.data(), shape_}; }
  operator TensorView<T>() { return view(); }
  operator TensorView<const T>() const { return view(); }

 private:
  Shape shape_;
  std::vector<T> data_;
};

using Tensor = BasicTensor<float>;
using TensorD = BasicTensor<double>;

}  // namespace redes
