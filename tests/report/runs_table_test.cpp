// The table of runs (redes/runs_table.hpp) over run folders written by hand: finished with
// baselines, interrupted (said so, or a "running" run whose process is gone), failed, running
// (this test's own process), damaged files, folders that are not runs, and folders older than
// run.json; as text, JSON and a page, in each order.
#include "redes/runs_table.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "redes/error.hpp"
#include "support/markup.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace redes;

// A pid no process has: above Linux's largest (4194304), so kill() finds none.
constexpr int64_t kDeadPid = 999999999;

std::string hostname() {
  char h[256] = {};
  ::gethostname(h, sizeof h - 1);
  return h;
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

class RunsTable : public ::testing::Test {
 protected:
  void SetUp() override {
    // The text shows local time; the test reads it in UTC.
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    root_ = fs::temp_directory_path() /
            ("redes-runs-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "runs");
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path folder(const std::string& name) {
    const fs::path p = root_ / "runs" / name;
    fs::create_directories(p);
    return p;
  }
  static void write(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
  }
  // run.json as the training writes it; fields of `extra` replace or add to the usual ones.
  static void write_run_json(const fs::path& dir, const std::string& status, const json& extra) {
    json j = {{"run_id", "20261206-221503-" + dir.filename().string()},
              {"name", "cars"},
              {"config", "examples/cars.toml"},
              {"task", "binary"},
              {"kind", "table"},
              {"data", "/abs/path/cars.json"},
              {"status", status},
              {"started", "2026-12-06T22:15:03Z"},
              {"epochs_done", 12},
              {"epochs", 200},
              {"redes_version", "0.2.0"},
              {"machine", {{"cpu", "AMD EPYC"}, {"cores", 2}}},
              {"pid", kDeadPid},
              {"host", hostname()}};
    if (status != "running") j["ended"] = "2026-12-06T22:17:03Z";
    if (!extra.is_null()) j.update(extra);  // {} is null
    write(dir / "run.json", j.dump(2));
  }
  static json binary_summary() {
    return {{"name", "cars"},
            {"task", "binary"},
            {"kind", "table"},
            {"epochs", 12},
            {"seconds_per_epoch", 0.0125},
            {"test", {{"loss", 0.3}, {"accuracy", 0.9125}, {"f1", 0.9}}},
            {"baselines",
             {{"majority", {{"loss", 0.69}, {"accuracy", 0.55}}},
              {"logistic_regression", {{"loss", 0.4}, {"accuracy", 0.8875}, {"epochs", 12}}},
              {"broken", {{"error", "diverged at epoch 3"}}}}}};
  }
  static void checkpoint(const fs::path& dir) { write(dir / "checkpoint.redes-ckpt", "REDESCKP"); }
  // The folder's time, for folders whose files give no start (old runs, not runs).
  static void set_mtime(const fs::path& p, int64_t t) {
    const utimbuf times{static_cast<time_t>(t), static_cast<time_t>(t)};
    ASSERT_EQ(::utime(p.c_str(), &times), 0);
  }

  std::map<std::string, RunRow> by_name(const std::vector<RunRow>& rows) {
    std::map<std::string, RunRow> m;
    for (const auto& r : rows) m[r.name] = r;
    return m;
  }

  fs::path root_;
};

// 2026-12-06 22:15:03 UTC, as the test's run.json files say.
constexpr int64_t kStarted = 1796595303;

}  // namespace

TEST_F(RunsTable, EachKindOfFolderGetsItsStatus) {
  // Finished, with run.json: the figures come from summary.json.
  const fs::path fin = folder("finished");
  write_run_json(fin, "finished", {});
  write(fin / "summary.json", binary_summary().dump());
  write(fin / "report.html", "<html/>");
  checkpoint(fin);
  // "running" in run.json, but its process is gone: a checkpoint makes it interrupted, none
  // failed.
  const fs::path died = folder("died");
  write_run_json(died, "running", {{"epochs_done", 3}, {"epochs", 10}});
  checkpoint(died);
  const fs::path died_early = folder("died-early");
  write_run_json(died_early, "running", {{"epochs_done", 0}});
  // Stopped by Ctrl-C, which says so.
  const fs::path stopped = folder("stopped");
  write_run_json(stopped, "interrupted", {{"epochs_done", 5}});
  checkpoint(stopped);
  const fs::path failed = folder("failed");
  write_run_json(failed, "failed", {{"error", "cars.json: cannot open:\nNo such file"}});
  // This very process is a live training on this host; the same pid on another host is not.
  const fs::path running = folder("running");
  write_run_json(running, "running", {{"pid", ::getpid()}, {"epochs_done", 7}});
  // A killed training its parent has not reaped yet (a zombie) is gone too.
  const pid_t zombie = ::fork();
  if (zombie == 0) ::_exit(0);
  for (int i = 0; i < 500; ++i) {  // until it has exited (its state in /proc is Z)
    std::ifstream st("/proc/" + std::to_string(zombie) + "/stat");
    std::string l;
    std::getline(st, l);
    if (l.find(") Z") != std::string::npos) break;
    ::usleep(2000);
  }
  const fs::path unreaped = folder("unreaped");
  write_run_json(unreaped, "running", {{"pid", zombie}, {"epochs_done", 1}});
  checkpoint(unreaped);
  const fs::path elsewhere = folder("elsewhere");
  write_run_json(elsewhere, "running", {{"pid", ::getpid()}, {"host", hostname() + "-not"}});
  checkpoint(elsewhere);
  // Older runs, without run.json: summary.json means finished, a checkpoint alone interrupted.
  const fs::path old = folder("old");
  json reg = {{"task", "regression"},
              {"epochs", 40},
              {"seconds_per_epoch", 2},
              {"test", {{"loss", 1}, {"rmse", 3.5}, {"mae", 2}}},
              {"baselines",
               {{"mean", {{"rmse", 7.25}, {"mae", 6}}},
                {"linear_regression", {{"rmse", 4.125}, {"mae", 3}}}}}};
  write(old / "summary.json", reg.dump());
  write(old / "config.toml",
        "name = \"old\"\ntask = \"regression\"\n[data]\npath = \"/data/houses.csv\"\nfeatures = "
        "[\"a\"]\ntarget = \"b\"\n[[layers]]\ntype = \"linear\"\nunits = 1\n");
  const fs::path old_stopped = folder("old-stopped");
  checkpoint(old_stopped);
  write(old_stopped / "config.toml",
        "task = \"binary\"\n[data]\npath = \"/data/d.csv\"\nfeatures = [\"a\"]\ntarget = \"y\"\n"
        "[[layers]]\ntype = \"linear\"\nunits = 1\n");
  // Damaged: summary.json cut short; run.json not JSON.
  const fs::path cut = folder("cut");
  write(cut / "summary.json", binary_summary().dump().substr(0, 40));
  const fs::path bad_run = folder("bad-run-json");
  write(bad_run / "run.json", "\x01\x02 not json");
  // Not a run; and what is skipped: a hidden folder, a file.
  write(folder("notes") / "readme.txt", "hello");
  write(folder(".hidden") / "summary.json", binary_summary().dump());
  write(root_ / "runs" / "file.txt", "x");
  for (const char* f : {"old", "old-stopped", "cut", "bad-run-json", "notes"})
    set_mtime(root_ / "runs" / f, kStarted - 3600);

  const auto rows = by_name(list_runs((root_ / "runs").string()));
  ASSERT_EQ(rows.size(), 13u);
  EXPECT_FALSE(rows.count(".hidden"));
  EXPECT_FALSE(rows.count("file.txt"));

  const RunRow& f = rows.at("finished");
  EXPECT_EQ(f.status, RunStatus::finished);
  EXPECT_EQ(f.run_id, "20261206-221503-finished");
  EXPECT_EQ(f.task, "binary");
  EXPECT_EQ(f.data, "cars.json");
  EXPECT_EQ(f.date, kStarted);
  EXPECT_EQ(f.epochs_done.value_or(-1), 12);
  EXPECT_EQ(f.metric, "accuracy");
  EXPECT_DOUBLE_EQ(*f.test, 0.9125);
  // The best of the baselines on accuracy; one that diverged is left out.
  EXPECT_EQ(f.baseline, "logistic_regression");
  EXPECT_DOUBLE_EQ(*f.baseline_test, 0.8875);
  EXPECT_DOUBLE_EQ(*f.seconds_per_epoch, 0.0125);
  EXPECT_TRUE(f.has_report);

  EXPECT_EQ(rows.at("died").status, RunStatus::interrupted);
  EXPECT_EQ(rows.at("died").epochs_done.value_or(-1), 3);
  EXPECT_EQ(rows.at("died").epochs_planned.value_or(-1), 10);
  EXPECT_FALSE(rows.at("died").test);
  EXPECT_EQ(rows.at("died-early").status, RunStatus::failed);
  EXPECT_NE(rows.at("died-early").error.find(std::to_string(kDeadPid)), std::string::npos);
  EXPECT_EQ(rows.at("stopped").status, RunStatus::interrupted);
  EXPECT_EQ(rows.at("failed").status, RunStatus::failed);
  EXPECT_EQ(rows.at("failed").error, "cars.json: cannot open: No such file");  // one line
  EXPECT_EQ(rows.at("running").status, RunStatus::running);
  EXPECT_EQ(rows.at("running").epochs_done.value_or(-1), 7);
  EXPECT_EQ(rows.at("elsewhere").status, RunStatus::interrupted);
  EXPECT_EQ(rows.at("unreaped").status, RunStatus::interrupted);
  ::waitpid(zombie, nullptr, 0);

  const RunRow& o = rows.at("old");
  EXPECT_EQ(o.status, RunStatus::finished);
  EXPECT_EQ(o.run_id, "");
  EXPECT_EQ(o.task, "regression");
  EXPECT_EQ(o.data, "houses.csv");  // from config.toml
  EXPECT_EQ(o.date, kStarted - 3600);
  EXPECT_EQ(o.metric, "rmse");
  EXPECT_DOUBLE_EQ(*o.test, 3.5);
  EXPECT_EQ(o.baseline, "linear_regression");  // the lowest rmse
  EXPECT_DOUBLE_EQ(*o.baseline_test, 4.125);
  EXPECT_FALSE(o.has_report);
  EXPECT_EQ(rows.at("old-stopped").status, RunStatus::interrupted);
  EXPECT_EQ(rows.at("old-stopped").task, "binary");
  EXPECT_EQ(rows.at("old-stopped").data, "d.csv");
  EXPECT_FALSE(rows.at("old-stopped").epochs_done);

  EXPECT_EQ(rows.at("cut").status, RunStatus::damaged);
  EXPECT_TRUE(rows.at("cut").error.starts_with("summary.json: not valid JSON"))
      << rows.at("cut").error;
  EXPECT_EQ(rows.at("bad-run-json").status, RunStatus::damaged);
  EXPECT_TRUE(rows.at("bad-run-json").error.starts_with("run.json: not valid JSON"))
      << rows.at("bad-run-json").error;
  EXPECT_EQ(rows.at("notes").status, RunStatus::not_a_run);
  EXPECT_EQ(rows.at("notes").error, "");
}

TEST_F(RunsTable, DamageOfEveryKindIsARowNeverAnException) {
  const json s = binary_summary();
  const auto summary_with = [&](const std::string& name, const json& patch) {
    json j = s;
    j.merge_patch(patch);
    write(folder(name) / "summary.json", j.dump());
  };
  summary_with("no-task", {{"task", nullptr}});
  summary_with("odd-task", {{"task", "juggling"}});
  summary_with("epochs-text", {{"epochs", "twelve"}});
  summary_with("no-test", {{"test", nullptr}});
  summary_with("no-accuracy", {{"test", {{"accuracy", nullptr}}}});
  summary_with("baselines-list", {{"baselines", json::array({1, 2})}});
  write(folder("array") / "summary.json", "[1, 2, 3]");
  write(folder("empty") / "summary.json", "");
  fs::create_directories(folder("a-folder") / "summary.json");
  const fs::path no_summary = folder("finished-without-summary");
  write_run_json(no_summary, "finished", {});
  write_run_json(folder("odd-status"), "paused", {});
  write_run_json(folder("no-status"), "running", {{"status", nullptr}});
  write_run_json(folder("bad-start"), "finished", {{"started", "yesterday"}});
  write_run_json(folder("pid-text"), "running", {{"pid", "1234"}});

  std::vector<RunRow> rows;
  ASSERT_NO_THROW(rows = list_runs((root_ / "runs").string()));
  const auto m = by_name(rows);
  const std::map<std::string, std::string> why = {
      {"no-task", "summary.json: no task"},
      {"odd-task", "summary.json: task 'juggling' is not a task of redes"},
      {"epochs-text", "summary.json: epochs is not a whole number (string)"},
      {"no-test", "summary.json: no test figures"},
      {"no-accuracy", "summary.json: test has no accuracy"},
      {"baselines-list", "summary.json: baselines is not an object"},
      {"array", "summary.json: not a JSON object"},
      {"empty", "summary.json: not valid JSON"},
      {"a-folder", "summary.json: cannot open: Is a directory"},
      {"finished-without-summary", "run.json says finished, but there is no summary.json"},
      {"odd-status", "run.json: status 'paused' is none of running, finished, interrupted, failed"},
      {"no-status", "run.json: no status"},
      {"bad-start", "run.json: started 'yesterday' is not a time like 2026-12-06T22:15:03Z"},
      {"pid-text", "run.json: pid is not a whole number (string)"}};
  ASSERT_EQ(m.size(), why.size());
  for (const auto& [name, reason] : why) {
    EXPECT_EQ(m.at(name).status, RunStatus::damaged) << name;
    EXPECT_TRUE(m.at(name).error.starts_with(reason)) << name << ": " << m.at(name).error;
    EXPECT_FALSE(m.at(name).test) << name;
  }
  // A figure JSON could not hold (NaN, written as null) is not known, not damage.
  json nan = s;
  nan["test"]["accuracy"] = nullptr;
  write(folder("nan") / "summary.json", nan.dump());
  const RunRow r = read_run_row((root_ / "runs/nan").string());
  EXPECT_EQ(r.status, RunStatus::finished) << r.error;
  EXPECT_FALSE(r.test);
}

TEST_F(RunsTable, WordModelsAndForecastsShowTheirOwnFigure) {
  json words = {{"task", "language_model"},
                {"epochs", 3},
                {"test", {{"accuracy", 0.4}, {"perplexity", 9.5}}},
                {"baselines",
                 {{"unigram", {{"validation_perplexity", 20}, {"test_perplexity", 21.5}}},
                  {"bigram", {{"validation_perplexity", 11}, {"test_perplexity", 12.25}}}}}};
  write(folder("words") / "summary.json", words.dump());
  json series = {{"task", "forecast"},
                 {"epochs", 3},
                 {"test", {{"loss", 0.1}, {"rmse", 0.75}, {"mae", 0.5}}},
                 {"baselines",
                  {{"last_value", {{"rmse", 1.5}, {"mae", 1}}},
                   {"seasonal_naive", {{"rmse", 1.25}, {"mae", 1}}}}}};
  write(folder("co2") / "summary.json", series.dump());
  const auto m = by_name(list_runs((root_ / "runs").string()));
  EXPECT_EQ(m.at("words").metric, "perplexity");
  EXPECT_DOUBLE_EQ(*m.at("words").test, 9.5);
  EXPECT_EQ(m.at("words").baseline, "bigram");
  EXPECT_DOUBLE_EQ(*m.at("words").baseline_test, 12.25);
  EXPECT_EQ(m.at("co2").metric, "rmse");
  EXPECT_EQ(m.at("co2").baseline, "seasonal_naive");
  EXPECT_DOUBLE_EQ(*m.at("co2").baseline_test, 1.25);
}

TEST_F(RunsTable, TextIsAnAlignedTableOldestFirst) {
  const fs::path fin = folder("cars");
  write_run_json(fin, "finished", {});
  write(fin / "summary.json", binary_summary().dump());
  const fs::path run = folder("a-running-one");
  write_run_json(run, "running",
                 {{"pid", ::getpid()}, {"started", "2026-12-07T08:00:00Z"}, {"epochs_done", 7}});
  write(folder("b-not-a-run") / "x", "");
  set_mtime(root_ / "runs/b-not-a-run", kStarted - 60);

  const std::string dir = (root_ / "runs").string();
  const std::string text = runs_text(list_runs(dir), dir);
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_TRUE(lines[0].starts_with("NAME ")) << text;
  // Oldest first: the folder's time (a minute before), the finished run, the running one.
  EXPECT_TRUE(lines[1].starts_with("b-not-a-run ")) << text;
  EXPECT_TRUE(lines[2].starts_with("cars ")) << text;
  EXPECT_TRUE(lines[3].starts_with("a-running-one ")) << text;
  // Each cell starts under its column's title.
  const auto under = [&](const std::string& title, int row, const std::string& cell) {
    const size_t at = lines[0].find(title);
    ASSERT_NE(at, std::string::npos) << title;
    EXPECT_EQ(lines[row].substr(at, cell.size()), cell) << title << "\n" << text;
  };
  under("TASK", 2, "binary");
  under("DATA", 2, "cars.json");
  under("DATE", 2, "2026-12-06 22:15");
  under("STATUS", 2, "finished");
  under("METRIC", 2, "accuracy");
  under("BEST BASELINE", 2, "0.8875 logistic_regression");
  under("STATUS", 3, "running");
  under("DATE", 3, "2026-12-07 08:00");
  under("STATUS", 1, "not a run");
  under("TASK", 1, "-");
  // Numbers end under the end of their title (right-aligned): the finished run's epochs is its
  // count, the running one's done/planned.
  const auto ends_under = [&](const std::string& title, int row, const std::string& cell) {
    const size_t end = lines[0].find(title) + title.size();
    ASSERT_GE(end, cell.size());
    EXPECT_EQ(lines[row].substr(end - cell.size(), cell.size()), cell) << title << "\n" << text;
  };
  ends_under("EPOCHS", 2, " 12");
  ends_under("EPOCHS", 3, "7/200");
  ends_under("TEST", 2, "0.9125");
  EXPECT_NE(lines[2].find(" 0.0125"), std::string::npos) << text;  // seconds per epoch
  under("METRIC", 3, "-");                                         // no figures yet

  // An empty folder: the header, and a line that says so.
  fs::create_directories(root_ / "empty");
  const std::string none = runs_text(list_runs((root_ / "empty").string()), "empty");
  EXPECT_TRUE(none.starts_with("NAME ")) << none;
  EXPECT_NE(none.find("\nno runs in empty\n"), std::string::npos) << none;
  EXPECT_EQ(count(none, "\n"), 2);
}

TEST_F(RunsTable, SortKeys) {
  // Three finished runs: accuracy 0.9 (c), 0.7 (a), 0.8 (b); seconds 3, 1, 2; and a regression
  // with rmse 2 (r) and a folder that is not a run (z).
  const auto finished = [&](const std::string& name, double acc, double sec, int epochs,
                            const std::string& started) {
    const fs::path d = folder(name);
    json s = binary_summary();
    s["test"]["accuracy"] = acc;
    s["seconds_per_epoch"] = sec;
    s["epochs"] = epochs;
    write_run_json(d, "finished", {{"started", started}});
    write(d / "summary.json", s.dump());
  };
  finished("c", 0.9, 3, 5, "2026-01-01T00:00:00Z");
  finished("a", 0.7, 1, 30, "2026-03-01T00:00:00Z");
  finished("b", 0.8, 2, 20, "2026-02-01T00:00:00Z");
  json reg = {{"task", "regression"}, {"epochs", 10}, {"test", {{"rmse", 2}}}};
  write(folder("r") / "summary.json", reg.dump());
  set_mtime(root_ / "runs/r", kStarted);
  write(folder("z") / "x", "");
  set_mtime(root_ / "runs/z", kStarted);

  const auto order = [&](const char* key) {
    auto rows = list_runs((root_ / "runs").string());
    const auto k = run_sort_key_named(key);
    EXPECT_TRUE(k) << key;
    if (k) sort_runs(rows, *k);
    std::string names;
    for (const auto& r : rows) names += r.name;
    return names;
  };
  EXPECT_EQ(order("date"), "cbarz");  // r and z at the same time: by name
  EXPECT_EQ(order("name"), "abcrz");
  EXPECT_EQ(order("task"), "zabcr");  // z has no task: first
  EXPECT_EQ(order("epochs"), "zcrba");
  EXPECT_EQ(order("status"), "abcrz");  // finished, then "not a run"
  EXPECT_EQ(order("seconds"), "rzabc");
  // By metric, then the best last: accuracy 0.7, 0.8, 0.9, then rmse.
  EXPECT_EQ(order("metric"), "zabcr");
  EXPECT_FALSE(run_sort_key_named("size"));
  EXPECT_EQ(run_sort_key_names(), "name, task, date, epochs, status, metric, seconds");
}

TEST_F(RunsTable, JsonHasEveryFieldNumbersAsNumbers) {
  const fs::path fin = folder("cars");
  write_run_json(fin, "finished", {});
  write(fin / "summary.json", binary_summary().dump());
  write(fin / "report.html", "<html/>");
  write(folder("cut") / "summary.json", "{");
  const std::string dir = (root_ / "runs").string();
  const json j = json::parse(runs_json(list_runs(dir)).dump());
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  const json& cars = j[0]["name"] == "cars" ? j[0] : j[1];
  const json& cut = j[0]["name"] == "cars" ? j[1] : j[0];
  EXPECT_EQ(cars["dir"], (fs::path(dir) / "cars").string());
  EXPECT_EQ(cars["run_id"], "20261206-221503-cars");
  EXPECT_EQ(cars["task"], "binary");
  EXPECT_EQ(cars["data"], "cars.json");
  EXPECT_EQ(cars["date"], "2026-12-06T22:15:03Z");
  EXPECT_EQ(cars["status"], "finished");
  EXPECT_TRUE(cars["error"].is_null());
  EXPECT_EQ(cars["epochs_done"], 12);
  EXPECT_EQ(cars["epochs_planned"], 200);
  EXPECT_EQ(cars["metric"], "accuracy");
  EXPECT_TRUE(cars["test"].is_number_float());
  EXPECT_DOUBLE_EQ(cars["test"].get<double>(), 0.9125);
  EXPECT_EQ(cars["baseline"], "logistic_regression");
  EXPECT_DOUBLE_EQ(cars["baseline_test"].get<double>(), 0.8875);
  EXPECT_DOUBLE_EQ(cars["seconds_per_epoch"].get<double>(), 0.0125);
  EXPECT_EQ(cars["report"], (fs::path(dir) / "cars" / "report.html").string());
  EXPECT_EQ(cut["status"], "damaged");
  EXPECT_TRUE(cut["error"].get<std::string>().starts_with("summary.json: not valid JSON"));
  for (const char* k : {"run_id", "task", "test", "baseline", "seconds_per_epoch", "report"})
    EXPECT_TRUE(cut[k].is_null()) << k;
}

TEST_F(RunsTable, PageLinksEachRunToItsReport) {
  const fs::path fin = folder("cars #1");  // a name a URL must encode
  write_run_json(fin, "finished", {});
  write(fin / "summary.json", binary_summary().dump());
  write(fin / "report.html", "<html/>");
  const fs::path old = folder("old<run>");
  write(old / "summary.json", binary_summary().dump());  // no report.html: no link
  write(folder("cut") / "summary.json", "{");
  const std::string dir = (root_ / "runs").string();
  const auto rows = list_runs(dir);

  // The page beside the runs' folder, and inside it: the links are relative to the page.
  const std::string beside = runs_html(rows, dir, (root_ / "runs.html").string());
  EXPECT_EQ(redes::test::unbalanced_tags(beside), "");
  EXPECT_NE(beside.find("<a href=\"runs/cars%20%231/report.html\">cars #1</a>"), std::string::npos)
      << beside;
  EXPECT_EQ(count(beside, "<a href="), 1);
  EXPECT_NE(beside.find("old&lt;run&gt;"), std::string::npos);
  EXPECT_NE(beside.find("0.8875 logistic_regression"), std::string::npos);
  // Why the damaged one is.
  EXPECT_NE(beside.find("cut (damaged): summary.json: not valid JSON"), std::string::npos)
      << beside;
  fs::create_directories(root_ / "pages");
  const std::string below = runs_html(rows, dir, (root_ / "pages/index.html").string());
  EXPECT_NE(below.find("<a href=\"../runs/cars%20%231/report.html\">"), std::string::npos) << below;

  fs::create_directories(root_ / "empty");
  const std::string none = runs_html({}, "empty", (root_ / "runs.html").string());
  EXPECT_EQ(redes::test::unbalanced_tags(none), "");
  EXPECT_NE(none.find("no runs in empty"), std::string::npos);
}

TEST_F(RunsTable, AFolderThatIsNotThereIsAnError) {
  const std::string missing = (root_ / "nothing").string();
  try {
    list_runs(missing);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              missing + ": no such folder (redes train writes its runs into runs/ by default)");
  }
  write(root_ / "file", "x");
  try {
    list_runs((root_ / "file").string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("file: not a folder"), std::string::npos) << e.what();
  }
}
