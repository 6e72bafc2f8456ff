// Baselines as a user meets them: summary.json carries them for binary, multiclass and regression
// tables and for images (small files the test writes), report.html shows them beside the
// network, `redes eval --baselines` scores them again on any data, and `[train] baselines =
// false` leaves them out.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/cli.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using redes::test::slurp;
using redes::test::write;

// The layers and training of every table config here: linear(8), relu, linear(units).
std::string network(int units, const std::string& loss) {
  return "[[layers]]\ntype = \"linear\"\nunits = 8\n\n[[layers]]\ntype = \"relu\"\n\n"
         "[[layers]]\ntype = \"linear\"\nunits = " +
         std::to_string(units) + "\n\n[loss]\ntype = \"" + loss +
         "\"\n\n[optimizer]\ntype = \"adam\"\nlr = 0.02\n\n[train]\nepochs = 20\nbatch_size = "
         "16\n";
}

// The row sums of a confusion matrix: how many samples of each class a split has.
std::vector<int64_t> class_counts(const json& confusion) {
  std::vector<int64_t> counts;
  for (const auto& row : confusion) {
    int64_t n = 0;
    for (const auto& c : row) n += c.get<int64_t>();
    counts.push_back(n);
  }
  return counts;
}

class BaselinesCli : public redes::test::CliTest {
 protected:
  json summary(const std::string& run) { return json::parse(slurp(dir_ / run / "summary.json")); }

  // The majority baseline scores the share of the test split that the training split's most
  // frequent class has; the network's figures give both splits' class counts.
  void expect_majority_share(const json& s) {
    const auto train = class_counts(s["train"]["confusion"]);
    const auto test = class_counts(s["test"]["confusion"]);
    const auto majority = std::max_element(train.begin(), train.end()) - train.begin();
    int64_t total = 0;
    for (auto n : test) total += n;
    EXPECT_DOUBLE_EQ(s["baselines"]["majority"]["accuracy"].get<double>(),
                     double(test[majority]) / total)
        << s["baselines"].dump();
  }
};

}  // namespace

TEST_F(BaselinesCli, BinaryTableReportsThemAndEvalScoresThemAgain) {
  redes::test::write_binary_table(dir_ / "d.csv", 300);  // y = 1 when x1 + x2 > 0: linear
  write(dir_ / "c.toml",
        "task = \"binary\"\nseed = 3\n[data]\npath = \"d.csv\"\nfeatures = [\"x1\", \"x2\", "
        "\"color\"]\ncategorical = [\"color\"]\ntarget = \"y\"\n\n" +
            network(1, "bce_logits"));
  auto r = redes("train c.toml --out run --threads 1");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("baselines, test accuracy: majority 0."), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(", logistic_regression "), std::string::npos) << r.err;
  const json s = summary("run");
  ASSERT_TRUE(s.contains("baselines")) << s.dump();
  for (const char* name : {"majority", "logistic_regression"})
    for (const char* k : {"accuracy", "precision", "recall", "f1", "roc_auc", "loss"})
      EXPECT_TRUE(s["baselines"][name].contains(k)) << name << " " << k;
  expect_majority_share(s);
  // The classes are split by a line: logistic regression finds it as well as the network.
  EXPECT_GE(s["baselines"]["logistic_regression"]["accuracy"].get<double>(), 0.95);
  EXPECT_EQ(s["baselines"]["logistic_regression"]["epochs"], 20);
  EXPECT_GE(s["baseline_seconds"].get<double>(), 0.0);
  const std::string report = slurp(dir_ / "run/report.html");
  for (const char* part : {"The network beside its baselines", ">logistic regression<",
                           ">majority<", "Test accuracy: the network and its baselines"})
    EXPECT_NE(report.find(part), std::string::npos) << part;

  // eval --baselines on the run's config scores them on its test split: the run's figures.
  r = redes("eval run/model.redes --config c.toml --baselines --json --threads 1");
  ASSERT_EQ(r.rc, 0) << r.err;
  const json e = json::parse(r.out);
  for (const char* name : {"majority", "logistic_regression"}) {
    EXPECT_EQ(e["baselines"][name]["accuracy"], s["baselines"][name]["accuracy"]) << name;
    EXPECT_EQ(e["baselines"][name]["confusion"], s["baselines"][name]["confusion"]) << name;
    EXPECT_NEAR(e["baselines"][name]["loss"].get<double>(),
                s["baselines"][name]["loss"].get<double>(), 1e-6);
  }
  EXPECT_EQ(e["accuracy"], s["test"]["accuracy"]);
  // On other data, as text: a line per baseline after the network's figures.
  redes::test::write_binary_table(dir_ / "more.csv", 120);
  r = redes("eval run/model.redes --data more.csv --baselines");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("accuracy "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nbaselines (fitted on the training split, scored on the same data):\n"
                       "logistic_regression: loss "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nmajority: loss "), std::string::npos) << r.out;
  // Without the flag, eval prints the network's figures only.
  r = redes("eval run/model.redes --data more.csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find("majority"), std::string::npos) << r.out;
}

TEST_F(BaselinesCli, MulticlassAndRegressionTables) {
  // Three classes by the sign of x1 and of x2 (a, b, c), and z = 3 x1 - 2 x2 + 5 exactly.
  std::ostringstream os;
  os << "x1,x2,label,z\n";
  for (int i = 0; i < 300; ++i) {
    const double a = ((i * 37) % 101) / 50.0 - 1, b = ((i * 59) % 103) / 51.0 - 1;
    os << a << "," << b << ","
       << (a < 0   ? "a"
           : b < 0 ? "b"
                   : "c")
       << "," << 3 * a - 2 * b + 5 << "\n";
  }
  write(dir_ / "d.csv", os.str());
  const std::string data = "[data]\npath = \"d.csv\"\nfeatures = [\"x1\", \"x2\"]\n";
  write(dir_ / "multi.toml", "task = \"multiclass\"\nseed = 2\n" + data + "target = \"label\"\n\n" +
                                 network(3, "softmax_cross_entropy"));
  write(dir_ / "reg.toml",
        "task = \"regression\"\nseed = 2\n" + data + "target = \"z\"\n\n" + network(1, "mse"));
  auto r = redes("train multi.toml --out multi --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  const json m = summary("multi");
  for (const char* name : {"majority", "logistic_regression"})
    for (const char* k : {"accuracy", "precision", "recall", "f1", "loss", "confusion"})
      EXPECT_TRUE(m["baselines"][name].contains(k)) << name << " " << k;
  expect_majority_share(m);
  EXPECT_GE(m["baselines"]["logistic_regression"]["accuracy"].get<double>(), 0.85);

  r = redes("train reg.toml --out reg --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  const json g = summary("reg");
  ASSERT_TRUE(g.contains("baselines")) << g.dump();
  EXPECT_EQ(g["baselines"].size(), 2u);
  // z is linear in the features: least squares has (next to) no error, the mean all of z's
  // spread.
  EXPECT_LT(g["baselines"]["linear_regression"]["rmse"].get<double>(), 1e-4);
  EXPECT_LT(g["baselines"]["linear_regression"]["mae"].get<double>(), 1e-4);
  EXPECT_GT(g["baselines"]["mean"]["rmse"].get<double>(), 1.0);
  EXPECT_TRUE(g["baselines"]["mean"].contains("loss"));
  const std::string report = slurp(dir_ / "reg/report.html");
  EXPECT_NE(report.find("Test rmse: the network and its baselines (lower is better)"),
            std::string::npos);
  r = redes("eval reg/model.redes --data d.csv --baselines --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const json e = json::parse(r.out);
  EXPECT_LT(e["baselines"]["linear_regression"]["rmse"].get<double>(), 1e-4) << r.out;
}

TEST_F(BaselinesCli, ImagesGetMajorityAndLogisticRegressionOnThePixels) {
  // IDX files of 8x8 images of 3 classes, a brighter square in a place of the class's own;
  // twice as many of class 0.
  const auto idx = [&](const std::string& stem, int n, int seed) {
    std::string images = {0, 0, 8, 3, 0, 0, 0, char(n), 0, 0, 0, 8, 0, 0, 0, 8};
    std::string labels = {0, 0, 8, 1, 0, 0, 0, char(n)};
    for (int i = 0; i < n; ++i) {
      const int c = i % 4 == 3 ? 2 : i % 4 == 2 ? 1 : 0;
      labels.push_back(char(c));
      for (int p = 0; p < 64; ++p) {
        const bool lit = p / 8 >= 2 * c && p / 8 < 2 * c + 3 && p % 8 >= 2 && p % 8 < 6;
        images.push_back(char((lit ? 180 : 40) + (p * 13 + i * 7 + seed) % 30));
      }
    }
    write(dir_ / (stem + "-images.idx"), images);
    write(dir_ / (stem + "-labels.idx"), labels);
  };
  idx("train", 120, 1);
  idx("test", 40, 2);
  write(dir_ / "img.toml",
        "task = \"multiclass\"\nseed = 1\n[data]\nkind = \"images\"\nformat = \"idx\"\n"
        "train_images = \"train-images.idx\"\ntrain_labels = \"train-labels.idx\"\n"
        "test_images = \"test-images.idx\"\ntest_labels = \"test-labels.idx\"\nmean = [0.3]\n"
        "std = [0.25]\n[data.augment]\nshift_pixels = 1\n\n[[layers]]\ntype = \"flatten\"\n\n"
        "[[layers]]\ntype = \"linear\"\nunits = 16\n\n[[layers]]\ntype = \"relu\"\n\n"
        "[[layers]]\ntype = \"linear\"\nunits = 3\n\n[optimizer]\ntype = \"adam\"\nlr = 0.01\n\n"
        "[train]\nepochs = 5\nbatch_size = 16\n");
  auto r = redes("train img.toml --out run --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  const json s = summary("run");
  ASSERT_TRUE(s.contains("baselines")) << s.dump();
  expect_majority_share(s);
  EXPECT_DOUBLE_EQ(s["baselines"]["majority"]["accuracy"].get<double>(), 0.5);
  // The classes differ in where the bright square is: a linear map of the pixels tells them.
  EXPECT_EQ(s["baselines"]["logistic_regression"]["accuracy"].get<double>(), 1.0);
  EXPECT_EQ(s["baselines"]["logistic_regression"]["epochs"], 5);
  // eval on the config's test split: the run's figures again.
  r = redes("eval run/model.redes --config img.toml --baselines --json --threads 1");
  ASSERT_EQ(r.rc, 0) << r.err;
  const json e = json::parse(r.out);
  EXPECT_EQ(e["baselines"]["logistic_regression"]["confusion"],
            s["baselines"]["logistic_regression"]["confusion"]);
  EXPECT_EQ(e["baselines"]["majority"]["accuracy"], s["baselines"]["majority"]["accuracy"]);
}

TEST_F(BaselinesCli, ConfigTurnsThemOffAndEvalSaysSo) {
  redes::test::write_binary_table(dir_ / "d.csv", 200);
  const std::string config =
      "task = \"binary\"\nseed = 3\n[data]\npath = \"d.csv\"\nfeatures = [\"x1\", \"x2\"]\n"
      "target = \"y\"\n\n" +
      network(1, "bce_logits");
  write(dir_ / "off.toml", config + "baselines = false\n");
  auto r = redes("train off.toml --out off --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  const json s = summary("off");
  EXPECT_FALSE(s.contains("baselines")) << s.dump();
  EXPECT_FALSE(s.contains("baseline_seconds"));
  EXPECT_EQ(slurp(dir_ / "off/report.html").find("its baselines"), std::string::npos);
  expect_clear_error(redes("eval off/model.redes --data d.csv --baselines"), "off/model.redes",
                     "no baselines are stored with this model");
  // The key is checked as the others are.
  write(dir_ / "bad.toml", config + "baselines = \"no\"\n");
  expect_clear_error(redes("train bad.toml --out bad --quiet"), "bad.toml:", "'baselines'");
}
