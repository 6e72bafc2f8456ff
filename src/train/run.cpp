// A run: the pipeline behind `redes train`, `redes eval` and `redes predict` for tables.
#include "redes/run.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "redes/report.hpp"
#include "redes/threads.hpp"
#include "train/loaded_data.hpp"

namespace redes {

namespace fs = std::filesystem;

namespace {

// The loss a task expects and the number of outputs its last layer must give.
// target is the per-sample target shape: forecasts give one output per step of the horizon
// (K), language models one logit per vocabulary token at every step, (T, V).
void check_task(const Config& c, const Shape& output, int64_t classes, const Shape& target) {
  const int64_t width = output.numel();
  const std::string& t = c.task;
  const std::string& loss = c.loss.kind;
  if (t == "language_model") {
    std::vector<int64_t> dims = target.dims();
    dims.push_back(classes);
    const Shape want(dims);
    if (output != want)
      throw ConfigError(c.path + ": the last layer gives " + output.str() +
                        " per sample but a language_model needs " + want.str() +
                        ": a logit for each of the " + std::to_string(classes) +
                        " tokens at every step (return_sequences = true, then linear units = " +
                        std::to_string(classes) + ")");
    if (loss != "softmax_cross_entropy")
      throw ConfigError(c.path + ": loss '" + loss +
                        "' does not fit a language_model task (softmax_cross_entropy)");
    return;
  }
  const int64_t want = t == "multiclass" ? classes : t == "forecast" ? target.numel() : 1;
  if (width != want)
    throw ConfigError(c.path + ": the last layer gives " + output.str() +
                      " outputs per sample but a " + t + " task needs " + std::to_string(want) +
                      (t == "multiclass" ? " (one per class)"
                       : t == "forecast" ? " (one per step of the horizon)"
                                         : ""));
  const bool ok = (t == "binary" && loss == "bce_logits") ||
                  (t == "multiclass" && loss == "softmax_cross_entropy") ||
                  ((t == "regression" || t == "forecast") &&
                   (loss == "mse" || loss == "mae" || loss == "huber"));
  if (!ok)
    throw ConfigError(c.path + ": loss '" + loss + "' does not fit a " + t +
                      " task (binary: bce_logits; multiclass: softmax_cross_entropy; regression "
                      "and forecast: mse, "
                      "mae, huber)");
}

// The data of a config, by its [data] kind.
LoadedData load_data(const Config& config) {
  const std::string& kind = config.data_kind;
  return kind == "images"   ? load_image_data(config)
         : kind == "series" ? load_series_data(config)
         : kind == "text"   ? load_text_data(config)
                            : load_table_data(config);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

void write_text(const fs::path& path, const std::string& text) {
  write_file_atomic(path.string(), text);
}

std::string metrics_csv(const std::vector<EpochLog>& logs) {
  std::vector<std::string> names;
  for (const auto& l : logs)
    if (l.val)
      for (const auto& [k, v] : l.val->values)
        if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
  std::ostringstream os;
  os.precision(9);
  os << "epoch,train_loss" << (logs.empty() || !logs[0].val ? "" : ",val_loss");
  for (const auto& n : names) os << ",val_" << n;
  os << ",lr,seconds\n";
  for (const auto& l : logs) {
    os << l.epoch << "," << l.train_loss;
    if (l.val) {
      os << "," << l.val->loss;
      for (const auto& n : names) {
        auto it = l.val->values.find(n);
        os << ",";
        if (it != l.val->values.end()) os << it->second;
      }
    }
    os << "," << l.lr << "," << l.seconds << "\n";
  }
  return os.str();
}

}  // namespace

nlohmann::json train_run(const Config& config, const std::string& out, Progress& progress) {
  const std::string& kind = config.data_kind;
  const double validation_fraction = kind == "images"   ? config.images.validation_fraction
                                     : kind == "series" ? config.series.validation_fraction
                                     : kind == "text"   ? config.words.validation_fraction
                                                        : config.data.validation_fraction;
  if (config.train.early_stopping.enabled && !validation_fraction)
    throw ConfigError(
        config.path +
        ": [train.early_stopping] needs a validation set: set data.validation_fraction above 0");
  set_num_threads(config.threads);
  LoadedData data = load_data(config);

  auto graph = std::make_unique<Graph>(config.layers, data.train->sample_shape());
  check_task(config, graph->output_shape(), static_cast<int64_t>(data.classes.size()),
             data.train->target_shape());
  Rng rng(config.seed);
  Rng init_rng = rng.split();
  graph->init(init_rng);
  auto loss = make_loss<float>(config.loss);
  progress.message(data.description);

  Trainer trainer(*graph, *loss, config.optimizer, config.schedule, config.train, config.task);
  const auto logs = trainer.fit(*data.train, data.val.get(), rng, &progress);
  const Metrics test_metrics = trainer.evaluate(*data.test);

  std::vector<double> seconds;
  for (const auto& l : logs) seconds.push_back(l.seconds);

  nlohmann::json summary = {
      {"name", config.name},
      {"task", config.task},
      {"epochs", static_cast<int>(logs.size())},
      {"best_epoch", trainer.best_epoch()},
      {"stopped_early", trainer.stopped_early()},
      {"seconds_per_epoch", median(seconds)},
      {"seed", config.seed},
      {"threads", num_threads()},
      {"parameters", graph->num_params()},
      {"rows", data.rows},
      {"train", {{"loss", logs.empty() ? 0.0 : logs.back().train_loss}}},  // last epoch's mean
      {"test", test_metrics.to_json()},
  };
  if (data.val) summary["validation"] = trainer.evaluate(*data.val).to_json();
  if (!data.classes.empty()) summary["classes"] = data.classes;

  fs::create_directories(out);
  if (data.report) data.report(*graph, summary, out);
  Model model;
  model.graph = std::move(graph);
  model.prep = data.prep;
  model.meta = {{"task", config.task},
                {"loss", config.loss.kind},
                {"name", config.name},
                {"data", data.meta}};
  save_model((fs::path(out) / "model.redes").string(), model);
  write_text(fs::path(out) / "config.toml", config.text);
  write_text(fs::path(out) / "metrics.csv", metrics_csv(logs));
  write_text(fs::path(out) / "summary.json", summary.dump(2) + "\n");
  if (!data.splits.is_null()) write_text(fs::path(out) / "splits.json", data.splits.dump() + "\n");
  for (const auto& file : write_conv_pictures(*model.graph, *data.test, out))
    progress.message("wrote " + file);

  return summary;
}

namespace {

Preprocessor::Encoded encode_file(const Model& model, const std::string& path, bool need_target,
                                  int64_t* rows = nullptr) {
  REDES_CHECK(!model.prep.columns.empty(), Error, "this model was not trained on a table");
  Table table = read_table(path);
  if (rows) *rows = static_cast<int64_t>(table.rows.size());
  return model.prep.encode(table, need_target);
}

}  // namespace

Metrics evaluate_model(Model& model, const std::string& data_path) {
  auto enc = encode_file(model, data_path, true);
  REDES_CHECK(enc.x.dim(0) > 0, DataError, data_path + ": no row left to evaluate");
  LossSpec ls;
  ls.kind = model.meta.value("loss", "bce_logits");
  auto loss = make_loss<float>(ls);
  TensorDataset data(enc.x, enc.y);
  Trainer trainer(*model.graph, *loss, OptimizerSpec{}, ScheduleSpec{}, TrainSpec{},
                  model.prep.task);
  return trainer.evaluate(data);
}

namespace {

// The data of a config for a saved model: checks that its samples and task fit the model.
LoadedData load_data_for(const Model& model, const Config& config) {
  LoadedData data = load_data(config);
  const Shape input = data.test->sample_shape();
  REDES_CHECK(input == model.graph->input_shape(), ConfigError,
              config.path + ": its data gives samples of shape " + input.str() +
                  ", the model takes " + model.graph->input_shape().str() +
                  " (use the config the model was trained with)");
  const std::string task = model.meta.value("task", config.task);
  REDES_CHECK(
      task == config.task, ConfigError,
      config.path + ": task '" + config.task + "', the model was trained for '" + task + "'");
  return data;
}

Trainer inference_trainer(Model& model, const std::string& task, std::unique_ptr<Loss<float>>& loss,
                          const std::string& default_loss) {
  LossSpec ls;
  ls.kind = model.meta.value("loss", default_loss);
  loss = make_loss<float>(ls);
  return Trainer(*model.graph, *loss, OptimizerSpec{}, ScheduleSpec{}, TrainSpec{}, task);
}

}  // namespace

Metrics evaluate_model_on_config(Model& model, const Config& config) {
  const LoadedData data = load_data_for(model, config);
  std::unique_ptr<Loss<float>> loss;
  Trainer trainer = inference_trainer(model, config.task, loss, config.loss.kind);
  return trainer.evaluate(*data.test);
}

void predict_config_to_csv(Model& model, const Config& config, const std::string& out) {
  const std::string& task = config.task;
  REDES_CHECK(task == "binary" || task == "multiclass" || task == "regression", ConfigError,
              config.path + ": predict --config takes classifiers and regressors; a '" + task +
                  "' model goes to " + (task == "forecast" ? "redes forecast" : "redes sample"));
  const LoadedData data = load_data_for(model, config);
  std::unique_ptr<Loss<float>> loss;
  Trainer trainer = inference_trainer(model, task, loss, config.loss.kind);
  const Dataset& test = *data.test;
  const Tensor pred = trainer.predict(test);
  const int64_t n = test.size(), width = pred.numel() / std::max<int64_t>(n, 1);

  // The true targets, gathered as the trainer gathers batches.
  std::vector<double> truth(n);
  for (int64_t b = 0; b < n; b += 1024) {
    const int64_t m = std::min<int64_t>(1024, n - b);
    std::vector<int64_t> rows(m);
    for (int64_t i = 0; i < m; ++i) rows[i] = b + i;
    Tensor x(test.sample_shape().batched(m)), y(test.target_shape().batched(m));
    test.gather(rows, x, y, false);
    for (int64_t i = 0; i < m; ++i) truth[b + i] = y[i];
  }
  std::vector<std::string> classes = data.classes;
  const int64_t k = task == "binary" ? 2 : width;
  for (int64_t c = static_cast<int64_t>(classes.size()); c < k; ++c)
    classes.push_back(std::to_string(c));
  auto name = [&](double c) { return classes[static_cast<size_t>(c)]; };

  std::ostringstream os;
  os.precision(7);
  os << "index";
  if (task == "regression") {
    os << ",predicted,true\n";
  } else {
    for (int64_t c = 0; c < k; ++c) os << ",p(" << classes[c] << ")";
    os << ",predicted,true\n";
  }
  for (int64_t r = 0; r < n; ++r) {
    const float* o = pred.data() + r * width;
    os << r << ",";
    if (task == "regression") {
      os << o[0] << "," << truth[r];
    } else if (task == "binary") {
      const double p = 1.0 / (1.0 + std::exp(-double(o[0])));
      os << 1 - p << "," << p << "," << classes[p >= 0.5] << "," << name(truth[r]);
    } else {
      const float mx = *std::max_element(o, o + width);
      double z = 0;
      for (int64_t j = 0; j < width; ++j) z += std::exp(double(o[j]) - mx);
      for (int64_t j = 0; j < width; ++j) os << std::exp(double(o[j]) - mx) / z << ",";
      os << classes[std::max_element(o, o + width) - o] << "," << name(truth[r]);
    }
    os << "\n";
  }
  if (out == "-" || out.empty()) {
    std::fwrite(os.str().data(), 1, os.str().size(), stdout);
  } else {
    write_file_atomic(out, os.str());
  }
}

int64_t predict_to_csv(Model& model, const std::string& data_path, const std::string& out) {
  int64_t total = 0;
  auto enc = encode_file(model, data_path, false, &total);
  const std::string task = model.prep.task;
  Tensor y(Shape{enc.x.dim(0), 1});
  TensorDataset data(enc.x, y);
  LossSpec ls;
  ls.kind = model.meta.value("loss", "bce_logits");
  auto loss = make_loss<float>(ls);
  Trainer trainer(*model.graph, *loss, OptimizerSpec{}, ScheduleSpec{}, TrainSpec{}, task);
  Tensor pred = trainer.predict(data);
  const int64_t width = pred.numel() / std::max<int64_t>(pred.dim(0), 1);

  // The header: one probability column per class, or the predicted value.
  std::ostringstream os;
  os.precision(7);
  std::vector<std::string> cols;
  if (task == "regression") {
    cols.push_back(model.prep.target);
  } else {
    for (const auto& c : model.prep.classes) cols.push_back("p(" + c + ")");
    cols.push_back("predicted");
  }
  for (size_t i = 0; i < cols.size(); ++i) os << (i ? "," : "") << cols[i];
  os << "\n";
  // Encoded rows map back to table rows; rows the encoder dropped get empty cells.
  int64_t k = 0, empty_rows = 0;
  for (int64_t r = 0; r < total; ++r) {
    if (k >= static_cast<int64_t>(enc.rows.size()) || enc.rows[k] != r) {
      os << std::string(cols.size() - 1, ',') << "\n";
      ++empty_rows;
      continue;
    }
    const float* o = pred.data() + k * width;
    if (task == "regression") {
      os << o[0];
    } else if (task == "binary") {
      const double p = 1.0 / (1.0 + std::exp(-double(o[0])));
      os << 1 - p << "," << p << "," << model.prep.classes[p >= 0.5];
    } else {
      const float m = *std::max_element(o, o + width);
      double z = 0;
      for (int64_t j = 0; j < width; ++j) z += std::exp(double(o[j]) - m);
      for (int64_t j = 0; j < width; ++j) os << std::exp(double(o[j]) - m) / z << ",";
      os << model.prep.classes[std::max_element(o, o + width) - o];
    }
    os << "\n";
    ++k;
  }
  if (out == "-" || out.empty()) {
    std::fwrite(os.str().data(), 1, os.str().size(), stdout);
  } else {
    write_file_atomic(out, os.str());
  }
  return empty_rows;
}

}  // namespace redes
