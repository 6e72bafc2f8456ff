// Batch normalisation (Ioffe & Szegedy 2015), as PyTorch's nn.BatchNorm1d / nn.BatchNorm2d.
// Each channel c is normalised over the batch and every other position:
//   batchnorm1d: x is (N, F) (a channel per feature) or (N, C, L);  batchnorm2d: (N, C, H, W).
//   y = gamma[c] * xhat + beta[c],  xhat = (x - mean[c]) / sqrt(var[c] + eps).
// Training uses the batch's statistics over M = N * (positions per channel) values: the
// biased variance (divide by M) normalises, the unbiased one (M - 1) updates the running
// variance; running = (1 - momentum) * running + momentum * batch statistic.
// Evaluation normalises with the running statistics instead. Under MPI with [train]
// sync_batchnorm the batch statistics are those of the global batch (PyTorch's SyncBatchNorm):
// the sums, and the backward's sums, are added up over the ranks.
// running_mean and running_var are buffers: saved with the model, never trained.
#pragma once
#include <vector>

#include "redes/layer.hpp"

namespace redes {

template <class T>
class BatchNorm : public Layer<T> {
 public:
  // spatial_dims 1 (batchnorm1d) or 2 (batchnorm2d); momentum in [0, 1], eps > 0.
  // Throws ConfigError otherwise.
  explicit BatchNorm(int spatial_dims, double momentum = 0.1, double eps = 1e-5,
                     bool affine = true);

  std::string_view kind() const override { return dims_ == 1 ? "batchnorm1d" : "batchnorm2d"; }
  // batchnorm1d: (F) or (C, L); batchnorm2d: (C, H, W). Output of the same shape.
  Shape setup(std::span<const Shape> inputs) override;
  // gamma = 1, beta = 0, running mean 0, running variance 1 (PyTorch's initial state).
  void init(Rng& rng) override;
  // Training needs more than one value per channel (M > 1) for the unbiased variance.
  void forward(const ForwardCtx<T>& ctx) override;
  // After a training forward: the full batch-norm backward (the batch statistics depend on x);
  // after an evaluation forward: the affine map's backward.
  void backward(const BackwardCtx<T>& ctx) override;
  std::vector<Param<T>*> params() override;
  std::vector<Param<T>*> buffers() override { return {&running_mean_, &running_var_}; }

  double momentum() const { return momentum_; }
  double eps() const { return eps_; }
  bool affine() const { return affine_; }

 private:
  int dims_;
  double momentum_, eps_;
  bool affine_;
  int64_t channels_ = 0, inner_ = 0;       // C, and the positions of one channel in one sample
  Param<T> weight_{"weight"};              // gamma (C)
  Param<T> bias_{"bias"};                  // beta (C)
  Param<T> running_mean_{"running_mean"};  // (C)
  Param<T> running_var_{"running_var"};    // (C)
  // What the last forward normalised with, per channel: the batch's mean and 1/sqrt(var + eps)
  // in training, the running ones in evaluation.
  std::vector<T> mean_, invstd_;
  bool batch_stats_ = false;  // whether the last forward was a training forward
  double count_ = 0;          // the values per channel the last training forward normalised over
  std::vector<double> sums_;  // per-channel sums, (2 C + 1): room for the ranks to add them up
};

}  // namespace redes
