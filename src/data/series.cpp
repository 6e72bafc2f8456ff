// Time series: reading, the split by time, windows, the transform codec, recursive
// forecasts and the naive baselines.
#include "redes/series.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "data/table_detail.hpp"
#include "redes/error.hpp"
#include "redes/table.hpp"
#include "tensor/json_integers.hpp"

namespace redes {

namespace {

// The number in a cell; a missing or text cell is a DataError at its line.
double number_at(const Table& t, size_t row, size_t col) {
  const Cell& c = t.rows[row][col];
  const std::string head = t.where(row) + ": column '" + one_line(t.columns[col]) + "'";
  if (const auto* d = std::get_if<double>(&c)) {
    if (!std::isfinite(*d)) throw DataError(head + " is not finite");
    return *d;
  }
  if (std::holds_alternative<std::monostate>(c))
    throw DataError(head + " has no value (a series needs every row; fill or remove the gap)");
  throw DataError(head + ": '" + one_line(std::get<std::string>(c)) + "' is not a number");
}

std::string text_at(const Table& t, size_t row, size_t col) {
  const Cell& c = t.rows[row][col];
  if (const auto* s = std::get_if<std::string>(&c)) return *s;
  if (const auto* d = std::get_if<double>(&c)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", *d);
    return buf;
  }
  return "";
}

double mean_of(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return x.empty() ? 0 : s / x.size();
}

// Population standard deviation; 1 when there is no spread to divide by.
double scale_of(const std::vector<double>& x, double mean) {
  double s = 0;
  for (double v : x) s += (v - mean) * (v - mean);
  const double sd = x.empty() ? 0 : std::sqrt(s / x.size());
  return sd > 1e-12 ? sd : 1.0;
}

}  // namespace

Series read_series(const std::string& path, const std::string& format, const std::string& value,
                   const std::string& time, const std::vector<std::string>& features) {
  const Table t = read_table(path, format);
  Series s;
  s.source = t.source;
  const size_t vc = t.column(value);
  const size_t tc = time.empty() ? 0 : t.column(time);
  std::vector<size_t> fc;
  for (const auto& f : features) fc.push_back(t.column(f));
  s.num_features = static_cast<int64_t>(fc.size());
  const size_t n = t.rows.size();
  if (n == 0) throw DataError(path + ": the series has no rows");
  s.values.reserve(n);
  s.features.reserve(n * fc.size());
  for (size_t r = 0; r < n; ++r) {
    s.values.push_back(number_at(t, r, vc));
    for (size_t c : fc) s.features.push_back(number_at(t, r, c));
    if (!time.empty()) s.times.push_back(text_at(t, r, tc));
    s.lines.push_back(t.lines[r]);
  }
  return s;
}

Series read_series(const SeriesSpec& spec) {
  return read_series(spec.path, spec.format, spec.value, spec.time, spec.features);
}

// ---- the codec ----------------------------------------------------------------------------

void SeriesCodec::input(std::span<const double> v, std::span<const double> f, int64_t t,
                        float* x) const {
  const int64_t F = channels(), nf = F - 1;
  for (int64_t j = 0; j < lookback; ++j) {
    const int64_t i = t - lookback + j;
    float* row = x + j * F;
    row[0] = static_cast<float>(encode(v, i, t));
    for (int64_t k = 0; k < nf; ++k)
      row[1 + k] = static_cast<float>((f[i * nf + k] - feature_center[k]) / feature_scale[k]);
  }
}

double SeriesCodec::encode(std::span<const double> v, int64_t i, int64_t t) const {
  if (transform == "diff") return (v[i] - v[i - 1] - center) / scale;
  if (transform == "window_norm") return (v[i] - v[t - 1]) / scale;
  return (v[i] - center) / scale;
}

void SeriesCodec::target(std::span<const double> v, int64_t t, float* y) const {
  for (int64_t k = 0; k < horizon; ++k) y[k] = static_cast<float>(encode(v, t + k, t));
}

void SeriesCodec::decode(std::span<const double> v, int64_t t, const float* z, double* out) const {
  double level = v[t - 1];
  for (int64_t k = 0; k < horizon; ++k) {
    const double u = double(z[k]) * scale;
    if (transform == "diff")
      out[k] = level += u + center;  // the forecast differences accumulate onto the last value
    else if (transform == "window_norm")
      out[k] = v[t - 1] + u;
    else
      out[k] = u + center;
  }
}

nlohmann::json SeriesCodec::to_json() const {
  return {{"transform", transform},
          {"lookback", lookback},
          {"horizon", horizon},
          {"center", center},
          {"scale", scale},
          {"feature_center", feature_center},
          {"feature_scale", feature_scale}};
}

SeriesCodec SeriesCodec::from_json(const nlohmann::json& j) {
  SeriesCodec c;
  try {
    c.transform = j.at("transform").get<std::string>();
    c.lookback = json_integer<int64_t>(j.at("lookback"));
    c.horizon = json_integer<int64_t>(j.at("horizon"));
    c.center = j.at("center").get<double>();
    c.scale = j.at("scale").get<double>();
    c.feature_center = j.at("feature_center").get<std::vector<double>>();
    c.feature_scale = j.at("feature_scale").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    throw ModelFileError(std::string("the series codec in the model file is incomplete: ") +
                         e.what());
  }
  REDES_CHECK(c.lookback >= 1 && c.horizon >= 1 && c.scale > 0 &&
                  c.feature_center.size() == c.feature_scale.size(),
              ModelFileError, "the series codec in the model file is inconsistent");
  REDES_CHECK(c.transform == "none" || c.transform == "diff" || c.transform == "window_norm",
              ModelFileError, "unknown series transform '" + c.transform + "' in the model file");
  return c;
}

SeriesCodec fit_codec(const Series& s, const SeriesSpec& spec, int64_t train_end) {
  SeriesCodec c;
  c.transform = spec.transform;
  c.lookback = spec.lookback;
  c.horizon = spec.horizon;
  const auto& v = s.values;
  if (spec.standardize) {
    std::vector<double> x;
    if (c.transform == "diff") {
      for (int64_t i = 1; i < train_end; ++i) x.push_back(v[i] - v[i - 1]);
      c.center = mean_of(x);
      c.scale = scale_of(x, c.center);
    } else if (c.transform == "window_norm") {
      // The spread of the training windows' values about their anchors (inputs and targets);
      // the centre stays 0 so that the anchor maps to 0.
      for (int64_t t = c.warmup(); t + c.horizon <= train_end; ++t)
        for (int64_t i = t - c.lookback; i < t + c.horizon; ++i) x.push_back(v[i] - v[t - 1]);
      double ss = 0;
      for (double d : x) ss += d * d;
      const double rms = x.empty() ? 0 : std::sqrt(ss / x.size());
      c.scale = rms > 1e-12 ? rms : 1.0;
    } else {
      x.assign(v.begin(), v.begin() + train_end);
      c.center = mean_of(x);
      c.scale = scale_of(x, c.center);
    }
  }
  const int64_t nf = s.num_features;
  c.feature_center.assign(nf, 0.0);
  c.feature_scale.assign(nf, 1.0);
  if (spec.standardize)
    for (int64_t k = 0; k < nf; ++k) {
      std::vector<double> col;
      for (int64_t i = 0; i < train_end; ++i) col.push_back(s.features[i * nf + k]);
      c.feature_center[k] = mean_of(col);
      c.feature_scale[k] = scale_of(col, c.feature_center[k]);
    }
  return c;
}

// ---- splits and windows -------------------------------------------------------------------

SeriesSplit split_series(const Series& s, const SeriesSpec& spec) {
  SeriesSplit sp;
  sp.n = s.size();
  const int64_t n_test = std::llround(sp.n * spec.test_fraction);
  const int64_t n_val = std::llround(sp.n * spec.validation_fraction);
  sp.val_end = sp.n - n_test;
  sp.train_end = sp.val_end - n_val;
  const int64_t K = spec.horizon, need = spec.lookback + (spec.transform == "diff") + K;
  const std::string lk =
      "lookback " + std::to_string(spec.lookback) + " and horizon " + std::to_string(K);
  REDES_CHECK(n_test >= K, DataError,
              s.source + ": the test span has " + std::to_string(n_test) + " of " +
                  std::to_string(sp.n) + " rows but the horizon is " + std::to_string(K) +
                  ": raise test_fraction or lower horizon");
  REDES_CHECK(n_val == 0 || n_val >= K, DataError,
              s.source + ": the validation span has " + std::to_string(n_val) +
                  " rows but the horizon is " + std::to_string(K) +
                  ": raise validation_fraction or set it to 0");
  REDES_CHECK(sp.train_end >= need, DataError,
              s.source + ": the series is too short for " + lk + ": " + std::to_string(sp.n) +
                  " rows leave " + std::to_string(std::max<int64_t>(sp.train_end, 0)) +
                  " for training, and one window needs " + std::to_string(need) +
                  (spec.transform == "diff" ? " (one more row for the differences)" : ""));
  return sp;
}

Windows make_windows(const Series& s, const SeriesCodec& codec, int64_t begin, int64_t end) {
  Windows w;
  for (int64_t t = std::max(begin, codec.warmup()); t + codec.horizon <= end; ++t)
    w.at.push_back(t);
  const int64_t n = static_cast<int64_t>(w.at.size()), L = codec.lookback, F = codec.channels();
  w.x = Tensor(Shape{n, L, F});
  w.y = Tensor(Shape{n, codec.horizon});
  for (int64_t i = 0; i < n; ++i) {
    codec.input(s.values, s.features, w.at[i], w.x.data() + i * L * F);
    codec.target(s.values, w.at[i], w.y.data() + i * codec.horizon);
  }
  return w;
}

// ---- forecasts ----------------------------------------------------------------------------

std::vector<std::vector<double>> forecast_recursive(const SeriesCodec& codec,
                                                    std::span<const double> v,
                                                    std::span<const double> f,
                                                    std::span<const int64_t> origins, int64_t steps,
                                                    const SeriesPredictor& predict) {
  const int64_t B = static_cast<int64_t>(origins.size()), W = codec.warmup(), L = codec.lookback;
  const int64_t F = codec.channels(), nf = F - 1, K = codec.horizon;
  const int64_t rounds = (steps + K - 1) / K;
  REDES_CHECK(steps >= 1, Error, "a forecast needs at least one step");
  // Each origin keeps its own history: the last W observed values, then its forecasts;
  // index W + h of hist[b] is the time origins[b] + h.
  std::vector<std::vector<double>> hist(B), fbuf(B), out(B);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t t0 = origins[b];
    REDES_CHECK(t0 >= W && t0 <= static_cast<int64_t>(v.size()), Error,
                "forecast origin " + std::to_string(t0) + " needs " + std::to_string(W) +
                    " rows of history");
    hist[b].assign(v.begin() + (t0 - W), v.begin() + t0);
    if (nf) {
      // Inputs read features only at times before each round's first target.
      const int64_t rows = W + (rounds - 1) * K;
      REDES_CHECK(static_cast<int64_t>(f.size()) >= (t0 - W + rows) * nf, Error,
                  "the model reads feature columns, which are not known " + std::to_string(steps) +
                      " steps ahead: forecast at most " + std::to_string(K) + " steps");
      fbuf[b].assign(f.begin() + (t0 - W) * nf, f.begin() + (t0 - W + rows) * nf);
    }
  }
  Tensor x(Shape{B, L, F}), z;
  std::vector<double> decoded(K);
  for (int64_t r = 0; r < rounds; ++r) {
    const int64_t t = W + r * K;  // the round's first target, in history indices
    for (int64_t b = 0; b < B; ++b) codec.input(hist[b], fbuf[b], t, x.data() + b * L * F);
    predict(x, z);
    REDES_CHECK(z.numel() == B * K, ShapeError,
                "the forecaster gave " + z.shape().str() + " for " + std::to_string(B) +
                    " windows of horizon " + std::to_string(K));
    for (int64_t b = 0; b < B; ++b) {
      codec.decode(hist[b], t, z.data() + b * K, decoded.data());
      for (int64_t k = 0; k < K && static_cast<int64_t>(out[b].size()) < steps; ++k) {
        out[b].push_back(decoded[k]);
        hist[b].push_back(decoded[k]);
      }
    }
  }
  return out;
}

double last_value_forecast(std::span<const double> v, int64_t t0, int64_t h) { return v[t0 - 1]; }

double seasonal_naive_forecast(std::span<const double> v, int64_t t0, int64_t h, int64_t season) {
  return v[t0 + h - season * (h / season + 1)];
}

void ErrorStats::add(double forecast, double actual) {
  const double d = forecast - actual;
  se_ += d * d, ae_ += std::abs(d);
  ++count;
}

ErrorStats& ErrorStats::finish() {
  rmse = count ? std::sqrt(se_ / count) : 0;
  mae = count ? ae_ / count : 0;
  return *this;
}

nlohmann::json ErrorStats::to_json() const { return {{"rmse", rmse}, {"mae", mae}}; }

// ---- times after the end ------------------------------------------------------------------

namespace {

bool parse_number(const std::string& s, double& x) {
  const char* e = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), e, x);
  return ec == std::errc() && p == e && std::isfinite(x);
}

bool parse_date(const std::string& s, std::chrono::year_month_day& d) {
  int y, m, day;
  char tail;
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &day, &tail) != 3)
    return false;
  d = std::chrono::year{y} / m / day;
  return d.ok();
}

std::string format_date(std::chrono::year_month_day d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(d.year()), unsigned(d.month()),
                unsigned(d.day()));
  return buf;
}

}  // namespace

std::vector<std::string> extend_times(const std::vector<std::string>& times, int64_t steps) {
  using namespace std::chrono;
  std::vector<std::string> out;
  const size_t n = times.size();
  double a, b;
  year_month_day da, db;
  if (n >= 2 && parse_number(times[n - 2], a) && parse_number(times[n - 1], b)) {
    const bool whole = a == std::floor(a) && b == std::floor(b);
    for (int64_t i = 1; i <= steps; ++i) {
      char buf[32];
      const double x = b + (b - a) * i;
      std::snprintf(buf, sizeof buf, whole ? "%.0f" : "%.10g", x);
      out.push_back(buf);
    }
  } else if (n >= 2 && parse_date(times[n - 2], da) && parse_date(times[n - 1], db)) {
    const int month_step = (int(db.year()) - int(da.year())) * 12 + int(unsigned(db.month())) -
                           int(unsigned(da.month()));
    const bool monthly = da.day() == db.day() && month_step > 0;
    const auto days = sys_days(db) - sys_days(da);
    for (int64_t i = 1; i <= steps; ++i) {
      if (monthly) {
        const year_month ym = year_month{db.year(), db.month()} + months(month_step * i);
        year_month_day d = ym / db.day();
        if (!d.ok())
          d = year_month_day_last(d.year(),
                                  month_day_last(d.month()));  // the 31st in June: the 30th
        out.push_back(format_date(d));
      } else {
        out.push_back(format_date(year_month_day(sys_days(db) + days * i)));
      }
    }
  } else {
    for (int64_t i = 1; i <= steps; ++i)
      out.push_back(std::string(1, '+').append(std::to_string(i)));
  }
  return out;
}

}  // namespace redes
