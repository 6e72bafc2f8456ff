// A whole run as the CLI does it: config -> data + graph -> trainer -> run folder.
#pragma once
#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "redes/config.hpp"
#include "redes/model_file.hpp"
#include "redes/train.hpp"

namespace redes {

// Trains the model a config describes and writes the run folder `out`: config.toml (the
// config as used), model.redes, metrics.csv (one row per epoch), summary.json and run.json.
// Returns the summary, with "out": the run folder. The folder belongs to this run
// (redes/run_folder.hpp): when out holds another run, the run goes to the next free name
// (out-2, out-3, ...) unless control says resume or overwrite; a folder another process trains
// in is an Error naming that process.
// With resume, goes on from out's checkpoint (kCheckpointName), whose config must be this one
// but for [train] epochs and threads (ConfigError naming the first difference). A checkpoint is
// written at every epoch's end and as [train] checkpoint_every_batches/_seconds ask; when *stop
// becomes true, one is written after the current batch and Interrupted is thrown.
struct RunControl {
  bool resume = false;
  bool overwrite = false;  // replace the run in out (kept aside until the first checkpoint)
  const std::atomic<bool>* stop = nullptr;
};
nlohmann::json train_run(const Config& config, const std::string& out, Progress& progress,
                         const RunControl& control = {});

// What `redes train CONFIG [--out] [--epochs] [--seed] [--threads]` may change of a config.
struct TrainOverrides {
  std::string out;     // the run folder; "" means runs/<name>
  RunControl control;  // resume: go on with the run in out
  std::optional<int> epochs, threads;
  std::optional<uint64_t> seed;
};
// Reads the config, applies the overrides (written into the run folder's config.toml too) and
// trains as train_run does.
nlohmann::json train_config(const std::string& config_path, const TrainOverrides& overrides,
                            Progress& progress);

// Loss and metrics of a saved model on a table that has the target column (models trained on
// tables). baselines, when given, receives the figures of the baselines stored with the model
// (Model::baselines; none for a model without them) on the same rows, by name.
Metrics evaluate_model(const Model& model, const std::string& data_path,
                       std::map<std::string, Metrics>* baselines = nullptr);

// Loss and metrics of a saved model on the test split of the data a config describes (any
// kind: tables, images, series, text), as the run that trained it reported them; the run
// folder's config.toml is the config to pass. Throws ConfigError when the data's samples or the
// task do not fit the model. baselines as for evaluate_model: on the run's own config, the
// figures of its summary.json "baselines".
Metrics evaluate_model_on_config(const Model& model, const Config& config,
                                 std::map<std::string, Metrics>* baselines = nullptr);

// The predictions of a saved model on the test split of a config's data (any kind), as CSV to
// `out` (a path, or "-" for stdout): index, the columns of prediction_columns (the probability of
// each class and the predicted class, or the values), and the true target; a word model gives a
// row per predicted character (index, step, ...). Throws as evaluate_model_on_config does.
void predict_config_to_csv(const Model& model, const Config& config, const std::string& out);

// Writes one CSV row per input row to `out` (a path, or "-" for stdout): the probability of each
// class for classifiers, the value for regression. Rows that cannot be encoded (missing values
// under the "drop" policy) get empty cells. Returns the number of such rows.
int64_t predict_to_csv(const Model& model, const std::string& data_path, const std::string& out);

// Predicts a .npy array of shape (N, Model::input_shape()...) (float32, or uint8 image pixels;
// other numeric dtypes are converted to float) and writes what Model::predict returns: a .npy
// file when out ends in ".npy", else CSV as predict_to_csv writes it (one row per sample). A
// wrong shape or dtype is an Error naming the file and the shape expected.
void predict_npy(const Model& model, const std::string& in, const std::string& out);

// The network a config describes, for `redes summary`: its data read as a run reads it, the
// config's layers built on the training set's sample shape and the output checked against the
// task as train_run checks it (weights not initialised). classes, when given, receives the class
// names (a word model's tokens; empty for regression and forecasts).
Graph config_graph(const Config& config, std::vector<std::string>* classes = nullptr);

}  // namespace redes
