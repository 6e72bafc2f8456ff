// report.html (redes/report.hpp): one page per run. Every section is a function of the
// RunReport and the task; the page is XHTML, so that tests can read it with an XML parser.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <sstream>

#include "redes/files.hpp"
#include "redes/report.hpp"
#include "redes/task.hpp"
#include "report/html.hpp"
#include "report/svg.hpp"
#include "tensor/json_integers.hpp"

namespace redes {

namespace {

namespace fs = std::filesystem;
using html::fixed;
using html::section;
using html::table;
using nlohmann::json;
using svg::escape;

std::string picture(const std::string& png, const std::string& caption) {
  return "<figure><img src=\"" + png_data_uri(png) + "\" alt=\"" + escape(caption) +
         "\"/><figcaption>" + escape(caption) + "</figcaption></figure>";
}

// The network beside its baselines on the test split (summary.json "baselines": the majority
// class and logistic regression, the mean and linear regression, the naive forecasts): a line
// each under the test figures they share with the network, and a bar each on the task's first
// metric. A word model's n-gram models have their own chart (language_model).
std::string baselines(const RunReport& r, Task task) {
  const json& test = r.summary.value("test", json::object());
  const json& b = r.summary.value("baselines", json::object());
  if (!test.is_object() || !b.is_object() || b.empty()) return "";
  std::vector<std::string> keys;  // the test's figures that some baseline has too
  for (const auto& [k, v] : test.items())
    if (v.is_number())
      for (const auto& [n, f] : b.items())
        if (f.is_object() && f.contains(k) && f[k].is_number()) {
          keys.push_back(k);
          break;
        }
  if (keys.empty()) return "";
  const auto words = [](std::string name) {
    std::replace(name.begin(), name.end(), '_', ' ');
    return name;
  };
  std::vector<std::vector<std::string>> rows = {{"model"}};
  rows[0].insert(rows[0].end(), keys.begin(), keys.end());
  rows.push_back({"the network"});
  for (const auto& k : keys) rows.back().push_back(fixed(test[k].get<double>()));
  std::string notes;
  for (const auto& [n, f] : b.items()) {
    if (!f.is_object()) continue;
    rows.push_back({words(n)});
    for (const auto& k : keys)
      rows.back().push_back(f.contains(k) && f[k].is_number() ? fixed(f[k].get<double>()) : "");
    if (f.contains("error") && f["error"].is_string())
      notes += "<p class=\"note\">" + escape(words(n)) + ": " +
               escape(f["error"].get<std::string>()) + "</p>";
  }
  // The bars: the task's first metric (accuracy, rmse) when the baselines have it.
  std::string metric = keys.front();
  for (const auto& m : metrics_of(task))
    if (std::find(keys.begin(), keys.end(), std::string(m)) != keys.end()) {
      metric = std::string(m);
      break;
    }
  svg::BarChart bars("Test " + metric + ": the network and its baselines (" +
                         (higher_is_better(metric) ? "higher" : "lower") + " is better)",
                     metric);
  bars.bars.push_back(svg::Bar{"the network", test[metric].get<double>(), svg::colour(0)});
  for (const auto& [n, f] : b.items())
    if (f.is_object() && f.contains(metric) && f[metric].is_number())
      bars.bars.push_back(svg::Bar{words(n), f[metric].get<double>(), "#999"});
  bars.width = std::max(600, 140 * static_cast<int>(bars.bars.size()));  // room for the title
  return "<h3>The network beside its baselines (test split)</h3>" + table(rows) + notes +
         svg::bar_chart(bars);
}

// The numbers of the run at a glance: the test figures, the settings, the timing, the baselines.
std::string overview(const RunReport& r, std::optional<Task> task) {
  const json& s = r.summary;
  // The final model on each split it has (a forecaster's training figures are in the scaled
  // units the network learns in, its test and validation ones in the series' units).
  const json& test = s.value("test", json::object());
  std::vector<std::vector<std::string>> rows = {{"figure", "test"}};
  std::vector<const json*> others;
  for (const char* split : {"validation", "train"})
    if (s.contains(split) && s[split].is_object()) {
      rows[0].push_back(split);
      others.push_back(&s[split]);
    }
  for (const auto& [k, v] : test.items()) {
    if (!v.is_number()) continue;
    rows.push_back({k, fixed(v.get<double>())});
    for (const json* o : others)
      rows.back().push_back(o->contains(k) && (*o)[k].is_number() ? fixed((*o)[k].get<double>())
                                                                  : "");
  }
  std::vector<std::vector<std::string>> run = {{"setting", "value"}};
  for (const char* k :
       {"name", "run_id", "task", "kind", "epochs", "best_epoch", "seed", "threads", "parameters",
        "seconds_per_epoch", "started", "ended", "redes_version", "git_commit"})
    if (s.contains(k))
      run.push_back({k, s[k].is_string()         ? s[k].get<std::string>()
                        : s[k].is_number_float() ? fixed(s[k].get<double>(), 3)
                                                 : s[k].dump()});
  if (s.contains("rows"))
    for (const auto& [k, v] : s["rows"].items())
      if (v.is_number()) run.push_back({"rows: " + k, v.dump()});
  return section("Results", "<div class=\"row\">" + table(rows) + table(run, false) + "</div>" +
                                (task ? baselines(r, *task) : ""));
}

// Loss and metrics per epoch, training (solid) against validation (dashed, same colour).
std::string curves(const RunReport& r) {
  if (r.logs.empty()) return "";
  const bool one = r.logs.size() == 1;
  // One pair of lines per measure, in first-seen order: the loss, then the task's metrics.
  std::vector<std::string> names = {"loss"};
  std::map<std::string, std::pair<svg::Line, svg::Line>> lines;
  const auto add = [&](const std::string& k, bool validation, int epoch, double v) {
    if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
    auto& line = validation ? lines[k].second : lines[k].first;
    line.name = (validation ? "validation " : "training ") + k;
    line.dashed = validation;
    line.points = one;
    line.x.push_back(epoch);
    line.y.push_back(v);
  };
  bool any_val = false;
  for (const auto& l : r.logs) {
    add("loss", false, l.epoch, l.train.loss);
    for (const auto& [k, v] : l.train.values) add(k, false, l.epoch, v);
    if (!l.val) continue;
    any_val = true;
    add("loss", true, l.epoch, l.val->loss);
    for (const auto& [k, v] : l.val->values) add(k, true, l.epoch, v);
  }
  // Scores in [0, 1] (accuracy, F1, ...) share a chart, errors in the target's units (rmse,
  // mae) another; the loss and the perplexity have their own.
  svg::LineChart loss("Loss per epoch", "epoch", "loss"),
      scores("Scores per epoch", "epoch", "score"), errors("Errors per epoch", "epoch", "error"),
      perplexity("Perplexity per epoch", "epoch", "perplexity");
  scores.y_from_zero = true;
  for (auto* chart : {&loss, &scores, &errors, &perplexity}) chart->integer_x = true;
  std::map<const svg::LineChart*, size_t> measures;  // per chart, for the next colour
  for (const auto& k : names) {
    auto& chart = k == "loss"           ? loss
                  : k == "perplexity"   ? perplexity
                  : higher_is_better(k) ? scores
                                        : errors;
    const auto colour = svg::colour(measures[&chart]++);
    for (auto* line : {&lines[k].first, &lines[k].second})
      if (!line->x.empty()) {
        line->color = colour;
        chart.lines.push_back(*line);
      }
  }
  std::string body;
  for (const auto* chart : {&loss, &scores, &errors, &perplexity})
    if (!chart->lines.empty()) body += svg::line_chart(*chart);
  body +=
      "<p class=\"note\">Training figures are those of the training batches as they were "
      "trained (dropout and augmentation on, the weights changing), as Keras reports them; the "
      "Results table has the final model's figures on every split.</p>";
  if (!any_val)
    body +=
        "<p class=\"note\">No validation split: set <code>validation_fraction</code> in "
        "[data] to see the validation curves beside the training ones.</p>";
  return section("Curves", body);
}

std::string model_table(const RunReport& r) {
  std::vector<std::vector<std::string>> rows = {
      {"layer", "kind", "inputs", "output shape", "parameters", "multiply-adds"}};
  int64_t params = 0, macs = 0;
  for (const auto& l : r.layers) {
    std::string in;
    for (const auto& i : l.inputs) in += (in.empty() ? "" : ", ") + i;
    rows.push_back({l.name, l.kind, in, l.output.str(), std::to_string(l.params),
                    std::to_string(l.multiply_adds)});
    params += l.params;
    macs += l.multiply_adds;
  }
  rows.push_back({"total", "", "", "", std::to_string(params), std::to_string(macs)});
  return section("Model", table(rows, false) + "<h3>Config as used</h3><pre>" +
                              escape(r.config_text) + "</pre>");
}

// Confusion matrix, precision/recall/F1 per class, the ROC curve of a binary task.
std::string classification(const RunReport& r, Task task) {
  const json& test = r.summary.value("test", json::object());
  if (!test.contains("confusion")) return "";
  const auto confusion = json_integer_rows<int64_t>(test["confusion"]);
  const size_t k = confusion.size();
  std::vector<std::string> names = r.classes;
  for (size_t c = names.size(); c < k; ++c) names.push_back(std::to_string(c));
  names.resize(k);
  svg::HeatMap map("Confusion matrix (test)", "true class", "predicted class");
  map.rows = map.columns = names;
  map.cell = k <= 10 ? 40 : k <= 30 ? 22 : 12;
  for (const auto& row : confusion) map.values.emplace_back(row.begin(), row.end());
  std::string body = svg::heat_map(map);
  std::vector<std::vector<std::string>> rows = {{"class", "precision", "recall", "F1", "support"}};
  for (size_t i = 0; i < k; ++i) {
    int64_t tp = confusion[i][i], predicted = 0, actual = 0;
    for (size_t j = 0; j < k; ++j) predicted += confusion[j][i], actual += confusion[i][j];
    const double p = predicted ? double(tp) / predicted : 0, rc = actual ? double(tp) / actual : 0;
    rows.push_back({names[i], fixed(p, 3), fixed(rc, 3),
                    fixed(p + rc > 0 ? 2 * p * rc / (p + rc) : 0, 3), std::to_string(actual)});
  }
  body += table(rows);
  if (task == Task::binary && r.truth.shape().rank() > 0 && r.truth.numel() > 0 &&
      r.predictions.numel() == r.truth.numel()) {
    // The ROC curve: every threshold, from the highest score down.
    const int64_t n = r.truth.numel();
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int64_t a, int64_t b) { return r.predictions[a] > r.predictions[b]; });
    int64_t pos = 0;
    for (int64_t i = 0; i < n; ++i) pos += r.truth[i] > 0.5f;
    const int64_t neg = n - pos;
    svg::Line roc("the model"), chance("chance", "#999", true);
    chance.x = chance.y = {0, 1};
    roc.x.push_back(0);
    roc.y.push_back(0);
    int64_t tp = 0, fp = 0;
    for (int64_t i = 0; i < n; ++i) {
      (r.truth[order[i]] > 0.5f ? tp : fp) += 1;
      if (i + 1 < n && r.predictions[order[i + 1]] == r.predictions[order[i]]) continue;
      roc.x.push_back(neg ? double(fp) / neg : 0);
      roc.y.push_back(pos ? double(tp) / pos : 0);
    }
    const std::string auc =
        test.contains("roc_auc") ? " (AUC " + fixed(test["roc_auc"].get<double>(), 3) + ")" : "";
    svg::LineChart chart("ROC curve (test)" + auc, "false positive rate", "true positive rate",
                         {roc, chance});
    chart.width = 420;
    chart.height = 380;
    body += svg::line_chart(chart);
  }
  return section("Classification", body);
}

// Up to 32 misclassified test images, each captioned "true -> predicted".
std::string misclassified(const RunReport& r) {
  const Shape& s = r.pixels.shape();
  if (s.rank() != 4 || r.truth.numel() != s[0] || r.predictions.shape().rank() != 2) return "";
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3], k = r.predictions.dim(1);
  if (c != 1 && c != 3) return "";
  std::string grid;
  int shown = 0, wrong = 0;
  std::vector<float> tile(c * h * w);
  for (int64_t i = 0; i < n; ++i) {
    const float* p = r.predictions.data() + i * k;
    const int64_t guess = std::max_element(p, p + k) - p, truth = static_cast<int64_t>(r.truth[i]);
    if (guess == truth) continue;
    ++wrong;
    if (shown >= 32) continue;
    for (int64_t j = 0; j < c * h * w; ++j) tile[j] = r.pixels[i * c * h * w + j];
    const auto name = [&](int64_t cl) {
      return cl < static_cast<int64_t>(r.classes.size()) ? r.classes[cl] : std::to_string(cl);
    };
    grid += picture(
        png_grid({tile.data()}, c, h, w, h < 40 ? 3 : 1, 1, 0, 255),  // pixels as they are
        name(truth) + " \xe2\x86\x92 " + name(guess) + " (" + fixed(100 * p[guess], 3) + "%)");
    ++shown;
  }
  if (!wrong) return "";
  return section("Misclassified test images",
                 "<p>" + std::to_string(wrong) + " of " + std::to_string(n) +
                     " test images are misclassified; the first " + std::to_string(shown) +
                     ", each as true \xe2\x86\x92 predicted class (its probability):</p>"
                     "<div class=\"grid\">" +
                     grid + "</div>");
}

std::string conv_pictures(const RunReport& r) {
  std::string body;
  const std::pair<const char*, const char*> files[] = {
      {"filters.png",
       "The first convolution's learned filters, one tile each (stretched to "
       "their own range: dark is negative, light positive)"},
      {"input.png", "The first test image"},
      {"feature_maps.png", "What the first convolution makes of it: one feature map per filter"}};
  for (const auto& [file, caption] : files) {
    const fs::path p = fs::path(r.out_dir) / file;
    if (fs::exists(p))
      body += picture(read_file<Error>(p.string(), 64 << 20, "a picture"), caption);
  }
  return body.empty() ? "" : section("Convolutions", "<div class=\"grid\">" + body + "</div>");
}

std::string augmentation(const RunReport& r) {
  if (r.augment_png.empty()) return "";
  return section("Data augmentation",
                 picture(r.augment_png,
                         "A row per training image: the original first, then augmented draws "
                         "as training sees them (redes augment CONFIG --preview grid.png)"));
}

// The test span: the series, the one-step forecasts and the naive baselines; the multi-step
// error by horizon.
std::string forecasts(const RunReport& r) {
  const fs::path csv = fs::path(r.out_dir) / "test_forecast.csv";
  if (!fs::exists(csv)) return "";
  std::istringstream in(read_file<Error>(csv.string(), 64 << 20, "a forecast table"));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> head;
  {
    std::istringstream h(line);
    for (std::string c; std::getline(h, c, ',');) head.push_back(c);
  }
  std::vector<svg::Line> lines(head.size() > 1 ? head.size() - 1 : 0);
  std::vector<std::string> times;
  const char* names[] = {"actual", "the model (one step ahead)", "last value",
                         "seasonal naive (a season ago)"};
  for (size_t i = 0; i < lines.size(); ++i) {
    lines[i].name = i < 4 ? names[i] : head[i + 1];
    lines[i].color = i == 0 ? "#000000" : svg::colour(i - 1);
    lines[i].dashed = i >= 2;
  }
  for (int64_t row = 0; std::getline(in, line); ++row) {
    std::istringstream cells(line);
    std::string cell;
    std::getline(cells, cell, ',');
    times.push_back(cell);
    for (size_t i = 0; i < lines.size() && std::getline(cells, cell, ','); ++i) {
      lines[i].x.push_back(static_cast<double>(row));
      lines[i].y.push_back(std::strtod(cell.c_str(), nullptr));
    }
  }
  svg::LineChart chart("The test span: the series, the forecasts and the baselines", "time",
                       r.target.empty() ? "value" : r.target, lines);

  chart.x_tick_text = times;
  chart.width = 900;
  chart.height = 380;
  std::string body = svg::line_chart(chart);
  const json& ms = r.summary.value("multi_step", json::object());
  if (ms.contains("rmse_by_step")) {
    svg::LineChart by("Error of recursive forecasts by horizon (test)", "steps ahead", "RMSE");
    const auto add = [&](const std::string& name, const json& v, size_t k, bool dashed) {
      if (!v.is_array()) return;
      svg::Line l(name);
      for (size_t h = 0; h < v.size(); ++h) l.x.push_back(h + 1.0), l.y.push_back(v[h]);
      l.color = svg::colour(k);
      l.dashed = dashed;
      l.points = true;
      by.lines.push_back(l);
    };
    add("the model", ms["rmse_by_step"], 0, false);
    const json& b = ms.value("baselines", json::object());
    if (b.contains("last_value"))
      add("last value", b["last_value"].value("rmse_by_step", json()), 1, true);
    if (b.contains("seasonal_naive"))
      add("seasonal naive", b["seasonal_naive"].value("rmse_by_step", json()), 2, true);
    by.y_from_zero = true;
    by.integer_x = true;
    body += svg::line_chart(by);
  }
  return section("Forecasts", body);
}

// Perplexity beside the n-gram baselines; sampled words.
std::string language_model(const RunReport& r) {
  const json& s = r.summary;
  svg::BarChart bars("Test perplexity per character (lower is better)", "perplexity");
  const json& b = s.value("baselines", json::object());
  for (const char* n : {"unigram", "bigram"})
    if (b.contains(n) && b[n].contains("test_perplexity"))
      bars.bars.push_back(
          svg::Bar{n + std::string(" model"), b[n]["test_perplexity"].get<double>(), "#999"});
  if (s.value("test", json::object()).contains("perplexity"))
    bars.bars.push_back(
        svg::Bar{"the network", s["test"]["perplexity"].get<double>(), svg::colour(0)});
  std::string body = svg::bar_chart(bars);
  if (s.contains("samples") && s["samples"].contains("words")) {
    std::string words;
    for (const auto& w : s["samples"]["words"])
      words += (words.empty() ? "" : ", ") + w.get<std::string>();
    body += "<p>Sampled words (temperature " + fixed(s["samples"].value("temperature", 0.0), 2) +
            "; " + std::to_string(s["samples"].value("not_in_word_list", 0)) +
            " of them are not in the word list): <em>" + escape(words) + "</em></p>";
  }
  return section("Language model", body);
}

}  // namespace

std::string run_report_html(const RunReport& r) {
  const json& s = r.summary;
  const auto task = task_named(s.value("task", ""));
  std::string body = overview(r, task) + curves(r);
  if (task && is_classifier(*task) && *task != Task::language_model)
    body += classification(r, *task) + misclassified(r);
  body += conv_pictures(r) + augmentation(r);
  if (task == Task::forecast) body += forecasts(r);
  if (task == Task::language_model) body += language_model(r);
  body += model_table(r);
  const std::string title = "redes run: " + s.value("name", std::string("?"));
  return html::page(
      title, s.value("task", std::string()) + " on " + s.value("kind", std::string()) + " data",
      body);
}

}  // namespace redes
