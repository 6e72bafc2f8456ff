// Fitting and applying the preprocessing: standardisation on training rows only, one-hot
// categories, imputation, target rules and classes, and the encoder's errors.
#include <gtest/gtest.h>

#include <cmath>

#include "data_test_util.hpp"
#include "redes/error.hpp"
#include "redes/table.hpp"

namespace redes {
namespace {

using testing::error_of;
using testing::write_temp;

TableSpec spec_for(const std::string& path, std::vector<std::string> features, std::string target) {
  TableSpec s;
  s.path = path;
  s.features = std::move(features);
  s.target = std::move(target);
  s.test_fraction = 0;
  return s;
}

// Row i of x as a vector.
std::vector<float> row(const Tensor& x, int64_t i) {
  const int64_t w = x.dim(1);
  return std::vector<float>(x.data() + i * w, x.data() + (i + 1) * w);
}

TEST(Preprocess, StandardisesAndOneHotEncodes) {
  const auto path = write_temp("basic_prep.csv", "x,c,t\n1,b,0\n2,a,1\n3,b,0\n4,a,1\n");
  TableSpec s = spec_for(path, {"x", "c"}, "t");
  s.categorical = {"c"};
  const TabularSplits out = load_tabular(s, Task::binary, 1);
  const Preprocessor& p = out.prep;
  ASSERT_EQ(p.columns.size(), 2u);
  EXPECT_DOUBLE_EQ(p.columns[0].mean, 2.5);
  EXPECT_DOUBLE_EQ(p.columns[0].scale, std::sqrt(1.25));  // population std, as sklearn
  EXPECT_EQ(p.columns[1].categories, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.width(), 3);
  EXPECT_EQ(p.input_names(), (std::vector<std::string>{"x", "c=a", "c=b"}));
  EXPECT_EQ(p.classes, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(out.rows_read, 4);
  EXPECT_EQ(out.rows_dropped, 0);
  ASSERT_EQ(out.train.x.shape(), (Shape{4, 3}));
  EXPECT_EQ(out.train.y.shape(), (Shape{4, 1}));
  EXPECT_EQ(out.test.x.shape(), (Shape{0, 3}));
  EXPECT_EQ(out.val.x.shape(), (Shape{0, 3}));
  EXPECT_EQ(out.train.rows, (std::vector<int64_t>{0, 1, 2, 3}));
  const float z0 = static_cast<float>((1 - 2.5) / std::sqrt(1.25));
  EXPECT_EQ(row(out.train.x, 0), (std::vector<float>{z0, 0, 1}));
  EXPECT_EQ(row(out.train.x, 1)[1], 1.f);
  EXPECT_EQ(out.train.y.values(), (std::vector<float>{0, 1, 0, 1}));
}

TEST(Preprocess, NoStandardisationAndConstantColumns) {
  const auto path = write_temp("const.csv", "x,k,t\n1,5,a\n2,5,b\n3,5,a\n");
  TableSpec s = spec_for(path, {"x", "k"}, "t");
  s.standardize = false;
  TabularSplits out = load_tabular(s, Task::binary, 1);
  EXPECT_EQ(out.prep.columns[0].mean, 0);
  EXPECT_EQ(out.prep.columns[0].scale, 1);
  EXPECT_EQ(row(out.train.x, 2), (std::vector<float>{3, 5}));
  s.standardize = true;
  out = load_tabular(s, Task::binary, 1);
  // A constant column is centred, not divided by zero.
  EXPECT_EQ(out.prep.columns[1].mean, 5);
  EXPECT_EQ(out.prep.columns[1].scale, 1);
  EXPECT_EQ(row(out.train.x, 0)[1], 0.f);
}

// 100 rows: x = i^2 (skewed, so train and full means differ), class 1 for every i % 10 < 3.
std::string hundred_rows() {
  std::string csv = "x,t\n";
  for (int i = 0; i < 100; ++i)
    csv += std::to_string(i * i) + "," + std::to_string(i % 10 < 3 ? 1 : 0) + "\n";
  return csv;
}

TEST(Preprocess, StatisticsComeFromTheTrainingRowsOnly) {
  const auto path = write_temp("hundred.csv", hundred_rows());
  TableSpec s = spec_for(path, {"x"}, "t");
  s.test_fraction = 0.3;
  const TabularSplits out = load_tabular(s, Task::binary, 7);
  const auto& c = out.prep.columns[0];
  double sum = 0, ss = 0;
  for (int64_t r : out.train.rows) sum += double(r * r);
  const double mean = sum / double(out.train.rows.size());
  for (int64_t r : out.train.rows) ss += (double(r * r) - mean) * (double(r * r) - mean);
  EXPECT_DOUBLE_EQ(c.mean, mean);
  EXPECT_DOUBLE_EQ(c.scale, std::sqrt(ss / double(out.train.rows.size())));
  EXPECT_NE(c.mean, 3283.5);  // the mean over all 100 rows
  // The test split is encoded with the training statistics.
  for (size_t i = 0; i < out.test.rows.size(); ++i) {
    const double raw = double(out.test.rows[i] * out.test.rows[i]);
    EXPECT_FLOAT_EQ(out.test.x[i], float((raw - c.mean) / c.scale));
  }
  // So the training columns, and only they, have mean 0 and standard deviation 1.
  double m = 0, v = 0;
  for (float z : out.train.x.values()) m += z;
  m /= double(out.train.x.numel());
  for (float z : out.train.x.values()) v += (z - m) * (z - m);
  EXPECT_NEAR(m, 0, 1e-6);
  EXPECT_NEAR(v / double(out.train.x.numel()), 1, 1e-5);
}

int64_t count_ones(const Preprocessor::Encoded& e) {
  int64_t n = 0;
  for (float y : e.y.values()) n += y == 1.f;
  return n;
}

TEST(Split, StratifiedSizesPerClass) {
  const auto path = write_temp("strat.csv", hundred_rows());
  TableSpec s = spec_for(path, {"x"}, "t");
  s.test_fraction = 0.3;
  s.validation_fraction = 0.2;
  const TabularSplits out = load_tabular(s, Task::binary, 3);
  // class 0 (70 rows): test 21, val round(0.2 * 49) = 10, train 39;
  // class 1 (30 rows): test 9, val round(0.2 * 21) = 4, train 17.
  EXPECT_EQ(out.test.rows.size(), 30u);
  EXPECT_EQ(out.val.rows.size(), 14u);
  EXPECT_EQ(out.train.rows.size(), 56u);
  EXPECT_EQ(count_ones(out.test), 9);
  EXPECT_EQ(count_ones(out.val), 4);
  EXPECT_EQ(count_ones(out.train), 17);
  // Disjoint, sorted, and together every row.
  std::vector<int64_t> all;
  for (const auto* e : {&out.train, &out.val, &out.test}) {
    EXPECT_TRUE(std::is_sorted(e->rows.begin(), e->rows.end()));
    all.insert(all.end(), e->rows.begin(), e->rows.end());
  }
  std::sort(all.begin(), all.end());
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(all[i], i);
}

TEST(Split, SameSeedSameSplitOtherSeedOtherSplit) {
  const auto path = write_temp("seeds.csv", hundred_rows());
  TableSpec s = spec_for(path, {"x"}, "t");
  s.test_fraction = 0.3;
  for (bool stratify : {true, false}) {
    s.stratify = stratify;
    const auto a = load_tabular(s, Task::binary, 11), b = load_tabular(s, Task::binary, 11);
    const auto c = load_tabular(s, Task::binary, 12);
    EXPECT_EQ(a.test.rows, b.test.rows);
    EXPECT_EQ(a.train.x.values(), b.train.x.values());
    EXPECT_NE(a.test.rows, c.test.rows);
    EXPECT_EQ(a.test.rows.size(), 30u);
  }
}

TEST(Split, PlainShuffleDoesNotKeepClassProportions) {
  // Unstratified, the class counts of the test split follow the shuffle: over a few seeds
  // at least one differs from the stratified 9.
  const auto path = write_temp("plain.csv", hundred_rows());
  TableSpec s = spec_for(path, {"x"}, "t");
  s.test_fraction = 0.3;
  s.stratify = false;
  bool differs = false;
  for (uint64_t seed = 1; seed <= 5; ++seed)
    differs |= count_ones(load_tabular(s, Task::binary, seed).test) != 9;
  EXPECT_TRUE(differs);
}

TEST(Missing, DropCountsRowsWithAMissingFeatureOrTarget) {
  const auto path = write_temp("drop.csv", "a,b,t\n1,x,0\n,y,1\n3,,0\n4,y,\n5,x,1\n6,y,0\n");
  TableSpec s = spec_for(path, {"a", "b"}, "t");
  s.categorical = {"b"};
  const TabularSplits out = load_tabular(s, Task::binary, 1);
  EXPECT_EQ(out.rows_read, 6);
  EXPECT_EQ(out.rows_dropped, 3);
  EXPECT_EQ(out.train.rows, (std::vector<int64_t>{0, 4, 5}));
}

TEST(Missing, MeanAndMedianImputationUseTrainingValues) {
  // a: 1, 2, 9 observed -> mean 4, median 2; b: "y" twice, "x" once -> fill "y".
  const auto path = write_temp("impute.csv", "a,b,t\n1,x,0\n,y,1\n2,,0\n9,y,1\n5,x,\n");
  TableSpec s = spec_for(path, {"a", "b"}, "t");
  s.categorical = {"b"};
  s.standardize = false;
  for (const char* policy : {"mean", "median"}) {
    s.missing = policy;
    const TabularSplits out = load_tabular(s, Task::binary, 1);
    EXPECT_EQ(out.rows_dropped, 1) << policy;  // the row without a target, always
    ASSERT_EQ(out.train.rows, (std::vector<int64_t>{0, 1, 2, 3}));
    const float fill = policy == std::string("mean") ? 4.f : 2.f;
    EXPECT_EQ(out.prep.columns[0].fill, fill);
    EXPECT_EQ(row(out.train.x, 1), (std::vector<float>{fill, 0, 1}));
    EXPECT_EQ(out.prep.columns[1].fill, 1);  // index of "y"
    EXPECT_EQ(row(out.train.x, 2), (std::vector<float>{2, 0, 1}));
  }
  // Standardisation sees the imputed column: mean of (1, 4, 2, 9) = 4.
  s.missing = "mean";
  s.standardize = true;
  EXPECT_DOUBLE_EQ(load_tabular(s, Task::binary, 1).prep.columns[0].mean, 4);
}

TEST(Encode, IsoDatesInANumericColumnBecomeTheirYear) {
  const auto path = write_temp("dates.json", R"([{"Year": "1970-01-01", "t": 0},
    {"Year": "1982-06-30T12:00:00Z", "t": 1}, {"Year": 1975, "t": 1}])");
  TableSpec s = spec_for(path, {"Year"}, "t");
  s.standardize = false;
  const TabularSplits out = load_tabular(s, Task::binary, 1);
  EXPECT_EQ(out.train.x.values(), (std::vector<float>{1970, 1982, 1975}));
  // Declared categorical, the same strings stay categories.
  s.categorical = {"Year"};
  EXPECT_EQ(load_tabular(s, Task::binary, 1).prep.columns[0].categories,
            (std::vector<std::string>{"1975", "1970-01-01", "1982-06-30T12:00:00Z"}));
}

TEST(Encode, NumericCategoriesSortByValue) {
  const auto path = write_temp("cyl.csv", "cyl,t\n4,0\n6,1\n8,0\n10,1\n3,0\n4.5,1\n");
  TableSpec s = spec_for(path, {"cyl"}, "t");
  s.categorical = {"cyl"};
  const TabularSplits out = load_tabular(s, Task::binary, 1);
  EXPECT_EQ(out.prep.columns[0].categories,
            (std::vector<std::string>{"3", "4", "4.5", "6", "8", "10"}));
  EXPECT_EQ(row(out.train.x, 3), (std::vector<float>{0, 0, 0, 0, 0, 1}));
}

TEST(EncodeErrors, NonNumericValueNamesFileLineAndColumn) {
  const auto path = write_temp("heavy.csv", "Weight,t\n3504,0\nheavy,1\n");
  const std::string msg =
      error_of<DataError>([&] { load_tabular(spec_for(path, {"Weight"}, "t"), Task::binary, 1); });
  EXPECT_EQ(msg, path + ":3: column 'Weight': 'heavy' is not a number");
  const auto json = write_temp("heavy.json", R"([{"w": 1, "t": 0}, {"w": "12abc", "t": 1}])");
  EXPECT_EQ(error_of<DataError>([&] { load_tabular(spec_for(json, {"w"}, "t"), Task::binary, 1); }),
            json + ": record 2: column 'w': '12abc' is not a number");
}

TEST(EncodeErrors, NanAndInfinityAreRejected) {
  for (const std::string bad : {"NaN", "nan", "inf", "-Infinity"}) {
    const auto path = write_temp("nan.csv", "w,t\n1,0\n2,1\n" + bad + ",1\n");
    const std::string msg =
        error_of<DataError>([&] { load_tabular(spec_for(path, {"w"}, "t"), Task::binary, 1); });
    EXPECT_EQ(msg, path + ":4: column 'w': '" + bad +
                       "' is not a finite number (NaN and infinity are not allowed)");
  }
  const auto path = write_temp("nan_target.csv", "w,t\n1,0\n2,inf\n");
  EXPECT_CONTAINS(
      error_of<DataError>([&] { load_tabular(spec_for(path, {"w"}, "t"), Task::regression, 1); }),
      path + ":3: column 't': 'inf' is not a finite number");
}

TEST(EncodeErrors, MissingColumn) {
  const auto path = write_temp("nocol.csv", "Horsepower,t\n1,0\n2,1\n");
  EXPECT_EQ(error_of<DataError>(
                [&] { load_tabular(spec_for(path, {"Horsepowr"}, "t"), Task::binary, 1); }),
            path + ": no column 'Horsepowr' (columns: Horsepower, t)");
}

TEST(EncodeErrors, UnknownCategoryAndClassAtEncodeTime) {
  const auto train = write_temp("cat_train.csv", "o,t\nUSA,a\nJapan,b\n");
  TableSpec s = spec_for(train, {"o"}, "t");
  s.categorical = {"o"};
  const Preprocessor p = load_tabular(s, Task::binary, 1).prep;
  const Table other = read_table(write_temp("cat_new.csv", "o,t\nUSA,b\nMars,a\n"));
  EXPECT_EQ(error_of<DataError>([&] { p.encode(other, true); }),
            other.source + ":3: column 'o': unknown category 'Mars' (known: Japan, USA)");
  const Table cls = read_table(write_temp("cls_new.csv", "o,t\nUSA,c\n"));
  EXPECT_EQ(error_of<DataError>([&] { p.encode(cls, true); }),
            cls.source + ":2: target 't': unknown class 'c' (classes: a, b)");
}

TEST(TargetErrors, SingleClassAndTooManyClasses) {
  const auto one = write_temp("oneclass.csv", "x,t\n1,a\n2,a\n3,\n");
  EXPECT_CONTAINS(
      error_of<DataError>([&] { load_tabular(spec_for(one, {"x"}, "t"), Task::binary, 1); }),
      one + ": target 't' has a single class ('a')");
  EXPECT_CONTAINS(
      error_of<DataError>([&] { load_tabular(spec_for(one, {"x"}, "t"), Task::multiclass, 1); }),
      "single class");
  const auto three = write_temp("three.csv", "x,t\n1,a\n2,b\n3,c\n");
  const std::string msg =
      error_of<DataError>([&] { load_tabular(spec_for(three, {"x"}, "t"), Task::binary, 1); });
  EXPECT_CONTAINS(msg, three + ": target 't' has 3 distinct values (a, b, c)");
  EXPECT_CONTAINS(msg, "task binary needs 2");
  TableSpec s = spec_for(three, {"x"}, "t");
  s.target = "x";
  s.features = {"t"};
  s.categorical = {"t"};
  s.rule.kind = "above";
  s.rule.threshold = 5;
  EXPECT_CONTAINS(error_of<DataError>([&] { load_tabular(s, Task::binary, 1); }),
                  "target 'x' has a single class: every value is at most 5 (rule above)");
}

TEST(Target, RulesClassesAndRegression) {
  const auto path = write_temp("targets.csv",
                               "x,v,name\n1,10,cat\n2,20,dog\n3,30,cat\n4,40,bird\n5,1000,dog\n"
                               ",35,bird\n");
  // above_median: the median over every row with a target, here 10..40, 1000 and 35 -> 32.5,
  // although the last row is dropped for its missing x.
  TableSpec s = spec_for(path, {"x"}, "v");
  s.rule.kind = "above_median";
  TabularSplits out = load_tabular(s, Task::binary, 1);
  EXPECT_EQ(out.prep.rule.threshold, 32.5);
  EXPECT_EQ(out.prep.classes, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(out.train.y.values(), (std::vector<float>{0, 0, 0, 1, 1}));
  s.rule = {"above", 15};
  EXPECT_EQ(load_tabular(s, Task::binary, 1).train.y.values(), (std::vector<float>{0, 1, 1, 1, 1}));

  s.rule = {};
  out = load_tabular(s, Task::regression, 1);
  EXPECT_EQ(out.train.y.shape(), (Shape{5, 1}));
  EXPECT_EQ(out.train.y.values(), (std::vector<float>{10, 20, 30, 40, 1000}));

  s.target = "name";
  out = load_tabular(s, Task::multiclass, 1);
  EXPECT_EQ(out.prep.classes, (std::vector<std::string>{"bird", "cat", "dog"}));
  EXPECT_EQ(out.train.y.shape(), (Shape{5}));
  EXPECT_EQ(out.train.y.values(), (std::vector<float>{1, 2, 1, 0, 2}));
}

TEST(Target, BinaryWithoutRuleUsesTheTwoSortedValues) {
  const auto path = write_temp("yesno.csv", "x,t\n1,yes\n2,no\n3,yes\n");
  TabularSplits out = load_tabular(spec_for(path, {"x"}, "t"), Task::binary, 1);
  EXPECT_EQ(out.prep.classes, (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(out.train.y.values(), (std::vector<float>{1, 0, 1}));
}

TEST(ConfigErrors, SpecIsValidatedBeforeReading) {
  const auto path = write_temp("cfg.csv", "x,c,t\n1,a,0\n2,b,1\n");
  auto expect_config_error = [&](auto change, const std::string& fragment,
                                 Task task = Task::binary) {
    TableSpec s = spec_for(path, {"x", "c"}, "t");
    change(s);
    EXPECT_CONTAINS(error_of<ConfigError>([&] { load_tabular(s, task, 1); }), fragment);
  };
  expect_config_error([](TableSpec& s) { s.test_fraction = 1; }, "test_fraction");
  expect_config_error([](TableSpec& s) { s.test_fraction = -0.1; }, "test_fraction");
  expect_config_error([](TableSpec& s) { s.validation_fraction = NAN; }, "validation_fraction");
  expect_config_error([](TableSpec& s) { s.rule.kind = "above_median"; }, "binary label",
                      Task::regression);
  expect_config_error([](TableSpec& s) { s.rule.kind = "below"; }, "'below'");
  expect_config_error([](TableSpec& s) { s.missing = "zero"; }, "'zero'");
  expect_config_error([](TableSpec& s) { s.features.push_back("t"); }, "also a feature");
  expect_config_error([](TableSpec& s) { s.features.push_back("x"); }, "listed twice");
  expect_config_error([](TableSpec& s) { s.categorical = {"d"}; }, "'d' is not one of");
  expect_config_error([](TableSpec& s) {}, "task 'forecast' needs [data] kind = \"series\"",
                      Task::forecast);
  expect_config_error([](TableSpec& s) { s.features.clear(); }, "no feature");
}

TEST(DataErrors, NoRowsLeft) {
  const auto path = write_temp("norows.csv", "x,t\n,0\n1,\n");
  EXPECT_CONTAINS(
      error_of<DataError>([&] { load_tabular(spec_for(path, {"x"}, "t"), Task::binary, 1); }),
      path + ": no rows left");
  const auto header = write_temp("headeronly.csv", "x,t\n");
  EXPECT_EQ(
      error_of<DataError>([&] { load_tabular(spec_for(header, {"x"}, "t"), Task::binary, 1); }),
      header + ": no data rows");
}

TEST(Encode, PredictWithoutTargetDropsRowsWithMissingFeatures) {
  const auto train = write_temp("pred_train.csv", "x,t\n1,0\n2,1\n3,0\n");
  const Preprocessor p = load_tabular(spec_for(train, {"x"}, "t"), Task::binary, 1).prep;
  const Table j = read_table(write_temp("pred.json", R"([{"x": 2}, {"x": null}, {"x": 4}])"));
  const auto e = p.encode(j, false);
  EXPECT_EQ(e.rows, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(e.dropped, 1);
  EXPECT_EQ(e.y.numel(), 0);
  EXPECT_FLOAT_EQ(e.x[1], float((4 - 2) / std::sqrt(2.0 / 3)));
  EXPECT_CONTAINS(error_of<DataError>([&] { p.encode(j, true); }), "no column 't'");
  const Preprocessor untrained;
  EXPECT_CONTAINS(error_of<DataError>([&] { untrained.encode(j, false); }),
                  "not trained on a table");
}

TEST(PreprocessorJson, RoundTripIsExact) {
  std::string csv = "x,c,t\n";
  for (int i = 0; i < 40; ++i)
    csv += std::to_string(i / 7.0) + "," + (i % 3 ? "p" : "q") + "," + std::to_string(i % 3) + "\n";
  const auto path2 = write_temp("roundtrip2.csv", csv + ",q,1\n");
  TableSpec s = spec_for(path2, {"x", "c"}, "t");
  s.categorical = {"c"};
  s.missing = "median";
  s.test_fraction = 0.25;
  const TabularSplits out = load_tabular(s, Task::multiclass, 5);
  const std::string text = out.prep.to_json().dump();
  const Preprocessor back = Preprocessor::from_json(nlohmann::json::parse(text));
  EXPECT_EQ(back.to_json().dump(), text);
  EXPECT_EQ(back.task, Task::multiclass);
  EXPECT_EQ(back.classes, out.prep.classes);
  ASSERT_EQ(back.columns.size(), 2u);
  EXPECT_EQ(back.columns[0].mean, out.prep.columns[0].mean);  // bit for bit
  EXPECT_EQ(back.columns[0].scale, out.prep.columns[0].scale);
  EXPECT_EQ(back.columns[0].fill, out.prep.columns[0].fill);
  const Table t = read_table(path2);
  const auto a = out.prep.encode(t, true), b = back.encode(t, true);
  EXPECT_EQ(a.x.values(), b.x.values());
  EXPECT_EQ(a.y.values(), b.y.values());
  EXPECT_EQ(a.x.shape(), (Shape{41, 3}));

  // An empty preprocessor (a model not trained on a table) round-trips too.
  const Preprocessor untrained;
  const Preprocessor empty = Preprocessor::from_json(untrained.to_json());
  EXPECT_TRUE(empty.columns.empty());
  EXPECT_EQ(empty.to_json(), untrained.to_json());
}

TEST(PreprocessorJson, BadJsonIsAModelFileError) {
  const auto path = write_temp("bad_json.csv", "x,c,t\n1,a,0\n2,b,1\n");
  TableSpec s = spec_for(path, {"x", "c"}, "t");
  s.categorical = {"c"};
  const nlohmann::json good = load_tabular(s, Task::binary, 1).prep.to_json();
  auto expect_error = [&](auto change, const std::string& fragment) {
    nlohmann::json j = good;
    change(j);
    EXPECT_CONTAINS(error_of<ModelFileError>([&] { Preprocessor::from_json(j); }), fragment);
  };
  expect_error([](auto& j) { j.erase("task"); }, "missing key 'task'");
  expect_error([](auto& j) { j["columns"][0]["mean"] = "zero"; }, "column 1: key 'mean'");
  expect_error([](auto& j) { j["columns"][1]["fill"] = 2; }, "column 2: fill");
  expect_error([](auto& j) { j["columns"][0]["scale"] = 0; }, "scale is 0");
  expect_error([](auto& j) { j["task"] = "ranking"; }, "unknown task");
  expect_error([](auto& j) { j["classes"] = {"a"}; }, "2 classes");
  expect_error([](auto& j) { j = 3; }, "expected an object");
}

}  // namespace
}  // namespace redes
