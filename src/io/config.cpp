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

#include "redes/error.hpp"

namespace redes {

namespace {

// toml++ descriptions are one line already; a stray newline would break the CLI's one-line
// contract, so it is flattened anyway.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

std::string join(std::initializer_list<const char*> words) {
  std::string s;
  for (const char* w : words) s += (s.empty() ? "" : ", ") + std::string(*w ? w : "\"\"");
  return s;
}

// One TOML table being read: typed getters that record which keys were used, and finish()
// that rejects the rest.
class Section {
 public:
  // name is how messages refer to the table: "" for the top level, "[train]", "[[layers]] #2".
  Section(const toml::table& table, std::string name, const std::string& path)
      : table_(table), name_(std::move(name)), path_(path) {}

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }

  // "path:line: " for a place in the file; "path: " when toml++ knows no line (the top level).
  std::string at(const toml::source_region& where) const {
    if (where.begin.line == 0) return path_ + ": ";
    return path_ + ":" + std::to_string(where.begin.line) + ": ";
  }
  std::string at(const toml::node& node) const { return at(node.source()); }
  std::string at_table() const { return at(table_.source()); }

  [[noreturn]] void fail(const toml::node& node, const std::string& problem) const {
    throw ConfigError(at(node) + problem);
  }
  [[noreturn]] void fail_missing(const std::string& key) const {
    throw ConfigError(at_table() + "missing key '" + key + "'" + in_name());
  }

  // The node for key, marked as used; nullptr when absent.
  const toml::node* find(const std::string& key) {
    used_.push_back(key);
    return table_.get(key);
  }
  const toml::node& require(const std::string& key) {
    const toml::node* n = find(key);
    if (!n) fail_missing(key);
    return *n;
  }

  std::optional<int64_t> integer(const std::string& key, int64_t min, int64_t max = INT64_MAX) {
    const toml::node* n = find(key);
    if (!n) return std::nullopt;
    const auto* v = n->as_integer();
    if (!v) fail(*n, "'" + key + "' must be an integer");
    const int64_t x = v->get();
    if (x < min) fail(*n, "'" + key + "' must be at least " + std::to_string(min));
    if (x > max) fail(*n, "'" + key + "' must be at most " + std::to_string(max));
    return x;
  }
  void read(const std::string& key, int& out, int64_t min) {
    if (auto x = integer(key, min, INT_MAX)) out = static_cast<int>(*x);
  }

  // Integers are accepted where a float is expected (lr = 1 means 1.0).
  std::optional<double> number(const std::string& key) {
    const toml::node* n = find(key);
    if (!n) return std::nullopt;
    double x;
    if (const auto* f = n->as_floating_point()) {
      x = f->get();
    } else if (const auto* i = n->as_integer()) {
      x = static_cast<double>(i->get());
    } else {
      fail(*n, "'" + key + "' must be a number");
    }
    if (!std::isfinite(x)) fail(*n, "'" + key + "' must be a finite number");
    return x;
  }
  // Reads a number into out, checking min <= x (or min < x when min_exclusive) and x < max
  // (or x <= max when !max_exclusive).
  void read(const std::string& key, double& out, double min = -HUGE_VAL, bool min_exclusive = false,
            double max = HUGE_VAL, bool max_exclusive = false) {
    auto x = number(key);
    if (!x) return;
    const toml::node& n = *table_.get(key);
    const bool low = min_exclusive ? *x <= min : *x < min;
    const bool high = max_exclusive ? *x >= max : *x > max;
    if (low || high)
      fail(n, "'" + key + "' must be " + range_text(min, min_exclusive, max, max_exclusive));
    out = *x;
  }

  void read(const std::string& key, bool& out) {
    const toml::node* n = find(key);
    if (!n) return;
    const auto* v = n->as_boolean();
    if (!v) fail(*n, "'" + key + "' must be true or false");
    out = v->get();
  }

  std::optional<std::string> string(const std::string& key) {
    const toml::node* n = find(key);
    if (!n) return std::nullopt;
    const auto* v = n->as_string();
    if (!v) fail(*n, "'" + key + "' must be a string");
    return v->get();
  }
  void read(const std::string& key, std::string& out) {
    if (auto s = string(key)) out = *s;
  }
  // A string that must be one of a fixed set, checked here so that the mistake is reported
  // at its line rather than deep inside training.
  void read_choice(const std::string& key, std::string& out,
                   std::initializer_list<const char*> choices) {
    auto s = string(key);
    if (!s) return;
    for (const char* c : choices)
      if (*s == c) {
        out = *s;
        return;
      }
    const std::string label = name_.empty() ? key : name_ + " " + key;
    fail(*table_.get(key), label + " must be one of " + join(choices) + ", not '" + *s + "'");
  }

  void read(const std::string& key, std::vector<std::string>& out) {
    const toml::node* n = find(key);
    if (!n) return;
    const auto* arr = n->as_array();
    if (!arr) fail(*n, "'" + key + "' must be a list of strings");
    std::vector<std::string> items;
    for (const toml::node& e : *arr) {
      const auto* s = e.as_string();
      if (!s) fail(e, "'" + key + "' must be a list of strings");
      items.push_back(s->get());
    }
    out = std::move(items);
  }
  void read(const std::string& key, std::vector<double>& out) {
    const toml::node* n = find(key);
    if (!n) return;
    const auto* arr = n->as_array();
    if (!arr) fail(*n, "'" + key + "' must be a list of numbers");
    std::vector<double> items;
    for (const toml::node& e : *arr) {
      if (const auto* f = e.as_floating_point()) {
        items.push_back(f->get());
      } else if (const auto* i = e.as_integer()) {
        items.push_back(static_cast<double>(i->get()));
      } else {
        fail(e, "'" + key + "' must be a list of numbers");
      }
      if (!std::isfinite(items.back())) fail(e, "'" + key + "' must be a list of finite numbers");
    }
    out = std::move(items);
  }

  // A sub-table (written [a.b] or as an inline table); nullptr when absent.
  const toml::table* table(const std::string& key) {
    const toml::node* n = find(key);
    if (!n) return nullptr;
    const auto* t = n->as_table();
    if (!t) fail(*n, "'" + key + "' must be a table ([" + key + "])");
    return t;
  }

  // Rejects every key nobody asked for, at the key's own line.
  void finish() const {
    for (auto&& [k, v] : table_) {
      const std::string key(k.str());
      if (std::find(used_.begin(), used_.end(), key) != used_.end()) continue;
      throw ConfigError(at(k.source().begin.line ? k.source() : v.source()) + "unknown key '" +
                        key + "'" + in_name());
    }
  }

 private:
  std::string in_name() const { return name_.empty() ? "" : " in " + name_; }

  static std::string num(double x) {
    std::ostringstream os;
    os << x;
    return os.str();
  }
  static std::string range_text(double min, bool min_excl, double max, bool max_excl) {
    std::string lo =
        std::isfinite(min) ? (min_excl ? "greater than " : "at least ") + num(min) : "";
    std::string hi = std::isfinite(max) ? (max_excl ? "less than " : "at most ") + num(max) : "";
    if (!lo.empty() && !hi.empty()) return lo + " and " + hi;
    return lo + hi;
  }

  const toml::table& table_;
  std::string name_;
  const std::string& path_;
  std::vector<std::string> used_;
};

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
  const std::string& path = s.path();
  const toml::node& p = s.require("path");
  if (!p.is_string()) s.fail(p, "'path' must be a string");
  std::filesystem::path data_path(p.as_string()->get());
  if (data_path.empty()) s.fail(p, "'path' must not be empty");
  // Relative data paths are relative to the config file, so a config works from any folder.
  if (data_path.is_relative())
    data_path = (std::filesystem::path(path).parent_path() / data_path).lexically_normal();
  d.path = data_path.string();
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

TableSpec parse_data(Section& root) {
  const toml::table* t = root.table("data");
  if (!t) throw ConfigError(root.path() + ": missing table [data]");
  Section s(*t, "[data]", root.path());
  TableSpec d = parse_data_table(s);
  s.finish();
  return d;
}

// The loss a task needs when [loss] does not say.
std::string default_loss(const std::string& task) {
  if (task == "multiclass") return "softmax_cross_entropy";
  if (task == "regression") return "mse";
  return "bce_logits";
}

LossSpec parse_loss(Section& root, const std::string& task) {
  LossSpec l;
  l.kind = default_loss(task);
  const toml::table* t = root.table("loss");
  if (!t) return l;
  Section s(*t, "[loss]", root.path());
  s.read_choice("type", l.kind, {"bce_logits", "softmax_cross_entropy", "mse", "mae", "huber"});
  // The targets a task produces fit only some losses: binary labels are (N, 1) in {0, 1},
  // multiclass labels are (N) class indices, regression targets are any real number.
  const bool fits = task == "multiclass" ? l.kind == "softmax_cross_entropy"
                    : task == "binary"
                        ? l.kind != "softmax_cross_entropy"
                        : l.kind != "bce_logits" && l.kind != "softmax_cross_entropy";
  if (!fits) {
    const toml::node* type = t->get("type");
    s.fail(type ? *type : static_cast<const toml::node&>(*t),
           "loss '" + l.kind + "' does not fit task '" + task + "'");
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
  root.read_choice("task", c.task, {"binary", "multiclass", "regression"});
  if (auto seed = root.integer("seed", 0)) c.seed = static_cast<uint64_t>(*seed);
  root.read("threads", c.threads, 0);
  c.data = parse_data(root);
  c.layers = parse_layers(root);
  c.loss = parse_loss(root, c.task);
  c.optimizer = parse_optimizer(root);
  c.schedule = parse_schedule(root);
  c.train = parse_train(root);
  root.finish();
  return c;
}

Config load_config(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw ConfigError(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) text.append(buf, n);
  // A folder opens but cannot be read (EISDIR); so can a file on a failing disk.
  if (std::ferror(f.get())) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  return parse_config(text, path);
}

}  // namespace redes
