// The kinds of data and the tasks, and every rule about them, in one place: which task a kind
// of data is trained for, which losses fit a task, how wide the network's output must be, the
// metrics a task reports, and the columns of its predictions. Everything else asks these
// functions (src/tensor/task.cpp holds the tables); a switch over DataKind or Task has no
// `default:`, and -Werror=switch makes the compiler name every place a new kind must be handled.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redes/tensor.hpp"

namespace redes {

// [data] kind: what the samples are.
enum class DataKind {
  table,   // rows of a CSV or JSON table: one-hot and standardised features
  images,  // (C, H, W) pixels: IDX, CIFAR, folders of PNG/JPEG
  series,  // windows of a time series: (L, F)
  text,    // words as sequences of character ids: (T)
};
inline constexpr int kDataKindCount = 4;

// What the network learns to do with them.
enum class Task {
  binary,          // one logit per sample; P(class 1) = sigmoid
  multiclass,      // one logit per class; probabilities = softmax
  regression,      // one value per sample
  forecast,        // K values per window (the horizon), in the series' units after decoding
  language_model,  // a logit per token at every step
};
inline constexpr int kTaskCount = 5;

std::string_view name(DataKind kind);
std::string_view name(Task task);
// The kind or task a name stands for (as in a config); nullopt for an unknown name.
std::optional<DataKind> data_kind_named(std::string_view name);
std::optional<Task> task_named(std::string_view name);
std::vector<std::string> data_kind_names();  // "table", "images", ...
std::vector<std::string> task_names();       // "binary", "multiclass", ...

// The tasks a kind of data can be trained for (tables: binary, multiclass, regression; images:
// multiclass; series: forecast; text: language_model), and the kind a task needs.
std::span<const Task> tasks_of(DataKind kind);
bool fits(DataKind kind, Task task);
// Why a kind and a task do not go together, as one phrase ("[data] kind \"series\" needs task =
// \"forecast\", not 'binary'"); empty when they fit.
std::string mismatch(DataKind kind, Task task);

// The losses that fit a task's targets, the first being the default.
std::span<const std::string_view> losses_of(Task task);
std::string_view default_loss(Task task);
bool fits(Task task, std::string_view loss);
// "bce_logits" or "mse, mae, huber", for messages.
std::string losses_text(Task task);

// The per-sample output the last layer must give: binary and regression (1), multiclass
// (classes), forecast the target's shape (K), language_model the target's shape and a logit per
// token, (T, classes). target is the per-sample target shape, classes the number of classes or
// tokens. Throws ConfigError "<where>: the last layer gives ... but a <task> task needs ..." when
// output does not fit.
Shape output_needed(Task task, const Shape& target, int64_t classes);
void check_output(Task task, const Shape& output, const Shape& target, int64_t classes,
                  const std::string& where);

// The metrics a task reports beside the loss (summary.json "test", metrics.csv val_*), and
// whether a larger value is better (for early stopping and plateau schedules).
std::span<const std::string_view> metrics_of(Task task);
// The one figure a run of the task is known by, on the test split (`redes runs` shows it beside
// the best baseline): accuracy for classifiers, rmse for regression and forecasts, perplexity
// for word models.
std::string_view headline_metric(Task task);
bool is_metric_of(Task task, std::string_view metric);  // "loss" is a metric of every task
bool higher_is_better(std::string_view metric);

// Whether the task classifies (its predictions are class probabilities and a class).
bool is_classifier(Task task);

// What a prediction is, from the network's raw outputs (N, output...): probabilities for the
// classifiers (binary: (N, 1) P(class 1) = sigmoid; multiclass and language_model: softmax over
// the last dimension), the outputs themselves for regression and forecasts.
Tensor outputs_to_predictions(Task task, TensorView<const float> outputs);

// The columns of a prediction CSV, one row per sample: for classifiers p(<class>) for every
// class (binary: both) and "predicted"; for regression the target's name; for forecasts
// "<target>+1" ... "<target>+K" (K = width). classes may be empty (then "0", "1", ...).
std::vector<std::string> prediction_columns(Task task, const std::vector<std::string>& classes,
                                            const std::string& target, int64_t width);
// The cells of one sample's row under those columns, from its prediction (as
// outputs_to_predictions gives it: width values).
std::vector<std::string> prediction_cells(Task task, const std::vector<std::string>& classes,
                                          const float* prediction, int64_t width);

}  // namespace redes
