// The table of runs (`redes runs [DIR]`): a row per run folder of a folder, read from what the
// folder holds (run.json, summary.json, checkpoint.redes-ckpt, config.toml), as text, JSON or
// one self-contained page. src/report/runs_table.cpp; tests/report/runs_table_test.cpp (hand-made
// folders) and tests/cli/runs_cli_test.cpp (folders that `redes train` wrote).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redes {

// What became of a run. A folder whose run.json says "running" is running only while its
// process lives (same host, the pid alive); otherwise the process died, and the run is
// interrupted when it left a checkpoint to resume from, failed when it did not.
enum class RunStatus {
  finished,     // summary.json written
  interrupted,  // stopped with a checkpoint: `redes train CONFIG --resume DIR` goes on
  failed,       // ended by an error (run.json "error"), or died before its first checkpoint
  running,
  not_a_run,  // none of run.json, summary.json, checkpoint
  damaged,    // run.json or summary.json unreadable, not JSON, or without what the table needs
};
inline constexpr int kRunStatusCount = 6;
std::string_view name(RunStatus status);  // "finished", ..., "not a run", "damaged"

// One folder's line of the table. Text fields are "" and numbers empty when the folder does
// not say.
struct RunRow {
  std::string dir;     // the folder: DIR/<name>
  std::string name;    // the folder's name
  std::string config;  // the run's own name, its config's (run.json's, or config.toml's)
  std::string run_id;  // run.json's (or summary.json's); runs older than run.json have none
  std::string task;    // "binary", ..., as the run names it
  std::string data;    // the base name of the main data file
  int64_t date = 0;    // the start, seconds since 1970 UTC; the folder's time when not known
  RunStatus status = RunStatus::not_a_run;
  std::string error;  // one line: why a run failed, or what is wrong with a damaged folder
  std::optional<int64_t> epochs_done, epochs_planned;
  // Finished runs: the task's headline metric on the test split (redes/task.hpp), and the best
  // baseline on the same metric (summary.json "baselines").
  std::string metric;
  std::optional<double> test;
  std::string baseline;
  std::optional<double> baseline_test;
  std::optional<double> seconds_per_epoch;  // the median, of finished runs
  bool has_report = false;                  // report.html is in the folder
};

// The row of one folder. Whatever the folder holds, it does not throw for it: what cannot be
// read makes the row damaged, with the reason in error.
RunRow read_run_row(const std::string& dir);

// A row per folder directly in dir (not recursive; hidden folders and files skipped), in date
// order, newest last. Throws Error naming dir when it is missing or not a folder.
std::vector<RunRow> list_runs(const std::string& dir);

// The orders of the table (`redes runs --sort KEY`); ties go by name. date: oldest first; name,
// task, status: alphabetical; epochs, seconds: fewest first; metric: by metric, then from the
// worst figure to the best (the best last, as the newest is by date). A row without the value
// comes first.
enum class RunSortKey { name, task, date, epochs, status, metric, seconds };
inline constexpr int kRunSortKeyCount = 7;
std::optional<RunSortKey> run_sort_key_named(std::string_view key);
std::string run_sort_key_names();  // "name, task, date, ..." for messages
void sort_runs(std::vector<RunRow>& rows, RunSortKey key);

// Plain text, a line per row under a header, columns aligned; no rows: the header and "no runs
// in <dir>".
std::string runs_text(const std::vector<RunRow>& rows, const std::string& dir);
// An array of objects with the table's fields, numbers as numbers (null when not known), the
// date as UTC ("2026-12-06T22:15:03Z"), plus the folder, the run id and report.html's path.
nlohmann::ordered_json runs_json(const std::vector<RunRow>& rows);
// The table as one self-contained XHTML page to be written at page_path, each name linking to
// its run's report.html (a path relative to the page's folder) when the run has one.
std::string runs_html(const std::vector<RunRow>& rows, const std::string& dir,
                      const std::string& page_path);

}  // namespace redes
