// `redes runs` as a user meets it: two small trainings (a classifier and a forecaster) beside a
// damaged run folder and a folder that is not a run, listed as text, JSON, in another order and
// as a page; and the errors, one line each. (tests/report/runs_table_test.cpp covers every status
// on hand-made folders.)
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/cli.hpp"
#include "support/markup.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using redes::test::slurp;
using redes::test::write;

class RunsCli : public redes::test::CliTest {
 protected:
  // runs/cars: a binary classifier on a table; runs/co2: an LSTM forecaster on a monthly series
  // (its baselines: the last value and the seasonal naive forecast); runs/broken: a summary.json
  // cut short; runs/notes: a folder of notes.
  void make_runs() {
    redes::test::write_binary_table(dir_ / "d.csv", 160);
    write(dir_ / "cars.toml",
          "task = \"binary\"\nseed = 3\n[data]\npath = \"d.csv\"\nfeatures = [\"x1\", \"x2\", "
          "\"color\"]\ncategorical = [\"color\"]\ntarget = \"y\"\n\n[[layers]]\ntype = "
          "\"linear\"\nunits = 8\n\n[[layers]]\ntype = \"relu\"\n\n[[layers]]\ntype = "
          "\"linear\"\nunits = 1\n\n[optimizer]\ntype = \"adam\"\nlr = 0.02\n\n[train]\nepochs = "
          "12\nbatch_size = 16\n");
    redes::test::write_series(dir_ / "s.csv", 96);
    write(dir_ / "co2.toml",
          "task = \"forecast\"\nseed = 2\n[data]\nkind = \"series\"\npath = \"s.csv\"\nvalue = "
          "\"value\"\nlookback = 12\nseason = 12\n\n[[layers]]\ntype = \"lstm\"\nunits = "
          "4\n\n[[layers]]\ntype = \"linear\"\nunits = 1\n\n[optimizer]\ntype = \"adam\"\nlr = "
          "0.01\n\n[train]\nepochs = 2\nbatch_size = 16\n");
    for (const char* name : {"cars", "co2"}) {
      const auto r =
          redes(std::string("train ") + name + ".toml --out runs/" + name + " --threads 1 --quiet");
      ASSERT_EQ(r.rc, 0) << r.err;
    }
    fs::create_directories(dir_ / "runs/broken");
    write(dir_ / "runs/broken/summary.json", slurp(dir_ / "runs/cars/summary.json").substr(0, 30));
    fs::create_directories(dir_ / "runs/notes");
    write(dir_ / "runs/notes/todo.txt", "try dropout\n");
    write(dir_ / "runs/list.txt", "not a folder: skipped\n");
  }

  json summary(const std::string& run) {
    return json::parse(slurp(dir_ / "runs" / run / "summary.json"));
  }

  static std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
};

}  // namespace

TEST_F(RunsCli, ListsTrainedRunsAndWhatIsNotARun) {
  ASSERT_NO_FATAL_FAILURE(make_runs());

  // The text: a header, then a line per folder (the file is left out).
  auto r = redes("runs --sort name");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  const std::string& header = lines[0];
  const auto cell = [&](size_t row, const std::string& title, const std::string& text) {
    const size_t at = header.find(title);
    ASSERT_NE(at, std::string::npos) << title;
    EXPECT_EQ(lines[row].substr(at, text.size()), text) << title << "\n" << r.out;
  };
  EXPECT_TRUE(lines[1].starts_with("broken ")) << r.out;
  cell(1, "STATUS", "damaged");
  EXPECT_TRUE(lines[2].starts_with("cars ")) << r.out;
  cell(2, "CONFIG", "cars");
  cell(2, "TASK", "binary");
  cell(2, "DATA", "d.csv");
  cell(2, "STATUS", "finished");
  cell(2, "METRIC", "accuracy");
  EXPECT_TRUE(lines[3].starts_with("co2 ")) << r.out;
  cell(3, "CONFIG", "co2");
  cell(3, "TASK", "forecast");
  cell(3, "DATA", "s.csv");
  cell(3, "STATUS", "finished");
  cell(3, "METRIC", "rmse");
  EXPECT_TRUE(lines[4].starts_with("notes ")) << r.out;
  cell(4, "STATUS", "not a run");

  // The same as JSON, with the figures of summary.json as numbers.
  r = redes("runs runs --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const json rows = json::parse(r.out);
  ASSERT_EQ(rows.size(), 4u) << r.out;
  json by_name;
  for (const auto& row : rows) by_name[row["name"].get<std::string>()] = row;
  const json cars = by_name["cars"], co2 = by_name["co2"];
  const json cars_summary = summary("cars"), co2_summary = summary("co2");
  EXPECT_EQ(cars["status"], "finished");
  EXPECT_EQ(cars["config"], "cars");
  EXPECT_EQ(cars["dir"], "runs/cars");
  EXPECT_EQ(cars["epochs_done"], 12);
  EXPECT_EQ(cars["test"], cars_summary["test"]["accuracy"]);
  EXPECT_EQ(cars["seconds_per_epoch"], cars_summary["seconds_per_epoch"]);
  EXPECT_EQ(cars["report"], "runs/cars/report.html");
  if (fs::exists(dir_ / "runs/cars/run.json"))  // runs that record their id
    EXPECT_EQ(cars["run_id"], json::parse(slurp(dir_ / "runs/cars/run.json"))["run_id"]);
  EXPECT_EQ(co2["metric"], "rmse");
  EXPECT_EQ(co2["test"], co2_summary["test"]["rmse"]);
  // The better of the two baselines on the test RMSE.
  const json& b = co2_summary["baselines"];
  const bool seasonal = b["seasonal_naive"]["rmse"] < b["last_value"]["rmse"];
  EXPECT_EQ(co2["baseline"], seasonal ? "seasonal_naive" : "last_value");
  EXPECT_EQ(co2["baseline_test"], b[seasonal ? "seasonal_naive" : "last_value"]["rmse"]);
  EXPECT_EQ(by_name["broken"]["status"], "damaged");
  EXPECT_TRUE(
      by_name["broken"]["error"].get<std::string>().starts_with("summary.json: not valid JSON"))
      << by_name["broken"];
  EXPECT_EQ(by_name["notes"]["status"], "not a run");

  // By the test figure: the rows without one first, then by metric, the best last.
  r = redes("runs --sort metric");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string order;
  for (const auto& l : lines_of(r.out)) order += l.substr(0, l.find(' ')) + " ";
  EXPECT_EQ(order, "NAME broken notes cars co2 ");

  // The page: each run with a report links to it, relative to the page.
  r = redes("runs runs --html runs.html");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "runs.html\n");
  const std::string page = slurp(dir_ / "runs.html");
  EXPECT_EQ(redes::test::unbalanced_tags(page), "");
  EXPECT_NE(page.find("<a href=\"runs/cars/report.html\">cars</a>"), std::string::npos) << page;
  EXPECT_NE(page.find("<a href=\"runs/co2/report.html\">co2</a>"), std::string::npos) << page;
  EXPECT_EQ(page.find("runs/notes/report.html"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

TEST_F(RunsCli, ErrorsAreOneLine) {
  expect_clear_error(redes("runs nothing"), "nothing", "no such folder");
  write(dir_ / "f.txt", "x");
  expect_clear_error(redes("runs f.txt"), "f.txt", "not a folder");
  fs::create_directories(dir_ / "runs");
  expect_clear_error(redes("runs --sort size"), "--sort size",
                     "name, task, date, epochs, status, metric, seconds");

  // An empty folder is no error: the header, and a line that says there is nothing.
  auto r = redes("runs");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("NAME ")) << r.out;
  EXPECT_NE(r.out.find("\nno runs in runs\n"), std::string::npos) << r.out;
  r = redes("runs --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::array());

  r = redes("runs --help");
  EXPECT_EQ(r.rc, 0);
  for (const char* s : {"--sort", "--json", "--html"})
    EXPECT_NE(r.out.find(s), std::string::npos) << r.out;
}
