// redes eval MODEL (--data FILE | --config FILE) [--baselines] and redes predict MODEL (--input
// FILE | --config FILE).
#include <cstdio>
#include <map>

#include "commands.hpp"
#include "redes/config.hpp"
#include "redes/error.hpp"
#include "redes/run.hpp"
#include "redes/threads.hpp"

namespace redes::cli {

namespace {

void print_metrics(const Metrics& m) {
  std::printf("loss %.6f\n", m.loss);
  for (const auto& [k, v] : m.values) std::printf("%s %.6f\n", k.c_str(), v);
  if (!m.confusion.empty()) {
    std::printf("confusion (rows: true class, columns: predicted)\n");
    for (const auto& row : m.confusion) {
      for (size_t j = 0; j < row.size(); ++j)
        std::printf("%s%lld", j ? " " : "  ", static_cast<long long>(row[j]));
      std::printf("\n");
    }
  }
}

// A baseline's figures on one line: "majority: loss 0.693147, accuracy 0.500000, ...".
void print_baseline(const std::string& name, const Metrics& m) {
  std::printf("%s: loss %.6f", name.c_str(), m.loss);
  for (const auto& [k, v] : m.values) std::printf(", %s %.6f", k.c_str(), v);
  std::printf("\n");
}

struct Args {
  std::string model, data, config, output = "-";
  bool json = false, baselines = false;
  int threads = 0;
};

}  // namespace

Command add_eval(CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "eval",
      "Evaluate a trained model on a table that has the target column (--data), or on the test "
      "split of a config's data, images and sequences included (--config)");
  cmd->add_option("model", a->model, "A model.redes file")->required();
  auto* data = cmd->add_option("--data", a->data, "A CSV or JSON file with the training columns");
  auto* config = cmd->add_option("--config", a->config,
                                 "A config (the run folder's config.toml): its test split");
  data->excludes(config);
  config->excludes(data);
  cmd->add_flag("--json", a->json, "Print the metrics as JSON");
  cmd->add_flag("--baselines", a->baselines,
                "Also score the baselines its run fitted on the training split (majority class "
                "and logistic regression, or mean and linear regression) on the same data");
  cmd->add_option("--threads", a->threads, "Threads (0: all cores)");
  return {cmd, [a] {
            if (a->data.empty() && a->config.empty())
              throw ConfigError("eval needs --data FILE (a table) or --config FILE");
            set_num_threads(a->threads);
            const Model model = Model::load(a->model);
            REDES_CHECK(!a->baselines || !model.baselines().empty(), Error,
                        a->model +
                            ": no baselines are stored with this model (its run had [train] "
                            "baselines = false, or it is a forecaster or a word model, whose "
                            "baselines are in its run's summary.json, or it was not made by "
                            "redes train)");
            std::map<std::string, Metrics> baselines;
            std::map<std::string, Metrics>* want = a->baselines ? &baselines : nullptr;
            const Metrics m = a->config.empty()
                                  ? evaluate_model(model, a->data, want)
                                  : evaluate_model_on_config(model, load_config(a->config), want);
            if (a->json) {
              nlohmann::json j = m.to_json();
              for (const auto& [name, b] : baselines) j["baselines"][name] = b.to_json();
              std::printf("%s\n", j.dump(2).c_str());
              return 0;
            }
            print_metrics(m);
            if (!baselines.empty())
              std::printf("baselines (fitted on the training split, scored on the same data):\n");
            for (const auto& [name, b] : baselines) print_baseline(name, b);
            return 0;
          }};
}

Command add_predict(CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "predict",
      "Write the model's predictions: one row per row of a table (--input t.csv), one per sample "
      "of an array (--input x.npy, any model), or per sample of a config's test split with the "
      "true target (--config)");
  cmd->footer(
      "An array is a NumPy .npy file of shape (N, the model's input shape): float32, or uint8 "
      "pixels for image models (float pixels are in [0, 1]); series models take the rows before "
      "each forecast in the series' units, word models token ids. Its predictions are what "
      "redes.Model.predict returns: class probabilities (binary: P(class 1)), values, or "
      "forecasts. --output y.npy writes them as .npy, any other name as CSV.\n"
      "Example: redes predict runs/lenet5-fashion/model.redes --input x.npy --output y.npy");
  cmd->add_option("model", a->model, "A model.redes file")->required();
  auto* input = cmd->add_option("--input,-i", a->data,
                                "A CSV or JSON file with the feature columns, or a .npy array");
  auto* config = cmd->add_option("--config", a->config,
                                 "A config (the one the model was trained with): its test split");
  input->excludes(config);
  config->excludes(input);
  cmd->add_option("--output,-o", a->output,
                  "Where to write: a .npy file, or CSV (default: CSV on standard output)");
  cmd->add_option("--threads", a->threads, "Threads (0: all cores)");
  return {
      cmd, [a] {
        if (a->data.empty() && a->config.empty())
          throw ConfigError("predict needs --input FILE (a table or .npy array) or --config FILE");
        set_num_threads(a->threads);
        const Model model = Model::load(a->model);
        if (!a->config.empty()) {
          predict_config_to_csv(model, load_config(a->config), a->output);
          return 0;
        }
        if (a->data.ends_with(".npy")) {
          predict_npy(model, a->data, a->output);
          return 0;
        }
        const int64_t skipped = predict_to_csv(model, a->data, a->output);
        if (skipped)
          std::fprintf(stderr, "redes: %lld rows had missing values and were left empty\n",
                       static_cast<long long>(skipped));
        return 0;
      }};
}

}  // namespace redes::cli
