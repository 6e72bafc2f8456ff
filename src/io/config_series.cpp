// [data] with kind = "series": a value column of a CSV or JSON table, windows and transform,
// the split by time, and the baselines' season.
#include "io/config_section.hpp"

namespace redes::config_detail {

SeriesSpec parse_data_series(Section& s) {
  SeriesSpec d;
  d.path = resolve_path(s, "path", true);
  s.read_choice("format", d.format, {"csv", "json", ""});
  const toml::node& value = s.require("value");
  s.read("value", d.value);
  if (d.value.empty()) s.fail(value, "'value' must name the column to forecast");
  if (const toml::node* t = s.find("time")) {
    s.read("time", d.time);
    if (d.time.empty()) s.fail(*t, "'time' must name a column (or be left out)");
    if (d.time == d.value) s.fail(*t, "'time' must not be the value column");
  }
  if (const toml::node* f = s.find("features")) {
    s.read("features", d.features);
    for (const auto& name : d.features) {
      if (name == d.value)
        s.fail(*f, "'features' must not list the value column '" + name +
                       "' (it is always the first input)");
      if (name == d.time) s.fail(*f, "'features' must not list the time column '" + name + "'");
      if (std::count(d.features.begin(), d.features.end(), name) > 1)
        s.fail(*f, "'features' lists '" + name + "' twice");
    }
  }
  if (auto l = s.integer("lookback", 1, 100000)) d.lookback = *l;
  if (auto k = s.integer("horizon", 1, 10000)) d.horizon = *k;
  s.read_choice("transform", d.transform, {"none", "diff", "window_norm"});
  s.read("standardize", d.standardize);
  s.read("test_fraction", d.test_fraction, 0, true, 1, true);
  s.read("validation_fraction", d.validation_fraction, 0, false, 1, true);
  if (d.test_fraction + d.validation_fraction >= 1) {
    const toml::node* v = s.find("validation_fraction");
    s.fail(v ? *v : *s.find("test_fraction"),
           "test_fraction + validation_fraction must be less than 1, leaving rows to train on");
  }
  if (auto p = s.integer("season", 0, 100000)) d.season = *p;
  if (auto k = s.integer("steps", 1, 100000)) d.steps = *k;
  return d;
}

}  // namespace redes::config_detail
