// CSV reading: RFC 4180 quoting, line endings, missing values, strict numbers, and the
// messages of every malformed-file error.
#include <gtest/gtest.h>

#include "data_test_util.hpp"
#include "redes/error.hpp"
#include "redes/table.hpp"

namespace redes {
namespace {

using testing::error_of;
using testing::write_temp;

double num(const Cell& c) {
  EXPECT_TRUE(std::holds_alternative<double>(c));
  return std::holds_alternative<double>(c) ? std::get<double>(c) : -999;
}
std::string text(const Cell& c) {
  EXPECT_TRUE(std::holds_alternative<std::string>(c));
  return std::holds_alternative<std::string>(c) ? std::get<std::string>(c) : "<not text>";
}
bool missing(const Cell& c) { return std::holds_alternative<std::monostate>(c); }

TEST(Csv, ReadsHeaderNumbersAndTextWithoutTrailingNewline) {
  const auto path = write_temp("basic.csv", "name,weight,origin\nford,3504,USA\nvw,1835.5,Europe");
  const Table t = read_table(path);
  EXPECT_EQ(t.source, path);
  EXPECT_EQ(t.format, "csv");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"name", "weight", "origin"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(text(t.rows[0][0]), "ford");
  EXPECT_EQ(num(t.rows[0][1]), 3504);
  EXPECT_EQ(num(t.rows[1][1]), 1835.5);
  EXPECT_EQ(text(t.rows[1][2]), "Europe");
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.column("origin"), 2u);
  EXPECT_EQ(t.where(1), path + ":3");
}

TEST(Csv, QuotedFieldsHoldCommasQuotesAndNewlines) {
  const auto path = write_temp("quotes.csv",
                               "a,b\n"
                               "\"x, y\",\"say \"\"hi\"\"\"\n"
                               "\"two\nlines\",2\n"
                               "last,3\n");
  const Table t = read_table(path);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(text(t.rows[0][0]), "x, y");
  EXPECT_EQ(text(t.rows[0][1]), "say \"hi\"");
  EXPECT_EQ(text(t.rows[1][0]), "two\nlines");
  EXPECT_EQ(num(t.rows[1][1]), 2);
  // The record after a quoted line break starts on line 5, not 4.
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 3, 5}));
}

TEST(Csv, CrlfAndLoneCrLineEndings) {
  const Table t = read_table(write_temp("crlf.csv", "a,b\r\n1,2\r\n3,4\r\n"));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.columns[1], "b");  // no stray '\r' in the last name
  EXPECT_EQ(num(t.rows[1][1]), 4);
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 3}));

  const Table cr = read_table(write_temp("cr.csv", "a,b\r1,2\r3,4"));
  ASSERT_EQ(cr.rows.size(), 2u);
  EXPECT_EQ(num(cr.rows[1][0]), 3);
  // A quoted CRLF is kept and counts as one line.
  const Table q = read_table(write_temp("crlfq.csv", "a,b\r\n\"x\r\ny\",1\r\nz,2\r\n"));
  EXPECT_EQ(text(q.rows[0][0]), "x\r\ny");
  EXPECT_EQ(q.lines, (std::vector<int64_t>{2, 4}));
}

TEST(Csv, EmptyAndNaFieldsAreMissing) {
  const Table t = read_table(write_temp("missing.csv", "a,b,c,d\n,NA,\"NA\",\"\"\n1,,x,  \n"));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_TRUE(missing(t.rows[0][0]));
  EXPECT_TRUE(missing(t.rows[0][1]));
  EXPECT_EQ(text(t.rows[0][2]), "NA");  // quoted: R's way of writing the text NA
  EXPECT_TRUE(missing(t.rows[0][3]));
  EXPECT_TRUE(missing(t.rows[1][1]));
  EXPECT_TRUE(missing(t.rows[1][3]));  // only spaces
}

TEST(Csv, NumbersAreParsedStrictly) {
  const Table t = read_table(
      write_temp("numbers.csv", "v\n12abc\n 12 \n+3\n-2.5e3\nnan\ninf\n0x10\n\"7\"\n1e400\n.5\n"));
  ASSERT_EQ(t.rows.size(), 10u);
  EXPECT_EQ(text(t.rows[0][0]), "12abc");
  EXPECT_EQ(num(t.rows[1][0]), 12);
  EXPECT_EQ(num(t.rows[2][0]), 3);
  EXPECT_EQ(num(t.rows[3][0]), -2500);
  // Non-finite and out-of-range numbers stay text; the encoder rejects them by name.
  EXPECT_EQ(text(t.rows[4][0]), "nan");
  EXPECT_EQ(text(t.rows[5][0]), "inf");
  EXPECT_EQ(text(t.rows[6][0]), "0x10");
  EXPECT_EQ(num(t.rows[7][0]), 7);  // a quoted number is still a number
  EXPECT_EQ(text(t.rows[8][0]), "1e400");
  EXPECT_EQ(num(t.rows[9][0]), 0.5);
}

TEST(Csv, BlankLinesAreSkippedAndLinesStayPhysical) {
  const Table t = read_table(write_temp("blank.csv", "\na,b\n1,2\n\n\n3,4\n\n"));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.columns[0], "a");
  EXPECT_EQ(t.lines, (std::vector<int64_t>{3, 6}));
}

TEST(Csv, ByteOrderMarkAndUnnamedColumns) {
  const Table t = read_table(write_temp("bom.csv", "\xEF\xBB\xBF,x, y \n0,1,2\n"));
  EXPECT_EQ(t.columns, (std::vector<std::string>{"column_1", "x", "y"}));
}

TEST(Csv, HeaderOnlyGivesNoRows) {
  const Table t = read_table(write_temp("header.csv", "a,b\n"));
  EXPECT_EQ(t.columns.size(), 2u);
  EXPECT_TRUE(t.rows.empty());
}

TEST(CsvErrors, MissingFile) {
  const std::string path = "/nonexistent/redes/cars.csv";
  EXPECT_EQ(error_of<DataError>([&] { read_table(path); }),
            path + ": cannot open: No such file or directory");
}

TEST(CsvErrors, DirectoryAndEmptyFile) {
  const auto path = write_temp("empty.csv", "");
  EXPECT_EQ(error_of<DataError>([&] { read_table(path); }), path + ": empty file");
  const auto blank = write_temp("blank_only.csv", "\n\r\n  \n");
  EXPECT_EQ(error_of<DataError>([&] { read_table(blank); }), blank + ": empty file");
  const auto dir = std::filesystem::path(path).parent_path().string();
  EXPECT_CONTAINS(error_of<DataError>([&] { read_table(dir, "csv"); }), dir + ": cannot open");
}

TEST(CsvErrors, WrongNumberOfFieldsNamesTheLine) {
  const auto path = write_temp("fields.csv", "a,b,c\n1,2,3\n\"x\ny\",2,3\n4,5\n");
  EXPECT_EQ(error_of<DataError>([&] { read_table(path); }),
            path + ":5: expected 3 fields, found 2");
  const auto extra = write_temp("extra.csv", "a,b\n1,2,\n");
  EXPECT_EQ(error_of<DataError>([&] { read_table(extra); }),
            extra + ":2: expected 2 fields, found 3");
}

TEST(CsvErrors, UnterminatedQuote) {
  const auto path = write_temp("unterminated.csv", "a,b\n1,2\n3,\"open\n4,5\n");
  const std::string msg = error_of<DataError>([&] { read_table(path); });
  EXPECT_CONTAINS(msg, path + ":3: unterminated quoted field");
  EXPECT_CONTAINS(msg, "column 3");
}

TEST(CsvErrors, TextAfterClosingQuote) {
  const auto path = write_temp("afterquote.csv", "a,b\n\"x\"y,2\n");
  EXPECT_CONTAINS(error_of<DataError>([&] { read_table(path); }), path + ":2: unexpected 'y'");
}

TEST(CsvErrors, DuplicateColumn) {
  const auto path = write_temp("dup.csv", "a,b,a\n1,2,3\n");
  EXPECT_EQ(error_of<DataError>([&] { read_table(path); }), path + ":1: duplicate column 'a'");
}

TEST(CsvErrors, MissingColumnListsTheColumns) {
  const auto path = write_temp("cols.csv", "Horsepower,Weight\n1,2\n");
  const Table t = read_table(path);
  EXPECT_EQ(error_of<DataError>([&] { t.column("Horsepowr"); }),
            path + ": no column 'Horsepowr' (columns: Horsepower, Weight)");
}

// A quoted name or cell may hold line breaks; the message quoting it stays one line.
// (fuzz/fuzz_csv.cpp found the multi-line messages.)
TEST(CsvErrors, QuotedLineBreaksDoNotBreakTheMessage) {
  const auto dup = write_temp("dupnl.csv", "\"a\nb\",\"a\nb\"\n1,2\n");
  EXPECT_EQ(error_of<DataError>([&] { read_table(dup); }), dup + ":1: duplicate column 'a b'");
  const auto path = write_temp("cellnl.csv", "\"x\r\ny\",z\n\"line\nbreak\",1\n");
  const Table t = read_table(path);
  EXPECT_EQ(error_of<DataError>([&] { t.column("q"); }),
            path + ": no column 'q' (columns: x  y, z)");
  Preprocessor p;
  p.task = Task::regression;
  p.target = "z";
  p.columns = {Preprocessor::Column{.name = "x\r\ny"}};
  // (The header's own line break puts the record on line 3.)
  EXPECT_EQ(error_of<DataError>([&] { p.encode(t, true); }),
            path + ":3: column 'x  y': 'line break' is not a number");
}

TEST(CsvErrors, UnknownFormatIsAConfigError) {
  const auto path = write_temp("fmt.csv", "a\n1\n");
  EXPECT_CONTAINS(error_of<ConfigError>([&] { read_table(path, "xml"); }), "'xml'");
}

}  // namespace
}  // namespace redes
