// redes compare RUN_DIR... [-o compare.html] [--metric NAME]: runs side by side in one page,
// their curves overlaid and their final figures in a table.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/report.hpp"

namespace redes::cli {

namespace {

struct CompareArgs {
  std::vector<std::string> dirs;
  std::string output = "compare.html";
  std::string metric;  // "": every metric
};

// Keeps only the metric `metric` ("accuracy", "val_accuracy" or "train_accuracy") in the
// runs' logs, training and validation; "loss" keeps none (the loss chart is always drawn).
// Throws when no run logged it.
void keep_only_metric(std::vector<CompareRun>& runs, std::string metric) {
  for (const char* prefix : {"val_", "train_"})
    if (metric.starts_with(prefix)) metric = metric.substr(std::strlen(prefix));
  std::vector<std::string> seen;
  const auto note = [&](const Metrics& m) {
    for (const auto& [k, v] : m.values)
      if (std::find(seen.begin(), seen.end(), k) == seen.end()) seen.push_back(k);
  };
  for (const auto& r : runs)
    for (const auto& l : r.logs) {
      note(l.train);
      if (l.val) note(*l.val);
    }
  if (metric != "loss" && std::find(seen.begin(), seen.end(), metric) == seen.end()) {
    std::string have;
    for (const auto& k : seen) have += (have.empty() ? "" : ", ") + k;
    throw ConfigError("--metric " + metric + ": no run logged " + metric + " (" +
                      (have.empty() ? "they logged the loss only" : "they have " + have) + ")");
  }
  const auto others = [&](const auto& kv) { return kv.first != metric; };
  for (auto& r : runs)
    for (auto& l : r.logs) {
      std::erase_if(l.train.values, others);
      if (l.val) std::erase_if(l.val->values, others);
    }
}

}  // namespace

Command add_compare(CLI::App& app) {
  auto a = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand(
      "compare",
      "Compare runs in one page: their curves overlaid, their final figures side by side");
  cmd->footer(
      "Reads each run folder's summary.json and metrics.csv and writes one self-contained HTML "
      "page (inline SVG, no script): the training loss of each run (solid) and its validation "
      "loss (dashed) in the run's colour, a chart per metric drawn the same way, and a table with "
      "a "
      "column per run (task, epochs, seconds per epoch, parameters, the test, validation and "
      "training figures, and the gap between the final validation and training loss). Runs of "
      "different tasks may be compared: a figure a run does not have is an empty cell.\n"
      "Example: redes compare runs/cars runs/cars-dropout -o compare.html");
  cmd->add_option("runs", a->dirs, "Run folders written by redes train")->required();
  cmd->add_option("--output,-o", a->output, "The page to write (default: compare.html)");
  cmd->add_option("--metric", a->metric,
                  "Chart only this metric (accuracy, f1, rmse, ...; default: all)");
  return {cmd, [a] {
            std::vector<CompareRun> runs;
            for (const auto& dir : a->dirs) runs.push_back(read_run(dir));
            if (!a->metric.empty()) keep_only_metric(runs, a->metric);
            write_file_atomic(a->output, compare_report_html(runs));
            std::printf("%s\n", a->output.c_str());
            return 0;
          }};
}

}  // namespace redes::cli
