// compare.html (redes/report.hpp): runs side by side, as `redes compare` writes it. The same
// rules as report.html: XHTML, inline SVG, no script, nothing loaded from elsewhere.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>

#include "redes/files.hpp"
#include "redes/report.hpp"
#include "report/html.hpp"
#include "report/svg.hpp"

namespace redes {

namespace {

namespace fs = std::filesystem;
using html::fixed;
using html::section;
using html::table;
using nlohmann::json;
using svg::escape;

constexpr uint64_t kMaxRunFile = uint64_t(64) << 20;

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();  // a last empty cell
  return cells;
}

// metrics.csv as metrics_csv (src/train/run.cpp) writes it: epoch,train_loss[,train_<metric>
// ...][,val_loss,val_<metric>...],lr,seconds; an empty cell is a value that epoch did not have.
std::vector<EpochLog> parse_metrics_csv(const std::string& path, const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw Error(path + ": empty (no header line)");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<std::string> head = split_csv_line(line);
  const auto column = [&](const std::string& name) -> int {
    for (size_t i = 0; i < head.size(); ++i)
      if (head[i] == name) return static_cast<int>(i);
    return -1;
  };
  const int epoch = column("epoch"), train = column("train_loss"), val = column("val_loss"),
            lr = column("lr"), seconds = column("seconds");
  REDES_CHECK(epoch >= 0 && train >= 0, Error,
              path + ":1: the header has no 'epoch' or no 'train_loss' column (" + line + ")");
  std::vector<EpochLog> logs;
  for (int number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::vector<std::string> cells = split_csv_line(line);
    const std::string where = path + ":" + std::to_string(number) + ": ";
    REDES_CHECK(cells.size() == head.size(), Error,
                where + std::to_string(cells.size()) + " fields, the header has " +
                    std::to_string(head.size()));
    const auto value = [&](int c) {
      if (c < 0 || cells[c].empty()) return std::numeric_limits<double>::quiet_NaN();
      char* end = nullptr;
      const double v = std::strtod(cells[c].c_str(), &end);
      REDES_CHECK(end && *end == '\0', Error,
                  where + head[c] + " '" + cells[c] + "' is not a number");
      return v;
    };
    EpochLog log;
    const double e = value(epoch);
    REDES_CHECK(std::isfinite(e), Error, where + "no epoch number");
    log.epoch = static_cast<int>(e);
    log.train.loss = value(train);
    for (size_t c = 0; c < head.size(); ++c)
      if (static_cast<int>(c) != train && head[c].starts_with("train_") && !cells[c].empty())
        log.train.values[head[c].substr(6)] = value(static_cast<int>(c));
    log.lr = value(lr);
    log.seconds = value(seconds);
    if (val >= 0 && !cells[val].empty()) {
      Metrics m;
      m.loss = value(val);
      for (size_t c = 0; c < head.size(); ++c)
        if (static_cast<int>(c) != val && head[c].starts_with("val_") && !cells[c].empty())
          m.values[head[c].substr(4)] = value(static_cast<int>(c));
      log.val = std::move(m);
    }
    logs.push_back(std::move(log));
  }
  return logs;
}

// What a run is called on the page: its name, with the folder when two runs share it.
std::vector<std::string> labels_of(const std::vector<CompareRun>& runs) {
  std::vector<std::string> labels;
  std::map<std::string, int> count;
  for (const auto& r : runs) {
    std::string name = r.summary.value("name", std::string());
    if (name.empty()) name = fs::path(r.dir).filename().string();
    labels.push_back(name);
    ++count[name];
  }
  for (size_t i = 0; i < runs.size(); ++i)
    if (count[labels[i]] > 1) labels[i] += " (" + runs[i].dir + ")";
  return labels;
}

// A number or a word of summary.json as a cell; empty when it has none.
std::string cell(const json& s, const char* key, int digits = 4) {
  if (!s.is_object() || !s.contains(key)) return "";
  const json& v = s[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_float()) return fixed(v.get<double>(), digits);
  if (v.is_number()) return v.dump();
  return "";
}

// The final figures: a column per run.
std::string figures(const std::vector<CompareRun>& runs, const std::vector<std::string>& labels) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"figure"});
  rows[0].insert(rows[0].end(), labels.begin(), labels.end());
  const auto add = [&](const std::string& title, auto&& cell_of) {
    std::vector<std::string> row = {title};
    bool any = false;
    for (const auto& r : runs) {
      row.push_back(cell_of(r));
      any = any || !row.back().empty();
    }
    if (any) rows.push_back(std::move(row));
  };
  add("folder", [](const CompareRun& r) { return r.dir; });
  const std::pair<const char*, const char*> settings[] = {
      {"task", "task"},
      {"kind", "data"},
      {"epochs", "epochs"},
      {"best_epoch", "best epoch"},
      {"stopped_early", "stopped early"},
      {"seconds_per_epoch", "seconds per epoch"},
      {"parameters", "parameters"}};
  for (const auto& [key, title] : settings)
    add(title, [key = key](const CompareRun& r) { return cell(r.summary, key, 3); });
  // Every number of the test, validation and train figures, in the order the runs give them.
  for (const char* group : {"test", "validation", "train"}) {
    std::vector<std::string> keys;
    for (const auto& r : runs) {
      const json& g = r.summary.value(group, json::object());
      if (!g.is_object()) continue;
      for (const auto& [k, v] : g.items())
        if (v.is_number() && std::find(keys.begin(), keys.end(), k) == keys.end())
          keys.push_back(k);
    }
    for (const auto& k : keys)
      add(std::string(group) + " " + k, [&](const CompareRun& r) {
        return cell(r.summary.value(group, json::object()), k.c_str());
      });
  }
  // The baselines beside them (summary.json "baselines": their test figures, the n-gram
  // models' perplexities), each number a row.
  std::vector<std::pair<std::string, std::string>> baseline_keys;
  for (const auto& r : runs) {
    const json& b = r.summary.value("baselines", json::object());
    if (!b.is_object()) continue;
    for (const auto& [n, f] : b.items())
      if (f.is_object())
        for (const auto& [k, v] : f.items())
          if (v.is_number() && std::find(baseline_keys.begin(), baseline_keys.end(),
                                         std::make_pair(n, k)) == baseline_keys.end())
            baseline_keys.emplace_back(n, k);
  }
  for (const auto& key : baseline_keys)
    add("baseline " + key.first + " " + key.second, [&key](const CompareRun& r) {
      const json& b = r.summary.value("baselines", json::object());
      return b.is_object() ? cell(b.value(key.first, json::object()), key.second.c_str())
                           : std::string();
    });
  // How much better the network does on what it learned from than on held-out data.
  add("validation loss - training loss", [](const CompareRun& r) {
    const json& v = r.summary.value("validation", json::object());
    const json& t = r.summary.value("train", json::object());
    if (!v.is_object() || !t.is_object() || !v.contains("loss") || !t.contains("loss") ||
        !v["loss"].is_number() || !t["loss"].is_number())
      return std::string();
    return fixed(v["loss"].get<double>() - t["loss"].get<double>());
  });
  return section(
      "Final figures",
      table(rows) +
          "<p class=\"note\">The gap between the final validation loss and the training loss "
          "shows overfitting: the larger it is, the better the network fits the rows it learned "
          "from compared with held-out ones. Both are the final model's, in evaluation mode (no "
          "dropout, no augmentation; train epoch_loss is the last epoch's mean while training); "
          "an empty cell is a figure that run does not have.</p>");
}

// The curves overlaid: a colour per run, training solid and validation dashed, for the loss and
// for every metric.
std::string curves(const std::vector<CompareRun>& runs, const std::vector<std::string>& labels) {
  svg::LineChart loss("Loss per epoch (solid: training, dashed: validation)", "epoch", "loss");
  loss.integer_x = true;
  loss.width = 900;
  loss.height = 380;
  std::vector<std::string> metrics;  // in first-seen order
  const auto note = [&](const Metrics& m) {
    for (const auto& [k, v] : m.values)
      if (std::find(metrics.begin(), metrics.end(), k) == metrics.end()) metrics.push_back(k);
  };
  bool any_val = false;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& logs = runs[i].logs;
    svg::Line train(labels[i] + " training", svg::colour(i)),
        val(labels[i] + " validation", svg::colour(i), true);
    for (const auto& l : logs) {
      train.x.push_back(l.epoch);
      train.y.push_back(l.train.loss);
      note(l.train);
      if (!l.val) continue;
      any_val = true;
      val.x.push_back(l.epoch);
      val.y.push_back(l.val->loss);
      note(*l.val);
    }
    train.points = val.points = logs.size() == 1;
    if (!train.x.empty()) loss.lines.push_back(train);
    if (!val.x.empty()) loss.lines.push_back(val);
  }
  std::string body = svg::line_chart(loss);
  for (const auto& k : metrics) {
    svg::LineChart chart(k + " per epoch (solid: training, dashed: validation)", "epoch", k);
    chart.integer_x = true;
    chart.width = 900;
    for (size_t i = 0; i < runs.size(); ++i) {
      svg::Line train(labels[i] + " training", svg::colour(i)),
          val(labels[i] + " validation", svg::colour(i), true);
      for (const auto& l : runs[i].logs) {
        if (const auto it = l.train.values.find(k); it != l.train.values.end()) {
          train.x.push_back(l.epoch);
          train.y.push_back(it->second);
        }
        if (l.val)
          if (const auto it = l.val->values.find(k); it != l.val->values.end()) {
            val.x.push_back(l.epoch);
            val.y.push_back(it->second);
          }
      }
      for (auto* line : {&train, &val}) {
        line->points = line->x.size() == 1;
        if (!line->x.empty()) chart.lines.push_back(*line);
      }
    }
    body += svg::line_chart(chart);
  }
  if (!any_val)
    body +=
        "<p class=\"note\">No validation split: set <code>validation_fraction</code> in "
        "[data] to see the validation curves beside the training ones.</p>";
  return section("Curves", body);
}

}  // namespace

CompareRun read_run(const std::string& dir) {
  std::error_code ec;
  REDES_CHECK(fs::is_directory(dir, ec), Error,
              dir + ": not a folder (a run folder of redes train)");
  CompareRun run;
  run.dir = dir;
  const auto file = [&](const char* name, const char* what) {
    const fs::path p = fs::path(dir) / name;
    REDES_CHECK(fs::exists(p, ec), Error,
                dir + ": no " + name + " in this folder (is it a run folder of redes train?)");
    return std::make_pair(p.string(), read_file<Error>(p.string(), kMaxRunFile, what));
  };
  const auto [summary_path, summary_text] = file("summary.json", "a run summary");
  try {
    run.summary = json::parse(summary_text);
  } catch (const json::parse_error& e) {
    std::string why = e.what();
    if (const size_t at = why.find("] "); why.starts_with("[json.exception") && at != why.npos)
      why = why.substr(at + 2);
    throw Error(summary_path + ": not valid JSON: " + why);
  }
  REDES_CHECK(run.summary.is_object(), Error, summary_path + ": not a JSON object");
  const auto [metrics_path, metrics_text] = file("metrics.csv", "a metrics table");
  run.logs = parse_metrics_csv(metrics_path, metrics_text);
  return run;
}

std::string compare_report_html(const std::vector<CompareRun>& runs) {
  const std::vector<std::string> labels = labels_of(runs);
  std::string names;
  for (const auto& l : labels) names += (names.empty() ? "" : ", ") + l;
  const std::string title = "redes compare: " + names;
  const std::string body = figures(runs, labels) + curves(runs, labels);
  return html::page(title, std::to_string(runs.size()) + " runs, each in its own colour", body);
}

}  // namespace redes
