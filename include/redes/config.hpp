// A run's configuration, read from TOML. An unknown key, a wrong type or an impossible value
// is a ConfigError naming the file, the line and the key.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "redes/images.hpp"
#include "redes/layer.hpp"
#include "redes/loss.hpp"
#include "redes/optim.hpp"
#include "redes/series.hpp"
#include "redes/table.hpp"
#include "redes/task.hpp"
#include "redes/text.hpp"

namespace redes {

struct EarlyStoppingSpec {
  bool enabled = false;
  std::string monitor =
      "val_loss";  // "val_loss" or "val_<metric>" (val_accuracy, val_f1, val_rmse, ...)
  int patience = 10;
  double min_delta = 0;
  bool restore_best = true;
};

struct TrainSpec {
  int epochs = 10;
  int batch_size = 32;
  bool shuffle = true;
  double clip_grad_norm = 0;  // 0: no clipping
  // Under MPI: batch norm normalises with the statistics of the whole global batch, summed
  // over the ranks (PyTorch's SyncBatchNorm), instead of each rank's share's.
  bool sync_batchnorm = false;
  // Checkpoints besides the one at each epoch's end (0: none): every N batches, every M seconds
  // (or less often when writing one takes more than 5% of M), so that a crash loses little.
  int64_t checkpoint_every_batches = 0;
  double checkpoint_every_seconds = 5;
  // A run (train_run) fits the task's baselines beside the network and reports them
  // (src/train/baselines.hpp); false leaves them out. Forecasts and word models report theirs
  // whatever this says: they cost next to nothing.
  bool baselines = true;
  EarlyStoppingSpec early_stopping;
};

struct Config {
  std::string path;  // the file it was read from
  std::string text;  // its text, copied into the run folder
  std::string name;  // a short name for the run (default: the file's stem)
  Task task = Task::binary;
  uint64_t seed = 1;
  int threads = 0;                       // 0: all cores
  DataKind data_kind = DataKind::table;  // [data] kind; the spec of that kind is the one used:
  TableSpec data;                        // table; data.path is resolved against the config's folder
  ImageSpec images;                      // images; paths resolved the same way
  SeriesSpec series;                     // series
  TextSpec words;                        // text (`text` above is the config's own text)
  std::vector<std::string> data_path_keys;  // the [data] keys that name files or folders
  // The share of the training data held out for validation, whatever the kind.
  double validation_fraction() const;
  std::vector<LayerSpec> layers;
  LossSpec loss;
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  TrainSpec train;
};

Config load_config(const std::string& path);
Config parse_config(const std::string& text, const std::string& path);

}  // namespace redes
