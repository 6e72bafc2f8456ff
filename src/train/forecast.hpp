// Forecasting with a trained network: the evaluation in the original units that summary.json
// reports beside the naive baselines (Model::forecast continues a series).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "redes/graph.hpp"
#include "redes/series.hpp"

namespace redes {

// Runs the graph in evaluation mode on batches of windows x (B, L, F) -> z (B, K).
SeriesPredictor graph_predictor(Graph& graph);

struct ForecastEvaluation {
  nlohmann::json test;        // one-step forecasts of every test row: rmse, mae, points
  nlohmann::json validation;  // the same on the validation span (null without one)
  nlohmann::json baselines;   // last_value and seasonal_naive on the same test rows
  nlohmann::json multi_step;  // recursive forecasts of `steps` values from each test origin
  std::string csv;            // per test row: time, actual, forecast, baselines
};

// One-step forecasts of every row in the test span (and the validation span) and recursive
// multi-step forecasts from every origin whose `steps` values lie in the test span, all in
// the original units, beside the last-value and (season > 0) seasonal-naive forecasts.
ForecastEvaluation evaluate_forecasts(const SeriesPredictor& predict, const Series& s,
                                      const SeriesCodec& codec, const SeriesSplit& split,
                                      int64_t season, int64_t steps);

// What the model file keeps to read a series the same way (meta["data"]).
nlohmann::json series_meta(const SeriesSpec& spec, const SeriesCodec& codec);

}  // namespace redes
