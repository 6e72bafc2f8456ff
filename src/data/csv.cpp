// CSV reading (RFC 4180): a header row, then one record per line; fields separated by commas;
// a field in double quotes may hold commas, line breaks and "" (one quote). Lines end in LF,
// CRLF or a lone CR; the last line may lack its line break.
//
// Cells: an empty field (quoted or not) and an unquoted NA are missing (R writes missing values
// as a bare NA and quotes text, so a quoted "NA" stays text). A field that is wholly a number
// (std::from_chars, see parse_number) becomes a number; anything else, including "12abc",
// "nan" and "inf", stays text, so that the encoder can say which value in which column is not
// a usable number. Spaces and tabs around an unquoted field are dropped ("a, b" is common).
// Lines that are completely empty are skipped, as pandas does.
#include <string>
#include <string_view>

#include "data/table_detail.hpp"
#include "redes/error.hpp"

namespace redes::table_detail {
namespace {

class CsvParser {
 public:
  CsvParser(std::string_view text, const std::string& source) : s_(text), source_(source) {
    if (s_.starts_with("\xEF\xBB\xBF")) i_ = 3;  // a UTF-8 byte order mark (Excel writes one)
  }

  Table parse() {
    Table t;
    t.source = source_;
    t.format = "csv";
    skip_blank_lines();
    // The header: its fields name the columns.
    const int64_t header_line = line_;
    read_record();
    for (size_t k = 0; k < nfields_; ++k) {
      std::string name = fields_[k].text;
      if (!fields_[k].quoted) name = std::string(trim(name));
      // pandas writes its index column with an empty name; give it one that can be used.
      if (name.empty()) name = "column_" + std::to_string(k + 1);
      for (const auto& c : t.columns)
        if (c == name)
          throw DataError(source_ + ":" + std::to_string(header_line) + ": duplicate column '" +
                          one_line(name) + "'");
      t.columns.push_back(std::move(name));
    }
    const size_t width = t.columns.size();
    uint64_t cells = 0;
    while (skip_blank_lines(), i_ < s_.size()) {
      const int64_t record_line = line_;
      read_record();
      if (nfields_ != width)
        throw DataError(source_ + ":" + std::to_string(record_line) + ": expected " +
                        std::to_string(width) + " field" + (width == 1 ? "" : "s") + ", found " +
                        std::to_string(nfields_));
      cells += width;
      if (cells > kMaxCells)
        throw DataError(source_ + ":" + std::to_string(record_line) +
                        ": too many cells for a table (the limit is " + std::to_string(kMaxCells) +
                        ")");
      std::vector<Cell> row;
      row.reserve(width);
      for (size_t k = 0; k < width; ++k) row.push_back(to_cell(fields_[k]));
      t.rows.push_back(std::move(row));
      t.lines.push_back(record_line);
    }
    return t;
  }

 private:
  struct Field {
    std::string text;
    bool quoted = false;
  };

  static std::string_view trim(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  }

  static Cell to_cell(const Field& f) {
    const std::string_view v = f.quoted ? std::string_view(f.text) : trim(f.text);
    if (v.empty() || (!f.quoted && v == "NA")) return std::monostate{};
    double d;
    if (parse_number(v, d) == NumberParse::ok) return d;
    return std::string(v);
  }

  bool at_line_break() const { return i_ < s_.size() && (s_[i_] == '\n' || s_[i_] == '\r'); }
  // Consumes one line break (LF, CRLF or CR) and counts it.
  void consume_line_break() {
    if (s_[i_] == '\r' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') ++i_;
    ++i_;
    ++line_;
  }
  void skip_blank_lines() {
    while (at_line_break()) consume_line_break();
  }

  // Reads one record into fields_, leaving i_ after its line break (or at the end).
  void read_record() {
    nfields_ = 0;
    for (;;) {
      Field& f = next_field();
      if (i_ < s_.size() && s_[i_] == '"') {
        read_quoted(f);
      } else {
        const size_t start = i_;
        while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '\n' && s_[i_] != '\r') ++i_;
        // A quote inside an unquoted field is kept as is (lenient, as Python's csv module).
        f.text.assign(s_.substr(start, i_ - start));
      }
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;  // a comma at the end of a line means one more (empty) field
      }
      if (i_ < s_.size()) consume_line_break();
      return;
    }
  }

  Field& next_field() {
    // Fields are reused from record to record, so their strings keep their capacity.
    if (nfields_ == fields_.size()) fields_.emplace_back();
    Field& f = fields_[nfields_++];
    f.text.clear();
    f.quoted = false;
    return f;
  }

  void read_quoted(Field& f) {
    f.quoted = true;
    const int64_t open_line = line_;
    const size_t open_col = column_of(i_);
    ++i_;  // the opening quote
    for (;;) {
      const size_t q = s_.find('"', i_);
      if (q == std::string_view::npos)
        throw DataError(source_ + ":" + std::to_string(open_line) +
                        ": unterminated quoted field (the quote opened at column " +
                        std::to_string(open_col) + " is never closed)");
      count_lines(i_, q);
      f.text.append(s_.substr(i_, q - i_));
      i_ = q + 1;
      if (i_ < s_.size() && s_[i_] == '"') {  // "" is one quote
        f.text.push_back('"');
        ++i_;
        continue;
      }
      break;
    }
    if (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '\n' && s_[i_] != '\r')
      throw DataError(source_ + ":" + std::to_string(line_) + ": unexpected '" +
                      std::string(1, s_[i_]) + "' after a closing quote at column " +
                      std::to_string(column_of(i_)) +
                      " (a quote inside a quoted field is "
                      "written \"\")");
  }

  // Line breaks inside a quoted field still count, so later records report their true line.
  void count_lines(size_t from, size_t to) {
    for (size_t k = from; k < to; ++k)
      if (s_[k] == '\n' || (s_[k] == '\r' && (k + 1 >= s_.size() || s_[k + 1] != '\n'))) ++line_;
  }

  // 1-based column (in bytes) of position p on its line.
  size_t column_of(size_t p) const {
    size_t start = p;
    while (start > 0 && s_[start - 1] != '\n' && s_[start - 1] != '\r') --start;
    return p - start + 1;
  }

  std::string_view s_;
  const std::string& source_;
  size_t i_ = 0;
  int64_t line_ = 1;
  std::vector<Field> fields_;  // the first nfields_ are the current record's
  size_t nfields_ = 0;
};

}  // namespace

Table parse_csv(std::string_view text, const std::string& source) {
  return CsvParser(text, source).parse();
}

}  // namespace redes::table_detail
