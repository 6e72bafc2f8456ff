// Time series for the run pipeline: windows of the train, validation and test spans, and a
// report that evaluates the forecasts in the original units beside the naive baselines.
#include <filesystem>

#include "redes/model_file.hpp"
#include "train/forecast.hpp"
#include "train/loaded_data.hpp"

namespace redes {

LoadedData load_series_data(const Config& config) {
  const SeriesSpec& spec = config.series;
  auto series = std::make_shared<const Series>(read_series(spec));
  const SeriesSplit split = split_series(*series, spec);
  const SeriesCodec codec = fit_codec(*series, spec, split.train_end);

  // Windows whose targets lie wholly in a span; their inputs may reach back into the span
  // before (a test forecast may use the last training rows, as it would in use).
  Windows train = make_windows(*series, codec, 0, split.train_end);
  Windows val = make_windows(*series, codec, split.train_end, split.val_end);
  Windows test = make_windows(*series, codec, split.val_end, split.n);

  LoadedData d;
  d.train = std::make_unique<TensorDataset>(train.x, train.y);
  if (!val.at.empty()) d.val = std::make_unique<TensorDataset>(val.x, val.y);
  d.test = std::make_unique<TensorDataset>(test.x, test.y);
  d.meta = series_meta(spec, codec);
  d.target = spec.value;
  // For predict --config: each test window as the rows before its forecast, in the series' units
  // (the value, then the features), and the values it forecasts.
  d.test_inputs = [series, codec, at = test.at] {
    const int64_t rows = codec.warmup(), F = codec.channels(), K = codec.horizon,
                  n = static_cast<int64_t>(at.size());
    LoadedData::TestInputs in;
    in.x = Tensor(Shape{n, rows, F});
    in.truth = Tensor(Shape{n, K});
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t row = at[i] - rows + r;
        float* o = in.x.data() + (i * rows + r) * F;
        o[0] = static_cast<float>(series->values[row]);
        for (int64_t k = 1; k < F; ++k)
          o[k] = static_cast<float>(series->features[row * (F - 1) + k - 1]);
      }
      for (int64_t k = 0; k < K; ++k)
        in.truth[i * K + k] = static_cast<float>(series->values[at[i] + k]);
    }
    return in;
  };
  d.rows = {
      {"read", series->size()},
      {"train", split.train_end},
      {"validation", split.val_end - split.train_end},
      {"test", split.n - split.val_end},
      {"windows",
       {{"train", train.at.size()}, {"validation", val.at.size()}, {"test", test.at.size()}}}};
  d.splits = {{"data", spec.path},
              {"train", {0, split.train_end}},
              {"validation", {split.train_end, split.val_end}},
              {"test", {split.val_end, split.n}}};
  const auto at = [&](int64_t row) {
    return series->times.empty() ? "row " + std::to_string(row) : series->times[row];
  };
  d.description = spec.path + ": " + std::to_string(series->size()) + " rows of '" + spec.value +
                  "'; windows of " + std::to_string(spec.lookback) + " -> " +
                  std::to_string(spec.horizon) + " (transform " + spec.transform + "); train " +
                  std::to_string(train.at.size()) + " windows, validation " +
                  std::to_string(val.at.size()) + ", test " + std::to_string(test.at.size()) +
                  " (from " + at(split.val_end) + ")";

  // After training: forecasts in the original units. summary.json's test.rmse and test.mae
  // become the one-step errors in those units; the trainer's figures (in the scaled units the
  // network sees) move to test.scaled.
  d.report = [series, split, codec, season = spec.season, steps = spec.steps](
                 Graph& graph, nlohmann::json& summary, const std::string& out_dir) {
    const ForecastEvaluation ev =
        evaluate_forecasts(graph_predictor(graph), *series, codec, split, season, steps);
    const auto rescale = [](nlohmann::json& part, const nlohmann::json& original) {
      nlohmann::json scaled = part;
      scaled.erase("loss");
      part = {{"loss", part.value("loss", 0.0)}, {"scaled", scaled}};
      part.update(original);
    };
    rescale(summary["test"], ev.test);
    if (summary.contains("validation") && !ev.validation.is_null())
      rescale(summary["validation"], ev.validation);
    summary["baselines"] = ev.baselines;
    if (!ev.multi_step.is_null()) summary["multi_step"] = ev.multi_step;
    double best_baseline = ev.baselines["last_value"]["rmse"];
    if (ev.baselines.contains("seasonal_naive"))
      best_baseline = std::min(best_baseline, ev.baselines["seasonal_naive"]["rmse"].get<double>());
    summary["beats_baselines"] = ev.test["rmse"].get<double>() < best_baseline;
    write_file_atomic((std::filesystem::path(out_dir) / "test_forecast.csv").string(), ev.csv);
  };
  return d;
}

}  // namespace redes
