#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "redes/train.hpp"

using namespace redes;

TEST(Metrics, BinaryConfusionAndScores) {
  // logits >= 0 predict class 1. truth: 1 1 1 0 0 0 0 1; predicted: 1 1 0 0 1 0 0 1
  Tensor out(Shape{8, 1}, {2.f, 0.5f, -1.f, -3.f, 0.1f, -0.2f, -2.f, 0.f});
  Tensor y(Shape{8, 1}, {1, 1, 1, 0, 0, 0, 0, 1});
  Metrics m = compute_metrics(Task::binary, out.view(), y.view(), 0.25);
  EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{3, 1}, {1, 3}}));
  EXPECT_DOUBLE_EQ(m.values["accuracy"], 6.0 / 8);
  EXPECT_DOUBLE_EQ(m.values["precision"], 3.0 / 4);
  EXPECT_DOUBLE_EQ(m.values["recall"], 3.0 / 4);
  EXPECT_DOUBLE_EQ(m.values["f1"], 3.0 / 4);
  EXPECT_DOUBLE_EQ(m.loss, 0.25);
}

TEST(Metrics, RocAucWithTies) {
  // scikit-learn's example: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
  Tensor out(Shape{4, 1}, {0.1f, 0.4f, 0.35f, 0.8f});
  Tensor y(Shape{4, 1}, {0, 0, 1, 1});
  EXPECT_DOUBLE_EQ(compute_metrics(Task::binary, out.view(), y.view(), 0).values["roc_auc"], 0.75);
  // A tie between a positive and a negative counts one half: pairs (p, n) = 4, wins 3.5.
  Tensor tied(Shape{4, 1}, {0.1f, 0.5f, 0.5f, 0.8f});
  EXPECT_DOUBLE_EQ(compute_metrics(Task::binary, tied.view(), y.view(), 0).values["roc_auc"],
                   0.875);
  // One class only: no AUC.
  Tensor ones(Shape{4, 1}, {1, 1, 1, 1});
  EXPECT_EQ(compute_metrics(Task::binary, out.view(), ones.view(), 0).values.count("roc_auc"), 0u);
}

TEST(Metrics, MulticlassMacroAverages) {
  // truth 0 1 2 2, predicted 0 2 2 2
  Tensor out(Shape{4, 3}, {5, 0, 0, 0, 1, 2, 0, 0, 3, 1, 0, 4});
  Tensor y(Shape{4}, {0, 1, 2, 2});
  Metrics m = compute_metrics(Task::multiclass, out.view(), y.view(), 0);
  EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{1, 0, 0}, {0, 0, 1}, {0, 0, 2}}));
  EXPECT_DOUBLE_EQ(m.values["accuracy"], 0.75);
  // precision per class: 1, 0, 2/3; recall: 1, 0, 1
  EXPECT_NEAR(m.values["precision"], (1 + 0 + 2.0 / 3) / 3, 1e-12);
  EXPECT_NEAR(m.values["recall"], 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.values["f1"], (1 + 0 + 0.8) / 3, 1e-12);
  Tensor bad(Shape{4}, {0, 1, 3, 2});
  EXPECT_THROW(compute_metrics(Task::multiclass, out.view(), bad.view(), 0), ShapeError);
}

TEST(Metrics, Regression) {
  Tensor out(Shape{3, 1}, {1, 2, 3});
  Tensor y(Shape{3, 1}, {1, 4, 0});
  Metrics m = compute_metrics(Task::regression, out.view(), y.view(), 0);
  EXPECT_NEAR(m.values["rmse"], std::sqrt((0 + 4 + 9) / 3.0), 1e-12);
  EXPECT_NEAR(m.values["mae"], 5.0 / 3, 1e-12);
  EXPECT_FALSE(higher_is_better("rmse"));
  EXPECT_TRUE(higher_is_better("accuracy"));
}

// compute_metrics fills exactly the metrics task.hpp says each task has (the early-stopping
// check of a config and metrics.csv rely on that list).
TEST(Metrics, EachTaskReportsTheMetricsItsRuleNames) {
  const auto names = [](const Metrics& m) {
    std::vector<std::string> v;
    for (const auto& [k, _] : m.values) v.push_back(k);
    std::sort(v.begin(), v.end());
    return v;
  };
  const auto listed = [](Task t) {
    std::vector<std::string> v(metrics_of(t).begin(), metrics_of(t).end());
    std::sort(v.begin(), v.end());
    return v;
  };
  const Tensor logit(Shape{2, 1}, {1.f, -1.f}), label(Shape{2, 1}, {1, 0});
  EXPECT_EQ(names(compute_metrics(Task::binary, logit.view(), label.view(), 0)),
            listed(Task::binary));
  EXPECT_EQ(names(compute_metrics(Task::regression, logit.view(), label.view(), 0)),
            listed(Task::regression));
  EXPECT_EQ(names(compute_metrics(Task::forecast, logit.view(), label.view(), 0)),
            listed(Task::forecast));
  const Tensor logits(Shape{2, 3}, {1, 0, 0, 0, 0, 1}), cls(Shape{2}, {0, 2});
  EXPECT_EQ(names(compute_metrics(Task::multiclass, logits.view(), cls.view(), 0)),
            listed(Task::multiclass));
  const Tensor steps(Shape{1, 2, 3}, {1, 0, 0, 0, 0, 1}), ids(Shape{1, 2}, {0, -1});
  EXPECT_EQ(names(compute_metrics(Task::language_model, steps.view(), ids.view(), 0)),
            listed(Task::language_model));
}

// Batch by batch equals all at once, for every task (the trainer's training metrics).
TEST(Metrics, AccumulatedOverBatchesEqualsAllAtOnce) {
  Rng rng(7);
  const auto random = [&](Shape s, bool ids, int64_t classes) {
    Tensor t(s);
    for (int64_t i = 0; i < t.numel(); ++i)
      t[i] = static_cast<float>(ids ? std::floor(rng.uniform() * classes) : rng.normal());
    return t;
  };
  struct Case {
    Task task;
    Shape out, y;
    int64_t classes;  // 0: real targets
  };
  for (const Case& c : {Case{Task::binary, Shape{10, 1}, Shape{10, 1}, 2},
                        Case{Task::multiclass, Shape{10, 4}, Shape{10}, 4},
                        Case{Task::regression, Shape{10, 1}, Shape{10, 1}, 0},
                        Case{Task::forecast, Shape{10, 3}, Shape{10, 3}, 0},
                        Case{Task::language_model, Shape{10, 2, 5}, Shape{10, 2}, 5}}) {
    const Tensor out = random(c.out, false, 0), y = random(c.y, c.classes > 0, c.classes);
    const Metrics all = compute_metrics(c.task, out.view(), y.view(), 0.5);
    MetricsAccumulator batches(c.task);
    const int64_t cuts[] = {0, 3, 7, 10};
    for (int i = 0; i < 3; ++i)
      batches.add(out.view().slice(cuts[i], cuts[i + 1]), y.view().slice(cuts[i], cuts[i + 1]));
    const Metrics sum = batches.result(0.5);
    EXPECT_EQ(sum.confusion, all.confusion) << name(c.task);
    ASSERT_EQ(sum.values.size(), all.values.size()) << name(c.task);
    for (const auto& [k, v] : all.values) EXPECT_NEAR(sum.values.at(k), v, 1e-12) << k;
  }
}
