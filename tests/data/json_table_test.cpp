// JSON tables: arrays of flat records, and the errors for anything else.
#include <gtest/gtest.h>

#include "data_test_util.hpp"
#include "redes/error.hpp"
#include "redes/table.hpp"

namespace redes {
namespace {

using testing::error_of;
using testing::write_temp;

TEST(JsonTable, RecordsBecomeRowsWithTheUnionOfKeys) {
  const auto path = write_temp("small.json", R"([
    {"Name": "a", "Mpg": 18, "Year": "1970-01-01", "Turbo": true},
    {"Name": "b", "Mpg": null, "Weight": 2.5e3},
    {"Turbo": false, "Name": "c", "Mpg": -1.5}
  ])");
  const Table t = read_table(path);
  EXPECT_EQ(t.format, "json");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"Name", "Mpg", "Year", "Turbo", "Weight"}));
  ASSERT_EQ(t.rows.size(), 3u);
  for (const auto& row : t.rows) EXPECT_EQ(row.size(), 5u);
  EXPECT_EQ(std::get<std::string>(t.rows[0][0]), "a");
  EXPECT_EQ(std::get<double>(t.rows[0][1]), 18);
  EXPECT_EQ(std::get<std::string>(t.rows[0][2]), "1970-01-01");  // dates are the encoder's job
  EXPECT_EQ(std::get<double>(t.rows[0][3]), 1);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t.rows[0][4]));  // absent key
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t.rows[1][1]));  // null
  EXPECT_EQ(std::get<double>(t.rows[1][4]), 2500);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t.rows[1][3]));
  EXPECT_EQ(std::get<double>(t.rows[2][3]), 0);
  EXPECT_EQ(std::get<double>(t.rows[2][1]), -1.5);
  EXPECT_EQ(t.lines, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(t.where(2), path + ": record 3");
}

TEST(JsonTable, FormatFromContentWhenTheExtensionSaysNothing) {
  const Table t = read_table(write_temp("records.txt", "  [{\"a\": 1}]"));
  EXPECT_EQ(t.format, "json");
  EXPECT_EQ(t.rows.size(), 1u);
  // An explicit format wins over the extension.
  const Table c = read_table(write_temp("really_csv.json", "a\n1\n"), "csv");
  EXPECT_EQ(c.format, "csv");
}

TEST(JsonTable, EmptyArrayGivesNoRows) {
  const Table t = read_table(write_temp("empty_array.json", "[]"));
  EXPECT_TRUE(t.rows.empty());
  EXPECT_TRUE(t.columns.empty());
}

TEST(JsonTableErrors, NestedValuesNameTheRecordAndKey) {
  const auto obj = write_temp("nested_obj.json", R"([{"a": 1}, {"a": 2, "b": {"c": 3}}])");
  EXPECT_EQ(error_of<DataError>([&] { read_table(obj); }),
            obj +
                ": record 2: key 'b' holds an object; values must be numbers, strings, "
                "booleans or null");
  const auto arr = write_temp("nested_arr.json", R"([{"a": [1, 2]}])");
  EXPECT_CONTAINS(error_of<DataError>([&] { read_table(arr); }),
                  arr + ": record 1: key 'a' holds an array");
}

TEST(JsonTableErrors, NotAnArrayOfObjects) {
  const auto obj = write_temp("object.json", R"({"a": [1, 2]})");
  EXPECT_EQ(error_of<DataError>([&] { read_table(obj); }),
            obj + ": expected a JSON array of objects (records), found an object at the top");
  const auto nums = write_temp("numbers.json", "[{\"a\": 1}, 2]");
  EXPECT_CONTAINS(error_of<DataError>([&] { read_table(nums); }),
                  nums + ": record 2 is a number, not an object");
  const auto scalar = write_temp("scalar.json", "42");
  EXPECT_CONTAINS(error_of<DataError>([&] { read_table(scalar, "json"); }),
                  "found a number at the top");
}

TEST(JsonTableErrors, MalformedJsonGivesLineAndColumn) {
  const auto path = write_temp("malformed.json", "[\n  {\"a\": 1},\n  {\"a\": }\n]");
  const std::string msg = error_of<DataError>([&] { read_table(path); });
  EXPECT_CONTAINS(msg, path + ":3:");
  EXPECT_CONTAINS(msg, "malformed JSON");
  EXPECT_EQ(msg.find("[json.exception"), std::string::npos) << msg;
  const auto cut = write_temp("truncated.json", "[{\"a\": 1}, {\"a\"");
  EXPECT_CONTAINS(error_of<DataError>([&] { read_table(cut); }), cut + ":1:");
}

TEST(JsonTableErrors, DuplicateKeyAndHugeNumber) {
  const auto dup = write_temp("dupkey.json", R"([{"a": 1, "a": 2}])");
  EXPECT_EQ(error_of<DataError>([&] { read_table(dup); }), dup + ": record 1: duplicate key 'a'");
  const auto big = write_temp("huge.json", R"([{"a": 1}, {"a": 1e400}])");
  EXPECT_EQ(error_of<DataError>([&] { read_table(big); }),
            big + ":1:22: malformed JSON: number overflow parsing '1e400'");
}

TEST(JsonTableErrors, KeysWithLineBreaksDoNotBreakTheMessage) {
  const auto path = write_temp("keynl.json", R"([{"a\nb": 1, "a\nb": 2}])");
  EXPECT_EQ(error_of<DataError>([&] { read_table(path); }),
            path + ": record 1: duplicate key 'a b'");
}

TEST(JsonTableErrors, ManyDistinctKeysAreRefusedBeforeTheyAreAllocated) {
  // 20000 records, each with a key of its own: a 300 kB file asking for 400 M cells (16 GB).
  std::string text = "[";
  for (int i = 0; i < 20000; ++i) text += (i ? ",{\"k" : "{\"k") + std::to_string(i) + "\":1}";
  const auto path = write_temp("sparse.json", text + "]");
  EXPECT_EQ(error_of<DataError>([&] { read_table(path); }),
            path + ": too many cells for a table (20000 records x 20000 keys; the limit is " +
                std::to_string(uint64_t(256) << 20) + ")");
}

TEST(JsonTableErrors, EmptyFile) {
  const auto path = write_temp("empty.json", " \n");
  EXPECT_EQ(error_of<DataError>([&] { read_table(path); }), path + ": empty file");
}

}  // namespace
}  // namespace redes
