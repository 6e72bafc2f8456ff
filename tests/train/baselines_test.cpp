// Each task's baselines (src/train/baselines.hpp) on small hand-made data sets whose answers are
// known: a linearly separable set that logistic regression classifies without an error, the
// majority class scoring its share of the test split, a constant target the mean predicts
// exactly, an exact linear target least squares recovers; and a model file keeps them.
#include "train/baselines.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "redes/model_file.hpp"

using namespace redes;

namespace {

// n points in the square [-1, 1]^2 (a fixed scatter), labelled by which side of the line
// x1 + 2 x2 = 0.3 they lie on; points within 0.1 of it are left out, so that a line separates
// the classes with a margin. A little over half of them fall on side 1.
TensorDataset separable(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x, y;
  while (static_cast<int64_t>(y.size()) < n) {
    const double a = 2 * rng.uniform() - 1, b = 2 * rng.uniform() - 1, d = a + 2 * b - 0.3;
    if (std::abs(d) < 0.1 * std::sqrt(5.0)) continue;
    x.push_back(static_cast<float>(a));
    x.push_back(static_cast<float>(b));
    y.push_back(d < 0 ? 1.0f : 0.0f);
  }
  return TensorDataset(Tensor(Shape{n, 2}, x), Tensor(Shape{n, 1}, y));
}

// Three classes of points around three far-apart centres (x in [-0.3, 0.3] around each), more
// of class 2 than of the others.
TensorDataset three_blobs(int64_t n, uint64_t seed) {
  Rng rng(seed);
  const float cx[] = {-3, 3, 0}, cy[] = {0, 0, 4};
  Tensor x(Shape{n, 2}), y(Shape{n});
  for (int64_t i = 0; i < n; ++i) {
    const int c = i % 5 < 3 ? 2 : static_cast<int>(i % 5 - 3);  // 3 of 5 are class 2
    x[2 * i] = cx[c] + static_cast<float>(0.6 * rng.uniform() - 0.3);
    x[2 * i + 1] = cy[c] + static_cast<float>(0.6 * rng.uniform() - 0.3);
    y[i] = static_cast<float>(c);
  }
  return TensorDataset(std::move(x), std::move(y));
}

Config classification_config(Task task) {
  Config c;
  c.task = task;
  c.seed = 7;
  c.loss.kind = std::string(default_loss(task));
  c.optimizer.lr = 0.05;
  c.train.epochs = 60;
  c.train.batch_size = 16;
  return c;
}

// The share of the samples of data whose target is class c.
double share(const TensorDataset& data, int c) {
  Tensor x, y;
  std::vector<int64_t> rows(data.size());
  for (int64_t i = 0; i < data.size(); ++i) rows[i] = i;
  data.gather(rows, x, y, false);
  int64_t k = 0;
  for (float v : y.values()) k += static_cast<int>(std::lround(v)) == c;
  return double(k) / data.size();
}

const FittedBaseline& named(const std::vector<FittedBaseline>& all, const std::string& name) {
  for (const auto& f : all)
    if (f.baseline.name == name) return f;
  throw std::runtime_error("no baseline " + name);
}

}  // namespace

TEST(Baselines, LogisticRegressionSeparatesSeparableClassesAndMajorityScoresItsShare) {
  const Config c = classification_config(Task::binary);
  const TensorDataset train = separable(300, 1), test = separable(200, 2);
  const auto fitted = fit_baselines(c, train, nullptr, 1);
  ASSERT_EQ(fitted.size(), 2u);
  const FittedBaseline& logistic = named(fitted, "logistic_regression");
  ASSERT_EQ(logistic.error, "");
  EXPECT_EQ(logistic.epochs, 60);
  EXPECT_EQ(logistic.baseline.weight.size(), 2u);  // (1, 2): no hidden layer
  const Metrics lr = score_baseline(logistic.baseline, c.task, c.loss, test);
  EXPECT_EQ(lr.values.at("accuracy"), 1.0);
  EXPECT_EQ(lr.values.at("roc_auc"), 1.0);

  // Class 1 is the training majority: the baseline predicts it for every test sample, with the
  // training share as its probability.
  const double p_train = share(train, 1), p_test = share(test, 1);
  ASSERT_GT(p_train, 0.5);
  const FittedBaseline& majority = named(fitted, "majority");
  EXPECT_TRUE(majority.baseline.weight.empty());
  EXPECT_NEAR(majority.baseline.bias[0], std::log(p_train / (1 - p_train)), 1e-6);
  const Metrics m = score_baseline(majority.baseline, c.task, c.loss, test);
  EXPECT_DOUBLE_EQ(m.values.at("accuracy"), p_test);
  EXPECT_DOUBLE_EQ(m.values.at("recall"), 1.0);
  EXPECT_DOUBLE_EQ(m.values.at("roc_auc"), 0.5);  // one score for all: no ranking
  EXPECT_NEAR(m.loss, -(p_test * std::log(p_train) + (1 - p_test) * std::log(1 - p_train)), 1e-5);

  // The same seed and threads give the same baseline, bit for bit.
  const auto again = fit_baselines(c, train, nullptr, 1);
  EXPECT_EQ(named(again, "logistic_regression").baseline.weight, logistic.baseline.weight);
}

TEST(Baselines, MulticlassMajorityAndLogisticRegression) {
  const Config c = classification_config(Task::multiclass);
  const TensorDataset train = three_blobs(250, 3), test = three_blobs(100, 4);
  const auto fitted = fit_baselines(c, train, nullptr, 3);
  const Metrics lr =
      score_baseline(named(fitted, "logistic_regression").baseline, c.task, c.loss, test);
  EXPECT_EQ(lr.values.at("accuracy"), 1.0);
  const Metrics m = score_baseline(named(fitted, "majority").baseline, c.task, c.loss, test);
  EXPECT_DOUBLE_EQ(m.values.at("accuracy"), share(test, 2));
  ASSERT_EQ(m.confusion.size(), 3u);
  for (int t = 0; t < 3; ++t)
    for (int p = 0; p < 2; ++p) EXPECT_EQ(m.confusion[t][p], 0) << "only class 2 is predicted";
  // Its loss is the cross-entropy of the training shares on the test labels.
  double expected = 0;
  for (int k = 0; k < 3; ++k) expected -= share(test, k) * std::log(share(train, k));
  EXPECT_NEAR(m.loss, expected, 1e-5);
}

TEST(Baselines, ConstantTargetMeanHasNoError) {
  Config c;
  c.task = Task::regression;
  c.loss.kind = "mse";
  Tensor x(Shape{40, 3}), y(Shape{40, 1});
  Rng rng(5);
  for (auto& v : x.values()) v = static_cast<float>(rng.normal());
  for (auto& v : y.values()) v = 4.25f;
  const TensorDataset train(x, y), test(x, y);
  const auto fitted = fit_baselines(c, train, nullptr, 1);
  ASSERT_EQ(fitted.size(), 2u);
  const Metrics mean = score_baseline(named(fitted, "mean").baseline, c.task, c.loss, test);
  EXPECT_EQ(mean.values.at("rmse"), 0.0);
  EXPECT_EQ(mean.values.at("mae"), 0.0);
  EXPECT_EQ(mean.loss, 0.0);
  const Metrics ls =
      score_baseline(named(fitted, "linear_regression").baseline, c.task, c.loss, test);
  EXPECT_LT(ls.values.at("rmse"), 1e-5);
}

TEST(Baselines, LeastSquaresRecoversALinearTargetDespiteCollinearColumns) {
  // y = 2 x0 - 3 x1 + 1, with x2 and x3 a one-hot pair (x2 + x3 = 1, the intercept's column):
  // the normal equations are singular, the fit is still exact.
  Config c;
  c.task = Task::regression;
  c.loss.kind = "mse";
  const auto make = [](int64_t n, uint64_t seed) {
    Rng rng(seed);
    Tensor x(Shape{n, 4}), y(Shape{n, 1});
    for (int64_t i = 0; i < n; ++i) {
      float* r = x.data() + 4 * i;
      r[0] = static_cast<float>(rng.normal());
      r[1] = static_cast<float>(rng.normal());
      r[2] = static_cast<float>(i % 2);
      r[3] = 1 - r[2];
      y[i] = 2 * r[0] - 3 * r[1] + 1;
    }
    return TensorDataset(x, y);
  };
  const TensorDataset train = make(100, 1), test = make(50, 2);
  const auto fitted = fit_baselines(c, train, nullptr, 1);
  const Metrics ls =
      score_baseline(named(fitted, "linear_regression").baseline, c.task, c.loss, test);
  EXPECT_LT(ls.values.at("rmse"), 1e-4);
  const Metrics mean = score_baseline(named(fitted, "mean").baseline, c.task, c.loss, test);
  EXPECT_GT(mean.values.at("rmse"), 2.0);  // the spread of 2 x0 - 3 x1: about 3.6
}

TEST(Baselines, ForecastsAndWordModelsHaveNoneHere) {
  Config c;
  c.task = Task::forecast;
  const TensorDataset d(Tensor(Shape{4, 3, 1}), Tensor(Shape{4, 1}));
  EXPECT_TRUE(fit_baselines(c, d, nullptr, 1).empty());
}

TEST(Baselines, AModelFileKeepsThemAndRefusesMalformedOnes) {
  Model m = Model::build(Task::multiclass, Shape{2}, {layer("linear", {{"units", 3}})}, 1, 3);
  m.meta["baselines"]["majority"] = Baseline{"majority", {}, {-1.5f, -0.25f, 0.1f}}.to_json();
  // Any float comes back as it was, however few digits the file spends on it.
  std::vector<float> weight = {1, 2, 3, 4, 5, 6};
  Rng rng(11);
  for (auto& w : weight) w *= static_cast<float>(rng.normal() * 1e-3);
  m.meta["baselines"]["logistic_regression"] = Baseline{"", weight, {0.5f, 0, -0.5f}}.to_json();
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("redes-baselines-" + std::to_string(::getpid()) + ".redes"))
                               .string();
  m.save(path);
  const auto kept = Model::load(path).baselines();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].name, "logistic_regression");  // in name order
  EXPECT_EQ(kept[0].weight, weight);
  EXPECT_EQ(kept[1].name, "majority");
  EXPECT_EQ(kept[1].bias, (std::vector<float>{-1.5f, -0.25f, 0.1f}));
  EXPECT_TRUE(kept[1].weight.empty());

  // A weight count that does not fit the model's input and output: loading names the file.
  m.meta["baselines"]["logistic_regression"]["weight"] = {1, 2, 3};
  m.save(path);
  try {
    Model::load(path);
    ADD_FAILURE() << "a malformed baseline loaded";
  } catch (const ModelFileError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'weight' must be a list of 6 numbers"), std::string::npos)
        << e.what();
  }
  m.meta["baselines"]["logistic_regression"]["weight"] = {1, 2, 3, 4, 5, 1e300};
  m.save(path);
  EXPECT_THROW(Model::load(path), ModelFileError);
  std::filesystem::remove(path);
}
