// Reading one TOML table of a config: typed getters that remember the keys they were asked
// for, so that whatever is left over is reported as an unknown key at its line. Shared by the
// files that parse the parts of a config (config.cpp, config_images.cpp, ...).
#pragma once
#include <toml++/toml.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "redes/error.hpp"
#include "redes/images.hpp"
#include "redes/series.hpp"
#include "redes/text.hpp"

namespace redes::config_detail {

inline std::string join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : ", ") + (w.empty() ? "\"\"" : w);
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
  // The keys read as paths (resolve_path), in order.
  std::vector<std::string>& path_keys() { return path_keys_; }

  // "path:line: " for a place in the file; "path: " when toml++ knows no line (the top level).
  std::string at(const toml::source_region& where) const {
    if (where.begin.line == 0) return path_ + ": ";
    return path_ + ":" + std::to_string(where.begin.line) + ": ";
  }
  std::string at(const toml::node& node) const { return at(node.source()); }
  std::string at_table() const { return at(table_.source()); }

  // (The problem may quote the config's own strings and keys, which TOML lets hold line breaks.)
  [[noreturn]] void fail(const toml::node& node, const std::string& problem) const {
    throw ConfigError(at(node) + one_line(problem));
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
                   const std::vector<std::string>& choices) {
    auto s = string(key);
    if (!s) return;
    for (const auto& c : choices)
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
                        one_line(key) + "'" + in_name());
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
  std::vector<std::string> used_, path_keys_;
};

// A path written in the config: relative paths are relative to the config file's folder, so
// that a config works from any working directory.
inline std::string relative_to_config(Section& s, const std::filesystem::path& p) {
  if (p.is_relative())
    return (std::filesystem::path(s.path()).parent_path() / p).lexically_normal();
  return p.string();
}

// The path under `key` (see relative_to_config); "" when absent and not required.
inline std::string resolve_path(Section& s, const std::string& key, bool required) {
  const toml::node* n = required ? &s.require(key) : s.find(key);
  if (!n) return "";
  if (!n->is_string()) s.fail(*n, "'" + key + "' must be a string");
  s.path_keys().push_back(key);
  std::filesystem::path p(n->as_string()->get());
  if (p.empty()) s.fail(*n, "'" + key + "' must not be empty");
  return relative_to_config(s, p);
}

// The [data] table of each kind of data but tables (which config.cpp reads).
ImageSpec parse_data_images(Section& s);   // kind = "images": config_images.cpp
SeriesSpec parse_data_series(Section& s);  // kind = "series": config_series.cpp
TextSpec parse_data_text(Section& s);      // kind = "text": config_text.cpp

}  // namespace redes::config_detail
