// Datasets: where the trainer gets its mini-batches from.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "redes/tensor.hpp"

namespace redes {

// A source of samples that gathers mini-batches: x is (N, sample_shape...), y is (N, 1) for
// binary and regression targets or (N) class indices. Implementations may store samples
// compactly (images as uint8) and convert per batch.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Shape sample_shape() const = 0;
  virtual Shape target_shape() const = 0;  // per sample: (1) or () for class indices
  // Fills x and y with the samples rows (in that order). training: augmentation may apply.
  virtual void gather(std::span<const int64_t> rows, Tensor& x, Tensor& y, bool training) const = 0;
  // Whether gathering a training batch costs enough (augmentation) that the trainer should
  // gather the next one on another thread while the current one trains.
  virtual bool worth_prefetching() const { return false; }
  // The state of the generators gathering draws from (augmentation), for a checkpoint; empty
  // for a dataset that draws nothing.
  virtual std::vector<uint64_t> random_state() const { return {}; }
  virtual void set_random_state(const std::vector<uint64_t>& /*state*/) const {}
  // A stream of numbers of its own for MPI rank `rank` (> 0): the generators split that deep.
  virtual void split_random(int /*rank*/) const {}
};

// A dataset held as float tensors (tables, windows of a series).
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor x, Tensor y);
  int64_t size() const override { return x_.dim(0); }
  Shape sample_shape() const override { return x_.shape().sample(); }
  Shape target_shape() const override { return y_.shape().sample(); }
  void gather(std::span<const int64_t> rows, Tensor& x, Tensor& y, bool training) const override;

 private:
  Tensor x_, y_;
};

}  // namespace redes
