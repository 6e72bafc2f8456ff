// Forecasts in the original units: the evaluation summary.json reports and `redes forecast`.
#include "train/forecast.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "redes/error.hpp"

namespace redes {

SeriesPredictor graph_predictor(Graph& graph) {
  return [&graph](const Tensor& x, Tensor& z) {
    const int64_t n = x.dim(0), width = graph.output_shape().numel(), batch = 256;
    z = Tensor(Shape{n, width});
    Rng unused(0);  // evaluation mode draws no random numbers
    for (int64_t lo = 0; lo < n; lo += batch) {
      const int64_t hi = std::min(n, lo + batch);
      auto out = graph.forward(x.view().slice(lo, hi), false, unused);
      std::copy(out.begin(), out.end(), z.data() + lo * width);
    }
  };
}

namespace {

std::string fmt(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

// One-step forecasts of rows [begin, end), each from the rows before it.
std::vector<double> one_step(const SeriesPredictor& predict, const Series& s,
                             const SeriesCodec& codec, int64_t begin, int64_t end) {
  std::vector<int64_t> origins(end - begin);
  std::iota(origins.begin(), origins.end(), begin);
  auto f = forecast_recursive(codec, s.values, s.features, origins, 1, predict);
  std::vector<double> out;
  for (const auto& row : f) out.push_back(row[0]);
  return out;
}

}  // namespace

ForecastEvaluation evaluate_forecasts(const SeriesPredictor& predict, const Series& s,
                                      const SeriesCodec& codec, const SeriesSplit& split,
                                      int64_t season, int64_t steps) {
  const auto& v = s.values;
  const int64_t begin = split.val_end, end = split.n;
  ForecastEvaluation ev;

  // One step ahead on every test row, beside the baselines on the same rows.
  const std::vector<double> fc = one_step(predict, s, codec, begin, end);
  const bool seasonal = season > 0 && begin - season >= 0;
  ErrorStats model, last, snaive;
  std::ostringstream csv;
  csv << (s.times.empty() ? "row" : "time") << ",actual,forecast,last_value"
      << (seasonal ? ",seasonal_naive" : "") << "\n";
  for (int64_t t = begin; t < end; ++t) {
    const double f = fc[t - begin], lv = last_value_forecast(v, t, 0);
    model.add(f, v[t]);
    last.add(lv, v[t]);
    csv << (s.times.empty() ? std::to_string(t) : s.times[t]) << "," << fmt(v[t]) << "," << fmt(f)
        << "," << fmt(lv);
    if (seasonal) {
      const double sn = seasonal_naive_forecast(v, t, 0, season);
      snaive.add(sn, v[t]);
      csv << "," << fmt(sn);
    }
    csv << "\n";
  }
  ev.csv = csv.str();
  ev.test = model.finish().to_json();
  ev.baselines = {{"last_value", last.finish().to_json()}};
  if (seasonal) {
    ev.baselines["seasonal_naive"] = snaive.finish().to_json();
    ev.baselines["seasonal_naive"]["season"] = season;
  }

  if (split.val_end > split.train_end) {
    const auto fv = one_step(predict, s, codec, split.train_end, split.val_end);
    ErrorStats val;
    for (int64_t t = split.train_end; t < split.val_end; ++t)
      val.add(fv[t - split.train_end], v[t]);
    ev.validation = val.finish().to_json();
  }

  // Recursive forecasts of `steps` values from every origin whose targets lie in the test
  // span; errors over all (origin, step) pairs, and the RMSE at each step ahead.
  if (end - begin >= steps) {
    std::vector<int64_t> origins(end - begin - steps + 1);
    std::iota(origins.begin(), origins.end(), begin);
    const auto paths = forecast_recursive(codec, v, s.features, origins, steps, predict);
    ErrorStats m_all, l_all, s_all;
    std::vector<double> by_step, last_by_step, seasonal_by_step;
    for (int64_t h = 0; h < steps; ++h) {
      ErrorStats at_h, last_h, seasonal_h;
      for (size_t o = 0; o < origins.size(); ++o) {
        const int64_t t0 = origins[o];
        const double actual = v[t0 + h];
        at_h.add(paths[o][h], actual);
        m_all.add(paths[o][h], actual);
        last_h.add(last_value_forecast(v, t0, h), actual);
        l_all.add(last_value_forecast(v, t0, h), actual);
        if (seasonal) {
          seasonal_h.add(seasonal_naive_forecast(v, t0, h, season), actual);
          s_all.add(seasonal_naive_forecast(v, t0, h, season), actual);
        }
      }
      by_step.push_back(at_h.finish().rmse);
      last_by_step.push_back(last_h.finish().rmse);
      if (seasonal) seasonal_by_step.push_back(seasonal_h.finish().rmse);
    }
    ev.multi_step = m_all.finish().to_json();
    ev.multi_step["steps"] = steps;
    ev.multi_step["origins"] = static_cast<int64_t>(origins.size());
    ev.multi_step["rmse_by_step"] = by_step;
    ev.multi_step["baselines"] = {{"last_value", l_all.finish().to_json()}};
    ev.multi_step["baselines"]["last_value"]["rmse_by_step"] = last_by_step;
    if (seasonal) {
      ev.multi_step["baselines"]["seasonal_naive"] = s_all.finish().to_json();
      ev.multi_step["baselines"]["seasonal_naive"]["rmse_by_step"] = seasonal_by_step;
    }
  }
  return ev;
}

nlohmann::json series_meta(const SeriesSpec& spec, const SeriesCodec& codec) {
  return {{"value", spec.value},
          {"time", spec.time},
          {"features", spec.features},
          {"season", spec.season},
          {"codec", codec.to_json()}};
}

}  // namespace redes
