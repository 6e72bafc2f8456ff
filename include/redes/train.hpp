// The trainer: shuffled mini-batches, validation, early stopping with best-weights restore,
// learning-rate schedules, gradient clipping; and the metrics of each task.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "redes/config.hpp"
#include "redes/dataset.hpp"
#include "redes/graph.hpp"
#include "redes/loss.hpp"
#include "redes/optim.hpp"

namespace redes {

struct Metrics {
  double loss = 0;
  std::map<std::string, double> values;  // accuracy, precision, recall, f1, roc_auc; rmse, mae
  std::vector<std::vector<int64_t>> confusion;  // classification: confusion[true][predicted]
  nlohmann::json to_json() const;
  static Metrics from_json(const nlohmann::json& j);  // as to_json writes it
};

// outputs are the network's outputs: logits (N, 1) for binary, (N, K) for multiclass,
// values (N, 1) for regression; y as in Dataset. Fills the metrics metrics_of(task) names.
Metrics compute_metrics(Task task, TensorView<const float> outputs, TensorView<const float> y,
                        double loss);

// The same metrics gathered batch by batch (the trainer's running training metrics): add
// each batch's outputs and targets, then result() equals compute_metrics over all of them.
// Keeps counts and sums, and for binary tasks one score per sample (for the ROC AUC).
class MetricsAccumulator {
 public:
  explicit MetricsAccumulator(Task task) : task_(task) {}
  void add(TensorView<const float> outputs, TensorView<const float> y);
  Metrics result(double loss) const;
  // What has been added so far, for a checkpoint; from_json(task, to_json()) goes on the same.
  nlohmann::json to_json() const;
  static MetricsAccumulator from_json(Task task, const nlohmann::json& j);
  // Adds what other has gathered (another rank's batches), as if added here.
  void merge(const MetricsAccumulator& other);

 private:
  Task task_;
  std::vector<std::vector<int64_t>> confusion_;  // binary and multiclass
  std::vector<float> scores_;                    // binary: the logits, for the ROC AUC
  std::vector<int> labels_;
  double squared_ = 0, absolute_ = 0, nll_ = 0;  // regression, forecast; language model
  int64_t count_ = 0, correct_ = 0;
};

struct EpochLog {
  int epoch = 0;  // 1-based
  // The training batches' mean loss and the task's metrics of their outputs, gathered as they
  // were trained (in training mode, weights changing), as Keras reports them.
  Metrics train;
  double lr = 0;
  double seconds = 0;
  std::optional<Metrics> val;
  nlohmann::json to_json() const;
  static EpochLog from_json(const nlohmann::json& j);
};

// Receives progress as training goes: a live bar on a terminal, a line per epoch elsewhere.
class Progress {
 public:
  virtual ~Progress() = default;
  virtual void batch(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                     double samples_per_s, double eta_s) {}
  virtual void epoch(const EpochLog& log, int epochs) {}
  virtual void message(const std::string& line) {}
};
// Writes to stderr: a live bar when it is a terminal, one plain line per epoch otherwise.
std::unique_ptr<Progress> make_console_progress(bool quiet = false);

// Where a training stands, with everything it needs to go on bit for bit: what a checkpoint
// holds besides the weights (checkpoint.hpp writes and reads it).
// What differs between the ranks of an MPI training (redes/distributed.hpp): a rank's dropout
// and data generators and its share of the epoch's training metrics so far.
struct RankState {
  std::vector<uint64_t> dropout_rng, data_rng;
  nlohmann::json batch_metrics;
  nlohmann::json to_json() const;
  // Throws ModelFileError for generator states that are not six numbers.
  static RankState from_json(const nlohmann::json& j);
};

struct TrainState {
  int epoch = 1;               // the epoch in progress, 1-based
  int64_t batch = 0;           // its batches done; 0: not begun (the order not yet shuffled for it)
  bool finished = false;       // every epoch done, or early stopping ended the training
  std::vector<int64_t> order;  // the training samples' order, shuffled in place each epoch
  double loss_sum = 0;         // of this epoch's batches done, weighted by their sizes
  nlohmann::json batch_metrics;                      // MetricsAccumulator::to_json of them
  std::vector<uint64_t> rng, dropout_rng, data_rng;  // the generators (Rng::saved)
  Optimizer::State optimizer;
  LrSchedule::State schedule;
  double best = 0;  // early stopping: the best monitored value, epochs since, the best epoch
  int since_best = 0, best_epoch = 0;
  std::vector<float> best_weights;  // early stopping with restore_best
  std::vector<EpochLog> logs;       // the epochs done
  // Under MPI, every rank's state in rank order (rank 0's is also the three fields above, which
  // one process uses alone); empty for one process. A resume needs as many ranks.
  std::vector<RankState> ranks;
};

// When the trainer hands out checkpoints, and where it resumes from.
struct Checkpointing {
  int64_t every_batches = 0;  // 0: at the end of each epoch only
  double every_seconds = 0;   // 0: no checkpoints by time
  // The clock checkpoints by time go by, in seconds; empty: the steady clock. (Tests give one
  // they advance themselves, so that what is due never depends on the machine's speed.)
  std::function<double()> clock;
  // Called with the state at every checkpoint; the graph then holds the matching weights.
  std::function<void(const TrainState&)> write;
  // Polled after every batch: when set, a checkpoint is written and fit throws Interrupted.
  const std::atomic<bool>* stop = nullptr;
  const TrainState* resume = nullptr;  // go on from here (the graph holds its weights)
};

class Trainer {
 public:
  Trainer(Graph& graph, Loss<float>& loss, const OptimizerSpec& optimizer,
          const ScheduleSpec& schedule, const TrainSpec& train, Task task);
  ~Trainer();

  // Trains for train.epochs (or until early stopping). rng drives shuffling and dropout.
  // With checkpoints: resumes from checkpoints->resume when given, and hands out checkpoints.
  // Returns the log of every epoch, those before a resume included.
  std::vector<EpochLog> fit(const Dataset& train, const Dataset* val, Rng& rng, Progress* progress,
                            const Checkpointing* checkpoints = nullptr);
  // Loss and metrics over a whole dataset, in evaluation mode.
  Metrics evaluate(const Dataset& data, int64_t batch_size = 256);
  // The network's outputs for every sample, in evaluation mode: (N, output...).
  Tensor predict(const Dataset& data, int64_t batch_size = 256);

  int best_epoch() const { return best_epoch_; }
  bool stopped_early() const { return stopped_early_; }
  // Under MPI: the steps this fit took and its seconds in them, and of those the seconds in
  // the reductions of the steps (the gradients and the batch's loss; the time includes waiting
  // for a slower rank).
  struct StepTimes {
    int64_t steps = 0;
    double seconds = 0, reducing = 0;
  };
  const StepTimes& step_times() const { return step_times_; }
  // How the last fit's threads split each step: 1, layer by layer (each layer over all the
  // threads); n > 1, the batch in n shares, each thread running the whole network on its own.
  int thread_shares() const { return shares_; }

 private:
  Graph& graph_;
  Loss<float>& loss_;
  std::unique_ptr<Optimizer> optimizer_;
  ScheduleSpec schedule_;
  TrainSpec train_;
  Task task_;
  int best_epoch_ = 0;
  bool stopped_early_ = false;
  StepTimes step_times_;
  int shares_ = 1;
};

}  // namespace redes
