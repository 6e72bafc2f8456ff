// redes: train, evaluate and use small neural networks from the command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <toml++/toml.h>

#include "redes/run.hpp"
#include "redes/threads.hpp"

namespace {

using namespace redes;

struct TrainArgs {
  std::string config, out;
  std::optional<int> epochs, threads;
  std::optional<uint64_t> seed;
  bool quiet = false;
};

// The config as used: the file's text with the command-line overrides written in.
std::string config_as_used(const Config& c, const TrainArgs& a) {
  if (!a.epochs && !a.seed && !a.threads) return c.text;
  toml::table t = toml::parse(c.text);
  if (a.seed) t.insert_or_assign("seed", static_cast<int64_t>(*a.seed));
  if (a.threads) t.insert_or_assign("threads", *a.threads);
  if (a.epochs) {
    if (!t.contains("train")) t.insert("train", toml::table{});
    t["train"].as_table()->insert_or_assign("epochs", *a.epochs);
  }
  std::ostringstream os;
  os << "# " << c.path << " with the command-line overrides applied\n" << t << "\n";
  return os.str();
}

int run_train(const TrainArgs& a) {
  Config c = load_config(a.config);
  if (a.epochs) {
    if (*a.epochs < 1) throw ConfigError("--epochs must be at least 1");
    c.train.epochs = *a.epochs;
  }
  if (a.seed) c.seed = *a.seed;
  if (a.threads) {
    if (*a.threads < 0) throw ConfigError("--threads must be 0 (all cores) or more");
    c.threads = *a.threads;
  }
  c.text = config_as_used(c, a);
  const std::string out = a.out.empty() ? "runs/" + c.name : a.out;
  auto progress = make_console_progress(a.quiet);
  const auto summary = train_run(c, out, *progress);
  std::printf("%s: %s, %d epochs (%.3g s each), test", c.name.c_str(), c.task.c_str(),
              summary["epochs"].get<int>(), summary["seconds_per_epoch"].get<double>());
  for (const auto& [k, v] : summary["test"].items())
    if (v.is_number()) std::printf(" %s %.4f", k.c_str(), v.get<double>());
  std::printf("\nresults in %s (summary.json, metrics.csv, model.redes, config.toml, splits.json)\n", out.c_str());
  return 0;
}

void print_metrics(const Metrics& m) {
  std::printf("loss %.6f\n", m.loss);
  for (const auto& [k, v] : m.values) std::printf("%s %.6f\n", k.c_str(), v);
  if (!m.confusion.empty()) {
    std::printf("confusion (rows: true class, columns: predicted)\n");
    for (const auto& row : m.confusion) {
      for (size_t j = 0; j < row.size(); ++j) std::printf("%s%lld", j ? " " : "  ", static_cast<long long>(row[j]));
      std::printf("\n");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"redes: train, evaluate and use small neural networks (dense, convolutional, LSTM)"};
  app.set_version_flag("--version", std::string("redes ") + REDES_VERSION);
  app.require_subcommand(1);

  TrainArgs ta;
  auto* train = app.add_subcommand("train", "Train the model a TOML config describes and write a run folder");
  train->add_option("config", ta.config, "The config file (see examples/)")->required();
  train->add_option("--out,-o", ta.out, "The run folder (default: runs/<name>)");
  train->add_option("--epochs", ta.epochs, "Override train.epochs");
  train->add_option("--seed", ta.seed, "Override the seed (same seed and threads: same result)");
  train->add_option("--threads", ta.threads, "Override the thread count (0: all cores)");
  train->add_flag("--quiet,-q", ta.quiet, "No progress output");

  std::string model_path, data_path, input_path, output_path = "-";
  bool as_json = false;
  int threads = 0;
  auto* eval = app.add_subcommand("eval", "Evaluate a trained model on a data file that has the target column");
  eval->add_option("model", model_path, "A model.redes file")->required();
  eval->add_option("--data", data_path, "A CSV or JSON file with the training columns")->required();
  eval->add_flag("--json", as_json, "Print the metrics as JSON");
  eval->add_option("--threads", threads, "Threads (0: all cores)");

  auto* predict = app.add_subcommand("predict", "Write the model's predictions, one CSV row per input row");
  predict->add_option("model", model_path, "A model.redes file")->required();
  predict->add_option("--input,-i", input_path, "A CSV or JSON file with the feature columns")->required();
  predict->add_option("--output,-o", output_path, "Where to write the CSV (default: standard output)");
  predict->add_option("--threads", threads, "Threads (0: all cores)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*train) return run_train(ta);
    set_num_threads(threads);
    if (*eval) {
      Model model = load_model(model_path);
      const Metrics m = evaluate_model(model, data_path);
      if (as_json)
        std::printf("%s\n", m.to_json().dump(2).c_str());
      else
        print_metrics(m);
      return 0;
    }
    if (*predict) {
      Model model = load_model(model_path);
      const int64_t skipped = predict_to_csv(model, input_path, output_path);
      if (skipped)
        std::fprintf(stderr, "redes: %lld rows had missing values and were left empty\n",
                     static_cast<long long>(skipped));
      return 0;
    }
  } catch (const redes::Error& e) {
    std::fprintf(stderr, "redes: error: %s\n", e.what());
    return 1;
  } catch (const toml::parse_error& e) {
    std::fprintf(stderr, "redes: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redes: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
