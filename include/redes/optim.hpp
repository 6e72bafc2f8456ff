// Optimizers over the flat parameter arena, learning-rate schedules and gradient clipping.
// The update rules follow torch.optim exactly, so that the same steps give the same losses.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace redes {

struct OptimizerSpec {
  std::string kind = "adam";  // "sgd", "adam", "adamw", "rmsprop"
  double lr = 1e-3;
  double weight_decay = 0;  // L2 added to the gradient (sgd, adam, rmsprop); decoupled for adamw
  double momentum = 0;      // sgd, rmsprop
  double dampening = 0;     // sgd
  bool nesterov = false;    // sgd
  double beta1 = 0.9, beta2 = 0.999;  // adam, adamw
  double eps = 1e-8;                  // adam, adamw, rmsprop
  double alpha = 0.99;                // rmsprop smoothing
  bool centered = false;              // rmsprop
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string_view kind() const = 0;
  // One update of every parameter: w and g are the arena's values and gradients. State is
  // sized on the first call.
  virtual void step(std::span<float> w, std::span<const float> g) = 0;
  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }

  // What a checkpoint keeps, to go on exactly where training stopped: the learning rate, the
  // steps taken and the state vectors (each empty before the first step, else one value per
  // parameter).
  struct State {
    double lr = 0;
    int64_t steps = 0;
    std::vector<std::vector<float>> vectors;
  };
  State state();
  // Throws Error when s does not fit (another optimizer's state, another number of parameters).
  void set_state(State s);

 protected:
  // The optimizer's state vectors, in a fixed order.
  virtual std::vector<std::vector<float>*> state_vectors() = 0;
  double lr_ = 1e-3;
  int64_t steps_ = 0;  // counted by the optimizers whose update depends on it (Adam)
};

std::unique_ptr<Optimizer> make_optimizer(const OptimizerSpec& spec);

struct ScheduleSpec {
  std::string kind = "none";  // "none", "step", "cosine", "plateau"
  int step_size = 10;         // step: multiply by gamma every step_size epochs
  double gamma = 0.1;
  int t_max = 0;        // cosine: period in epochs (0: the number of epochs)
  double eta_min = 0;   // cosine, plateau: lowest learning rate
  double factor = 0.1;  // plateau: multiply by factor after patience epochs without improvement
  int patience = 10;
  double threshold = 1e-4;  // plateau: relative improvement that counts
};

// Called once after each epoch, as torch.optim.lr_scheduler's step(): returns the learning
// rate for the next epoch. `metric` (lower is better) is used by "plateau" only.
class LrSchedule {
 public:
  LrSchedule(const ScheduleSpec& spec, double base_lr, int epochs);
  double step(double metric);
  double lr() const { return lr_; }
  // Where it is, for a checkpoint.
  struct State {
    int epoch = 0;
    double lr = 0, best = 0;
    int bad_epochs = 0;
  };
  State state() const { return {epoch_, lr_, best_, bad_epochs_}; }
  void set_state(const State& s) {
    epoch_ = s.epoch, lr_ = s.lr, best_ = s.best, bad_epochs_ = s.bad_epochs;
  }

 private:
  ScheduleSpec spec_;
  double base_lr_, lr_;
  int epochs_, epoch_ = 0;
  double best_;
  int bad_epochs_ = 0;
};

// Scales grads so that their global L2 norm is at most max_norm (torch.nn.utils.
// clip_grad_norm_). Returns the norm before clipping.
double clip_grad_norm(std::span<float> grads, double max_norm);

// Whether every value is finite (no NaN, no infinity): the trainer's check of each step's
// gradients before the update, split over the OpenMP threads from 64K values.
bool all_finite(std::span<const float> values);

}  // namespace redes
