// The lecture's worked example: vega-datasets' Auto MPG cars, "is the car above the median
// miles per gallon?". Skipped when the data set is not on this machine.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "redes/table.hpp"

namespace redes {
namespace {

std::string cars_path() {
  for (const std::string& p : {std::string(REDES_SOURCE_DIR) + "/data/vega-datasets/data/cars.json",
                               std::string("/tmp/vega/package/data/cars.json")})
    if (std::filesystem::exists(p)) return p;
  return "";
}

TableSpec cars_spec(const std::string& path) {
  TableSpec s;
  s.path = path;
  s.features = {"Cylinders",    "Displacement", "Horsepower", "Weight_in_lbs",
                "Acceleration", "Year",         "Origin"};
  s.categorical = {"Origin"};
  s.target = "Miles_per_Gallon";
  s.rule.kind = "above_median";
  s.test_fraction = 0.3;
  return s;
}

class Cars : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = cars_path();
    if (path_.empty()) GTEST_SKIP() << "cars.json not found (data/vega-datasets is not fetched)";
  }
  std::string path_;
};

int64_t ones(const Tensor& y) {
  int64_t n = 0;
  for (float v : y.values()) n += v == 1.f;
  return n;
}

TEST_F(Cars, ReadsAllRecords) {
  const Table t = read_table(path_);
  EXPECT_EQ(t.rows.size(), 406u);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"Name", "Miles_per_Gallon", "Cylinders",
                                                 "Displacement", "Horsepower", "Weight_in_lbs",
                                                 "Acceleration", "Year", "Origin"}));
}

TEST_F(Cars, AboveMedianSplitAndStandardisation) {
  const TabularSplits out = load_tabular(cars_spec(path_), Task::binary, 1);
  const Preprocessor& p = out.prep;
  EXPECT_EQ(out.rows_read, 406);
  // 8 cars lack miles per gallon and 6 more lack horsepower.
  EXPECT_EQ(out.rows_dropped, 14);
  EXPECT_EQ(p.rule.threshold, 23);  // median of the 398 known values
  EXPECT_EQ(p.width(), 9);
  EXPECT_EQ(p.input_names().back(), "Origin=USA");
  EXPECT_EQ(p.columns[6].categories, (std::vector<std::string>{"Europe", "Japan", "USA"}));
  // Year is a date string; its year is the feature.
  EXPECT_GT(p.columns[5].mean, 1975);
  EXPECT_LT(p.columns[5].mean, 1977);

  // 187 of the 392 kept cars are above 23 mpg: nearly balanced.
  const int64_t n = out.train.x.dim(0) + out.test.x.dim(0);
  EXPECT_EQ(n, 392);
  EXPECT_EQ(ones(out.train.y) + ones(out.test.y), 187);
  // Stratified 70/30: per class round(0.3 * 205) = 62 and round(0.3 * 187) = 56.
  EXPECT_EQ(out.test.x.dim(0), 118);
  EXPECT_EQ(out.train.x.dim(0), 274);
  EXPECT_EQ(out.val.x.dim(0), 0);
  EXPECT_EQ(ones(out.test.y), 56);
  const double train_share = double(ones(out.train.y)) / double(out.train.x.dim(0));
  EXPECT_NEAR(train_share, 187.0 / 392, 0.01);

  // The numeric training columns have mean 0 and standard deviation 1.
  const int64_t w = p.width();
  for (int64_t j = 0; j < 6; ++j) {
    double m = 0, v = 0;
    const int64_t rows = out.train.x.dim(0);
    for (int64_t i = 0; i < rows; ++i) m += out.train.x[i * w + j];
    m /= double(rows);
    for (int64_t i = 0; i < rows; ++i) v += std::pow(out.train.x[i * w + j] - m, 2);
    EXPECT_NEAR(m, 0, 1e-5) << p.columns[j].name;
    EXPECT_NEAR(std::sqrt(v / double(rows)), 1, 1e-5) << p.columns[j].name;
  }
  // Each row has exactly one origin.
  for (int64_t i = 0; i < out.test.x.dim(0); ++i)
    EXPECT_EQ(out.test.x[i * w + 6] + out.test.x[i * w + 7] + out.test.x[i * w + 8], 1.f);

  // The test split is encoded with the training statistics: weight of its first car.
  const Table t = read_table(path_);
  const int64_t r = out.test.rows[0];
  const double weight = std::get<double>(t.rows[r][t.column("Weight_in_lbs")]);
  EXPECT_FLOAT_EQ(out.test.x[3], float((weight - p.columns[3].mean) / p.columns[3].scale));

  // The model file's copy of the preprocessing encodes the table identically.
  const Preprocessor back = Preprocessor::from_json(nlohmann::json::parse(p.to_json().dump()));
  const auto a = p.encode(t, true), b = back.encode(t, true);
  EXPECT_EQ(a.dropped, 14);
  EXPECT_EQ(a.x.values(), b.x.values());
  EXPECT_EQ(a.y.values(), b.y.values());
}

TEST_F(Cars, SeedChoosesTheSplit) {
  const auto a = load_tabular(cars_spec(path_), Task::binary, 1);
  const auto b = load_tabular(cars_spec(path_), Task::binary, 1);
  const auto c = load_tabular(cars_spec(path_), Task::binary, 2);
  EXPECT_EQ(a.test.rows, b.test.rows);
  EXPECT_NE(a.test.rows, c.test.rows);
  EXPECT_EQ(c.test.rows.size(), 118u);
}

}  // namespace
}  // namespace redes
