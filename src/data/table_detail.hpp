// Internals shared by the table reader, the encoder and the fitting code (src/data/ only).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redes/table.hpp"

namespace redes::table_detail {

// Files are read whole; past this size a table is surely a mistake (a wrong path, a binary
// file), and refusing early beats dying of memory exhaustion half way through.
constexpr uint64_t kMaxTableBytes = uint64_t(4) << 30;  // 4 GiB
// Each Cell costs about 40 bytes: 256 M cells is ~10 GiB of memory, the most we agree to build.
// (A 1 GB CSV of short numbers is ~200 M cells.) JSON records with ever new keys could ask for
// rows * columns cells from a small file; this bound catches that too.
constexpr uint64_t kMaxCells = uint64_t(256) << 20;

// The whole file as bytes; DataError "<path>: cannot open: <reason>", "<path>: empty file", or
// "<path>: too large".
std::string read_file(const std::string& path);

Table parse_csv(std::string_view text, const std::string& source);
Table parse_json(std::string_view text, const std::string& source);

// Strict number parsing: the whole text (spaces and tabs around it ignored, one leading '+'
// allowed) must be a decimal number as std::from_chars reads it. "12abc", "" and "0x10" are not.
enum class NumberParse { ok, not_number, not_finite, out_of_range };
NumberParse parse_number(std::string_view text, double& out);

// The year of an ISO 8601 date ("1970-01-01", "1970-01-01T12:00:00Z", "1970-01-01 12:00"),
// or nothing when the text does not start with a valid YYYY-MM-DD date.
std::optional<int> iso_date_year(std::string_view text);

// The value of a cell of a numeric column (not missing): a number, or text that is an ISO date
// (its year). Anything else is a DataError "<where>: column 'c': 'heavy' is not a number".
double numeric_cell(const Table& t, size_t row, size_t col);

// The name of a cell as a category or class: text as is, a number in its shortest round-trip
// form ("4", "2.5"), so that 4 from JSON and "4" from CSV are the same category.
std::string cell_key(const Cell& c);

// Order of categories and classes: numbers by value (so "8" comes after "4", not before "10"),
// then text by bytes. Ties between equal numbers ("4" and "4.0") are broken by the text.
bool category_less(const std::string& a, const std::string& b);
// Sorted distinct names.
void sort_categories(std::vector<std::string>& names);

// "a, b, c" (at most `limit` names, then ", ..."), each name through one_line.
std::string join_names(const std::vector<std::string>& names, size_t limit = 20);

// Encodes the given rows (indices into t) with a fitted preprocessor; Preprocessor::encode is
// this over every row.
Preprocessor::Encoded encode_rows(const Preprocessor& p, const Table& t,
                                  std::span<const int64_t> rows, bool need_target);

}  // namespace redes::table_detail
