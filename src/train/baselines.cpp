// The baselines of each task (train/baselines.hpp): the majority class and the training mean as
// constants, the logistic regression trained by the run's own trainer, the linear regression
// by least squares.
#include "train/baselines.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace redes {

namespace {

// The logistic regression may see at most this many training samples in all (epochs x rows):
// its cost must stay within a tenth of the run's, and a budget in samples rather than seconds
// keeps it the same on every machine and load, so that a seed gives the same baseline (and a
// resumed run the same model file). A step of one linear layer costs about what gathering its
// batch does (an image's pixels normalised), a small share of a network's step: on
// lenet5-fashion (54,000 training images, 5 epochs, all of them within the budget) the
// baselines took 0.6-1.2 s of a 28-32 s run, on a busy 2-core machine. Past the budget the
// epochs are cut first; a training split larger than the budget trains one epoch on evenly
// spaced rows of it.
constexpr int64_t kLogisticSamples = 300'000;

// A training split as the baselines read it: the samples as evaluation gathers them (no
// augmentation; the pixels normalised as the network reads them), `rows` of them evenly
// spaced when it holds more.
class PlainRows final : public Dataset {
 public:
  PlainRows(const Dataset& data, int64_t rows) : data_(data), rows_(std::min(rows, data.size())) {}
  int64_t size() const override { return rows_; }
  Shape sample_shape() const override { return data_.sample_shape(); }
  Shape target_shape() const override { return data_.target_shape(); }
  void gather(std::span<const int64_t> rows, Tensor& x, Tensor& y, bool) const override {
    if (rows_ == data_.size()) return data_.gather(rows, x, y, false);
    std::vector<int64_t> spaced(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) spaced[i] = rows[i] * data_.size() / rows_;
    data_.gather(spaced, x, y, false);
  }

 private:
  const Dataset& data_;
  int64_t rows_;
};

// Every sample's target: (N) class indices or (N, K) values.
Tensor targets_of(const Dataset& data) {
  const int64_t n = data.size(), width = data.target_shape().numel(), batch = 1024;
  Tensor all(data.target_shape().batched(n)), x, y;
  std::vector<int64_t> rows;
  for (int64_t lo = 0; lo < n; lo += batch) {
    rows.resize(std::min(n, lo + batch) - lo);
    std::iota(rows.begin(), rows.end(), lo);
    data.gather(rows, x, y, false);
    std::copy(y.data(), y.data() + y.numel(), all.data() + lo * width);
  }
  return all;
}

// The network with no hidden layer: the input flattened, one linear layer to the K outputs.
std::vector<LayerSpec> linear_layers(const Shape& input, int64_t outputs) {
  std::vector<LayerSpec> layers;
  if (input.rank() > 1) layers.push_back(layer("flatten"));
  layers.push_back(layer("linear", {{"units", outputs}}));
  return layers;
}

// majority: the logits of the training split's class shares, log p(class) (binary: the log-odds
// of class 1). The largest share wins every sample; a class never seen gets a share of 1e-7
// rather than an infinite loss. mean: the training mean of each output.
FittedBaseline constant(Task task, const Dataset& train, int64_t outputs) {
  const Tensor y = targets_of(train);
  const int64_t n = train.size();
  FittedBaseline f;
  f.baseline.bias.assign(outputs, 0.0f);
  const auto clamp = [](double p) { return std::clamp(p, 1e-7, 1 - 1e-7); };
  switch (task) {
    case Task::binary: {
      double ones = 0;
      for (float v : y.values()) ones += v > 0.5f;
      const double p = clamp(ones / std::max<int64_t>(n, 1));
      f.baseline.name = "majority";
      f.baseline.bias[0] = static_cast<float>(std::log(p / (1 - p)));
      break;
    }
    case Task::multiclass: {
      std::vector<double> count(outputs, 0);
      for (float v : y.values())
        if (v >= 0 && v < outputs) count[static_cast<int64_t>(v)] += 1;
      f.baseline.name = "majority";
      for (int64_t k = 0; k < outputs; ++k)
        f.baseline.bias[k] =
            static_cast<float>(std::log(clamp(count[k] / std::max<int64_t>(n, 1))));
      break;
    }
    case Task::regression:
    case Task::forecast:
    case Task::language_model: {
      std::vector<double> sum(outputs, 0);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t k = 0; k < outputs; ++k) sum[k] += y[i * outputs + k];
      f.baseline.name = "mean";
      for (int64_t k = 0; k < outputs; ++k)
        f.baseline.bias[k] = static_cast<float>(sum[k] / std::max<int64_t>(n, 1));
      break;
    }
  }
  return f;
}

// Least squares with an intercept, in double: the features and targets centred on their
// training means, then the normal equations (Xc^T Xc) W = Xc^T Yc solved by Cholesky. A ridge of
// 1e-8 of the mean diagonal makes them solvable when columns are collinear (a one-hot
// encoding's columns sum to one) and moves the fit by about as much, no more.
FittedBaseline least_squares(const Dataset& train, int64_t outputs) {
  const int64_t n = train.size(), F = train.sample_shape().numel(), K = outputs;
  Tensor x, y;  // tables only come here: every row at once is small
  std::vector<int64_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  train.gather(rows, x, y, false);
  REDES_CHECK(
      y.numel() == n * K, ShapeError,
      "least squares: targets " + y.shape().str() + " for " + std::to_string(K) + " outputs");
  std::vector<double> mx(F, 0), my(K, 0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t f = 0; f < F; ++f) mx[f] += x[i * F + f];
    for (int64_t k = 0; k < K; ++k) my[k] += y[i * K + k];
  }
  for (auto& v : mx) v /= std::max<int64_t>(n, 1);
  for (auto& v : my) v /= std::max<int64_t>(n, 1);
  std::vector<double> a(F * F, 0), b(F * K, 0), xc(F);  // a (F, F), b (F, K)
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t f = 0; f < F; ++f) xc[f] = x[i * F + f] - mx[f];
    for (int64_t f = 0; f < F; ++f) {
      for (int64_t g = 0; g <= f; ++g) a[f * F + g] += xc[f] * xc[g];
      for (int64_t k = 0; k < K; ++k) b[f * K + k] += xc[f] * (y[i * K + k] - my[k]);
    }
  }
  double trace = 0;
  for (int64_t f = 0; f < F; ++f) trace += a[f * F + f];
  const double ridge = 1e-8 * trace / std::max<int64_t>(F, 1) + 1e-300;
  for (int64_t f = 0; f < F; ++f) a[f * F + f] += ridge;
  // a = L L^T in its lower triangle, then L Z = b and L^T W = Z, column by column of b.
  for (int64_t j = 0; j < F; ++j) {
    double d = a[j * F + j];
    for (int64_t k = 0; k < j; ++k) d -= a[j * F + k] * a[j * F + k];
    a[j * F + j] = std::sqrt(std::max(d, ridge));
    for (int64_t i = j + 1; i < F; ++i) {
      double s = a[i * F + j];
      for (int64_t k = 0; k < j; ++k) s -= a[i * F + k] * a[j * F + k];
      a[i * F + j] = s / a[j * F + j];
    }
  }
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t i = 0; i < F; ++i) {
      double s = b[i * K + k];
      for (int64_t j = 0; j < i; ++j) s -= a[i * F + j] * b[j * K + k];
      b[i * K + k] = s / a[i * F + i];
    }
    for (int64_t i = F - 1; i >= 0; --i) {
      double s = b[i * K + k];
      for (int64_t j = i + 1; j < F; ++j) s -= a[j * F + i] * b[j * K + k];
      b[i * K + k] = s / a[i * F + i];
    }
  }
  FittedBaseline fit;
  fit.baseline.name = "linear_regression";
  fit.baseline.weight.resize(K * F);
  fit.baseline.bias.resize(K);
  for (int64_t k = 0; k < K; ++k) {
    double intercept = my[k];
    for (int64_t f = 0; f < F; ++f) {
      fit.baseline.weight[k * F + f] = static_cast<float>(b[f * K + k]);
      intercept -= b[f * K + k] * mx[f];
    }
    fit.baseline.bias[k] = static_cast<float>(intercept);
  }
  return fit;
}

// The lecture's network with K = 0 hidden units, trained as the run trains its own.
FittedBaseline logistic_regression(const Config& config, const Dataset& train, const Dataset* val,
                                   int64_t outputs) {
  const Shape input = train.sample_shape();
  Graph graph(linear_layers(input, outputs), input);
  Rng rng(config.seed ^ 0xba5e11e5ULL);  // numbers of its own: the run's are not moved
  Rng init = rng.split();
  graph.init(init);
  auto loss = make_loss<float>(config.loss);
  TrainSpec spec = config.train;
  const int64_t rows = std::min(train.size(), kLogisticSamples);
  spec.epochs = static_cast<int>(
      std::clamp<int64_t>(kLogisticSamples / std::max<int64_t>(rows, 1), 1, spec.epochs));
  spec.sync_batchnorm = false;  // it has no batch norm
  // The validation split only where the run's training uses it: early stopping, a plateau
  // schedule (its evaluation after every epoch is not free).
  const bool use_val = spec.early_stopping.enabled || config.schedule.kind == "plateau";
  Trainer trainer(graph, *loss, config.optimizer, config.schedule, spec, config.task);
  const PlainRows plain(train, rows);
  FittedBaseline f;
  f.baseline.name = "logistic_regression";
  try {
    f.epochs = static_cast<int>(trainer.fit(plain, use_val ? val : nullptr, rng, nullptr).size());
  } catch (const Diverged& e) {
    f.error = e.what();
    return f;
  }
  const auto& params = graph.params();  // the linear layer's weight (K, F), then its bias (K)
  REDES_CHECK(params.size() == 2 && params[1].param->numel() == outputs, Error,
              "the logistic regression's parameters are not a weight and a bias");
  f.baseline.weight.assign(params[0].param->value,
                           params[0].param->value + params[0].param->numel());
  f.baseline.bias.assign(params[1].param->value, params[1].param->value + outputs);
  return f;
}

}  // namespace

std::vector<FittedBaseline> fit_baselines(const Config& config, const Dataset& train,
                                          const Dataset* val, int64_t outputs) {
  switch (config.task) {
    case Task::binary:
    case Task::multiclass:
      return {constant(config.task, train, outputs),
              logistic_regression(config, train, val, outputs)};
    case Task::regression:
      return {constant(config.task, train, outputs), least_squares(train, outputs)};
    case Task::forecast:
    case Task::language_model:
      return {};
  }
  return {};
}

Metrics score_baseline(const Baseline& baseline, Task task, const LossSpec& loss,
                       const Dataset& data) {
  const Shape input = data.sample_shape();
  const auto outputs = static_cast<int64_t>(baseline.bias.size());
  // The same layer the logistic regression trained in, so that its figures here are those its
  // run computed, bit for bit; a constant is that layer with zero weights.
  Graph graph(linear_layers(input, outputs), input);
  const auto& params = graph.params();
  REDES_CHECK(params.size() == 2 && params[0].param->numel() == outputs * input.numel(), Error,
              "baseline '" + baseline.name + "' does not fit samples of shape " + input.str());
  REDES_CHECK(baseline.weight.empty() ||
                  static_cast<int64_t>(baseline.weight.size()) == params[0].param->numel(),
              Error,
              "baseline '" + baseline.name + "' has " + std::to_string(baseline.weight.size()) +
                  " weights for samples of shape " + input.str());
  float* w = params[0].param->value;
  if (baseline.weight.empty())
    std::fill(w, w + params[0].param->numel(), 0.0f);
  else
    std::copy(baseline.weight.begin(), baseline.weight.end(), w);
  std::copy(baseline.bias.begin(), baseline.bias.end(), params[1].param->value);
  auto l = make_loss<float>(loss);
  Trainer trainer(graph, *l, OptimizerSpec{}, ScheduleSpec{}, TrainSpec{}, task);
  return trainer.evaluate(data);
}

}  // namespace redes
