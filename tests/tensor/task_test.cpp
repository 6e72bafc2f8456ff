// The rules about kinds of data and tasks (redes/task.hpp).
#include "redes/task.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace redes;

TEST(Task, NamesRoundTrip) {
  for (const auto& n : task_names()) EXPECT_EQ(name(*task_named(n)), n);
  for (const auto& n : data_kind_names()) EXPECT_EQ(name(*data_kind_named(n)), n);
  EXPECT_EQ(task_names().size(), static_cast<size_t>(kTaskCount));
  EXPECT_EQ(data_kind_names().size(), static_cast<size_t>(kDataKindCount));
  EXPECT_FALSE(task_named("ranking"));
  EXPECT_FALSE(data_kind_named("audio"));
}

TEST(Task, EachKindServesItsTasks) {
  EXPECT_TRUE(fits(DataKind::table, Task::binary));
  EXPECT_TRUE(fits(DataKind::table, Task::regression));
  EXPECT_FALSE(fits(DataKind::table, Task::forecast));
  EXPECT_TRUE(fits(DataKind::images, Task::multiclass));
  EXPECT_FALSE(fits(DataKind::images, Task::binary));
  EXPECT_TRUE(fits(DataKind::series, Task::forecast));
  EXPECT_TRUE(fits(DataKind::text, Task::language_model));
  EXPECT_EQ(mismatch(DataKind::table, Task::forecast),
            "task 'forecast' needs [data] kind = \"series\"");
  EXPECT_EQ(mismatch(DataKind::series, Task::regression),
            "[data] kind \"series\" needs task = \"forecast\", not 'regression'");
  EXPECT_EQ(mismatch(DataKind::table, Task::multiclass), "");
  // Every task is served by some kind.
  for (const auto& n : task_names()) {
    bool served = false;
    for (const auto& k : data_kind_names()) served |= fits(*data_kind_named(k), *task_named(n));
    EXPECT_TRUE(served) << n;
  }
}

TEST(Task, LossesFitTheirTargets) {
  EXPECT_EQ(default_loss(Task::binary), "bce_logits");
  EXPECT_FALSE(fits(Task::binary, "mse"));  // the config once accepted it; the run did not
  EXPECT_TRUE(fits(Task::regression, "huber"));
  EXPECT_FALSE(fits(Task::regression, "bce_logits"));
  EXPECT_EQ(default_loss(Task::language_model), "softmax_cross_entropy");
  EXPECT_EQ(losses_text(Task::forecast), "mse, mae, huber");
}

TEST(Task, OutputWidths) {
  EXPECT_EQ(output_needed(Task::binary, Shape{1}, 2), Shape({1}));
  EXPECT_EQ(output_needed(Task::multiclass, Shape{}, 10), Shape({10}));
  EXPECT_EQ(output_needed(Task::forecast, Shape{3}, 0), Shape({3}));
  EXPECT_EQ(output_needed(Task::language_model, Shape{17}, 29), Shape({17, 29}));
  EXPECT_NO_THROW(check_output(Task::binary, Shape{1, 1}, Shape{1}, 2, "c.toml"));
  try {
    check_output(Task::multiclass, Shape{3}, Shape{}, 10, "c.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "c.toml: the last layer gives (3,) outputs per sample but a multiclass task "
                 "needs 10 (one per class)");
  }
}

TEST(Task, MetricsAndDirections) {
  EXPECT_TRUE(is_metric_of(Task::binary, "roc_auc"));
  EXPECT_FALSE(is_metric_of(Task::multiclass, "roc_auc"));
  EXPECT_TRUE(is_metric_of(Task::forecast, "loss"));
  EXPECT_TRUE(higher_is_better("f1"));
  EXPECT_FALSE(higher_is_better("rmse"));
  EXPECT_FALSE(higher_is_better("perplexity"));
  // The figure a run is known by (`redes runs`).
  EXPECT_EQ(headline_metric(Task::binary), "accuracy");
  EXPECT_EQ(headline_metric(Task::multiclass), "accuracy");
  EXPECT_EQ(headline_metric(Task::regression), "rmse");
  EXPECT_EQ(headline_metric(Task::forecast), "rmse");
  EXPECT_EQ(headline_metric(Task::language_model), "perplexity");
}

TEST(Task, PredictionsAndTheirColumns) {
  const Tensor logits(Shape{2, 1}, std::vector<float>{0.0f, 2.0f});
  const Tensor p = outputs_to_predictions(Task::binary, logits);
  EXPECT_FLOAT_EQ(p[0], 0.5f);
  EXPECT_NEAR(p[1], 1 / (1 + std::exp(-2.0)), 1e-7);
  const Tensor s =
      outputs_to_predictions(Task::multiclass, Tensor(Shape{1, 3}, std::vector<float>{1, 1, 1000}));
  EXPECT_NEAR(s[2], 1.0, 1e-7);  // shifted by the maximum: no overflow
  EXPECT_EQ(prediction_columns(Task::binary, {"no", "yes"}, "y", 1),
            (std::vector<std::string>{"p(no)", "p(yes)", "predicted"}));
  EXPECT_EQ(prediction_columns(Task::regression, {}, "mpg", 1), (std::vector<std::string>{"mpg"}));
  EXPECT_EQ(prediction_columns(Task::forecast, {}, "CO2", 2),
            (std::vector<std::string>{"CO2+1", "CO2+2"}));
  const float q[] = {0.25f};
  EXPECT_EQ(prediction_cells(Task::binary, {"no", "yes"}, q, 1),
            (std::vector<std::string>{"0.75", "0.25", "no"}));
}
