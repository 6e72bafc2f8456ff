// From a table spec to encoded train / validation / test splits.
//
// 1. Read the table; drop the rows whose target is missing, and (missing = "drop") the rows
//    with a missing feature: they are counted in rows_dropped.
// 2. Fit the target on the kept rows: the classes (sorted distinct values), or the rule's
//    threshold. above_median takes the median of the target over every row that has one; it is
//    stored in the preprocessor so that eval and predict label rows the same way.
// 3. Split the kept rows with Rng(seed): per class when stratifying a classification task (each
//    class shuffled, round(test_fraction * count) to test, then round(validation_fraction *
//    rest) to validation), one shuffled group otherwise. Each split is sorted back into file
//    order, which makes it easy to read and does not change what the model sees (the trainer
//    shuffles batches itself).
// 4. Fit the features on the training split only: mean / median fill values and the
//    standardisation (mean, population standard deviation, as sklearn's StandardScaler; scale
//    1 for a constant column). Categories are collected from all kept rows: knowing that a
//    category exists is not a statistic of the test rows, and a category met only in the test
//    split would otherwise make its rows impossible to encode.
// 5. Encode the three splits.
#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "data/table_detail.hpp"
#include "redes/error.hpp"
#include "redes/rng.hpp"

namespace redes {

using namespace table_detail;

namespace {

bool is_missing(const Cell& c) { return std::holds_alternative<std::monostate>(c); }

// The distinct values, sorted: a hash set first, so that sorting (whose comparison parses
// numbers) sees each value once rather than once per row.
std::vector<std::string> distinct_sorted(const std::vector<std::string>& keys) {
  const std::unordered_set<std::string> set(keys.begin(), keys.end());
  std::vector<std::string> v(set.begin(), set.end());
  sort_categories(v);
  return v;
}

std::unordered_map<std::string, int64_t> index_of(const std::vector<std::string>& names) {
  std::unordered_map<std::string, int64_t> idx;
  for (size_t k = 0; k < names.size(); ++k) idx.emplace(names[k], static_cast<int64_t>(k));
  return idx;
}

// The median as numpy computes it: the mean of the two middle values for an even count.
double median(std::vector<double> v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  const double upper = v[mid];
  if (v.size() % 2) return upper;
  return (*std::max_element(v.begin(), v.begin() + mid) + upper) / 2;
}

template <class T>
bool one_of(const T& v, std::initializer_list<T> allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

void validate(const TableSpec& spec, Task task) {
  using S = std::string;
  auto fail = [](const S& msg) { throw ConfigError("data: " + msg); };
  if (const S problem = mismatch(DataKind::table, task); !problem.empty()) fail(problem);
  if (!one_of<S>(spec.rule.kind, {"none", "above", "above_median"}))
    fail("unknown target rule '" + spec.rule.kind + "' (expected none, above or above_median)");
  if (spec.rule.kind != "none" && task != Task::binary)
    fail("the target rule '" + spec.rule.kind + "' makes a binary label, but the task is " +
         S(name(task)));
  if (spec.rule.kind == "above" && !std::isfinite(spec.rule.threshold))
    fail("the threshold of the rule 'above' must be a finite number");
  if (!one_of<S>(spec.missing, {"drop", "mean", "median"}))
    fail("unknown missing-value policy '" + spec.missing + "' (expected drop, mean or median)");
  if (spec.target.empty()) fail("no target column given");
  if (spec.features.empty()) fail("no feature columns given");
  std::set<S> seen;
  for (const auto& f : spec.features) {
    if (!seen.insert(f).second) fail("feature '" + f + "' is listed twice");
    if (f == spec.target) fail("the target '" + f + "' is also a feature");
  }
  for (const auto& c : spec.categorical)
    if (!seen.count(c)) fail("categorical column '" + c + "' is not one of the features");
  // Validation is a fraction of what the test split leaves, so each fraction only has to be
  // below 1 for some training rows to remain.
  auto fraction = [&](double f, const char* name) {
    if (!(f >= 0 && f < 1))
      fail(S(name) + " must be at least 0 and below 1, got " + std::to_string(f));
  };
  fraction(spec.test_fraction, "test_fraction");
  fraction(spec.validation_fraction, "validation_fraction");
}

// Step 2: fills p.classes / p.rule.threshold and returns the class of each kept row (empty for
// regression).
std::vector<int64_t> fit_target(Preprocessor& p, const Table& t, size_t tcol,
                                const std::vector<int64_t>& kept) {
  const std::string head = t.source + ": target '" + one_line(p.target) + "'";
  if (!is_classifier(p.task)) {
    for (int64_t r : kept) numeric_cell(t, r, tcol);  // fail now, not half way through
    return {};
  }
  std::vector<int64_t> label(kept.size());
  if (p.rule.kind != "none") {
    if (p.rule.kind == "above_median") {
      std::vector<double> all;
      for (size_t r = 0; r < t.rows.size(); ++r)
        if (!is_missing(t.rows[r][tcol])) all.push_back(numeric_cell(t, r, tcol));
      p.rule.threshold = median(std::move(all));
    }
    for (size_t i = 0; i < kept.size(); ++i)
      label[i] = numeric_cell(t, kept[i], tcol) > p.rule.threshold ? 1 : 0;
    p.classes = {"0", "1"};
    const auto ones = std::count(label.begin(), label.end(), 1);
    if (ones == 0 || ones == static_cast<int64_t>(label.size()))
      throw DataError(head + " has a single class: every value is " +
                      (ones ? "above " : "at most ") + cell_key(p.rule.threshold) + " (rule " +
                      p.rule.kind + ")");
    return label;
  }
  // No rule: the classes are the distinct values, numbers or text.
  std::vector<std::string> keys(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) keys[i] = cell_key(t.rows[kept[i]][tcol]);
  p.classes = distinct_sorted(keys);
  if (p.classes.size() < 2)
    throw DataError(head + " has a single class ('" + one_line(p.classes.front()) +
                    "'); a classifier needs at least 2");
  if (p.task == Task::binary && p.classes.size() > 2)
    throw DataError(head + " has " + std::to_string(p.classes.size()) + " distinct values (" +
                    join_names(p.classes, 6) + ") but task binary needs 2: set a target " +
                    "rule (above, above_median) or use task multiclass");
  const auto index = index_of(p.classes);
  for (size_t i = 0; i < kept.size(); ++i) label[i] = index.at(keys[i]);
  return label;
}

struct Split {
  std::vector<int64_t> train, val, test;
};

// Step 3. label is empty for a plain (unstratified) split.
Split split_rows(const std::vector<int64_t>& kept, const std::vector<int64_t>& label,
                 int64_t n_classes, const TableSpec& spec, uint64_t seed) {
  std::vector<std::vector<int64_t>> groups(label.empty() ? 1 : n_classes);
  for (size_t i = 0; i < kept.size(); ++i) groups[label.empty() ? 0 : label[i]].push_back(kept[i]);
  Rng rng(seed);
  Split s;
  for (auto& g : groups) {
    rng.shuffle(g);
    const auto n = static_cast<int64_t>(g.size());
    const int64_t n_test = std::llround(spec.test_fraction * static_cast<double>(n));
    const int64_t n_val = std::llround(spec.validation_fraction * static_cast<double>(n - n_test));
    s.test.insert(s.test.end(), g.begin(), g.begin() + n_test);
    s.val.insert(s.val.end(), g.begin() + n_test, g.begin() + n_test + n_val);
    s.train.insert(s.train.end(), g.begin() + n_test + n_val, g.end());
  }
  for (auto* v : {&s.train, &s.val, &s.test}) std::sort(v->begin(), v->end());
  return s;
}

// Step 4 for one feature column.
Preprocessor::Column fit_column(const TableSpec& spec, const Table& t, size_t col,
                                const std::vector<int64_t>& kept,
                                const std::vector<int64_t>& train) {
  Preprocessor::Column c;
  c.name = t.columns[col];
  c.categorical = std::count(spec.categorical.begin(), spec.categorical.end(), c.name) > 0;
  const bool impute = spec.missing != "drop";
  const std::string head = t.source + ": column '" + one_line(c.name) + "'";

  if (c.categorical) {
    std::vector<std::string> keys;
    for (int64_t r : kept)
      if (!is_missing(t.rows[r][col])) keys.push_back(cell_key(t.rows[r][col]));
    c.categories = distinct_sorted(keys);
    if (c.categories.empty()) throw DataError(head + " has no values");
    if (impute) {  // the most frequent training category; ties go to the first in order
      const auto index = index_of(c.categories);
      std::vector<int64_t> count(c.categories.size());
      for (int64_t r : train)
        if (!is_missing(t.rows[r][col])) ++count[index.at(cell_key(t.rows[r][col]))];
      c.fill = static_cast<double>(std::max_element(count.begin(), count.end()) - count.begin());
    }
    return c;
  }

  std::vector<double> values;
  int64_t n_missing = 0;
  for (int64_t r : train) {
    if (is_missing(t.rows[r][col]))
      ++n_missing;
    else
      values.push_back(numeric_cell(t, r, col));
  }
  if (values.empty()) throw DataError(head + " has no values in the training split");
  if (impute) {
    double sum = 0;
    for (double v : values) sum += v;
    c.fill = spec.missing == "median" ? median(values) : sum / static_cast<double>(values.size());
  }
  if (spec.standardize) {
    // Statistics of the column as the network sees it, fill values included (the order of
    // sklearn's Pipeline(SimpleImputer, StandardScaler)). Two passes in double precision.
    const double n = static_cast<double>(values.size() + n_missing);
    double sum = c.fill * static_cast<double>(n_missing);
    for (double v : values) sum += v;
    c.mean = sum / n;
    double ss = (c.fill - c.mean) * (c.fill - c.mean) * static_cast<double>(n_missing);
    for (double v : values) ss += (v - c.mean) * (v - c.mean);
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const bool constant = *lo == *hi && (n_missing == 0 || c.fill == *lo);
    // A constant column would divide by (nearly) zero; it is only centred, as in sklearn.
    c.scale = constant ? 1.0 : std::sqrt(ss / n);
  }
  return c;
}

}  // namespace

TabularSplits load_tabular(const TableSpec& spec, Task task, uint64_t seed) {
  validate(spec, task);
  const Table t = read_table(spec.path, spec.format);
  if (t.rows.empty()) throw DataError(t.source + ": no data rows");
  std::vector<size_t> fcols;
  for (const auto& f : spec.features) fcols.push_back(t.column(f));
  const size_t tcol = t.column(spec.target);

  TabularSplits out;
  out.rows_read = static_cast<int64_t>(t.rows.size());
  const bool impute = spec.missing != "drop";
  std::vector<int64_t> kept;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    bool drop = is_missing(row[tcol]);
    for (size_t k = 0; k < fcols.size() && !drop && !impute; ++k) drop = is_missing(row[fcols[k]]);
    if (drop)
      ++out.rows_dropped;
    else
      kept.push_back(static_cast<int64_t>(r));
  }
  if (kept.empty())
    throw DataError(t.source + ": no rows left: all " + std::to_string(out.rows_read) +
                    " rows have a missing " + (impute ? "target" : "feature or target"));

  Preprocessor& p = out.prep;
  p.task = task;
  p.target = spec.target;
  p.rule = spec.rule;
  p.missing = spec.missing;
  const std::vector<int64_t> label = fit_target(p, t, tcol, kept);

  const bool stratify = spec.stratify && is_classifier(task);
  const Split s = split_rows(kept, stratify ? label : std::vector<int64_t>{},
                             static_cast<int64_t>(p.classes.size()), spec, seed);
  if (s.train.empty())
    throw DataError(t.source + ": no training rows: the test and validation splits take all " +
                    std::to_string(kept.size()) + " rows");

  for (size_t col : fcols) p.columns.push_back(fit_column(spec, t, col, kept, s.train));

  out.train = encode_rows(p, t, s.train, true);
  out.val = encode_rows(p, t, s.val, true);
  out.test = encode_rows(p, t, s.test, true);
  return out;
}

}  // namespace redes
