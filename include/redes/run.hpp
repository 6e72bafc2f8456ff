// A whole run as the CLI does it: config -> data + graph -> trainer -> run folder.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "redes/config.hpp"
#include "redes/model_file.hpp"
#include "redes/train.hpp"

namespace redes {

// Trains the model a config describes and writes the run folder `out`: config.toml (the
// config as used), model.redes, metrics.csv (one row per epoch) and summary.json.
// Returns the summary.
nlohmann::json train_run(const Config& config, const std::string& out, Progress& progress);

// Loss and metrics of a saved model on a table that has the target column.
Metrics evaluate_model(Model& model, const std::string& data_path);

// Loss and metrics of a saved model on the test split of the data a config describes (any
// kind: tables, images, series, text), as the run that trained it reported them; the run
// folder's config.toml is the config to pass. Throws ConfigError when the data's samples or the
// task do not fit the model.
Metrics evaluate_model_on_config(Model& model, const Config& config);

// The predictions of a saved classifier or regressor on the test split of a config's data
// (images and sequences too), as CSV to `out` (a path, or "-" for stdout): index, the
// probability of each class (classifiers), the predicted class or value, and the true one.
// Throws ConfigError for other tasks and as evaluate_model_on_config does.
void predict_config_to_csv(Model& model, const Config& config, const std::string& out);

// Writes one CSV row per input row to `out` (a path, or "-" for stdout): the probability of each
// class for classifiers, the value for regression. Rows that cannot be encoded (missing values
// under the "drop" policy) get empty cells. Returns the number of such rows.
int64_t predict_to_csv(Model& model, const std::string& data_path, const std::string& out);

}  // namespace redes
