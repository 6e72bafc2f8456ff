// Reading a run's configuration from TOML.
//
// Each TOML table is read by one function through a Section, which remembers the keys it was
// asked for; whatever is left over is an unknown key, reported at its line. This catches the
// typo that would otherwise silently train with a default ("epoch = 500" in [train]).
// Every error is a ConfigError of one line, "<path>:<line>: <problem>".
//
// Adding a kind of data (images, time series) means one more parse_data_* function and a
// branch in parse_data; the other tables do not change.
#include "redes/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <sstream>

#include "io/config_section.hpp"
#include "redes/error.hpp"
#include "redes/files.hpp"

namespace redes {

namespace {

using config_detail::join;
using config_detail::resolve_path;
using config_detail::Section;

// TOML values of a layer's attributes become JSON for LayerSpec.attrs.
nlohmann::json to_json(const Section& s, const std::string& key, const toml::node& n) {
  if (const auto* i = n.as_integer()) return i->get();
  if (const auto* f = n.as_floating_point()) {
    if (!std::isfinite(f->get())) s.fail(n, "'" + key + "' must be a finite number");
    return f->get();
  }
  if (const auto* b = n.as_boolean()) return b->get();
  if (const auto* str = n.as_string()) return str->get();
  if (const auto* arr = n.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const toml::node& e : *arr) out.push_back(to_json(s, key, e));
    return out;
  }
  s.fail(n, "'" + key + "' must be a number, a boolean, a string or a list of them");
}

std::string place(const Section& s, const toml::source_region& where) {
  std::string p = s.at(where);
  return p.substr(0, p.size() - 2);  // without the ": "
}

LayerSpec parse_layer(const toml::table& t, int index, const std::string& path) {
  Section s(t, "[[layers]] #" + std::to_string(index), path);
  LayerSpec spec;
  spec.where[""] = place(s, t.source());
  const toml::node& type = s.require("type");
  if (!type.is_string()) s.fail(type, "'type' must be a string (the layer kind)");
  spec.kind = type.as_string()->get();
  s.read("name", spec.name);
  s.read("inputs", spec.inputs);
  for (auto&& [k, v] : t) {
    const std::string key(k.str());
    spec.where[key] = place(s, k.source().begin.line ? k.source() : v.source());
    if (key == "type" || key == "name" || key == "inputs") continue;
    spec.attrs[key] = to_json(s, key, v);
  }
  // Layer-specific keys are checked by the layer itself (through Attrs), which knows them.
  return spec;
}

std::vector<LayerSpec> parse_layers(Section& root) {
  const toml::node* n = root.find("layers");
  if (!n)
    throw ConfigError(root.path() + ": missing [[layers]]: the model needs at least one layer");
  const auto* arr = n->as_array();
  if (!arr || !arr->is_array_of_tables())
    root.fail(*n, "'layers' must be an array of tables, written [[layers]]");
  if (arr->empty()) root.fail(*n, "[[layers]] is empty: the model needs at least one layer");
  std::vector<LayerSpec> layers;
  int index = 1;
  for (const toml::node& e : *arr)
    layers.push_back(parse_layer(*e.as_table(), index++, root.path()));
  return layers;
}

// target_rule = "none" | "above_median" | { above = 23.5 }
TargetRule parse_target_rule(Section& s) {
  TargetRule rule;
  const toml::node* n = s.find("target_rule");
  if (!n) return rule;
  const std::string expected =
      "[data] target_rule must be \"none\", \"above_median\" or { above = <number> }";
  if (const auto* str = n->as_string()) {
    if (str->get() != "none" && str->get() != "above_median")
      s.fail(*n, expected + ", not '" + str->get() + "'");
    rule.kind = str->get();
    return rule;
  }
  const auto* t = n->as_table();
  if (!t) s.fail(*n, expected);
  Section inner(*t, "[data] target_rule", s.path());
  double threshold = 0;
  if (!t->get("above")) inner.fail(*t, expected);
  inner.read("above", threshold);
  inner.finish();
  rule.kind = "above";
  rule.threshold = threshold;
  return rule;
}

// [data] for a table of records (CSV or JSON).
TableSpec parse_data_table(Section& s) {
  TableSpec d;
  d.path = resolve_path(s, "path", true);
  s.read_choice("format", d.format, {"csv", "json", ""});

  const toml::node& f = s.require("features");
  s.read("features", d.features);
  if (d.features.empty()) s.fail(f, "'features' must list at least one column");
  if (const toml::node* c = s.find("categorical")) {
    s.read("categorical", d.categorical);
    for (const auto& name : d.categorical)
      if (std::find(d.features.begin(), d.features.end(), name) == d.features.end())
        s.fail(*c, "categorical column '" + name + "' is not one of the features");
  }
  const toml::node& t = s.require("target");
  s.read("target", d.target);
  if (d.target.empty()) s.fail(t, "'target' must name a column");
  d.rule = parse_target_rule(s);
  s.read_choice("missing", d.missing, {"drop", "mean", "median"});
  s.read("standardize", d.standardize);
  s.read("test_fraction", d.test_fraction, 0, false, 1, true);
  s.read("validation_fraction", d.validation_fraction, 0, false, 1, true);
  if (d.test_fraction + d.validation_fraction >= 1) {
    const toml::node* v = s.find("validation_fraction");
    s.fail(v ? *v : *s.find("test_fraction"),
           "test_fraction + validation_fraction must be less than 1, leaving rows to train on");
  }
  s.read("stratify", d.stratify);
  return d;
}

// [data]: kind = "table" (the default) or "images"; each kind has its own keys.
void parse_data(Section& root, Config& c) {
  const toml::table* t = root.table("data");
  if (!t) throw ConfigError(root.path() + ": missing table [data]");
  Section s(*t, "[data]", root.path());
  std::string kind(name(c.data_kind));
  s.read_choice("kind", kind, data_kind_names());
  c.data_kind = *data_kind_named(kind);
  if (const std::string problem = mismatch(c.data_kind, c.task); !problem.empty()) {
    const toml::node* node = s.find("kind");
    s.fail(node ? *node : static_cast<const toml::node&>(*t), problem);
  }
  switch (c.data_kind) {
    case DataKind::table:
      c.data = parse_data_table(s);
      break;
    case DataKind::images:
      c.images = config_detail::parse_data_images(s);
      break;
    case DataKind::series:
      c.series = config_detail::parse_data_series(s);
      break;
    case DataKind::text:
      c.words = config_detail::parse_data_text(s);
      break;
  }
  c.data_path_keys = s.path_keys();
  s.finish();
}

LossSpec parse_loss(Section& root, Task task) {
  LossSpec l;
  l.kind = default_loss(task);
  const toml::table* t = root.table("loss");
  if (!t) return l;
  Section s(*t, "[loss]", root.path());
  s.read_choice("type", l.kind, {"bce_logits", "softmax_cross_entropy", "mse", "mae", "huber"});
  if (!fits(task, l.kind)) {
    const toml::node* type = t->get("type");
    s.fail(type ? *type : static_cast<const toml::node&>(*t),
           "loss '" + l.kind + "' does not fit task '" + std::string(name(task)) + "' (" +
               losses_text(task) + ")");
  }
  if (const toml::node* w = s.find("class_weights")) {
    s.read("class_weights", l.class_weights);
    for (double x : l.class_weights)
      if (x < 0) s.fail(*w, "'class_weights' must not be negative");
  }
  s.read("huber_delta", l.huber_delta, 0, true);
  s.finish();
  return l;
}

OptimizerSpec parse_optimizer(Section& root) {
  OptimizerSpec o;
  const toml::table* t = root.table("optimizer");
  if (!t) return o;
  Section s(*t, "[optimizer]", root.path());
  s.read_choice("type", o.kind, {"sgd", "adam", "adamw", "rmsprop"});
  // The same bounds torch.optim checks in its constructors.
  s.read("lr", o.lr, 0);
  s.read("weight_decay", o.weight_decay, 0);
  s.read("momentum", o.momentum, 0);
  s.read("dampening", o.dampening);
  s.read("nesterov", o.nesterov);
  s.read("beta1", o.beta1, 0, false, 1, true);
  s.read("beta2", o.beta2, 0, false, 1, true);
  s.read("eps", o.eps, 0);
  s.read("alpha", o.alpha, 0);
  s.read("centered", o.centered);
  s.finish();
  return o;
}

ScheduleSpec parse_schedule(Section& root) {
  ScheduleSpec sc;
  const toml::table* t = root.table("schedule");
  if (!t) return sc;
  Section s(*t, "[schedule]", root.path());
  s.read_choice("type", sc.kind, {"none", "step", "cosine", "plateau"});
  s.read("step_size", sc.step_size, 1);
  s.read("gamma", sc.gamma, 0, true);
  s.read("t_max", sc.t_max, 0);
  s.read("eta_min", sc.eta_min, 0);
  s.read("factor", sc.factor, 0, true, 1, true);
  s.read("patience", sc.patience, 0);
  s.read("threshold", sc.threshold, 0);
  s.finish();
  return sc;
}

EarlyStoppingSpec parse_early_stopping(Section& train) {
  EarlyStoppingSpec e;
  const toml::table* t = train.table("early_stopping");
  if (!t) return e;
  Section s(*t, "[train.early_stopping]", train.path());
  e.enabled = true;  // writing the table asks for it
  s.read("enabled", e.enabled);
  if (const toml::node* m = s.find("monitor")) {
    s.read("monitor", e.monitor);
    if (e.monitor.rfind("val_", 0) != 0 || e.monitor.size() == 4)
      s.fail(*m, "'monitor' must be val_loss or val_<metric> (val_accuracy, val_rmse, ...), not '" +
                     e.monitor + "'");
  }
  s.read("patience", e.patience, 1);
  s.read("min_delta", e.min_delta, 0);
  s.read("restore_best", e.restore_best);
  s.finish();
  return e;
}

TrainSpec parse_train(Section& root) {
  TrainSpec tr;
  const toml::table* t = root.table("train");
  if (!t) return tr;
  Section s(*t, "[train]", root.path());
  s.read("epochs", tr.epochs, 1);
  s.read("batch_size", tr.batch_size, 1);
  s.read("shuffle", tr.shuffle);
  s.read("clip_grad_norm", tr.clip_grad_norm, 0);
  s.read("sync_batchnorm", tr.sync_batchnorm);
  if (auto n = s.integer("checkpoint_every_batches", 0)) tr.checkpoint_every_batches = *n;
  s.read("checkpoint_every_seconds", tr.checkpoint_every_seconds, 0);
  s.read("baselines", tr.baselines);
  tr.early_stopping = parse_early_stopping(s);
  s.finish();
  return tr;
}

}  // namespace

Config parse_config(const std::string& text, const std::string& path) {
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ConfigError(path + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " +
                      one_line(std::string(e.description())));
  }

  Config c;
  c.path = path;
  c.text = text;
  Section root(doc, "", path);
  c.name = std::filesystem::path(path).stem().string();
  if (auto name = root.string("name")) {
    if (name->empty()) root.fail(*doc.get("name"), "'name' must not be empty");
    c.name = *name;
  }
  std::string task(name(c.task));
  root.read_choice("task", task, task_names());
  c.task = *task_named(task);
  if (auto seed = root.integer("seed", 0)) c.seed = static_cast<uint64_t>(*seed);
  root.read("threads", c.threads, 0);
  parse_data(root, c);
  c.layers = parse_layers(root);
  c.loss = parse_loss(root, c.task);
  c.optimizer = parse_optimizer(root);
  c.schedule = parse_schedule(root);
  c.train = parse_train(root);
  root.finish();
  const auto& es = c.train.early_stopping;
  if (es.enabled && !is_metric_of(c.task, es.monitor.substr(4))) {
    std::string known = "val_loss";
    for (const auto& m : metrics_of(c.task)) known += ", val_" + std::string(m);
    throw ConfigError(path + ": [train.early_stopping] monitor '" + one_line(es.monitor) +
                      "' is not a metric of a " + std::string(name(c.task)) + " task (" + known +
                      ")");
  }
  if (es.enabled && c.validation_fraction() <= 0)
    throw ConfigError(
        path +
        ": [train.early_stopping] needs a validation set: set data.validation_fraction above 0");
  return c;
}

double Config::validation_fraction() const {
  switch (data_kind) {
    case DataKind::table:
      return data.validation_fraction;
    case DataKind::images:
      return images.validation_fraction;
    case DataKind::series:
      return series.validation_fraction;
    case DataKind::text:
      return words.validation_fraction;
  }
  return 0;
}

Config load_config(const std::string& path) {
  return parse_config(read_file<ConfigError>(path, uint64_t(16) << 20, "a config"), path);
}

}  // namespace redes
