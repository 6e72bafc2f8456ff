// Baselines: the simplest models of a task, fitted on the training split only and scored with
// the task's metrics, so that a run shows at once whether its network is worth it. Which
// baselines a task has is decided here, once (baselines.cpp; its tests: tests/train/
// baselines_test.cpp, tests/cli/baselines_cli_test.cpp):
//  - binary, multiclass: `majority`, the training split's class shares as constant logits
//    (every sample gets the majority class; the loss is the cross-entropy of the shares), and
//    `logistic_regression`, one linear layer from the network's inputs (a table's encoded
//    features, an image's normalised pixels, without augmentation) to its output, trained with
//    the run's loss, optimizer, schedule, batch size and early stopping: the lecture's network
//    with K = 0 hidden units;
//  - regression: `mean` (the training mean) and `linear_regression` (least squares, in closed
//    form);
//  - forecast, language_model: none here; their runs report the naive forecasts (forecast.cpp)
//    and the n-gram models (words.cpp).
// Each is a Baseline (redes/model.hpp), an affine map of the network's input: the run keeps them
// in the model file, and `redes eval --baselines` scores them on other data through
// score_baseline, as the run did.
#pragma once
#include <string>
#include <vector>

#include "redes/config.hpp"
#include "redes/dataset.hpp"
#include "redes/model.hpp"
#include "redes/train.hpp"

namespace redes {

struct FittedBaseline {
  Baseline baseline;
  int epochs = 0;     // trained ones: the epochs it trained (0: fitted in closed form)
  std::string error;  // its training diverged: the trainer's message (no baseline to keep)
};

// The baselines of config.task, fitted on train; val is the run's validation split (null when
// it has none), which the logistic regression uses as the run does (early stopping, a plateau
// schedule). outputs is the network's output width K. Deterministic for a seed and a thread
// count, as the run's training is.
std::vector<FittedBaseline> fit_baselines(const Config& config, const Dataset& train,
                                          const Dataset* val, int64_t outputs);

// The baseline's loss and task metrics on data (in evaluation mode, as Trainer::evaluate
// computes the network's: in batches, shared out over MPI ranks).
Metrics score_baseline(const Baseline& baseline, Task task, const LossSpec& loss,
                       const Dataset& data);

}  // namespace redes
