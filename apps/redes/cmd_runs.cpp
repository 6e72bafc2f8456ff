// redes runs [DIR] [--sort KEY] [--json | --html PAGE]: a line per run folder of DIR (default
// runs/): name, task, data, date, epochs, status, the test figure beside the best baseline,
// seconds per epoch.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/runs_table.hpp"

namespace redes::cli {

namespace {

struct RunsArgs {
  std::string dir = "runs";
  std::string sort = "date";
  bool json = false;
  std::string html;  // "": no page
};

}  // namespace

Command add_runs(CLI::App& app) {
  auto a = std::make_shared<RunsArgs>();
  auto* cmd = app.add_subcommand("runs", "List the runs in a folder: a line per run folder");
  cmd->footer(
      "One line per folder of DIR (default: runs/; not recursive, hidden folders skipped): its "
      "name, task, data file, start date, epochs done (of those planned while it is not "
      "finished), status (finished, interrupted, failed, running; \"not a run\" for a folder "
      "without run.json, summary.json or a checkpoint; \"damaged\" for one whose run.json or "
      "summary.json cannot be read, with the reason in --json), the task's test figure "
      "(accuracy, rmse or perplexity) beside the best of the run's baselines on it, and the "
      "seconds per epoch. Oldest first unless --sort says otherwise; ties go by name.\n"
      "Example: redes runs runs --sort metric");
  cmd->add_option("dir", a->dir, "A folder of run folders (default: runs)");
  cmd->add_option("--sort", a->sort, "Order by " + run_sort_key_names() + " (default: date)");
  auto* json = cmd->add_flag("--json", a->json, "Print a JSON array instead of the table");
  cmd->add_option("--html", a->html,
                  "Write the table as one self-contained page, each run linked to its report")
      ->excludes(json);
  return {cmd, [a] {
            const auto key = run_sort_key_named(a->sort);
            REDES_CHECK(
                key, Error,
                "--sort " + one_line(a->sort) + ": not a key (" + run_sort_key_names() + ")");
            std::vector<RunRow> rows = list_runs(a->dir);
            sort_runs(rows, *key);
            if (!a->html.empty()) {
              write_file_atomic(a->html, runs_html(rows, a->dir, a->html));
              std::printf("%s\n", a->html.c_str());
            } else if (a->json) {
              // A folder's name need not be UTF-8; JSON must be.
              const auto replace = nlohmann::ordered_json::error_handler_t::replace;
              std::printf("%s\n", runs_json(rows).dump(2, ' ', false, replace).c_str());
            } else {
              std::fputs(runs_text(rows, a->dir).c_str(), stdout);
            }
            return 0;
          }};
}

}  // namespace redes::cli
