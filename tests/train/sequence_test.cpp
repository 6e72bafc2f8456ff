// Forecast evaluation and word sampling on models whose answers are known: a forecaster that
// always says "no change" must score exactly the last-value baseline; a bigram table in an
// embedding must spell the words it encodes; and the language-model metrics.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "redes/layer.hpp"
#include "redes/train.hpp"
#include "train/forecast.hpp"
#include "train/words.hpp"

using namespace redes;

namespace {

bool has_kind(const std::string& kind) {
  const auto kinds = layer_kinds();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

Series seasonal_trend(int64_t n) {
  Series s;
  s.source = "synthetic";
  for (int64_t t = 0; t < n; ++t) {
    s.values.push_back(0.1 * t + std::sin(2 * M_PI * t / 12.0));
    s.times.push_back(std::to_string(t));
  }
  return s;
}

}  // namespace

TEST(ForecastEvaluation, NoChangeForecasterScoresTheLastValueBaseline) {
  const Series s = seasonal_trend(120);
  SeriesSpec spec;
  spec.lookback = 6;
  spec.transform = "window_norm";
  spec.validation_fraction = 0.1;
  const SeriesSplit split = split_series(s, spec);
  const SeriesCodec codec = fit_codec(s, spec, split.train_end);
  // window_norm output 0 decodes to the window's last value.
  const SeriesPredictor no_change = [](const Tensor& x, Tensor& z) {
    z = Tensor(Shape{x.dim(0), 1}, 0.0f);
  };
  const ForecastEvaluation ev = evaluate_forecasts(no_change, s, codec, split, 12, 5);
  EXPECT_DOUBLE_EQ(ev.test["rmse"].get<double>(), ev.baselines["last_value"]["rmse"].get<double>());
  EXPECT_DOUBLE_EQ(ev.test["mae"].get<double>(), ev.baselines["last_value"]["mae"].get<double>());
  EXPECT_GT(ev.baselines["seasonal_naive"]["rmse"].get<double>(), 0);
  EXPECT_EQ(ev.baselines["seasonal_naive"]["season"], 12);
  // Recursively, "no change" stays the last value at every step.
  EXPECT_EQ(ev.multi_step["steps"], 5);
  EXPECT_EQ(ev.multi_step["origins"], 24 - 5 + 1);
  EXPECT_DOUBLE_EQ(ev.multi_step["rmse"].get<double>(),
                   ev.multi_step["baselines"]["last_value"]["rmse"].get<double>());
  EXPECT_EQ(ev.multi_step["rmse_by_step"].size(), 5u);
  EXPECT_FALSE(ev.validation.is_null());
  // The CSV: a header and one row per test row, with the time column.
  EXPECT_EQ(std::count(ev.csv.begin(), ev.csv.end(), '\n'), 1 + 24);
  EXPECT_EQ(ev.csv.rfind("time,actual,forecast,last_value,seasonal_naive\n96,", 0), 0u)
      << ev.csv.substr(0, 80);
}

TEST(ForecastEvaluation, GraphPredictorRunsTheNetworkInBatches) {
  LayerSpec flat, lin;
  flat.kind = "flatten";
  flat.name = "flat";
  lin.kind = "linear";
  lin.name = "out";
  lin.attrs = {{"units", 2}};
  if (!has_kind("flatten")) GTEST_SKIP() << "no flatten layer yet";
  Graph g({flat, lin}, Shape{3, 1});
  std::fill(g.values().begin(), g.values().end(), 0.5f);  // every weight and bias 0.5
  Tensor x(Shape{300, 3, 1}, 1.0f), z;
  graph_predictor(g)(x, z);
  ASSERT_EQ(z.shape(), Shape({300, 2}));
  for (float v : z.values()) EXPECT_FLOAT_EQ(v, 2.0f);  // 3 * 0.5 + 0.5
}

TEST(LanguageModelMetrics, PerplexityAndAccuracySkipIgnoredSteps) {
  // 1 sample, 3 steps, 4 tokens. Step 0: uniform logits (perplexity 4); step 1: token 2 most
  // likely and the target; step 2 ignored (its logits would be wrong).
  Tensor out(Shape{1, 3, 4}, {0, 0, 0, 0, /**/ 0, 0, 5, 0, /**/ 9, 0, 0, 0});
  Tensor y(Shape{1, 3}, {1, 2, -1});
  const Metrics m = compute_metrics(Task::language_model, out.view(), y.view(), 0);
  const double nll1 = std::log(4.0), nll2 = std::log(3.0 + std::exp(5.0)) - 5.0;
  EXPECT_NEAR(m.values.at("perplexity"), std::exp((nll1 + nll2) / 2), 1e-5);
  // step 0 is a tie (argmax picks token 0, not the target 1): 1 correct of 2
  EXPECT_DOUBLE_EQ(m.values.at("accuracy"), 0.5);
}

TEST(LanguageModelMetrics, ForecastMetricsAreRegressionErrors) {
  Tensor out(Shape{2, 1}, {1, 3}), y(Shape{2, 1}, {0, 3});
  const Metrics m = compute_metrics(Task::forecast, out.view(), y.view(), 0);
  EXPECT_DOUBLE_EQ(m.values.at("rmse"), std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(m.values.at("mae"), 0.5);
}

namespace {

// A "network" that is a bigram table: embedding(V, V) read as logits of the next token given
// the current one. Returns the graph with the table set from `next` (pairs of tokens).
std::unique_ptr<Graph> bigram_graph(const Vocabulary& v, int64_t T,
                                    const std::vector<std::pair<int, int>>& next, float strength) {
  LayerSpec e;
  e.kind = "embedding";
  e.name = "table";
  e.attrs = {{"vocab", v.size()}, {"dim", v.size()}};
  auto g = std::make_unique<Graph>(std::vector<LayerSpec>{e}, Shape{T});
  std::fill(g->values().begin(), g->values().end(), 0.0f);
  for (auto [a, b] : next) g->values()[a * v.size() + b] = strength;
  return g;
}

}  // namespace

TEST(Sampling, SpellsTheWordsABigramTableEncodes) {
  if (!has_kind("embedding")) GTEST_SKIP() << "no embedding layer yet";
  const Vocabulary v({"cat"});  // a 3, c 4, t 5
  TextSpec spec;
  spec.max_length = 5;
  const auto meta = text_meta(spec, v);
  const int s = Vocabulary::kBegin, e = Vocabulary::kEnd, a = v.id('a'), c = v.id('c'),
            t = v.id('t');
  auto g = bigram_graph(v, 6, {{s, c}, {c, a}, {a, t}, {t, e}}, 40);
  EXPECT_EQ(sample_words(*g, meta, 3, 0.0, 1), (std::vector<std::string>{"cat", "cat", "cat"}));
  EXPECT_EQ(sample_words(*g, meta, 2, 1.0, 5), (std::vector<std::string>{"cat", "cat"}));
  // The first step never ends a word, and max_length stops one that never ends.
  auto loop = bigram_graph(v, 6, {{s, e}, {s, a}, {a, a}}, 40);
  EXPECT_EQ(sample_words(*loop, meta, 1, 0.0, 1), (std::vector<std::string>{"aaaaa"}));
  // Temperature spreads the choice: with no preference every character appears.
  auto flat = bigram_graph(v, 6, {}, 0);
  std::string all;
  for (const auto& w : sample_words(*flat, meta, 50, 1.0, 3)) all += w;
  for (char ch : std::string("act")) EXPECT_NE(all.find(ch), std::string::npos);
  // The same seed gives the same words.
  EXPECT_EQ(sample_words(*flat, meta, 10, 1.0, 3), sample_words(*flat, meta, 10, 1.0, 3));
}

TEST(Sampling, RejectsModelsOfOtherData) {
  if (!has_kind("embedding")) GTEST_SKIP() << "no embedding layer yet";
  const Vocabulary v({"cat"});
  TextSpec spec;
  spec.max_length = 5;
  auto g = bigram_graph(v, 6, {}, 0);
  EXPECT_THROW(sample_words(*g, nlohmann::json{{"kind", "series"}}, 1, 1.0, 1), Error);
  spec.max_length = 7;  // the graph reads 6 steps, the meta says 8
  EXPECT_THROW(sample_words(*g, text_meta(spec, v), 1, 1.0, 1), ModelFileError);
}
