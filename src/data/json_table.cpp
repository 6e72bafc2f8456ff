// JSON tables: an array of flat objects, one per row, as vega-datasets and pandas'
// to_json(orient="records") write them. The columns are the union of the keys in the order
// they are first seen; a null or absent key is a missing cell; true/false become 1/0. A nested
// object or array is an error naming the record and the key.
//
// The file is read with nlohmann's SAX interface rather than into a json DOM: the DOM of a
// large file costs many times its size, while the events fill the table directly, and an
// error can stop the parse at the first bad record.
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "data/table_detail.hpp"
#include "redes/error.hpp"

namespace redes::table_detail {
namespace {

using json = nlohmann::json;

class TableSax : public nlohmann::json_sax<json> {
 public:
  explicit TableSax(Table& t) : t_(t) {}

  // Records are kept sparse, as (column, cell) pairs, while the file is read: a file whose
  // every record brings new keys would otherwise need records x keys cells before anything
  // could check the size. parse_json makes them dense once the size is known to be sane.
  std::vector<std::vector<std::pair<size_t, Cell>>> records;

  std::string error;  // set when a callback refused the input (parse errors are separate)
  size_t error_position = 0;
  std::string parse_message;

  bool null() override { return value(std::monostate{}, "null"); }
  bool boolean(bool v) override { return value(v ? 1.0 : 0.0, "a boolean"); }
  bool number_integer(number_integer_t v) override {
    return value(static_cast<double>(v), "a number");
  }
  bool number_unsigned(number_unsigned_t v) override {
    return value(static_cast<double>(v), "a number");
  }
  // (nlohmann reports a number too large for a double, 1e400, as a parse error.)
  bool number_float(number_float_t v, const string_t&) override { return value(v, "a number"); }
  bool string(string_t& v) override { return value(std::move(v), "a string"); }
  bool binary(binary_t&) override { return value(std::monostate{}, "binary data"); }

  bool start_object(std::size_t) override {
    if (depth_ == 0) return fail_top("an object");
    if (depth_ >= 2)
      return fail("key '" + one_line(key_) + "' holds an object; values must be numbers, " +
                  "strings, booleans or null");
    // A new record.
    ++depth_;
    if (records.size() >= kMaxCells) return fail("too many records");
    records.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    auto [it, added] = index_.try_emplace(k, t_.columns.size());
    if (added) t_.columns.push_back(k);
    col_ = it->second;
    // last_record_[c]: the last record (1-based) that had key c, to catch duplicates in O(1).
    if (last_record_.size() <= col_) last_record_.resize(col_ + 1, 0);
    if (last_record_[col_] == records.size()) return fail("duplicate key '" + one_line(k) + "'");
    last_record_[col_] = records.size();
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ == 1) return fail_element("an array");
    return fail("key '" + one_line(key_) +
                "' holds an array; values must be numbers, strings, booleans or null");
  }
  bool end_array() override {
    depth_ = 0;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error_position = position;
    parse_message = ex.what();
    return false;
  }

 private:
  bool value(Cell c, const char* what) {
    if (depth_ == 0) return fail_top(what);
    if (depth_ == 1) return fail_element(what);
    records.back().emplace_back(col_, std::move(c));
    return true;
  }
  bool fail(const std::string& msg) {
    error = "record " + std::to_string(records.size()) + ": " + msg;
    return false;
  }
  bool fail_top(const std::string& what) {
    error = "expected a JSON array of objects (records), found " + what + " at the top";
    return false;
  }
  bool fail_element(const std::string& what) {
    error = "record " + std::to_string(records.size() + 1) + " is " + what +
            ", not an object; expected an array of objects (records)";
    return false;
  }

  Table& t_;
  int depth_ = 0;  // 0: outside, 1: in the top array, 2: in a record
  std::string key_;
  size_t col_ = 0;
  std::unordered_map<std::string, size_t> index_;
  std::vector<size_t> last_record_;
};

// nlohmann's message is "[json.exception.parse_error.101] parse error at line 3, column 5:
// syntax error ..." or "[json.exception.out_of_range.406] number overflow ..."; the place is
// given separately, so keep only the reason.
std::string parse_reason(std::string what) {
  if (what.starts_with("[json.exception.")) {
    const size_t close = what.find("] ");
    if (close != std::string::npos) what.erase(0, close + 2);
  }
  if (what.starts_with("parse error")) {
    const size_t colon = what.find(": ");
    if (colon != std::string::npos) what.erase(0, colon + 2);
  }
  return what;
}

}  // namespace

Table parse_json(std::string_view text, const std::string& source) {
  Table t;
  t.source = source;
  t.format = "json";
  TableSax sax(t);
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax);
  if (!ok && !sax.error.empty()) throw DataError(source + ": " + sax.error);
  if (!ok) {
    // nlohmann reports a byte count; turn it into line:column, which an editor can jump to.
    const size_t pos = std::min(sax.error_position, text.size());
    int64_t line = 1;
    size_t line_start = 0;
    for (size_t k = 0; k + 1 < pos; ++k)
      if (text[k] == '\n') line++, line_start = k + 1;
    const size_t col = pos > line_start ? pos - line_start : 1;
    throw DataError(source + ":" + std::to_string(line) + ":" + std::to_string(col) +
                    ": malformed JSON: " + parse_reason(sax.parse_message));
  }
  const size_t n = sax.records.size(), width = t.columns.size();
  if (width && n > kMaxCells / width)
    throw DataError(source + ": too many cells for a table (" + std::to_string(n) + " records x " +
                    std::to_string(width) + " keys; the limit is " + std::to_string(kMaxCells) +
                    ")");
  t.rows.reserve(n);
  t.lines.reserve(n);
  for (size_t r = 0; r < n; ++r) {
    auto& row = t.rows.emplace_back(width);
    for (auto& [col, cell] : sax.records[r]) row[col] = std::move(cell);
    std::vector<std::pair<size_t, Cell>>().swap(sax.records[r]);  // free as we go
    t.lines.push_back(static_cast<int64_t>(r + 1));
  }
  return t;
}

}  // namespace redes::table_detail
