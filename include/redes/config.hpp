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
  EarlyStoppingSpec early_stopping;
};

struct Config {
  std::string path;  // the file it was read from
  std::string text;  // its text, copied into the run folder
  std::string name;  // a short name for the run (default: the file's stem)
  std::string task =
      "binary";  // "binary", "multiclass", "regression", "forecast", "language_model"
  uint64_t seed = 1;
  int threads = 0;                  // 0: all cores
  std::string data_kind = "table";  // [data] kind: "table", "images", "series" or "text"
  TableSpec data;     // kind "table"; data.path is resolved against the config's folder
  ImageSpec images;   // kind "images"; paths resolved the same way
  SeriesSpec series;  // kind "series" (task "forecast")
  TextSpec words;     // kind "text" (task "language_model"); `text` is the config's own text
  std::vector<LayerSpec> layers;
  LossSpec loss;
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  TrainSpec train;
};

Config load_config(const std::string& path);
Config parse_config(const std::string& text, const std::string& path);

}  // namespace redes
