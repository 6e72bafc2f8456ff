// Time series: reading with clear errors, the split by time, windows, the transforms, the
// recursive forecast's bookkeeping and the naive baselines, on series with known answers.
#include "redes/series.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "data/data_test_util.hpp"

using namespace redes;
using redes::testing::error_of;
using redes::testing::write_temp;

namespace {

// A series in memory: v[t] = f(t), no features.
Series make_series(int64_t n, double (*f)(int64_t)) {
  Series s;
  s.source = "synthetic";
  for (int64_t t = 0; t < n; ++t) s.values.push_back(f(t));
  return s;
}

double linear(int64_t t) { return 2.0 * t + 5; }
double seasonal(int64_t t) {
  return 10 + 3 * std::sin(2 * M_PI * t / 12.0) + (t % 12 == 3 ? 1.5 : 0);
}

SeriesSpec spec_of(int64_t lookback, int64_t horizon, const std::string& transform,
                   bool standardize = true) {
  SeriesSpec s;
  s.lookback = lookback;
  s.horizon = horizon;
  s.transform = transform;
  s.standardize = standardize;
  s.test_fraction = 0.2;
  s.validation_fraction = 0.1;
  return s;
}

}  // namespace

TEST(Series, ReadsValueTimeAndFeatureColumns) {
  const auto path =
      write_temp("s1.csv", "Date,CO2,temp\n2020-01-01,1.5,7\n2020-02-01,2.5,8\n2020-03-01,3,9\n");
  SeriesSpec spec;
  spec.path = path;
  spec.value = "CO2";
  spec.time = "Date";
  spec.features = {"temp"};
  const Series s = read_series(spec);
  EXPECT_EQ(s.values, (std::vector<double>{1.5, 2.5, 3}));
  EXPECT_EQ(s.features, (std::vector<double>{7, 8, 9}));
  EXPECT_EQ(s.num_features, 1);
  EXPECT_EQ(s.times, (std::vector<std::string>{"2020-01-01", "2020-02-01", "2020-03-01"}));
  EXPECT_EQ(s.lines, (std::vector<int64_t>{2, 3, 4}));
}

TEST(Series, BadValuesNameTheFileLineAndColumn) {
  const auto text = write_temp("s2.csv", "t,v\n1,1\n2,abc\n");
  auto msg = error_of<DataError>([&] { read_series(text, "", "v", "", {}); });
  EXPECT_NE(msg.find("s2.csv:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("column 'v': 'abc' is not a number"), std::string::npos) << msg;

  const auto gap = write_temp("s3.csv", "t,v\n1,1\n2,\n3,4\n");
  msg = error_of<DataError>([&] { read_series(gap, "", "v", "", {}); });
  EXPECT_NE(msg.find("s3.csv:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has no value"), std::string::npos) << msg;

  msg = error_of<DataError>([&] { read_series(gap, "", "value", "", {}); });
  EXPECT_NE(msg.find("s3.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no column 'value'"), std::string::npos) << msg;

  const auto empty = write_temp("s4.csv", "t,v\n");
  msg = error_of<DataError>([&] { read_series(empty, "", "v", "", {}); });
  EXPECT_NE(msg.find("s4.csv"), std::string::npos) << msg;
}

TEST(Series, SplitsByTimeAndRejectsShortSeries) {
  const Series s = make_series(100, linear);
  const auto sp = split_series(s, spec_of(4, 2, "none"));
  EXPECT_EQ(sp.train_end, 70);
  EXPECT_EQ(sp.val_end, 80);
  EXPECT_EQ(sp.n, 100);

  // 20 rows, 4 to test, 16 to train: lookback 14 + horizon 3 needs 17.
  const auto no_val = [](int64_t lookback, int64_t horizon, const std::string& transform) {
    SeriesSpec spec = spec_of(lookback, horizon, transform);
    spec.validation_fraction = 0;
    return spec;
  };
  auto msg =
      error_of<DataError>([&] { split_series(make_series(20, linear), no_val(14, 3, "none")); });
  EXPECT_NE(msg.find("synthetic: the series is too short for lookback 14 and horizon 3"),
            std::string::npos)
      << msg;
  EXPECT_NO_THROW(split_series(make_series(20, linear), no_val(13, 3, "none")));
  // diff uses one row more.
  msg = error_of<DataError>([&] { split_series(make_series(20, linear), no_val(13, 3, "diff")); });
  EXPECT_NE(msg.find("one more row"), std::string::npos) << msg;
  // A validation span shorter than the horizon.
  msg = error_of<DataError>([&] { split_series(make_series(20, linear), spec_of(2, 3, "none")); });
  EXPECT_NE(msg.find("the validation span has 2 rows but the horizon is 3"), std::string::npos)
      << msg;
  // A horizon longer than the test span.
  msg = error_of<DataError>([&] { split_series(make_series(20, linear), spec_of(2, 5, "none")); });
  EXPECT_NE(msg.find("the test span has 4 of 20 rows but the horizon is 5"), std::string::npos)
      << msg;
}

TEST(Series, WindowsHoldTheRowsBeforeTheirTargets) {
  const Series s = make_series(100, linear);
  const SeriesSpec spec = spec_of(4, 2, "none", false);
  const auto sp = split_series(s, spec);
  const SeriesCodec c = fit_codec(s, spec, sp.train_end);
  const Windows train = make_windows(s, c, 0, sp.train_end);
  // Targets t, t+1 inside [0, 70): t from 4 to 68.
  ASSERT_EQ(train.at.size(), 65u);
  EXPECT_EQ(train.at.front(), 4);
  EXPECT_EQ(train.at.back(), 68);
  EXPECT_EQ(train.x.shape(), Shape({65, 4, 1}));
  EXPECT_EQ(train.y.shape(), Shape({65, 2}));
  for (int64_t i = 0; i < 65; ++i) {
    const int64_t t = train.at[i];
    for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(train.x[i * 4 + j], linear(t - 4 + j));
    EXPECT_EQ(train.y[i * 2], linear(t));
    EXPECT_EQ(train.y[i * 2 + 1], linear(t + 1));
  }
  // Test windows start at the test span and read the rows before it.
  const Windows test = make_windows(s, c, sp.val_end, sp.n);
  EXPECT_EQ(test.at.front(), 80);
  EXPECT_EQ(test.at.back(), 98);
  EXPECT_EQ(test.x[0], linear(76));
}

TEST(Series, StatisticsComeFromTheTrainingSpanOnly) {
  // The test span jumps to 1000: the scaling must not see it.
  Series s = make_series(50, [](int64_t t) { return t < 40 ? double(t % 2) : 1000.0; });
  SeriesSpec spec = spec_of(3, 1, "none");
  spec.validation_fraction = 0;
  const auto sp = split_series(s, spec);
  ASSERT_EQ(sp.train_end, 40);
  const SeriesCodec c = fit_codec(s, spec, sp.train_end);
  EXPECT_DOUBLE_EQ(c.center, 0.5);
  EXPECT_DOUBLE_EQ(c.scale, 0.5);
}

TEST(Series, EveryTransformDecodesItsTargetsExactly) {
  const Series s = make_series(60, seasonal);
  for (const char* tr : {"none", "diff", "window_norm"})
    for (int64_t K : {1, 3}) {
      const SeriesSpec spec = spec_of(6, K, tr);
      const SeriesCodec c = fit_codec(s, spec, 40);
      std::vector<float> y(K);
      std::vector<double> back(K);
      for (int64_t t = c.warmup(); t + K <= 60; ++t) {
        c.target(s.values, t, y.data());
        c.decode(s.values, t, y.data(), back.data());
        for (int64_t k = 0; k < K; ++k)
          EXPECT_NEAR(back[k], s.values[t + k], 1e-5) << tr << " t " << t;
      }
    }
}

TEST(Series, WindowNormAnchorsEachWindowAtItsLastValue) {
  const Series s = make_series(40, linear);
  const SeriesCodec c = fit_codec(s, spec_of(5, 1, "window_norm", false), 30);
  std::vector<float> x(5);
  for (int64_t t : {5, 20, 35}) {
    c.input(s.values, {}, t, x.data());
    // v[t-5+j] - v[t-1] = 2 (j - 4)
    for (int j = 0; j < 5; ++j) EXPECT_FLOAT_EQ(x[j], 2.0f * (j - 4));
  }
}

TEST(Series, DiffOfALinearTrendForecastsItExactly) {
  // Every difference is 2: standardised, they are all 0, and an output of 0 decodes to the
  // last value + 2, however far the recursion goes.
  const Series s = make_series(50, linear);
  const SeriesCodec c = fit_codec(s, spec_of(4, 2, "diff"), 35);
  EXPECT_DOUBLE_EQ(c.center, 2.0);
  const SeriesPredictor zero = [](const Tensor& x, Tensor& z) {
    z = Tensor(Shape{x.dim(0), 2}, 0.0f);
  };
  const std::vector<int64_t> origins = {10, 35, 44};
  const auto f = forecast_recursive(c, s.values, {}, origins, 5, zero);
  ASSERT_EQ(f.size(), 3u);
  for (size_t o = 0; o < 3; ++o) {
    ASSERT_EQ(f[o].size(), 5u);
    for (int64_t h = 0; h < 5; ++h) EXPECT_DOUBLE_EQ(f[o][h], linear(origins[o] + h));
  }
}

TEST(Series, RecursionFeedsForecastsBackInOrder) {
  // v[t] = t, no scaling: a predictor that says "the last input + 1, + 2, + 3" continues the
  // count only if each round's window ends with the previous round's forecasts.
  const Series s = make_series(30, [](int64_t t) { return double(t); });
  const SeriesCodec c = fit_codec(s, spec_of(4, 3, "none", false), 20);
  int calls = 0;
  const SeriesPredictor next = [&](const Tensor& x, Tensor& z) {
    ++calls;
    const int64_t B = x.dim(0);
    z = Tensor(Shape{B, 3});
    for (int64_t b = 0; b < B; ++b)
      for (int k = 0; k < 3; ++k) z[b * 3 + k] = x[b * 4 + 3] + 1 + k;
  };
  const std::vector<int64_t> origins = {4, 17};
  const auto f = forecast_recursive(c, s.values, {}, origins, 7, next);
  EXPECT_EQ(calls, 3);  // ceil(7 / 3) rounds, each one batch of every origin
  for (size_t o = 0; o < 2; ++o) {
    ASSERT_EQ(f[o].size(), 7u);
    for (int64_t h = 0; h < 7; ++h) EXPECT_DOUBLE_EQ(f[o][h], double(origins[o] + h));
  }
  // An origin without a whole window of history fails loudly.
  const std::vector<int64_t> early = {3};
  EXPECT_THROW(forecast_recursive(c, s.values, {}, early, 1, next), Error);
}

TEST(Series, FeaturesAreStandardisedAndNeededAhead) {
  Series s = make_series(20, linear);
  s.num_features = 1;
  for (int64_t t = 0; t < 20; ++t) s.features.push_back(t % 2 ? 3.0 : 1.0);
  SeriesSpec spec = spec_of(2, 1, "none");
  const SeriesCodec c = fit_codec(s, spec, 10);
  EXPECT_DOUBLE_EQ(c.feature_center[0], 2.0);
  EXPECT_DOUBLE_EQ(c.feature_scale[0], 1.0);
  std::vector<float> x(4);  // (L = 2, F = 2)
  c.input(s.values, s.features, 5, x.data());
  EXPECT_FLOAT_EQ(x[1], 1.0f);   // row 3: feature 3
  EXPECT_FLOAT_EQ(x[3], -1.0f);  // row 4: feature 1
  const SeriesPredictor zero = [](const Tensor& x, Tensor& z) {
    z = Tensor(Shape{x.dim(0), 1}, 0.0f);
  };
  // From the end of the data, one step needs no future feature; two steps do.
  const std::vector<int64_t> end = {20};
  EXPECT_NO_THROW(forecast_recursive(c, s.values, s.features, end, 1, zero));
  const auto msg =
      error_of<Error>([&] { forecast_recursive(c, s.values, s.features, end, 2, zero); });
  EXPECT_NE(msg.find("feature columns"), std::string::npos) << msg;
}

TEST(Series, SeasonalNaiveIsExactOnAPureSeasonalSeries) {
  const Series s = make_series(60, seasonal);
  ErrorStats sn, lv, multi;
  for (int64_t t = 40; t < 60; ++t) {
    sn.add(seasonal_naive_forecast(s.values, t, 0, 12), s.values[t]);
    lv.add(last_value_forecast(s.values, t, 0), s.values[t]);
  }
  // Multi-step from origin 40: step h uses only rows before 40, a whole season back (or two).
  for (int64_t h = 0; h < 20; ++h)
    multi.add(seasonal_naive_forecast(s.values, 40, h, 12), s.values[40 + h]);
  EXPECT_NEAR(sn.finish().rmse, 0, 1e-12);
  EXPECT_NEAR(multi.finish().rmse, 0, 1e-12);
  EXPECT_GT(lv.finish().rmse, 0.5);
  EXPECT_DOUBLE_EQ(seasonal_naive_forecast(s.values, 40, 13, 12), s.values[29]);
  EXPECT_DOUBLE_EQ(last_value_forecast(s.values, 40, 7), s.values[39]);
}

TEST(Series, ErrorStatsAreRmseAndMae) {
  ErrorStats e;
  e.add(1, 0);
  e.add(0, 3);
  e.finish();
  EXPECT_DOUBLE_EQ(e.rmse, std::sqrt(5.0));
  EXPECT_DOUBLE_EQ(e.mae, 2.0);
  EXPECT_EQ(e.count, 2);
}

TEST(Series, CodecRoundTripsThroughJson) {
  SeriesCodec c;
  c.transform = "diff";
  c.lookback = 7;
  c.horizon = 2;
  c.center = 0.25;
  c.scale = 3.5;
  c.feature_center = {1};
  c.feature_scale = {2};
  const SeriesCodec d = SeriesCodec::from_json(c.to_json());
  EXPECT_EQ(d.to_json(), c.to_json());
  auto j = c.to_json();
  j["transform"] = "log";
  EXPECT_THROW(SeriesCodec::from_json(j), ModelFileError);
  j.erase("scale");
  EXPECT_THROW(SeriesCodec::from_json(j), ModelFileError);
}

TEST(Series, TimesContinueAfterTheLastRow) {
  EXPECT_EQ(extend_times({"2019-11-01", "2019-12-01"}, 3),
            (std::vector<std::string>{"2020-01-01", "2020-02-01", "2020-03-01"}));
  EXPECT_EQ(extend_times({"2019-12-31", "2020-01-31"}, 2),
            (std::vector<std::string>{"2020-02-29", "2020-03-31"}));
  EXPECT_EQ(extend_times({"2020-02-27", "2020-02-28"}, 2),
            (std::vector<std::string>{"2020-02-29", "2020-03-01"}));
  EXPECT_EQ(extend_times({"1998", "2000"}, 2), (std::vector<std::string>{"2002", "2004"}));
  EXPECT_EQ(extend_times({"0.5", "0.75"}, 1), (std::vector<std::string>{"1"}));
  EXPECT_EQ(extend_times({"a", "b"}, 2), (std::vector<std::string>{"+1", "+2"}));
}
