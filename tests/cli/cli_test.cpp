// Drives build/redes as a user would: a small training run end to end, and every kind of bad
// input, which must end with one clear line naming the file and the problem, and exit 1.
#include "support/cli.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "redes/npy.hpp"

namespace fs = std::filesystem;

namespace {

using redes::test::slurp;
using redes::test::without_run_id;
using redes::test::write;

class Cli : public redes::test::CliTest {
 protected:
  void write_data(const std::string& name, int rows) {
    redes::test::write_binary_table(dir_ / name, rows);
  }

  void write_config(const std::string& name, const std::string& data,
                    const std::string& extra = "") {
    write(dir_ / name,
          "task = \"binary\"\nseed = 3\n" + extra + "[data]\npath = \"" + data +
              "\"\nfeatures = [\"x1\", \"x2\", \"color\"]\ncategorical = [\"color\"]\n"
              "target = \"y\"\n\n[[layers]]\ntype = \"linear\"\nunits = 8\n\n[[layers]]\n"
              "type = \"relu\"\n\n[[layers]]\ntype = \"linear\"\nunits = 1\n\n[loss]\n"
              "type = \"bce_logits\"\n\n[optimizer]\ntype = \"adam\"\nlr = 0.02\n\n[train]\n"
              "epochs = 30\nbatch_size = 16\n");
  }
};

}  // namespace

TEST_F(Cli, HelpAndVersion) {
  auto r = redes("--help");
  EXPECT_EQ(r.rc, 0);
  for (const char* sub : {"train", "eval", "predict"})
    EXPECT_NE(r.out.find(sub), std::string::npos) << r.out;
  r = redes("train --help");
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("--epochs"), std::string::npos);
  r = redes("--version");
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("redes "), std::string::npos);
}

TEST_F(Cli, TrainEvalPredictEndToEnd) {
  write_data("d.csv", 300);
  write_config("c.toml", "d.csv");
  auto r = redes("train c.toml --out run --threads 1");
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* f : {"model.redes", "metrics.csv", "summary.json", "config.toml", "report.html"})
    EXPECT_TRUE(fs::exists(dir_ / "run" / f)) << f;
  const std::string summary = slurp(dir_ / "run/summary.json");
  for (const char* k :
       {"\"task\"", "\"epochs\": 30", "\"seconds_per_epoch\"", "\"test\"", "\"accuracy\"",
        "\"precision\"", "\"recall\"", "\"f1\"", "\"loss\"", "\"epoch_loss\""})
    EXPECT_NE(summary.find(k), std::string::npos) << k << " not in " << summary;
  // The final model on the training split: the task's metrics, in evaluation mode.
  const auto figures = nlohmann::json::parse(summary);
  EXPECT_GT(figures["train"]["accuracy"].get<double>(), 0.8);
  EXPECT_TRUE(figures["train"].contains("confusion"));
  EXPECT_EQ(figures["thread_shares"], 1);  // one thread: layer by layer
  // 30 epochs -> a header and 30 rows.
  const std::string metrics = slurp(dir_ / "run/metrics.csv");
  EXPECT_EQ(std::count(metrics.begin(), metrics.end(), '\n'), 31);
  // The training batches' metrics beside the loss, as Keras logs them.
  EXPECT_TRUE(metrics.starts_with("epoch,train_loss,train_accuracy,")) << metrics.substr(0, 80);
  // Plain progress (not a terminal): one line per epoch.
  EXPECT_NE(r.err.find("epoch 30/30"), std::string::npos) << r.err;

  r = redes("eval run/model.redes --data d.csv --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"accuracy\""), std::string::npos) << r.out;

  write(dir_ / "new.csv", "x1,x2,color\n0.9,0.8,red\n-0.9,-0.7,blue\n,0.1,red\n");
  r = redes("predict run/model.redes --input new.csv");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, a, b, c;
  std::getline(lines, header);
  std::getline(lines, a);
  std::getline(lines, b);
  std::getline(lines, c);
  EXPECT_EQ(header, "p(0),p(1),predicted");
  EXPECT_EQ(a.substr(a.rfind(',') + 1), "1") << a;
  EXPECT_EQ(b.substr(b.rfind(',') + 1), "0") << b;
  EXPECT_EQ(c, ",,") << "a row with a missing value gets empty cells";

  // predict --config: the test split, each row with its index and true class.
  r = redes("predict run/model.redes --config c.toml");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "index,p(0),p(1),predicted,true");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 90);  // 30 % of 300 rows
  // The run folder's copy of the config names its data by absolute path: it reads the same
  // rows from the run folder as the original does from its own.
  const auto own = redes("eval run/model.redes --config c.toml --json");
  const auto copy = redes("eval run/model.redes --config run/config.toml --json");
  ASSERT_EQ(copy.rc, 0) << copy.err;
  EXPECT_EQ(copy.out, own.out);
}

TEST_F(Cli, PredictTakesNpyArrays) {
  write_data("d.csv", 100);
  write_config("c.toml", "d.csv");
  ASSERT_EQ(redes("train c.toml --out run --epochs 3").rc, 0);
  // The network's inputs (x1, x2 standardised, color one-hot: 4 values) for two rows.
  const float x[] = {0.5f, 0.2f, 1, 0, -1.0f, 0.3f, 0, 1};
  write(dir_ / "x.npy", redes::npy_bytes(redes::TensorView<const float>(x, redes::Shape{2, 4})));
  auto r = redes("predict run/model.redes --input x.npy --output y.npy");
  ASSERT_EQ(r.rc, 0) << r.err;
  const redes::NpyArray y = redes::read_npy((dir_ / "y.npy").string());
  ASSERT_EQ(y.shape, redes::Shape({2, 1}));  // P(class 1)
  // The same as CSV, to standard output.
  r = redes("predict run/model.redes --input x.npy");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  EXPECT_EQ(header, "p(0),p(1),predicted");
  const std::string p1 = first.substr(first.find(',') + 1);
  EXPECT_NEAR(std::stod(p1.substr(0, p1.find(','))), y.floats[0], 1e-6) << first;

  // Bad arrays: one line naming the file.
  const std::string good = slurp(dir_ / "x.npy");
  write(dir_ / "cut.npy", good.substr(0, good.size() - 5));
  expect_clear_error(redes("predict run/model.redes --input cut.npy"), "cut.npy", "truncated");
  write(dir_ / "wide.npy", redes::npy_bytes(redes::TensorView<const float>(x, redes::Shape{1, 8})));
  expect_clear_error(redes("predict run/model.redes --input wide.npy"), "wide.npy",
                     "the model takes float inputs of shape (N, 4), got (1, 8)");
  write(dir_ / "text.npy", "not an array");
  expect_clear_error(redes("predict run/model.redes --input text.npy"), "text.npy", "");
  expect_clear_error(redes("predict run/model.redes --input missing.npy"), "missing.npy", "");
}

TEST_F(Cli, SameSeedAndThreadsGiveIdenticalResults) {
  write_data("d.csv", 200);
  write_config("c.toml", "d.csv", "[train.early_stopping]\npatience = 100\n");
  // Early stopping needs a validation split: the error says so.
  auto r = redes("train c.toml --out a");
  expect_clear_error(r, "c.toml", "validation_fraction");
  write_config("c.toml", "d.csv");
  ASSERT_EQ(redes("train c.toml --out a --seed 5 --threads 2 --epochs 5").rc, 0);
  ASSERT_EQ(redes("train c.toml --out b --seed 5 --threads 2 --epochs 5").rc, 0);
  EXPECT_EQ(without_run_id(slurp(dir_ / "a/model.redes")),
            without_run_id(slurp(dir_ / "b/model.redes")));
  // The overrides are written into the config as used.
  const std::string used = slurp(dir_ / "a/config.toml");
  EXPECT_NE(used.find("seed = 5"), std::string::npos) << used;
  EXPECT_NE(used.find("epochs = 5"), std::string::npos) << used;
}

TEST_F(Cli, MissingFiles) {
  expect_clear_error(redes("train nope.toml"), "nope.toml", "cannot open");
  write_config("c.toml", "absent.csv");
  expect_clear_error(redes("train c.toml"), "absent.csv", "cannot open");
  expect_clear_error(redes("eval absent.redes --data x.csv"), "absent.redes", "cannot open");
}

TEST_F(Cli, UnknownConfigKeyNamesItsLine) {
  write_data("d.csv", 50);
  write_config("c.toml", "d.csv", "epochz = 3\n");
  expect_clear_error(redes("train c.toml"), "c.toml:3", "epochz");
  write(dir_ / "l.toml",
        "[data]\npath = \"d.csv\"\nfeatures = [\"x1\"]\ntarget = \"y\"\n[[layers]]\n"
        "type = \"linear\"\nunit = 1\n");
  expect_clear_error(redes("train l.toml"), "l.toml:7", "unit");
}

TEST_F(Cli, MalformedData) {
  write_config("c.toml", "d.csv");
  write(dir_ / "d.csv", "x1,x2,color,y\n1,2,red,1\n3,4,blue\n");
  expect_clear_error(redes("train c.toml"), "d.csv:3", "field");
  write(dir_ / "d.csv", "x1,x2,color,y\n1,2,red,1\n3,heavy,blue,0\n");
  expect_clear_error(redes("train c.toml"), "d.csv:3", "heavy");
  write(dir_ / "d.csv", "x1,color,y\n1,red,1\n");
  expect_clear_error(redes("train c.toml"), "d.csv", "x2");
  write(dir_ / "d.csv", "");
  expect_clear_error(redes("train c.toml"), "d.csv", "empty");
  write_config("c.toml", "d.json");
  write(dir_ / "d.json", "[{\"x1\": 1, \"x2\": 2, \"color\": \"red\", \"y\": 1}, {\"x1\": 3,,}]");
  expect_clear_error(redes("train c.toml"), "d.json", "");
}

TEST_F(Cli, TruncatedOrCorruptedModel) {
  write_data("d.csv", 100);
  write_config("c.toml", "d.csv");
  ASSERT_EQ(redes("train c.toml --out run --epochs 2").rc, 0);
  const std::string model = slurp(dir_ / "run/model.redes");
  write(dir_ / "cut.redes", model.substr(0, model.size() / 2));
  expect_clear_error(redes("eval cut.redes --data d.csv"), "cut.redes", "truncated");
  std::string bad = model;
  bad[bad.size() - 10] ^= 0x5a;
  write(dir_ / "bad.redes", bad);
  expect_clear_error(redes("eval bad.redes --data d.csv"), "bad.redes", "checksum");
  write(dir_ / "text.redes", "hello, I am not a model");
  expect_clear_error(redes("predict text.redes --input d.csv"), "text.redes", "magic");
}

// redes export: the ONNX file and what it takes; a layer it cannot write, an opset out of range
// and a missing model are one-line errors. (tests/onnx/ runs exported files in OpenCV.)
TEST_F(Cli, ExportWritesOnnxAndSaysWhatItTakes) {
  write_data("d.csv", 120);
  write_config("c.toml", "d.csv");
  ASSERT_EQ(redes("train c.toml --out run --epochs 2 --quiet").rc, 0);
  auto r = redes("export run/model.redes -o model.onnx");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("wrote model.onnx: ONNX opset 13"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("input 'input' (N, 4): the feature values, categorical ones one-hot (x1, "
                       "x2, color=blue, color=red)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("output 'output' (N, 1): the probability of class 1"), std::string::npos);
  EXPECT_GT(fs::file_size(dir_ / "model.onnx"), 100u);
  r = redes("export run/model.redes -o model.onnx --opset 17");
  EXPECT_EQ(r.rc, 0) << r.err;

  expect_clear_error(redes("export run/model.redes -o m.onnx --opset 9"), "opset 9", "11 to 17");
  expect_clear_error(redes("export nowhere.redes -o m.onnx"), "nowhere.redes", "cannot open");
  write(dir_ / "lrn.toml",
        "task = \"binary\"\n[data]\npath = \"d.csv\"\nfeatures = [\"x1\", \"x2\", \"color\"]\n"
        "categorical = [\"color\"]\ntarget = \"y\"\n[[layers]]\ntype = \"reshape\"\n"
        "shape = [1, 2, 2]\n[[layers]]\ntype = \"local_response_norm\"\nname = \"lrn\"\n"
        "size = 2\n[[layers]]\ntype = \"flatten\"\n[[layers]]\n"
        "type = \"linear\"\nunits = 1\n[train]\nepochs = 1\n");
  ASSERT_EQ(redes("train lrn.toml --out lrn --quiet").rc, 0);
  r = redes("export lrn/model.redes -o m.onnx");
  expect_clear_error(r, "lrn/model.redes: layer 'lrn' (local_response_norm)", "an even size (2)");
  EXPECT_FALSE(fs::exists(dir_ / "m.onnx"));
}

TEST_F(Cli, ImportReadsOnnxIntoAModelFile) {
  write_data("d.csv", 120);
  write_config("c.toml", "d.csv");
  ASSERT_EQ(redes("train c.toml --out run --epochs 2 --quiet").rc, 0);
  ASSERT_EQ(redes("export run/model.redes -o model.onnx").rc, 0);
  auto r = redes("import model.onnx -o back.redes");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("wrote back.redes from model.onnx"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("binary model on table data, samples of (4,)"), std::string::npos) << r.out;
  r = redes("summary back.redes");
  EXPECT_EQ(r.rc, 0) << r.err;
  const float x[8] = {0.5f, -1.0f, 1.0f, 0.0f, 2.0f, 0.25f, 0.0f, 1.0f};
  write(dir_ / "x.npy", redes::npy_bytes(redes::TensorView<const float>(x, redes::Shape{2, 4})));
  r = redes("predict back.redes --input x.npy");
  EXPECT_EQ(r.rc, 0) << r.err;

  write(dir_ / "junk.onnx", "not a protobuf at all");
  expect_clear_error(redes("import junk.onnx -o j.redes"), "junk.onnx", "not an ONNX model");
  EXPECT_FALSE(fs::exists(dir_ / "j.redes"));
  expect_clear_error(redes("import model.onnx -o t.redes --task forecast"), "model.onnx",
                     "task 'forecast'");
}
