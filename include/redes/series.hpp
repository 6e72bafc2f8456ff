// Time series for forecasting: a value column read from a CSV or JSON table (with optional
// feature columns), split by time into train, validation and test spans, turned into windows
// of look-back L -> horizon K with a transform fitted on the training span only, and the
// naive baselines a forecaster must beat.
//
// Index t is a row of the series (time order as in the file). A window "at t" forecasts
// v[t .. t+K-1] from the L rows before t; its input is (L, F): channel 0 the (transformed)
// value, channels 1.. the standardised feature columns.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "redes/tensor.hpp"

namespace redes {

struct SeriesSpec {
  std::string path;
  std::string format;                 // "csv", "json" or "" (from the extension)
  std::string value;                  // the column forecast
  std::string time;                   // optional date or index column (for forecast files)
  std::vector<std::string> features;  // more input columns, known at forecast time (covariates)
  int64_t lookback = 24;              // L: rows of history in each input window
  int64_t horizon = 1;                // K: values each window forecasts (the network's outputs)
  std::string transform = "none";     // "none", "diff" (forecast differences) or "window_norm"
                                      // (subtract each window's last value)
  bool standardize = true;            // scale the transformed values with training statistics
  double test_fraction = 0.2;         // the last rows of the series
  double validation_fraction = 0.0;   // the rows just before the test span
  int64_t season = 0;  // seasonal-naive baseline period (12 for monthly data; 0: none)
  int64_t steps = 12;  // multi-step evaluation: values forecast recursively per origin
};

// The series as read: values in time order and, per row, the feature values.
struct Series {
  std::string source;
  std::vector<double> values;      // (n)
  std::vector<double> features;    // (n, F-1) row-major; empty without feature columns
  int64_t num_features = 0;        // F-1
  std::vector<std::string> times;  // (n) the time column as text; empty without one
  std::vector<int64_t> lines;      // the source line (CSV) or record (JSON) of each row
  int64_t size() const { return static_cast<int64_t>(values.size()); }
};

// Reads the columns a spec names. A missing column, an empty or non-numeric value is a
// DataError naming the file, the line and the column.
Series read_series(const SeriesSpec& spec);
// The same for the column names alone (redes forecast reads with what the model stored).
Series read_series(const std::string& path, const std::string& format, const std::string& value,
                   const std::string& time, const std::vector<std::string>& features);

// How windows become network inputs and targets and how outputs become values again; fitted
// on the training span, stored in the model file.
//   none:        z = (v - center) / scale
//   diff:        z = (v[i] - v[i-1] - center) / scale;  v^[t+k] = v[t-1] + sum_{j<=k} d^[t+j]
//   window_norm: z = (v[i] - v[t-1]) / scale           (the window's last value is its anchor)
struct SeriesCodec {
  std::string transform = "none";
  int64_t lookback = 1, horizon = 1;
  double center = 0, scale = 1;
  std::vector<double> feature_center, feature_scale;  // (F-1)

  int64_t channels() const { return 1 + static_cast<int64_t>(feature_center.size()); }
  // The first t with a whole input window: L, or L + 1 for diff (one row is used up).
  int64_t warmup() const { return lookback + (transform == "diff" ? 1 : 0); }
  // x is (L, F) for the window at t; reads v[t - warmup() .. t-1] and feature rows [t-L, t-1]
  // (f is (rows, F-1) row-major, indexed like v).
  void input(std::span<const double> v, std::span<const double> f, int64_t t, float* x) const;
  // y is (K): the window's targets; reads v[t-1 .. t+K-1].
  void target(std::span<const double> v, int64_t t, float* y) const;
  // out is (K) values in the original units for the outputs z (K) of the window at t.
  void decode(std::span<const double> v, int64_t t, const float* z, double* out) const;
  // z of v[i] in the window whose last input is v[t-1] (the formulas above).
  double encode(std::span<const double> v, int64_t i, int64_t t) const;

  nlohmann::json to_json() const;
  static SeriesCodec from_json(const nlohmann::json& j);
};

// Fits the codec on rows [0, train_end) of the series: the statistics of the transformed
// values (of the training windows' inputs for window_norm) and of the feature columns.
SeriesCodec fit_codec(const Series& s, const SeriesSpec& spec, int64_t train_end);

// The split by time: train [0, train_end), validation [train_end, val_end), test [val_end, n).
struct SeriesSplit {
  int64_t train_end = 0, val_end = 0, n = 0;
};
// Row counts from the fractions; throws DataError when the training span cannot hold one
// window or the test span is shorter than the horizon.
SeriesSplit split_series(const Series& s, const SeriesSpec& spec);

// The windows whose targets all lie in [begin, end): x is (N, L, F), y is (N, K); `at` holds
// the t of each window.
struct Windows {
  Tensor x, y;
  std::vector<int64_t> at;
};
Windows make_windows(const Series& s, const SeriesCodec& codec, int64_t begin, int64_t end);

// Runs a network on a batch of windows: x is (B, L, F), z must become (B, K).
using SeriesPredictor = std::function<void(const Tensor& x, Tensor& z)>;

// Recursive forecasts: from each origin t0 (using v[0 .. t0-1] only, and the feature rows
// up to t0 + steps - 1, which f must hold), forecasts `steps` values, K at a time, each
// round appending its forecasts to the history. Returns (origins, steps) values in the
// original units.
std::vector<std::vector<double>> forecast_recursive(const SeriesCodec& codec,
                                                    std::span<const double> v,
                                                    std::span<const double> f,
                                                    std::span<const int64_t> origins, int64_t steps,
                                                    const SeriesPredictor& predict);

// Naive forecasts of v[t0 + h] made at origin t0 (h = 0 is the one-step forecast):
// last value v[t0-1]; seasonal naive v[t0 + h - season * (h / season + 1)], the same season
// one cycle (or more) back, using only rows before t0.
double last_value_forecast(std::span<const double> v, int64_t t0, int64_t h);
double seasonal_naive_forecast(std::span<const double> v, int64_t t0, int64_t h, int64_t season);

// Root mean square and mean absolute error of forecast against actual.
struct ErrorStats {
  double rmse = 0, mae = 0;
  int64_t count = 0;
  void add(double forecast, double actual);
  ErrorStats& finish();  // turns the sums into rmse and mae
  nlohmann::json to_json() const;

 private:
  double se_ = 0, ae_ = 0;
};

// The times after a series' last row: a numeric column continues by its last step, dates
// (YYYY-MM-DD) by their last step in months (same day of the month) or days; anything else
// gives "+1", "+2", ...
std::vector<std::string> extend_times(const std::vector<std::string>& times, int64_t steps);

}  // namespace redes
