#include <algorithm>
#include <cstring>

#include "redes/dataset.hpp"

namespace redes {

TensorDataset::TensorDataset(Tensor x, Tensor y) : x_(std::move(x)), y_(std::move(y)) {
  REDES_CHECK(x_.shape().rank() >= 1 && y_.shape().rank() >= 1 && x_.dim(0) == y_.dim(0),
              ShapeError,
              "dataset inputs " + x_.shape().str() + " and targets " + y_.shape().str() +
                  " must have the same number of samples");
}

void TensorDataset::gather(std::span<const int64_t> rows, Tensor& x, Tensor& y, bool) const {
  const int64_t n = static_cast<int64_t>(rows.size());
  x.resize(sample_shape().batched(n));
  y.resize(target_shape().batched(n));
  const int64_t xw = sample_shape().numel(), yw = target_shape().numel();
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(x.data() + i * xw, x_.data() + rows[i] * xw, xw * sizeof(float));
    std::memcpy(y.data() + i * yw, y_.data() + rows[i] * yw, yw * sizeof(float));
  }
}

}  // namespace redes
