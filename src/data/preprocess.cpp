// Applying fitted preprocessing: table rows -> feature matrix x (N, width) and labels y, and
// the preprocessing's JSON form for the model file.
//
// Per feature column, in the order of Preprocessor::columns:
//   numeric      one input, (value - mean) / scale; a date "1970-01-01" counts as its year
//   categorical  one input per known category (sorted), 1 for the row's category, else 0
// A missing cell drops the row (missing = "drop") or takes the column's fill value (the
// training mean or median; for a categorical column the most frequent training category).
// A row whose target is missing is always dropped when the target is needed.
#include <cmath>
#include <unordered_map>

#include "data/table_detail.hpp"
#include "redes/error.hpp"

namespace redes {

using namespace table_detail;
using json = nlohmann::json;

int64_t Preprocessor::width() const {
  int64_t w = 0;
  for (const auto& c : columns) w += c.categorical ? static_cast<int64_t>(c.categories.size()) : 1;
  return w;
}

std::vector<std::string> Preprocessor::input_names() const {
  std::vector<std::string> names;
  for (const auto& c : columns) {
    if (!c.categorical) names.push_back(c.name);
    for (const auto& cat : c.categorical ? c.categories : std::vector<std::string>{})
      names.push_back(c.name + "=" + cat);
  }
  return names;
}

void Preprocessor::input_affine(std::vector<float>& scale, std::vector<float>& shift) const {
  scale.clear(), shift.clear();
  for (const auto& c : columns) {
    if (!c.categorical) {  // (v - mean) / scale, as encode_rows computes it
      scale.push_back(static_cast<float>(1.0 / c.scale));
      shift.push_back(static_cast<float>(-c.mean / c.scale));
    }
    for (size_t k = 0; k < (c.categorical ? c.categories.size() : 0); ++k)
      scale.push_back(1.0f), shift.push_back(0.0f);
  }
}

Preprocessor::Encoded Preprocessor::encode(const Table& table, bool need_target) const {
  std::vector<int64_t> all(table.rows.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  return encode_rows(*this, table, all, need_target);
}

namespace table_detail {
namespace {

using Index = std::unordered_map<std::string, int64_t>;

Index index_of(const std::vector<std::string>& names) {
  Index idx;
  for (size_t k = 0; k < names.size(); ++k) idx.emplace(names[k], static_cast<int64_t>(k));
  return idx;
}

bool is_missing(const Cell& c) { return std::holds_alternative<std::monostate>(c); }

}  // namespace

Preprocessor::Encoded encode_rows(const Preprocessor& p, const Table& t,
                                  std::span<const int64_t> rows, bool need_target) {
  const std::string src = t.source.empty() ? "<table>" : t.source;
  REDES_CHECK(!p.columns.empty(), DataError,
              src + ": the model has no table preprocessing (it was not trained on a table)");
  const bool impute = p.missing != "drop";
  const bool by_rule = p.rule.kind == "above" || p.rule.kind == "above_median";
  const bool classify = is_classifier(p.task);

  std::vector<size_t> cols;
  std::vector<Index> categories;
  for (const auto& c : p.columns) {
    cols.push_back(t.column(c.name));
    categories.push_back(index_of(c.categories));
  }
  const size_t target_col = need_target ? t.column(p.target) : 0;
  const Index classes = index_of(p.classes);

  const int64_t width = p.width();
  Preprocessor::Encoded e;
  std::vector<float> xs, ys;
  xs.reserve(rows.size() * width);
  std::vector<float> xrow(width);

  for (const int64_t r : rows) {
    REDES_CHECK(r >= 0 && static_cast<size_t>(r) < t.rows.size(), DataError,
                src + ": row index " + std::to_string(r) + " out of range");
    const auto& cells = t.rows[r];
    REDES_CHECK(cells.size() == t.columns.size(), DataError,
                t.where(r) + ": " + std::to_string(cells.size()) + " cells for " +
                    std::to_string(t.columns.size()) + " columns");
    float y = 0;
    if (need_target) {
      const Cell& tc = cells[target_col];
      if (is_missing(tc)) {
        ++e.dropped;
        continue;
      }
      if (!classify) {
        y = static_cast<float>(numeric_cell(t, r, target_col));
      } else if (by_rule) {
        y = numeric_cell(t, r, target_col) > p.rule.threshold ? 1.f : 0.f;
      } else {
        const std::string key = cell_key(tc);
        auto it = classes.find(key);
        if (it == classes.end())
          throw DataError(t.where(r) + ": target '" + one_line(p.target) + "': unknown class '" +
                          one_line(key) + "' (classes: " + join_names(p.classes) + ")");
        y = static_cast<float>(it->second);
      }
    }

    bool drop = false;
    int64_t o = 0;
    for (size_t k = 0; k < p.columns.size() && !drop; ++k) {
      const auto& c = p.columns[k];
      const Cell& cell = cells[cols[k]];
      const bool missing = is_missing(cell);
      if (missing && !impute) {
        drop = true;
      } else if (c.categorical) {
        int64_t idx = static_cast<int64_t>(c.fill);
        if (!missing) {
          const std::string key = cell_key(cell);
          auto it = categories[k].find(key);
          // An unseen category has no input to light up; silently encoding it as all zeros
          // (sklearn's handle_unknown="ignore") would hide a data problem, so say so.
          if (it == categories[k].end())
            throw DataError(t.where(r) + ": column '" + one_line(c.name) + "': unknown category '" +
                            one_line(key) + "' (known: " + join_names(c.categories) + ")");
          idx = it->second;
        }
        const int64_t n = static_cast<int64_t>(c.categories.size());
        std::fill(xrow.begin() + o, xrow.begin() + o + n, 0.f);
        if (idx >= 0 && idx < n) xrow[o + idx] = 1.f;
        o += n;
      } else {
        const double v = missing ? c.fill : numeric_cell(t, r, cols[k]);
        const float z = static_cast<float>((v - c.mean) / c.scale);
        if (!std::isfinite(z))
          throw DataError(t.where(r) + ": column '" + one_line(c.name) + "': " + cell_key(cell) +
                          " is too large for a float input");
        xrow[o++] = z;
      }
    }
    if (drop) {
      ++e.dropped;
      continue;
    }
    xs.insert(xs.end(), xrow.begin(), xrow.end());
    ys.push_back(y);
    e.rows.push_back(r);
  }

  const auto n = static_cast<int64_t>(e.rows.size());
  e.x = Tensor(Shape{n, width}, std::move(xs));
  // y: (N, 1) for binary and regression, (N) class indices for multiclass, (0) when the target
  // is not needed (predict).
  if (!need_target)
    e.y = Tensor(Shape{0});
  else if (p.task == Task::multiclass)
    e.y = Tensor(Shape{n}, std::move(ys));
  else
    e.y = Tensor(Shape{n, 1}, std::move(ys));
  return e;
}

}  // namespace table_detail

// The JSON form writes every field of every column, so that from_json(to_json()) gives back
// exactly the same preprocessor; nlohmann prints doubles with enough digits to round-trip.
json Preprocessor::to_json() const {
  json cols = json::array();
  for (const auto& c : columns)
    cols.push_back({{"name", c.name},
                    {"categorical", c.categorical},
                    {"mean", c.mean},
                    {"scale", c.scale},
                    {"fill", c.fill},  // categorical: index of the imputed category
                    {"categories", c.categories}});
  return {{"task", name(task)},
          {"target", target},
          {"rule", {{"kind", rule.kind}, {"threshold", rule.threshold}}},
          {"classes", classes},
          {"missing", missing},
          {"columns", std::move(cols)}};
}

namespace {

[[noreturn]] void bad(const std::string& msg) {
  throw ModelFileError("preprocessing in the model file: " + msg);
}

template <class T>
T field(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) bad(where + "missing key '" + key + "'");
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    bad(where + "key '" + key + "' has the wrong type (" + j.at(key).type_name() + ")");
  }
}

double finite_field(const json& j, const char* key, const std::string& where) {
  const double v = field<double>(j, key, where);
  if (!std::isfinite(v)) bad(where + "key '" + key + "' is not a finite number");
  return v;
}

void expect_one_of(const std::string& v, std::initializer_list<const char*> allowed,
                   const std::string& what) {
  for (const char* a : allowed)
    if (v == a) return;
  bad("unknown " + what + " '" + v + "'");
}

}  // namespace

Preprocessor Preprocessor::from_json(const json& j) {
  if (!j.is_object()) bad(std::string("expected an object, found ") + j.type_name());
  Preprocessor p;
  const auto task = task_named(field<std::string>(j, "task", ""));
  if (!task || !fits(DataKind::table, *task))
    bad("unknown task '" + field<std::string>(j, "task", "") +
        "' (binary, multiclass, regression)");
  p.task = *task;
  p.target = field<std::string>(j, "target", "");
  const json& rule = j.contains("rule") ? j.at("rule") : json();
  p.rule.kind = field<std::string>(rule, "kind", "rule: ");
  p.rule.threshold = finite_field(rule, "threshold", "rule: ");
  p.classes = field<std::vector<std::string>>(j, "classes", "");
  p.missing = field<std::string>(j, "missing", "");
  expect_one_of(p.rule.kind, {"none", "above", "above_median"}, "target rule");
  expect_one_of(p.missing, {"drop", "mean", "median"}, "missing-value policy");

  const json& cols = j.contains("columns") ? j.at("columns") : json();
  if (!cols.is_array()) bad("key 'columns' must be an array");
  for (size_t k = 0; k < cols.size(); ++k) {
    const std::string where = "column " + std::to_string(k + 1) + ": ";
    Column c;
    c.name = field<std::string>(cols[k], "name", where);
    c.categorical = field<bool>(cols[k], "categorical", where);
    c.mean = finite_field(cols[k], "mean", where);
    c.scale = finite_field(cols[k], "scale", where);
    c.fill = finite_field(cols[k], "fill", where);
    c.categories = field<std::vector<std::string>>(cols[k], "categories", where);
    if (c.scale == 0) bad(where + "scale is 0");
    if (c.categorical) {
      if (c.categories.empty()) bad(where + "a categorical column without categories");
      if (c.fill < 0 || c.fill >= static_cast<double>(c.categories.size()) ||
          c.fill != std::floor(c.fill))
        bad(where + "fill is not the index of a category");
    }
    p.columns.push_back(std::move(c));
  }
  // An empty preprocessor (a model not trained on a table) has no classes to check.
  if (!p.columns.empty() && p.task == Task::binary && p.classes.size() != 2)
    bad("a binary task needs 2 classes");
  if (!p.columns.empty() && p.task == Task::multiclass && p.classes.size() < 2)
    bad("a multiclass task needs 2+ classes");
  return p;
}

}  // namespace redes
