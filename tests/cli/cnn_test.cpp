// The convolutional examples end to end on small files the test writes: the AlexNet-style
// config on a synthetic CIFAR-10 batch, and the lecture's convolution walk-through.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int run(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// n CIFAR-10 records: label byte + 3072 pixels (R, G, B planes); the label sets the colour
// balance so that the classes can be told apart.
void write_cifar(const fs::path& path, int n) {
  std::ofstream f(path, std::ios::binary);
  for (int i = 0; i < n; ++i) {
    const unsigned char label = static_cast<unsigned char>(i % 10);
    f.put(static_cast<char>(label));
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 1024; ++p)
        f.put(static_cast<char>((label * 25 + c * 40 + (p * 7 + i) % 31) % 256));
  }
}

}  // namespace

TEST(CnnCli, AlexNetStyleConfigTrainsOnASyntheticCifarFile) {
  const fs::path dir = fs::temp_directory_path() / ("redes-cnn-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_cifar(dir / "train.bin", 40);
  write_cifar(dir / "test.bin", 20);
  // The example config with its data pointed at the synthetic files, and a short run.
  std::string cfg = slurp(fs::path(REDES_SOURCE_DIR) / "examples/alexnet-cifar10.toml");
  cfg = std::regex_replace(cfg, std::regex(R"(train_batches = \[[^\]]*\])"),
                           "train_batches = [\"train.bin\"]");
  cfg = std::regex_replace(cfg, std::regex(R"(test_batches = \[[^\]]*\])"),
                           "test_batches = [\"test.bin\"]");
  cfg = std::regex_replace(cfg, std::regex(R"(epochs = \d+)"), "epochs = 2");
  cfg = std::regex_replace(cfg, std::regex(R"(batch_size = \d+)"), "batch_size = 8");
  std::ofstream(dir / "alexnet.toml") << cfg;

  const std::string cmd = "cd '" + dir.string() + "' && timeout 600 '" + REDES_CLI +
                          "' train alexnet.toml --out run --threads 2 >out.txt 2>err.txt";
  ASSERT_EQ(run(cmd), 0) << slurp(dir / "err.txt");
  const std::string summary = slurp(dir / "run/summary.json");
  EXPECT_NE(summary.find("\"accuracy\""), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"airplane\""), std::string::npos) << "CIFAR-10 class names: " << summary;
  for (const char* f :
       {"model.redes", "filters.png", "feature_maps.png", "input.png", "metrics.csv"})
    EXPECT_TRUE(fs::exists(dir / "run" / f)) << f;
  // The report shows the confusion matrix with CIFAR-10's class names and the filters.
  const std::string report = slurp(dir / "run/report.html");
  for (const char* part :
       {"Confusion matrix", ">airplane<", "learned filters", "Data augmentation"})
    EXPECT_NE(report.find(part), std::string::npos) << part;
  // redes augment draws the config's flips and shifts on the first training images.
  const std::string augment = "cd '" + dir.string() + "' && '" + REDES_CLI +
                              "' augment alexnet.toml --preview grid.png --count 3 >out.txt "
                              "2>err.txt";
  ASSERT_EQ(run(augment), 0) << slurp(dir / "err.txt");
  EXPECT_EQ(slurp(dir / "grid.png").substr(1, 3), "PNG");
  EXPECT_NE(slurp(dir / "out.txt").find("3 training images"), std::string::npos);

  // redes eval on the config's test split gives the figures the run reported.
  const std::string eval = "cd '" + dir.string() + "' && '" + REDES_CLI +
                           "' eval run/model.redes --config alexnet.toml --json >eval.json "
                           "2>err.txt";
  ASSERT_EQ(run(eval), 0) << slurp(dir / "err.txt");
  const auto reported = nlohmann::json::parse(summary)["test"];
  const auto evaluated = nlohmann::json::parse(slurp(dir / "eval.json"));
  EXPECT_EQ(evaluated["accuracy"], reported["accuracy"]);
  EXPECT_NEAR(evaluated["loss"].get<double>(), reported["loss"].get<double>(), 1e-9);
  EXPECT_EQ(evaluated["confusion"], reported["confusion"]);
  // redes predict on it: a header, then one row per test image whose predicted and true classes
  // agree as often as the accuracy says.
  const std::string predict = "cd '" + dir.string() + "' && '" + REDES_CLI +
                              "' predict run/model.redes --config alexnet.toml -o pred.csv "
                              "2>err.txt";
  ASSERT_EQ(run(predict), 0) << slurp(dir / "err.txt");
  std::istringstream csv(slurp(dir / "pred.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line.rfind("index,p(airplane),p(automobile)", 0), 0u) << line;
  EXPECT_NE(line.find(",predicted,true"), std::string::npos) << line;
  int rows = 0, right = 0;
  while (std::getline(csv, line)) {
    const auto last = line.rfind(','), before = line.rfind(',', last - 1);
    right += line.substr(before + 1, last - before - 1) == line.substr(last + 1);
    ++rows;
  }
  EXPECT_EQ(rows, 20);
  EXPECT_DOUBLE_EQ(right / 20.0, reported["accuracy"].get<double>());
  // A config of another task and kind of data (CO2 windows; scripts/setup fetches the series):
  // one line, exit 1.
  if (fs::exists(fs::path(REDES_SOURCE_DIR) / "data/vega-datasets/data/co2-concentration.csv")) {
    const std::string wrong =
        "cd '" + dir.string() + "' && '" + REDES_CLI + "' eval run/model.redes --config '" +
        (fs::path(REDES_SOURCE_DIR) / "examples/lstm-co2.toml").string() + "' >out.txt 2>err.txt";
    EXPECT_EQ(run(wrong), 1);
    EXPECT_NE(slurp(dir / "err.txt").find("the model was trained for 'multiclass' on images data"),
              std::string::npos)
        << slurp(dir / "err.txt");
  }
  fs::remove_all(dir);
}

TEST(CnnCli, DemoConvolutionWalksThroughTheLecture) {
  const fs::path out =
      fs::temp_directory_path() / ("redes-demo-" + std::to_string(::getpid()) + ".txt");
  ASSERT_EQ(run("'" + std::string(REDES_CLI) + "' demo convolution > '" + out.string() + "'"), 0);
  const std::string text = slurp(out);
  fs::remove(out);
  EXPECT_NE(text.find("A 4x3 image"), std::string::npos);
  EXPECT_NE(text.find("Result of the convolution (3x2)"), std::string::npos);
  EXPECT_NE(text.find("Max pooling"), std::string::npos);
  EXPECT_NE(text.find("Average pooling"), std::string::npos);
  // Every hand computation agrees with the library's layers.
  EXPECT_EQ(text.find("NO"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n') > 40, true);
}
