// The rules about kinds of data and tasks (redes/task.hpp): one table row per kind and per
// task, guarded by static_asserts so that a new kind or task without its row does not compile.
#include "redes/task.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace redes {

namespace {

struct KindRow {
  DataKind kind;
  std::string_view name;
  std::span<const Task> tasks;  // the first is the one a config gets when it names no task
};

constexpr Task kTableTasks[] = {Task::binary, Task::multiclass, Task::regression};
constexpr Task kImageTasks[] = {Task::multiclass};
constexpr Task kSeriesTasks[] = {Task::forecast};
constexpr Task kTextTasks[] = {Task::language_model};

constexpr KindRow kKinds[] = {
    {DataKind::table, "table", kTableTasks},
    {DataKind::images, "images", kImageTasks},
    {DataKind::series, "series", kSeriesTasks},
    {DataKind::text, "text", kTextTasks},
};
static_assert(std::size(kKinds) == kDataKindCount, "a row per DataKind, in enum order");

struct TaskRow {
  Task task;
  std::string_view name;
  std::span<const std::string_view> losses;   // the first is the default
  std::span<const std::string_view> metrics;  // beside the loss
  std::string_view headline;                  // one of metrics: the figure a run is known by
  bool classifier;
};

// Binary labels are (N, 1) in {0, 1} read against one logit; class indices against a logit per
// class; values against values. A binary model trained with mse would give outputs that the
// metrics (logit >= 0 means class 1) misread, so each loss has exactly the targets it fits.
constexpr std::string_view kBinaryLosses[] = {"bce_logits"};
constexpr std::string_view kClassLosses[] = {"softmax_cross_entropy"};
constexpr std::string_view kValueLosses[] = {"mse", "mae", "huber"};

constexpr std::string_view kBinaryMetrics[] = {"accuracy", "precision", "recall", "f1", "roc_auc"};
constexpr std::string_view kClassMetrics[] = {"accuracy", "precision", "recall", "f1"};
constexpr std::string_view kValueMetrics[] = {"rmse", "mae"};
constexpr std::string_view kTokenMetrics[] = {"accuracy", "perplexity"};

constexpr TaskRow kTasks[] = {
    {Task::binary, "binary", kBinaryLosses, kBinaryMetrics, "accuracy", true},
    {Task::multiclass, "multiclass", kClassLosses, kClassMetrics, "accuracy", true},
    {Task::regression, "regression", kValueLosses, kValueMetrics, "rmse", false},
    {Task::forecast, "forecast", kValueLosses, kValueMetrics, "rmse", false},
    // A word model's accuracy (the next character guessed) says little; its perplexity is what
    // the n-gram models are compared on.
    {Task::language_model, "language_model", kClassLosses, kTokenMetrics, "perplexity", true},
};
static_assert(std::size(kTasks) == kTaskCount, "a row per Task, in enum order");

constexpr bool rows_in_order() {
  for (int i = 0; i < kDataKindCount; ++i)
    if (static_cast<int>(kKinds[i].kind) != i) return false;
  for (int i = 0; i < kTaskCount; ++i)
    if (static_cast<int>(kTasks[i].task) != i) return false;
  return true;
}
static_assert(rows_in_order(), "the rows follow the enums' order");

constexpr bool headlines_are_metrics() {
  for (const TaskRow& t : kTasks)
    if (std::find(t.metrics.begin(), t.metrics.end(), t.headline) == t.metrics.end()) return false;
  return true;
}
static_assert(headlines_are_metrics(), "a task's headline metric is one of its metrics");

const KindRow& row(DataKind k) { return kKinds[static_cast<int>(k)]; }
const TaskRow& row(Task t) { return kTasks[static_cast<int>(t)]; }

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

std::string_view name(DataKind kind) { return row(kind).name; }
std::string_view name(Task task) { return row(task).name; }

std::optional<DataKind> data_kind_named(std::string_view name) {
  for (const auto& r : kKinds)
    if (r.name == name) return r.kind;
  return std::nullopt;
}
std::optional<Task> task_named(std::string_view name) {
  for (const auto& r : kTasks)
    if (r.name == name) return r.task;
  return std::nullopt;
}
std::vector<std::string> data_kind_names() {
  std::vector<std::string> v;
  for (const auto& r : kKinds) v.emplace_back(r.name);
  return v;
}
std::vector<std::string> task_names() {
  std::vector<std::string> v;
  for (const auto& r : kTasks) v.emplace_back(r.name);
  return v;
}

std::span<const Task> tasks_of(DataKind kind) { return row(kind).tasks; }
bool fits(DataKind kind, Task task) {
  const auto ts = tasks_of(kind);
  return std::find(ts.begin(), ts.end(), task) != ts.end();
}

std::string mismatch(DataKind kind, Task task) {
  if (fits(kind, task)) return "";
  const auto ts = tasks_of(kind);
  // A task that only one kind of data serves says which kind; otherwise the kind says which
  // tasks it serves.
  if (kind == DataKind::table) {
    for (const auto& r : kKinds)
      if (fits(r.kind, task))
        return "task '" + std::string(name(task)) + "' needs [data] kind = " + quoted(r.name);
  }
  std::string want;
  for (size_t i = 0; i < ts.size(); ++i)
    want += (i ? (i + 1 == ts.size() ? " or " : ", ") : "") + quoted(name(ts[i]));
  return "[data] kind " + quoted(name(kind)) + " needs task = " + want + ", not '" +
         std::string(name(task)) + "'";
}

std::span<const std::string_view> losses_of(Task task) { return row(task).losses; }
std::string_view default_loss(Task task) { return row(task).losses.front(); }
bool fits(Task task, std::string_view loss) {
  const auto ls = losses_of(task);
  return std::find(ls.begin(), ls.end(), loss) != ls.end();
}
std::string losses_text(Task task) {
  std::string s;
  for (const auto& l : losses_of(task)) s += (s.empty() ? "" : ", ") + std::string(l);
  return s;
}

Shape output_needed(Task task, const Shape& target, int64_t classes) {
  switch (task) {
    case Task::binary:
    case Task::regression:
      return Shape{1};
    case Task::multiclass:
      return Shape{classes};
    case Task::forecast:
      return Shape{target.numel()};
    case Task::language_model: {
      std::vector<int64_t> dims = target.dims();
      dims.push_back(classes);
      return Shape(std::move(dims));
    }
  }
  throw Error("unknown task");
}

void check_output(Task task, const Shape& output, const Shape& target, int64_t classes,
                  const std::string& where) {
  const Shape want = output_needed(task, target, classes);
  const std::string t(name(task));
  if (task == Task::language_model) {
    if (output != want)
      throw ConfigError(where + ": the last layer gives " + output.str() +
                        " per sample but a language_model needs " + want.str() +
                        ": a logit for each of the " + std::to_string(classes) +
                        " tokens at every step (return_sequences = true, then linear units = " +
                        std::to_string(classes) + ")");
    return;
  }
  // Dense tasks read the output as a flat row: (1, 1) fits a task that needs (1).
  if (output.numel() != want.numel()) {
    const char* why = task == Task::multiclass ? " (one per class)"
                      : task == Task::forecast ? " (one per step of the horizon)"
                                               : "";
    throw ConfigError(where + ": the last layer gives " + output.str() +
                      " outputs per sample but a " + t + " task needs " +
                      std::to_string(want.numel()) + why);
  }
}

std::span<const std::string_view> metrics_of(Task task) { return row(task).metrics; }
std::string_view headline_metric(Task task) { return row(task).headline; }
bool is_metric_of(Task task, std::string_view metric) {
  const auto ms = metrics_of(task);
  return metric == "loss" || std::find(ms.begin(), ms.end(), metric) != ms.end();
}
bool higher_is_better(std::string_view metric) {
  return metric == "accuracy" || metric == "precision" || metric == "recall" || metric == "f1" ||
         metric == "roc_auc";
}

bool is_classifier(Task task) { return row(task).classifier; }

Tensor outputs_to_predictions(Task task, TensorView<const float> outputs) {
  Tensor p(outputs.shape());
  const int64_t n = outputs.numel();
  const float* o = outputs.data();
  switch (task) {
    case Task::binary:
      for (int64_t i = 0; i < n; ++i)
        p[i] = static_cast<float>(1.0 / (1.0 + std::exp(-double(o[i]))));
      return p;
    case Task::multiclass:
    case Task::language_model: {
      // Softmax over the last dimension, each row shifted by its maximum.
      const int64_t k = outputs.rank() > 1 ? outputs.dim(-1) : 1, rows = k ? n / k : 0;
      for (int64_t r = 0; r < rows; ++r) {
        const float* x = o + r * k;
        const float mx = *std::max_element(x, x + k);
        double z = 0;
        for (int64_t j = 0; j < k; ++j) z += std::exp(double(x[j]) - mx);
        for (int64_t j = 0; j < k; ++j)
          p[r * k + j] = static_cast<float>(std::exp(double(x[j]) - mx) / z);
      }
      return p;
    }
    case Task::regression:
    case Task::forecast:
      std::copy(o, o + n, p.data());
      return p;
  }
  throw Error("unknown task");
}

namespace {

std::string class_name(const std::vector<std::string>& classes, int64_t c) {
  return c < static_cast<int64_t>(classes.size()) ? classes[c] : std::to_string(c);
}

std::string cell(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

}  // namespace

std::vector<std::string> prediction_columns(Task task, const std::vector<std::string>& classes,
                                            const std::string& target, int64_t width) {
  std::vector<std::string> cols;
  const std::string value = target.empty() ? "value" : target;
  switch (task) {
    case Task::binary:
      width = 2;  // one logit, both probabilities
      [[fallthrough]];
    case Task::multiclass:
    case Task::language_model:
      for (int64_t c = 0; c < width; ++c) cols.push_back("p(" + class_name(classes, c) + ")");
      cols.push_back("predicted");
      return cols;
    case Task::regression:
      return {value};
    case Task::forecast:
      if (width == 1) return {value};
      for (int64_t k = 1; k <= width; ++k) cols.push_back(value + "+" + std::to_string(k));
      return cols;
  }
  throw Error("unknown task");
}

std::vector<std::string> prediction_cells(Task task, const std::vector<std::string>& classes,
                                          const float* p, int64_t width) {
  std::vector<std::string> cells;
  switch (task) {
    case Task::binary:
      cells = {cell(1 - double(p[0])), cell(p[0]), class_name(classes, p[0] >= 0.5f)};
      return cells;
    case Task::multiclass:
    case Task::language_model:
      for (int64_t c = 0; c < width; ++c) cells.push_back(cell(p[c]));
      cells.push_back(class_name(classes, std::max_element(p, p + width) - p));
      return cells;
    case Task::regression:
    case Task::forecast:
      for (int64_t k = 0; k < width; ++k) cells.push_back(cell(p[k]));
      return cells;
  }
  throw Error("unknown task");
}

}  // namespace redes
