// redes forecast MODEL --data FILE --steps K: extend a series with a trained forecaster.
#include <cstdio>

#include "commands.hpp"
#include "redes/files.hpp"
#include "redes/model.hpp"
#include "redes/threads.hpp"

namespace redes::cli {

namespace {

struct ForecastArgs {
  std::string model, data, output = "-";
  int64_t steps = 12;
  int threads = 0;
};

}  // namespace

Command add_forecast(CLI::App& app) {
  auto a = std::make_shared<ForecastArgs>();
  auto* cmd = app.add_subcommand("forecast",
                                 "Extend a series with a forecaster (a model trained on a series)");
  cmd->footer(
      "Reads the series in FILE with the columns the model was trained on (the value column, the "
      "time column, "
      "any feature columns), forecasts --steps values after its last row, K at a time (K: the "
      "model's "
      "horizon), each round feeding its forecasts back as history, and writes CSV: the time column "
      "continued "
      "(dates by their last step in months or days, numbers by their last step; \"step\" without a "
      "time column) "
      "and the value column, in the original units.\n"
      "Example: redes forecast runs/lstm-co2/model.redes --data "
      "data/vega-datasets/data/co2-concentration.csv "
      "--steps 12");
  cmd->add_option("model", a->model, "A model.redes file from `redes train` on a series")
      ->required();
  cmd->add_option("--data", a->data, "A CSV or JSON file with the series, oldest row first")
      ->required();
  cmd->add_option("--steps", a->steps, "How many values to forecast (default 12)");
  cmd->add_option("--output,-o", a->output, "Where to write the CSV (default: standard output)");
  cmd->add_option("--threads", a->threads, "Threads (0: all cores)");
  return {cmd, [a] {
            set_num_threads(a->threads);
            const std::string csv = Model::load(a->model).forecast(a->data, a->steps).csv();
            if (a->output == "-" || a->output.empty())
              std::fwrite(csv.data(), 1, csv.size(), stdout);
            else
              write_file_atomic(a->output, csv);
            return 0;
          }};
}

}  // namespace redes::cli
