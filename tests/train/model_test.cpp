// redes::Model as a library user meets it: build and fit in code, save and load, predict for
// each kind of data, from several threads at once; and model files of format version 1.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "redes/model_file.hpp"
#include "redes/npy.hpp"
#include "redes/run.hpp"
#include "redes/threads.hpp"

using namespace redes;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(REDES_SOURCE_DIR) / "tests/io/fixtures";

fs::path temp_dir() {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("redes_model_test_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// Two noisy Gaussian blobs in 2-d, x (n, 2) and y (n, 1).
void blobs(int64_t n, uint64_t seed, Tensor& x, Tensor& y) {
  Rng rng(seed);
  x = Tensor(Shape{n, 2});
  y = Tensor(Shape{n, 1});
  for (int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 2);
    x[2 * i] = static_cast<float>(rng.normal() + (c ? 1.5 : -1.5));
    x[2 * i + 1] = static_cast<float>(rng.normal() + (c ? 1.0 : -1.0));
    y[i] = static_cast<float>(c);
  }
}

Model mlp() {
  return Model::build(
      Task::binary, Shape{2},
      {layer("linear", {{"units", 16}}), layer("relu"), layer("linear", {{"units", 1}})}, 7);
}

// A small image classifier on (1, 8, 8) with random weights.
Model convnet() {
  return Model::build(
      Task::multiclass, Shape{1, 8, 8},
      {layer("conv2d", {{"filters", 4}, {"kernel", 3}}), layer("relu"),
       layer("max_pool2d", {{"kernel", 2}}), layer("flatten"), layer("linear", {{"units", 3}})},
      3);
}

std::vector<std::vector<std::string>> read_csv(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace

TEST(Model, BuildFitSaveLoadPredict) {
  Tensor x, y, vx, vy;
  blobs(200, 1, x, y);
  blobs(100, 2, vx, vy);
  Model m = mlp();
  EXPECT_EQ(m.task(), Task::binary);
  EXPECT_EQ(m.kind(), DataKind::table);
  EXPECT_EQ(m.input_shape(), Shape({2}));
  EXPECT_EQ(m.classes(), (std::vector<std::string>{"0", "1"}));

  FitOptions o;
  o.train.epochs = 20;
  o.optimizer.lr = 0.01;
  int calls = 0;
  const auto logs = m.fit(
      x, y, o, [&](const EpochLog& e) { EXPECT_EQ(e.epoch, ++calls); }, vx, vy);
  EXPECT_EQ(calls, 20);
  ASSERT_EQ(logs.size(), 20u);
  ASSERT_TRUE(logs.back().val.has_value());
  EXPECT_GT(logs.back().val->values.at("accuracy"), 0.9);

  const Tensor p = m.predict(vx);
  ASSERT_EQ(p.shape(), Shape({100, 1}));
  int correct = 0;
  for (int64_t i = 0; i < 100; ++i) {
    EXPECT_GE(p[i], 0.0f);
    EXPECT_LE(p[i], 1.0f);
    correct += (p[i] >= 0.5f) == (vy[i] > 0.5f);
  }
  EXPECT_GT(correct, 90);

  const std::string path = (temp_dir() / "mlp.redes").string();
  m.save(path);
  const Model back = Model::load(path);
  EXPECT_EQ(back.task(), Task::binary);
  EXPECT_EQ(back.kind(), DataKind::table);
  EXPECT_EQ(back.predict(vx).values(), p.values());  // bit for bit
  EXPECT_NE(back.summary().find("binary model on table data"), std::string::npos) << back.summary();
}

TEST(Model, FitChangesWhatPredictSees) {
  // Predictions made before fit use replicas of the old weights; fit must retire them.
  Tensor x, y;
  blobs(100, 1, x, y);
  Model m = mlp();
  const Tensor before = m.predict(x);
  FitOptions o;
  o.train.epochs = 3;
  m.fit(x, y, o);
  EXPECT_NE(m.predict(x).values(), before.values());
}

TEST(Model, BuildChecksTheOutputAgainstTheTask) {
  const std::string msg = [] {
    try {
      Model::build(Task::binary, Shape{2}, {layer("linear", {{"units", 3}})});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  }();
  EXPECT_NE(msg.find("a binary task needs 1"), std::string::npos) << msg;
  EXPECT_THROW(Model::build(Task::forecast, Shape{4, 1}, {layer("linear", {{"units", 1}})}),
               ConfigError);
}

TEST(Model, PredictRejectsWrongShapes) {
  const Model m = mlp();
  Tensor bad(Shape{4, 3});
  try {
    m.predict(bad);
    FAIL() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "the model takes float inputs of shape (N, 2), got (4, 3)");
  }
  EXPECT_THROW(m.predict(Tensor(Shape{2})), ShapeError);  // no batch dimension
  EXPECT_EQ(m.predict(Tensor(Shape{0, 2})).shape(), Shape({0, 1}));
  EXPECT_THROW(m.predict_table("nope.csv"), Error);  // built in code: no table preprocessing
}

TEST(Model, ImagesTakeUint8PixelsOrFloatsInZeroOne) {
  const Model m = convnet();
  EXPECT_EQ(m.kind(), DataKind::images);
  BasicTensor<uint8_t> px(Shape{5, 1, 8, 8});
  Tensor f(Shape{5, 1, 8, 8});
  for (int64_t i = 0; i < px.numel(); ++i) {
    px[i] = static_cast<uint8_t>((i * 37) % 256);
    f[i] = px[i] / 255.0f;
  }
  const Tensor a = m.predict(px.view()), b = m.predict(f);
  ASSERT_EQ(a.shape(), Shape({5, 3}));
  for (int64_t n = 0; n < 5; ++n) {
    double sum = 0;
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(a[n * 3 + k], b[n * 3 + k], 1e-6);
      sum += a[n * 3 + k];
    }
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

TEST(Model, ConcurrentPredictsEqualSerialOnes) {
  const Model m = convnet();
  Tensor x(Shape{300, 1, 8, 8});  // more than one batch of 256
  Rng rng(5);
  for (auto& v : x.values()) v = static_cast<float>(rng.uniform());
  // New threads start with OpenMP's default count; predict runs with the one chosen here.
  for (int n : {1, 2, 3}) {
    set_num_threads(n);
    const Tensor serial = m.predict(x);
    std::vector<Tensor> got(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int rep = 0; rep < 20; ++rep) got[t] = m.predict(x);
      });
    for (auto& th : threads) th.join();
    for (const auto& g : got) EXPECT_EQ(g.values(), serial.values()) << n << " threads";
    int seen = 0;
    std::thread([&] {
      m.predict(x);
      seen = num_threads();
    }).join();
    EXPECT_EQ(seen, n);
  }
  set_num_threads(0);
}

TEST(ModelFileVersion1, TableModelLoadsAndPredictsAsItDid) {
  const Model m = Model::load((kFixtures / "v1_table.redes").string());
  EXPECT_EQ(m.task(), Task::binary);
  EXPECT_EQ(m.kind(), DataKind::table);  // version 1 did not say so for tables
  EXPECT_EQ(m.classes(), (std::vector<std::string>{"0", "1"}));
  std::vector<int64_t> rows;
  const Tensor p = m.predict_table((kFixtures / "v1_table_input.csv").string(), &rows);
  // What redes 0.1 wrote for the same rows (redes predict, 7 digits).
  const auto want = read_csv(kFixtures / "v1_table_predictions.csv");
  ASSERT_EQ(static_cast<size_t>(p.dim(0)) + 1, want.size());
  for (int64_t i = 0; i < p.dim(0); ++i) EXPECT_NEAR(p[i], std::stod(want[i + 1][1]), 2e-7);

  // Saved again, it is a version-2 file that says what it is.
  const std::string path = (temp_dir() / "v2.redes").string();
  m.save(path);
  const Model again = Model::load(path);
  EXPECT_EQ(again.meta.at("kind"), "table");
  EXPECT_EQ(again.predict_table((kFixtures / "v1_table_input.csv").string()).values(), p.values());
}

// Version 2 (redes 0.2; tests/io/fixtures/v2_images.toml says how it was written): a convnet
// with batchnorm's running statistics, predicting on uint8 pixels as it did.
TEST(ModelFileVersion2, ImageModelLoadsAndPredictsAsItDid) {
  const Model m = Model::load((kFixtures / "v2_images.redes").string());
  EXPECT_EQ(m.task(), Task::multiclass);
  EXPECT_EQ(m.kind(), DataKind::images);
  EXPECT_EQ(m.input_shape(), Shape({1, 28, 28}));
  EXPECT_EQ(m.classes().size(), 10u);
  EXPECT_EQ(m.classes().front(), "T-shirt/top");
  const NpyArray x = read_npy((kFixtures / "v2_images_input.npy").string());
  ASSERT_EQ(x.shape, Shape({6, 1, 28, 28}));
  const Tensor p = m.predict(TensorView<const uint8_t>(x.bytes.data(), x.shape));
  const NpyArray want = read_npy((kFixtures / "v2_images_predictions.npy").string());
  ASSERT_EQ(p.shape(), want.shape);
  for (int64_t i = 0; i < p.numel(); ++i) EXPECT_NEAR(p[i], want.floats[i], 1e-6) << i;
}

TEST(ModelFileVersion1, SeriesModelForecastsAsItDid) {
  const Model m = Model::load((kFixtures / "v1_series.redes").string());
  EXPECT_EQ(m.task(), Task::forecast);
  EXPECT_EQ(m.kind(), DataKind::series);
  EXPECT_EQ(m.input_shape(), Shape({7, 1}));  // look-back 6, one more row for diff
  const Forecast f = m.forecast((kFixtures / "v1_series_input.csv").string(), 3);
  const auto want = read_csv(kFixtures / "v1_series_forecast.csv");
  ASSERT_EQ(f.values.size() + 1, want.size());
  for (size_t h = 0; h < f.values.size(); ++h) {
    EXPECT_EQ(f.times[h], want[h + 1][0]);
    EXPECT_NEAR(f.values[h], std::stod(want[h + 1][1]), 1e-6);
  }
  // predict() on the series' last rows (in its own units) is the first forecast.
  const auto series = read_csv(kFixtures / "v1_series_input.csv");
  Tensor x(Shape{1, 7, 1});
  for (int i = 0; i < 7; ++i) x[i] = std::stof(series[series.size() - 7 + i][1]);
  const Tensor p = m.predict(x);
  ASSERT_EQ(p.shape(), Shape({1, 1}));
  EXPECT_NEAR(p[0], f.values[0], 1e-4);
}
