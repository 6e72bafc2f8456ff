// Drives `redes summary` and `redes compare` as a user would: the layer table of a model file and
// of a config (the same network), as text and JSON; one page comparing two small runs, one with a
// validation split and one with dropout; and the errors, one line each.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/cli.hpp"
#include "support/markup.hpp"

namespace fs = std::filesystem;

namespace {

using nlohmann::json;
using redes::test::slurp;
using redes::test::unbalanced_tags;
using redes::test::write;

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

class ReportCli : public redes::test::CliTest {
 protected:
  void write_data(const std::string& name, int rows) {
    redes::test::write_binary_table(dir_ / name, rows);
  }

  // linear(8), relu, [dropout,] linear(1); data_extra goes into [data].
  void write_config(const std::string& name, const std::string& data_extra, bool dropout) {
    write(dir_ / name,
          "task = \"binary\"\nseed = 3\n[data]\npath = \"d.csv\"\nfeatures = [\"x1\", \"x2\", "
          "\"color\"]\ncategorical = [\"color\"]\ntarget = \"y\"\n" +
              data_extra +
              "\n[[layers]]\ntype = \"linear\"\nunits = 8\n\n[[layers]]\ntype = \"relu\"\n\n" +
              (dropout ? "[[layers]]\ntype = \"dropout\"\nrate = 0.2\n\n" : "") +
              "[[layers]]\ntype = \"linear\"\nunits = 1\n\n[optimizer]\ntype = \"adam\"\nlr = "
              "0.02\n\n[train]\nepochs = 12\nbatch_size = 16\n");
  }

  // plain/: a validation split, no dropout; dropout/: dropout, no validation split.
  void train_two_runs() {
    write_data("d.csv", 200);
    write_config("plain.toml", "validation_fraction = 0.2\n", false);
    write_config("dropout.toml", "", true);
    auto r = redes("train plain.toml --out plain --threads 1 --quiet");
    ASSERT_EQ(r.rc, 0) << r.err;
    r = redes("train dropout.toml --out dropout --threads 1 --quiet");
    ASSERT_EQ(r.rc, 0) << r.err;
  }

  json read_json(const fs::path& p) { return json::parse(slurp(p)); }
};

}  // namespace

TEST_F(ReportCli, SummaryOfAModelAndOfItsConfig) {
  ASSERT_NO_FATAL_FAILURE(train_two_runs());
  const json run = read_json(dir_ / "plain/summary.json");

  // The table: a row per layer, aligned columns, the totals and what the model takes.
  auto r = redes("summary plain/model.redes");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("linear") || line.starts_with("relu")) rows.push_back(line);
  ASSERT_EQ(rows.size(), 3u) << r.out;
  EXPECT_TRUE(rows[0].starts_with("linear1 ")) << r.out;
  EXPECT_TRUE(rows[1].starts_with("relu2 ")) << r.out;
  EXPECT_TRUE(rows[2].starts_with("linear3 ")) << r.out;
  // The counts are right-aligned: every row ends in the same column.
  EXPECT_EQ(rows[0].size(), rows[1].size()) << r.out;
  EXPECT_EQ(rows[0].size(), rows[2].size()) << r.out;
  const std::string params = std::to_string(run["parameters"].get<int64_t>());
  EXPECT_EQ(params, "49");  // 4 * 8 + 8, then 8 + 1
  EXPECT_NE(r.out.find("Parameters:     " + params + "\n"), std::string::npos) << r.out;
  for (const char* s : {"Task:           binary", "Data:           table", "Input shape:    (4,)",
                        "Classes:        2: 0, 1", "MB as float32"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " not in\n" << r.out;

  // The same as JSON: multiply-adds of a linear layer are inputs x units per sample.
  r = redes("summary plain/model.redes --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const json model = json::parse(r.out);
  EXPECT_EQ(model["parameters"], run["parameters"]);
  EXPECT_EQ(model["task"], "binary");
  EXPECT_EQ(model["kind"], "table");
  EXPECT_EQ(model["input_shape"], json::array({4}));
  EXPECT_EQ(model["classes"], json::array({"0", "1"}));
  EXPECT_EQ(model["size_bytes"], 4 * 49);
  ASSERT_EQ(model["layers"].size(), 3u);
  EXPECT_EQ(model["layers"][0]["name"], "linear1");
  EXPECT_EQ(model["layers"][0]["inputs"], json::array({"input"}));
  EXPECT_EQ(model["layers"][0]["parameters"], 40);
  EXPECT_EQ(model["layers"][0]["multiply_adds"], 4 * 8);
  EXPECT_EQ(model["layers"][2]["inputs"], json::array({"relu2"}));
  EXPECT_EQ(model["layers"][2]["output_shape"], json::array({1}));
  EXPECT_EQ(model["layers"][2]["multiply_adds"], 8 * 1);
  int64_t macs = 0;
  for (const auto& l : model["layers"]) macs += l["multiply_adds"].get<int64_t>();
  EXPECT_EQ(model["multiply_adds"], macs);

  // The config gives the same network: its input shape comes from its data.
  r = redes("summary plain.toml --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const json config = json::parse(r.out);
  EXPECT_EQ(config["source"], "config");
  EXPECT_EQ(config["name"], "plain");
  for (const char* k : {"layers", "parameters", "multiply_adds", "input_shape", "classes", "task"})
    EXPECT_EQ(config[k], model[k]) << k;
  r = redes("summary dropout.toml");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("dropout3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Parameters:     49\n"), std::string::npos) << r.out;
}

TEST_F(ReportCli, CompareTwoRuns) {
  ASSERT_NO_FATAL_FAILURE(train_two_runs());
  auto r = redes("compare plain dropout -o cmp.html");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "cmp.html\n");
  ASSERT_TRUE(fs::exists(dir_ / "cmp.html"));
  const std::string page = slurp(dir_ / "cmp.html");
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>")) << page.substr(0, 80);
  EXPECT_EQ(unbalanced_tags(page), "");
  EXPECT_EQ(count(page, "<svg"), count(page, "</svg>"));
  // The loss chart and one per validation metric of the binary task (accuracy, f1, ...).
  EXPECT_GE(count(page, "<svg"), 2u);
  EXPECT_GE(count(page, "<path"), 3u);             // 2 training curves, 1 validation curve
  EXPECT_GE(count(page, "stroke-dasharray"), 2u);  // the validation curve and its legend
  for (const char* s : {"plain", "dropout", "test accuracy", "test loss", "validation loss",
                        "train loss", "seconds per epoch", "parameters",
                        "validation loss - training loss", "accuracy per epoch (solid: training",
                        "baseline majority accuracy", "baseline logistic_regression accuracy"})
    EXPECT_NE(page.find(s), std::string::npos) << s;
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("src=\"http"), std::string::npos);
  EXPECT_EQ(page.find("href=\"http"), std::string::npos);

  // The gap row: plain has one, dropout (no validation split) an empty cell.
  const json plain = read_json(dir_ / "plain/summary.json");
  const double gap =
      plain["validation"]["loss"].get<double>() - plain["train"]["loss"].get<double>();
  char cell[64];
  std::snprintf(cell, sizeof cell, "<td class=\"num\">%.4g</td><td class=\"num\"></td>", gap);
  const std::string head = "validation loss - training loss</td>";
  const size_t row = page.find(head);
  ASSERT_NE(row, std::string::npos);
  EXPECT_EQ(page.compare(row + head.size(), std::strlen(cell), cell), 0) << page.substr(row, 120);

  // The default output is compare.html in the current folder; --metric keeps one metric's chart.
  r = redes("compare plain dropout --metric val_f1");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "compare.html\n");
  const std::string one = slurp(dir_ / "compare.html");
  EXPECT_NE(one.find(">f1 per epoch"), std::string::npos);
  EXPECT_EQ(one.find(">accuracy per epoch"), std::string::npos);
  expect_clear_error(redes("compare plain dropout --metric nope"), "--metric nope", "f1");
}

TEST_F(ReportCli, ErrorsAreOneLine) {
  expect_clear_error(redes("summary missing.redes"), "missing.redes", "cannot open");
  expect_clear_error(redes("summary missing.toml"), "missing.toml", "cannot open");
  write_config("bad.toml", "epochz = 3\n", false);  // line 8, in [data]
  expect_clear_error(redes("summary bad.toml"), "bad.toml:8", "epochz");
  write_config("nodata.toml", "", false);  // d.csv is not there
  expect_clear_error(redes("summary nodata.toml"), "d.csv", "cannot open");
  write(dir_ / "text.redes", "hello, I am not a model");
  expect_clear_error(redes("summary text.redes"), "text.redes", "magic");

  fs::create_directories(dir_ / "empty");
  expect_clear_error(redes("compare empty"), "empty", "summary.json");
  expect_clear_error(redes("compare absent"), "absent", "not a folder");
  fs::create_directories(dir_ / "half");
  write(dir_ / "half/summary.json", "{\"name\": \"half\"}\n");
  expect_clear_error(redes("compare half"), "half", "metrics.csv");
  write(dir_ / "half/metrics.csv", "epoch,train_loss,lr,seconds\n1,0.5,0.01\n");
  expect_clear_error(redes("compare half"), "half/metrics.csv:2", "3 fields");
  write(dir_ / "half/metrics.csv", "epoch,train_loss,lr,seconds\n1,heavy,0.01,0.1\n");
  expect_clear_error(redes("compare half"), "half/metrics.csv:2", "heavy");
  write(dir_ / "half/summary.json", "{\"name\": ");
  expect_clear_error(redes("compare half"), "half/summary.json", "not valid JSON");
  EXPECT_FALSE(fs::exists(dir_ / "compare.html"));
}

// The lecture's claim 1: the error of the fit falls as K grows, and the page shows the fits.
TEST_F(ReportCli, DemoApproximationErrorFallsWithK) {
  auto r = redes("demo approximation --out approx --restarts 1 --seed 2");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<int> units;
  std::vector<double> errors;
  for (std::string line; std::getline(lines, line);) {
    int k = 0;
    long params = 0;
    double mse = 0;
    if (std::sscanf(line.c_str(), " %d %ld %lf", &k, &params, &mse) == 3)
      units.push_back(k), errors.push_back(mse);
  }
  ASSERT_EQ(units, (std::vector<int>{1, 2, 4, 8, 32})) << r.out;
  for (size_t i = 1; i < errors.size(); ++i) EXPECT_LT(errors[i], errors[i - 1]) << r.out;
  EXPECT_LT(errors.back(), 0.01) << r.out;  // K = 32 fits closely
  const std::string page = slurp(dir_ / "approx/approximation.html");
  EXPECT_EQ(unbalanced_tags(page), "");
  EXPECT_EQ(count(page, "<svg"), 2u);
  for (const char* s : {"target f(x)", "K = 1", "K = 32", "mean squared error"})
    EXPECT_NE(page.find(s), std::string::npos) << s;
}
