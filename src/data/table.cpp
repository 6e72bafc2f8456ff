// Table basics: reading a file, choosing the format, and the cell helpers shared by the
// encoder and the fitting code.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "data/table_detail.hpp"
#include "redes/error.hpp"
#include "redes/files.hpp"

namespace redes {

using namespace table_detail;

std::string Table::where(size_t row) const {
  const std::string src = source.empty() ? "<table>" : source;
  if (row >= lines.size()) return src + ": row " + std::to_string(row + 1);
  if (format == "json") return src + ": record " + std::to_string(lines[row]);
  return src + ":" + std::to_string(lines[row]);
}

size_t Table::column(const std::string& name) const {
  auto it = std::find(columns.begin(), columns.end(), name);
  if (it != columns.end()) return static_cast<size_t>(it - columns.begin());
  throw DataError((source.empty() ? "<table>" : source) + ": no column '" + one_line(name) +
                  "' (columns: " + join_names(columns, 50) + ")");
}

namespace {

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// With no format given, the extension decides; an unknown extension is sniffed from the first
// non-blank byte, since a JSON table must start with '[' (or '{' for the error to say why).
std::string guess_format(const std::string& path, std::string_view text) {
  const std::string ext = lower(std::filesystem::path(path).extension().string());
  if (ext == ".json") return "json";
  if (ext == ".csv") return "csv";
  size_t i = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (i < text.size() && std::strchr(" \t\r\n", text[i])) ++i;
  return i < text.size() && (text[i] == '[' || text[i] == '{') ? "json" : "csv";
}

}  // namespace

Table read_table(const std::string& path, const std::string& format) {
  if (!format.empty() && format != "csv" && format != "json")
    throw ConfigError("unknown table format '" + format + "' for " + path +
                      " (expected \"csv\" or \"json\")");
  const std::string text = read_file(path);
  const std::string fmt = format.empty() ? guess_format(path, text) : format;
  return fmt == "json" ? parse_json(text, path) : parse_csv(text, path);
}

namespace table_detail {

std::string read_file(const std::string& path) {
  std::string text = redes::read_file<DataError>(path, kMaxTableBytes, "a table");
  const bool blank = std::all_of(text.begin(), text.end(), [](char ch) {
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
  });
  if (blank || text == "\xEF\xBB\xBF") throw DataError(path + ": empty file");
  return text;
}

NumberParse parse_number(std::string_view s, double& out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.size() > 1 && s.front() == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  if (s.empty()) return NumberParse::not_number;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out, std::chars_format::general);
  if (ptr != end) return NumberParse::not_number;
  if (ec == std::errc::result_out_of_range) return NumberParse::out_of_range;
  if (ec != std::errc()) return NumberParse::not_number;
  if (!std::isfinite(out)) return NumberParse::not_finite;  // "nan", "inf", "infinity"
  return NumberParse::ok;
}

std::optional<int> iso_date_year(std::string_view s) {
  auto digits = [&](size_t from, size_t n) {
    int v = 0;
    for (size_t i = from; i < from + n; ++i) {
      if (i >= s.size() || s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const int year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  // A time may follow ("T12:00", " 12:00"); anything else ("1970-01-01x") is not a date.
  if (s.size() > 10 && s[10] != 'T' && s[10] != ' ') return std::nullopt;
  return year;
}

double numeric_cell(const Table& t, size_t row, size_t col) {
  const Cell& c = t.rows[row][col];
  if (auto* d = std::get_if<double>(&c)) return *d;
  const auto* text = std::get_if<std::string>(&c);
  const std::string column = one_line(t.columns[col]);
  if (!text) throw DataError(t.where(row) + ": column '" + column + "' is missing");
  // Dates in a numeric column become their year: the cars data stores its model year as
  // "1970-01-01", and the year is the number the lecture's model uses.
  if (auto year = iso_date_year(*text)) return *year;
  double v;
  const std::string head = t.where(row) + ": column '" + column + "': '" + one_line(*text) + "' ";
  switch (parse_number(*text, v)) {
    case NumberParse::not_finite:
      throw DataError(head + "is not a finite number (NaN and infinity are not allowed)");
    case NumberParse::out_of_range:
      throw DataError(head + "is out of the range of a double");
    default:
      throw DataError(head + "is not a number");
  }
}

std::string cell_key(const Cell& c) {
  if (auto* s = std::get_if<std::string>(&c)) return *s;
  if (auto* d = std::get_if<double>(&c)) {
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, *d);  // shortest round trip
    return std::string(buf, ptr);
  }
  return "";
}

bool category_less(const std::string& a, const std::string& b) {
  double x, y;
  const bool an = parse_number(a, x) == NumberParse::ok;
  const bool bn = parse_number(b, y) == NumberParse::ok;
  if (an != bn) return an;  // numbers first
  if (an && x != y) return x < y;
  return a < b;
}

void sort_categories(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end(), category_less);
  names.erase(std::unique(names.begin(), names.end()), names.end());
}

std::string join_names(const std::vector<std::string>& names, size_t limit) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < limit; ++i) s += (i ? ", " : "") + one_line(names[i]);
  if (names.size() > limit) s += ", ... (" + std::to_string(names.size()) + " in all)";
  return s;
}

}  // namespace table_detail
}  // namespace redes
