#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>
#include <tuple>

#include "redes/images.hpp"
#include "redes/model.hpp"
#include "redes/threads.hpp"
#include "redes/train.hpp"

using namespace redes;

namespace {

std::vector<LayerSpec> mlp(double dropout = 0) {
  std::vector<LayerSpec> v{layer("linear", {{"units", 16}}, "fc1"),
                           layer("relu", nlohmann::json::object(), "act1")};
  if (dropout > 0) v.push_back(layer("dropout", {{"rate", dropout}}, "drop"));
  v.push_back(layer("linear", {{"units", 1}}, "out"));
  return v;
}

// Two noisy Gaussian blobs in 2-d: a task a small MLP learns to ~95%.
TensorDataset blobs(int64_t n, uint64_t seed) {
  Rng rng(seed);
  Tensor x(Shape{n, 2}), y(Shape{n, 1});
  for (int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 2);
    x[2 * i] = static_cast<float>(rng.normal() + (c ? 1.5 : -1.5));
    x[2 * i + 1] = static_cast<float>(rng.normal() + (c ? 1.0 : -1.0));
    y[i] = static_cast<float>(c);
  }
  return TensorDataset(std::move(x), std::move(y));
}

std::vector<float> graph_state(const Graph& g) {
  std::vector<float> v;
  for (const auto& p : g.state())
    v.insert(v.end(), p.param->value, p.param->value + p.param->numel());
  return v;
}

struct Fit {
  std::vector<EpochLog> logs;
  std::vector<float> weights;
  Metrics val;
  int best_epoch;
  bool stopped;
};

Fit fit(TrainSpec ts, uint64_t seed, double dropout = 0, OptimizerSpec os = {}) {
  Graph g(mlp(dropout), Shape{2});
  Rng rng(seed);
  Rng init = rng.split();
  g.init(init);
  auto loss = make_loss<float>(LossSpec{});
  auto train = blobs(200, 1), val = blobs(100, 2);
  Trainer t(g, *loss, os, ScheduleSpec{}, ts, Task::binary);
  Fit f;
  f.logs = t.fit(train, &val, rng, nullptr);
  f.weights.assign(g.values().begin(), g.values().end());
  f.val = t.evaluate(val);
  f.best_epoch = t.best_epoch();
  f.stopped = t.stopped_early();
  return f;
}

}  // namespace

// Thread shares: with enough work per share (a 2 -> 512 -> 512 -> 1 network, batches of 64),
// each of two threads runs its half of every batch through a replica of the graph. The weights
// and losses after 3 epochs are one thread's (layer by layer) up to rounding; with dropout (each
// share draws its own masks), two runs give the same bits. The cars-sized network of the other
// tests stays layer by layer.
TEST(Trainer, ThreadSharesMatchOneThreadAndRepeat) {
  const auto run = [](int threads, double dropout) {
    std::vector<LayerSpec> specs{
        layer("linear", {{"units", 512}}, "fc1"), layer("relu", nlohmann::json::object(), "act1"),
        layer("linear", {{"units", 512}}, "fc2"), layer("relu", nlohmann::json::object(), "act2")};
    if (dropout > 0) specs.push_back(layer("dropout", {{"rate", dropout}}, "drop"));
    specs.push_back(layer("linear", {{"units", 1}}, "out"));
    set_num_threads(threads);
    Graph g(specs, Shape{2});
    Rng rng(5);
    Rng init = rng.split();
    g.init(init);
    auto loss = make_loss<float>(LossSpec{});
    auto train = blobs(200, 1);  // 4 batches, the last of 8
    TrainSpec ts;
    ts.epochs = 3, ts.batch_size = 64;
    Trainer t(g, *loss, OptimizerSpec{}, ScheduleSpec{}, ts, Task::binary);
    const auto logs = t.fit(train, nullptr, rng, nullptr);
    set_num_threads(0);
    return std::make_tuple(t.thread_shares(),
                           std::vector<float>(g.values().begin(), g.values().end()),
                           logs.back().train.loss);
  };
  const auto [one, w1, loss1] = run(1, 0.0);
  const auto [two, w2, loss2] = run(2, 0.0);
  EXPECT_EQ(one, 1);
  EXPECT_EQ(two, 2);
  ASSERT_EQ(w1.size(), w2.size());
  for (size_t i = 0; i < w1.size(); ++i) ASSERT_NEAR(w1[i], w2[i], 1e-5) << i;
  EXPECT_NEAR(loss1, loss2, 1e-5);
  const auto [s1, d1, l1] = run(2, 0.5);
  const auto [s2, d2, l2] = run(2, 0.5);
  EXPECT_EQ(s1, 2);
  EXPECT_EQ(d1, d2);
  EXPECT_EQ(l1, l2);
  EXPECT_NE(d1, w2);  // dropout did something
  // Too little work per share: layer by layer.
  set_num_threads(2);
  Graph small(mlp(), Shape{2});
  Rng rng(1);
  small.init(rng);
  auto loss = make_loss<float>(LossSpec{});
  TrainSpec ts;
  ts.epochs = 1, ts.batch_size = 64;
  Trainer t(small, *loss, OptimizerSpec{}, ScheduleSpec{}, ts, Task::binary);
  auto train = blobs(200, 1);
  t.fit(train, nullptr, rng, nullptr);
  set_num_threads(0);
  EXPECT_EQ(t.thread_shares(), 1);
}

TEST(Trainer, LearnsTwoBlobs) {
  TrainSpec ts;
  ts.epochs = 30;
  ts.batch_size = 16;
  OptimizerSpec os;
  os.lr = 0.01;
  Fit f = fit(ts, 3, 0.0, os);
  EXPECT_GT(f.val.values["accuracy"], 0.9);
  EXPECT_LT(f.logs.back().train.loss, f.logs.front().train.loss);
  ASSERT_EQ(f.logs.size(), 30u);
}

TEST(Trainer, SameSeedSameWeightsBitForBit) {
  TrainSpec ts;
  ts.epochs = 5;
  Fit a = fit(ts, 7, 0.3), b = fit(ts, 7, 0.3), c = fit(ts, 8, 0.3);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_NE(a.weights, c.weights);
}

TEST(Trainer, EarlyStoppingRestoresTheBestEpoch) {
  TrainSpec ts;
  ts.epochs = 200;
  ts.batch_size = 8;
  ts.early_stopping.enabled = true;
  ts.early_stopping.patience = 3;
  ts.early_stopping.min_delta = 1e-3;
  OptimizerSpec os;
  os.lr = 0.05;
  Fit f = fit(ts, 5, 0.0, os);
  ASSERT_TRUE(f.stopped);
  EXPECT_LT(f.logs.size(), 200u);
  EXPECT_EQ(f.logs.size(), static_cast<size_t>(f.best_epoch + 3));
  // The weights left are those of the best epoch: their validation loss is the one logged then.
  EXPECT_FLOAT_EQ(f.val.loss, f.logs[f.best_epoch - 1].val->loss);
}

TEST(Trainer, EarlyStoppingNeedsValidationAndAKnownMetric) {
  Graph g(mlp(), Shape{2});
  Rng rng(1);
  g.init(rng);
  auto loss = make_loss<float>(LossSpec{});
  auto train = blobs(20, 1);
  TrainSpec ts;
  ts.early_stopping.enabled = true;
  Trainer t(g, *loss, OptimizerSpec{}, ScheduleSpec{}, ts, Task::binary);
  EXPECT_THROW(t.fit(train, nullptr, rng, nullptr), ConfigError);
  ts.early_stopping.monitor = "val_rmse";
  Trainer t2(g, *loss, OptimizerSpec{}, ScheduleSpec{}, ts, Task::binary);
  try {
    t2.fit(train, &train, rng, nullptr);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("val_accuracy"), std::string::npos) << e.what();
  }
}

TEST(Trainer, DivergingLossIsAClearError) {
  Graph g(mlp(), Shape{2});
  Rng rng(1);
  g.init(rng);
  LossSpec ls;
  ls.kind = "mse";
  auto loss = make_loss<float>(ls);
  auto train = blobs(64, 1);
  OptimizerSpec os;
  os.kind = "sgd";
  os.lr = 1e6;
  TrainSpec ts;
  ts.epochs = 50;
  Trainer t(g, *loss, os, ScheduleSpec{}, ts, Task::regression);
  try {
    t.fit(train, nullptr, rng, nullptr);
    FAIL() << "expected Diverged";
  } catch (const Diverged& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(msg.starts_with("training diverged at epoch ")) << msg;
    EXPECT_NE(msg.find("the first NaN or infinity is in "), std::string::npos) << msg;
    EXPECT_NE(msg.find("lower the learning rate"), std::string::npos) << msg;
  }
}

namespace {

// Mean squared error that goes bad at one call: its loss is NaN, or its gradient infinite.
class FailingLoss : public Loss<float> {
 public:
  FailingLoss(int bad_call, bool in_gradient) : bad_call_(bad_call), in_gradient_(in_gradient) {}
  std::string_view kind() const override { return "failing"; }
  float forward(TensorView<const float> pred, TensorView<const float> target) override {
    ++calls_;
    if (calls_ == bad_call_ && !in_gradient_) return NAN;
    return mse_->forward(pred, target);
  }
  void backward(TensorView<const float> pred, TensorView<const float> target, float scale,
                TensorView<float> grad) override {
    mse_->backward(pred, target, scale, grad);
    if (calls_ == bad_call_ && in_gradient_) grad.data()[0] = INFINITY;
  }

 private:
  std::unique_ptr<Loss<float>> mse_ = make_loss<float>(LossSpec{"mse", {}, 1.0});
  int calls_ = 0, bad_call_;
  bool in_gradient_;
};

}  // namespace

// A NaN loss or an infinite gradient at epoch 2, batch 3 stops the training before that
// batch's step, naming where the bad numbers are; the last checkpoint written is of the batch
// before, with the weights the graph still holds.
TEST(Trainer, NonFiniteLossOrGradientStopsBeforeTheStepAndKeepsTheLastCheckpoint) {
  for (const bool in_gradient : {false, true}) {
    Graph g(mlp(), Shape{2});
    Rng rng(1);
    Rng init = rng.split();
    g.init(init);
    auto train = blobs(64, 1);  // 4 batches of 16
    TrainSpec ts;
    ts.epochs = 3, ts.batch_size = 16;
    FailingLoss loss(4 + 3, in_gradient);
    Trainer t(g, loss, OptimizerSpec{}, ScheduleSpec{}, ts, Task::regression);
    Checkpointing c;
    c.every_batches = 1;
    std::vector<std::pair<TrainState, std::vector<float>>> written;
    c.write = [&](const TrainState& st) { written.emplace_back(st, graph_state(g)); };
    try {
      t.fit(train, nullptr, rng, nullptr, &c);
      FAIL() << "expected Diverged";
    } catch (const Diverged& e) {
      const std::string msg = e.what();
      const std::string what = in_gradient
                                   ? "a gradient is not finite; the first NaN or infinity is in "
                                     "the gradient at the output of layer 'out' (linear)"
                                   : "the loss is NaN (the outputs are finite, up to ";
      EXPECT_TRUE(msg.starts_with("training diverged at epoch 2, batch 3 of 4: " + what)) << msg;
    }
    ASSERT_FALSE(written.empty());
    EXPECT_EQ(written.back().first.epoch, 2);
    EXPECT_EQ(written.back().first.batch, 2);
    EXPECT_EQ(written.back().second, graph_state(g));
    for (float v : written.back().second) ASSERT_TRUE(std::isfinite(v));
  }
}

// With augmentation the next batch is gathered on another thread while one trains: the
// weights come out bit-identical to gathering each batch in turn on the training thread.
namespace {

class Forwarding : public Dataset {
 public:
  Forwarding(const Dataset& d, bool prefetch) : d_(d), prefetch_(prefetch) {}
  int64_t size() const override { return d_.size(); }
  Shape sample_shape() const override { return d_.sample_shape(); }
  Shape target_shape() const override { return d_.target_shape(); }
  void gather(std::span<const int64_t> rows, Tensor& x, Tensor& y, bool training) const override {
    if (training && std::this_thread::get_id() != main_) ++aside_;
    d_.gather(rows, x, y, training);
  }
  bool worth_prefetching() const override { return prefetch_; }
  mutable std::atomic<int> aside_{0};  // training batches gathered off the training thread

 private:
  const Dataset& d_;
  bool prefetch_;
  std::thread::id main_ = std::this_thread::get_id();
};

}  // namespace

TEST(Trainer, PrefetchedAugmentedBatchesTrainTheSame) {
  auto set = std::make_shared<ImageSet>();
  set->source = "test-images";
  set->channels = 1, set->height = set->width = 6;
  Rng pixels(5);
  for (int i = 0; i < 40; ++i) {
    for (int p = 0; p < 36; ++p)
      set->pixels.push_back(static_cast<uint8_t>(pixels.uniform() * 256));
    set->labels.push_back(i % 3);
  }
  std::vector<int64_t> rows(40);
  for (int i = 0; i < 40; ++i) rows[i] = i;
  AugmentSpec augment;
  augment.rotate_degrees = 15, augment.shift_pixels = 1, augment.noise_std = 0.05;
  augment.flip_horizontal = true;
  std::vector<float> weights[2];
  for (bool prefetch : {false, true}) {
    ImageDataset images(set, rows, {0.5}, {0.25}, augment, 9);
    Forwarding train(images, prefetch);
    Graph g({layer("conv2d", {{"filters", 2}, {"kernel", 3}}, "conv"),
             layer("relu", nlohmann::json::object(), "act"),
             layer("flatten", nlohmann::json::object(), "flat"),
             layer("linear", {{"units", 3}}, "out")},
            Shape{1, 6, 6});
    Rng rng(3);
    Rng init = rng.split();
    g.init(init);
    auto loss = make_loss<float>(LossSpec{"softmax_cross_entropy"});
    TrainSpec ts;
    ts.epochs = 3, ts.batch_size = 8;
    Trainer t(g, *loss, OptimizerSpec{}, ScheduleSpec{}, ts, Task::multiclass);
    t.fit(train, nullptr, rng, nullptr);
    weights[prefetch].assign(g.values().begin(), g.values().end());
    EXPECT_EQ(train.aside_ > 0, prefetch);
  }
  EXPECT_EQ(weights[0], weights[1]);
}

// A training resumed from any of its checkpoints ends with the same weights, bit for bit, as
// the training that was never stopped: mid-epoch and at epoch ends, with shuffling, dropout,
// momentum, a schedule and validation (blobs), and with augmentation gathered on the prefetch
// thread and Adam (images).
namespace {

void set_graph_state(Graph& g, const std::vector<float>& v) {
  size_t at = 0;
  for (const auto& p : g.state()) {
    std::copy_n(v.data() + at, p.param->numel(), p.param->value);
    at += p.param->numel();
  }
}

struct Setup {
  std::vector<LayerSpec> layers;
  Shape input;
  const Dataset& train;
  const Dataset* val;
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  TrainSpec ts;
  Task task;
  LossSpec loss;
};

void expect_resumes_bit_identical(const Setup& s) {
  const auto run = [&](const TrainState* resume, const std::vector<float>* weights,
                       std::vector<std::pair<TrainState, std::vector<float>>>* saved) {
    Graph g(s.layers, s.input);
    Rng rng(11);
    Rng init = rng.split();
    g.init(init);
    if (weights) set_graph_state(g, *weights);
    auto loss = make_loss<float>(s.loss);
    Trainer t(g, *loss, s.optimizer, s.schedule, s.ts, s.task);
    Checkpointing c;
    c.every_batches = 3;
    c.resume = resume;
    c.write = [&](const TrainState& st) {
      if (saved) saved->emplace_back(st, graph_state(g));
    };
    const auto logs = t.fit(s.train, s.val, rng, nullptr, &c);
    return std::make_pair(graph_state(g), logs);
  };
  std::vector<std::pair<TrainState, std::vector<float>>> saved;
  const auto [whole, whole_logs] = run(nullptr, nullptr, &saved);
  ASSERT_GT(saved.size(), 4u);
  for (size_t k = 0; k + 1 < saved.size(); ++k) {  // the last is after the last epoch
    const auto [resumed, logs] = run(&saved[k].first, &saved[k].second, nullptr);
    EXPECT_EQ(resumed, whole) << "resumed from checkpoint " << k << ": epoch "
                              << saved[k].first.epoch << ", batch " << saved[k].first.batch;
    ASSERT_EQ(logs.size(), whole_logs.size());
    EXPECT_EQ(logs.back().train.loss, whole_logs.back().train.loss);
    EXPECT_EQ(logs.back().val->loss, whole_logs.back().val->loss);
  }
}

}  // namespace

TEST(Trainer, ResumedFromAnyCheckpointEndsBitIdentical) {
  const auto train = blobs(100, 1), val = blobs(40, 2);
  OptimizerSpec sgd;
  sgd.kind = "sgd", sgd.lr = 0.05, sgd.momentum = 0.9;
  ScheduleSpec step;
  step.kind = "step", step.step_size = 1, step.gamma = 0.7;
  TrainSpec ts;
  ts.epochs = 3, ts.batch_size = 16;
  expect_resumes_bit_identical(
      {mlp(0.3), Shape{2}, train, &val, sgd, step, ts, Task::binary, LossSpec{}});
}

TEST(Trainer, ResumedAugmentedTrainingEndsBitIdentical) {
  auto set = std::make_shared<ImageSet>();
  set->source = "test-images";
  set->channels = 1, set->height = set->width = 6;
  Rng pixels(5);
  for (int i = 0; i < 40; ++i) {
    for (int p = 0; p < 36; ++p)
      set->pixels.push_back(static_cast<uint8_t>(pixels.uniform() * 256));
    set->labels.push_back(i % 3);
  }
  std::vector<int64_t> rows(32), val_rows(8);
  for (int i = 0; i < 32; ++i) rows[i] = i;
  for (int i = 0; i < 8; ++i) val_rows[i] = 32 + i;
  AugmentSpec augment;
  augment.rotate_degrees = 15, augment.shift_pixels = 1, augment.noise_std = 0.05;
  augment.flip_horizontal = true;
  const ImageDataset train(set, rows, {0.5}, {0.25}, augment, 9),
      val(set, val_rows, {0.5}, {0.25}, {}, 0);
  ASSERT_TRUE(train.worth_prefetching());
  TrainSpec ts;
  ts.epochs = 3, ts.batch_size = 5;
  expect_resumes_bit_identical(
      {{layer("conv2d", {{"filters", 2}, {"kernel", 3}}, "conv"),
        layer("relu", nlohmann::json::object(), "act"),
        layer("flatten", nlohmann::json::object(), "flat"),
        layer("dropout", {{"rate", 0.2}}, "drop"), layer("linear", {{"units", 3}}, "out")},
       Shape{1, 6, 6},
       train,
       &val,
       OptimizerSpec{},
       ScheduleSpec{},
       ts,
       Task::multiclass,
       LossSpec{"softmax_cross_entropy"}});
}

// Checkpoints by time: with every_seconds tiny, one after every batch (and at each epoch's end);
// never more often than 20 times a write's duration, so a slow write spaces them out. The clock
// is the test's own: each batch takes 1 s of it (when its data is gathered) and each write what
// the test says, so what is due never depends on the machine's speed or load.
TEST(Trainer, CheckpointsByTimeAreSpacedByTheirOwnCost) {
  struct Timed : TensorDataset {
    double* clock;
    Timed(TensorDataset d, double* c) : TensorDataset(std::move(d)), clock(c) {}
    void gather(std::span<const int64_t> rows, Tensor& x, Tensor& y, bool training) const override {
      *clock += 1;
      TensorDataset::gather(rows, x, y, training);
    }
  };
  const auto count_writes = [](double write_seconds) {
    Graph g(mlp(), Shape{2});
    Rng rng(1);
    Rng init = rng.split();
    g.init(init);
    auto loss = make_loss<float>(LossSpec{});
    double clock = 0;
    const Timed train(blobs(4 * 16, 1), &clock);
    TrainSpec ts;
    ts.epochs = 2, ts.batch_size = 16;
    Trainer t(g, *loss, OptimizerSpec{}, ScheduleSpec{}, ts, Task::binary);
    Checkpointing c;
    c.every_seconds = 1e-9;
    c.clock = [&] { return clock; };
    int writes = 0;
    c.write = [&](const TrainState&) {
      ++writes;
      clock += write_seconds;
    };
    t.fit(train, nullptr, rng, nullptr, &c);
    return writes;
  };
  EXPECT_EQ(count_writes(0), 2 * 4);  // 3 within each epoch, 1 at its end
  // A write of 1 s: after the first (batch 1), the next by time is due 20 s later, and the
  // 8 batches take 8 s: then only the epochs' ends.
  EXPECT_EQ(count_writes(1), 1 + 2);
  // A write of 1/16 s: one by time at most every 1.25 s, so every other batch (batches 1 and 3
  // of the first epoch, 2 of the second), and the epochs' ends.
  EXPECT_EQ(count_writes(0.0625), 2 + 1 + 2);
}
