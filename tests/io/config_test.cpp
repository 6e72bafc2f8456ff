// Config parsing: a full example becomes the expected structs, and every kind of mistake is a
// ConfigError naming the file, the line and the key.
#include "redes/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "redes/error.hpp"

namespace redes {
namespace {

// Line numbers matter below: keep this text as it is, or update the expectations.
const char* kFull = R"(name = "cars"
task = "binary"
seed = 7
threads = 2

[data]
path = "../data/vega-datasets/data/cars.json"
format = "json"
features = ["Cylinders", "Displacement", "Origin"]
categorical = ["Origin"]
target = "Miles_per_Gallon"
target_rule = { above = 23.5 }
missing = "median"
standardize = false
test_fraction = 0.25
validation_fraction = 0.1
stratify = false

[[layers]]
type = "linear"
name = "hidden1"
units = 16
init = "kaiming"

[[layers]]
type = "leaky_relu"
negative_slope = 0.2

[[layers]]
type = "linear"
inputs = ["hidden1"]
units = 1
bias = false
sizes = [1, 2, 3]

[loss]
type = "bce_logits"
class_weights = [1.0, 2]
huber_delta = 0.5

[optimizer]
type = "sgd"
lr = 1
weight_decay = 0.001
momentum = 0.9
dampening = 0.1
nesterov = true
beta1 = 0.8
beta2 = 0.99
eps = 1e-6
alpha = 0.9
centered = true

[schedule]
type = "step"
step_size = 5
gamma = 0.5
t_max = 20
eta_min = 0.0001
factor = 0.2
patience = 3
threshold = 0.01

[train]
epochs = 200
batch_size = 64
shuffle = false
clip_grad_norm = 1.5

[train.early_stopping]
monitor = "val_accuracy"
patience = 20
min_delta = 0.001
restore_best = false
)";

TEST(Config, FullExampleParses) {
  const Config c = parse_config(kFull, "examples/cars.toml");
  EXPECT_EQ(c.path, "examples/cars.toml");
  EXPECT_EQ(c.text, kFull);
  EXPECT_EQ(c.name, "cars");
  EXPECT_EQ(c.task, Task::binary);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.threads, 2);

  // Resolved against the config's folder: examples/../data/... is data/...
  EXPECT_EQ(c.data.path, "data/vega-datasets/data/cars.json");
  EXPECT_EQ(c.data.format, "json");
  EXPECT_EQ(c.data.features, (std::vector<std::string>{"Cylinders", "Displacement", "Origin"}));
  EXPECT_EQ(c.data.categorical, std::vector<std::string>{"Origin"});
  EXPECT_EQ(c.data.target, "Miles_per_Gallon");
  EXPECT_EQ(c.data.rule.kind, "above");
  EXPECT_DOUBLE_EQ(c.data.rule.threshold, 23.5);
  EXPECT_EQ(c.data.missing, "median");
  EXPECT_FALSE(c.data.standardize);
  EXPECT_DOUBLE_EQ(c.data.test_fraction, 0.25);
  EXPECT_DOUBLE_EQ(c.data.validation_fraction, 0.1);
  EXPECT_FALSE(c.data.stratify);

  ASSERT_EQ(c.layers.size(), 3u);
  const LayerSpec& l0 = c.layers[0];
  EXPECT_EQ(l0.kind, "linear");
  EXPECT_EQ(l0.name, "hidden1");
  EXPECT_TRUE(l0.inputs.empty());
  EXPECT_EQ(l0.attrs, (nlohmann::json{{"units", 16}, {"init", "kaiming"}}));
  EXPECT_TRUE(l0.attrs["units"].is_number_integer());
  EXPECT_EQ(l0.where.at(""), "examples/cars.toml:19");
  EXPECT_EQ(l0.where.at("units"), "examples/cars.toml:22");
  EXPECT_EQ(l0.where.at("init"), "examples/cars.toml:23");

  const LayerSpec& l1 = c.layers[1];
  EXPECT_EQ(l1.kind, "leaky_relu");
  EXPECT_EQ(l1.name, "");
  EXPECT_TRUE(l1.attrs["negative_slope"].is_number_float());
  EXPECT_DOUBLE_EQ(l1.attrs["negative_slope"].get<double>(), 0.2);
  EXPECT_EQ(l1.where.at(""), "examples/cars.toml:25");
  EXPECT_EQ(l1.where.at("negative_slope"), "examples/cars.toml:27");

  const LayerSpec& l2 = c.layers[2];
  EXPECT_EQ(l2.inputs, std::vector<std::string>{"hidden1"});
  EXPECT_EQ(l2.attrs, (nlohmann::json{{"units", 1}, {"bias", false}, {"sizes", {1, 2, 3}}}));
  EXPECT_FALSE(l2.attrs.contains("inputs"));
  EXPECT_FALSE(l2.attrs.contains("type"));
  EXPECT_EQ(l2.where.at("bias"), "examples/cars.toml:33");

  EXPECT_EQ(c.loss.kind, "bce_logits");
  EXPECT_EQ(c.loss.class_weights, (std::vector<double>{1.0, 2.0}));
  EXPECT_DOUBLE_EQ(c.loss.huber_delta, 0.5);

  EXPECT_EQ(c.optimizer.kind, "sgd");
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 1.0);
  EXPECT_DOUBLE_EQ(c.optimizer.weight_decay, 0.001);
  EXPECT_DOUBLE_EQ(c.optimizer.momentum, 0.9);
  EXPECT_DOUBLE_EQ(c.optimizer.dampening, 0.1);
  EXPECT_TRUE(c.optimizer.nesterov);
  EXPECT_DOUBLE_EQ(c.optimizer.beta1, 0.8);
  EXPECT_DOUBLE_EQ(c.optimizer.beta2, 0.99);
  EXPECT_DOUBLE_EQ(c.optimizer.eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.optimizer.alpha, 0.9);
  EXPECT_TRUE(c.optimizer.centered);

  EXPECT_EQ(c.schedule.kind, "step");
  EXPECT_EQ(c.schedule.step_size, 5);
  EXPECT_DOUBLE_EQ(c.schedule.gamma, 0.5);
  EXPECT_EQ(c.schedule.t_max, 20);
  EXPECT_DOUBLE_EQ(c.schedule.eta_min, 0.0001);
  EXPECT_DOUBLE_EQ(c.schedule.factor, 0.2);
  EXPECT_EQ(c.schedule.patience, 3);
  EXPECT_DOUBLE_EQ(c.schedule.threshold, 0.01);

  EXPECT_EQ(c.train.epochs, 200);
  EXPECT_EQ(c.train.batch_size, 64);
  EXPECT_FALSE(c.train.shuffle);
  EXPECT_DOUBLE_EQ(c.train.clip_grad_norm, 1.5);
  EXPECT_TRUE(c.train.early_stopping.enabled);  // the table is written, so it is on
  EXPECT_EQ(c.train.early_stopping.monitor, "val_accuracy");
  EXPECT_EQ(c.train.early_stopping.patience, 20);
  EXPECT_DOUBLE_EQ(c.train.early_stopping.min_delta, 0.001);
  EXPECT_FALSE(c.train.early_stopping.restore_best);
}

// The least a config needs: lines 1-4 are [data], 6-8 one layer.
const std::string kMinimal = R"([data]
path = "/abs/cars.csv"
features = ["a", "b"]
target = "y"

[[layers]]
type = "linear"
units = 1
)";

TEST(Config, DefaultsFromTheHeaders) {
  const Config c = parse_config(kMinimal, "some/dir/my-run.toml");
  EXPECT_EQ(c.name, "my-run");  // the file's stem
  EXPECT_EQ(c.task, Task::binary);
  EXPECT_EQ(c.seed, 1u);
  EXPECT_EQ(c.threads, 0);
  EXPECT_EQ(c.data.path, "/abs/cars.csv");  // absolute paths stay as written
  EXPECT_EQ(c.data.format, "");
  EXPECT_EQ(c.data.rule.kind, "none");
  EXPECT_EQ(c.data.missing, "drop");
  EXPECT_TRUE(c.data.standardize);
  EXPECT_DOUBLE_EQ(c.data.test_fraction, 0.3);
  EXPECT_EQ(c.loss.kind, "bce_logits");
  EXPECT_EQ(c.optimizer.kind, "adam");
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 1e-3);
  EXPECT_EQ(c.schedule.kind, "none");
  EXPECT_EQ(c.train.epochs, 10);
  EXPECT_EQ(c.train.batch_size, 32);
  EXPECT_FALSE(c.train.early_stopping.enabled);
}

TEST(Config, TargetRuleForms) {
  auto rule = [](const std::string& r) {
    std::string text = kMinimal;
    text.insert(text.find("\n\n"), "\ntarget_rule = " + r);
    return parse_config(text, "x.toml").data.rule;
  };
  EXPECT_EQ(rule("\"above_median\"").kind, "above_median");
  EXPECT_EQ(rule("\"none\"").kind, "none");
  const TargetRule above = rule("{ above = 3 }");
  EXPECT_EQ(above.kind, "above");
  EXPECT_DOUBLE_EQ(above.threshold, 3.0);
}

TEST(Config, DefaultLossFollowsTheTask) {
  EXPECT_EQ(parse_config("task = \"regression\"\n" + kMinimal, "x.toml").loss.kind, "mse");
  EXPECT_EQ(parse_config("task = \"multiclass\"\n" + kMinimal, "x.toml").loss.kind,
            "softmax_cross_entropy");
}

TEST(Config, EarlyStoppingCanBeWrittenButOff) {
  const Config c =
      parse_config(kMinimal + "[train.early_stopping]\nenabled = false\npatience = 3\n", "x.toml");
  EXPECT_FALSE(c.train.early_stopping.enabled);
  EXPECT_EQ(c.train.early_stopping.patience, 3);
}

// The message of the ConfigError that parsing text throws; fails the test when none is thrown.
std::string error_of(const std::string& text, const std::string& path = "examples/bad.toml") {
  try {
    parse_config(text, path);
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
    return msg;
  }
  ADD_FAILURE() << "no ConfigError for:\n" << text;
  return "";
}

// kMinimal with extra text after it; its first line is line 10.
std::string with_tail(const std::string& tail) { return kMinimal + "\n" + tail; }

TEST(ConfigErrors, UnknownKeyNamesLineAndTable) {
  EXPECT_EQ(error_of(with_tail("[train]\nepochs = 5\nepoch = 500\n")),
            "examples/bad.toml:12: unknown key 'epoch' in [train]");
  EXPECT_EQ(error_of("epochs = 5\n" + kMinimal), "examples/bad.toml:1: unknown key 'epochs'");
  EXPECT_EQ(error_of(with_tail("[data2]\nx = 1\n")), "examples/bad.toml:10: unknown key 'data2'");
  EXPECT_EQ(error_of(with_tail("[train.early_stopping]\npatiense = 3\n")),
            "examples/bad.toml:11: unknown key 'patiense' in [train.early_stopping]");
  EXPECT_EQ(error_of(with_tail("[optimizer]\ntype = \"adam\"\nmomentun = 0.9\n")),
            "examples/bad.toml:12: unknown key 'momentun' in [optimizer]");
  // Writing a table twice is a TOML error, reported at the second one.
  EXPECT_EQ(error_of(with_tail("[data]\n")).substr(0, 21), "examples/bad.toml:10:");
  // A quoted key or a string may hold line breaks; the message stays one line (error_of checks).
  EXPECT_EQ(error_of(with_tail("[train]\n\"ep\\nochs\" = 5\n")),
            "examples/bad.toml:11: unknown key 'ep ochs' in [train]");
  EXPECT_EQ(error_of(with_tail("[optimizer]\ntype = \"ad\\r\\nam\"\n")),
            "examples/bad.toml:11: [optimizer] type must be one of sgd, adam, adamw, rmsprop, not "
            "'ad  am'");
}

TEST(ConfigErrors, WrongTypes) {
  EXPECT_EQ(error_of(with_tail("[train]\nepochs = 5.5\n")),
            "examples/bad.toml:11: 'epochs' must be an integer");
  EXPECT_EQ(error_of(with_tail("[train]\nshuffle = 1\n")),
            "examples/bad.toml:11: 'shuffle' must be true or false");
  EXPECT_EQ(error_of(with_tail("[optimizer]\nlr = \"fast\"\n")),
            "examples/bad.toml:11: 'lr' must be a number");
  EXPECT_EQ(error_of("seed = \"x\"\n" + kMinimal),
            "examples/bad.toml:1: 'seed' must be an integer");
  EXPECT_EQ(error_of("name = 3\n" + kMinimal), "examples/bad.toml:1: 'name' must be a string");
  EXPECT_EQ(error_of(with_tail("[loss]\nclass_weights = [1, \"a\"]\n")),
            "examples/bad.toml:11: 'class_weights' must be a list of numbers");
  EXPECT_EQ(error_of(with_tail("[optimizer]\nlr = nan\n")),
            "examples/bad.toml:11: 'lr' must be a finite number");
  EXPECT_EQ(error_of("train = 3\n" + kMinimal),
            "examples/bad.toml:1: 'train' must be a table ([train])");
}

TEST(ConfigErrors, ImpossibleValues) {
  EXPECT_EQ(error_of(with_tail("[train]\nbatch_size = 0\n")),
            "examples/bad.toml:11: 'batch_size' must be at least 1");
  EXPECT_EQ(error_of(with_tail("[train]\nepochs = -3\n")),
            "examples/bad.toml:11: 'epochs' must be at least 1");
  EXPECT_EQ(error_of(with_tail("[train]\nepochs = 9999999999\n")),
            "examples/bad.toml:11: 'epochs' must be at most 2147483647");
  EXPECT_EQ(error_of("seed = -1\n" + kMinimal), "examples/bad.toml:1: 'seed' must be at least 0");
  EXPECT_EQ(error_of("threads = -1\n" + kMinimal),
            "examples/bad.toml:1: 'threads' must be at least 0");
  EXPECT_EQ(error_of(with_tail("[train]\nclip_grad_norm = -1\n")),
            "examples/bad.toml:11: 'clip_grad_norm' must be at least 0");
  EXPECT_EQ(error_of(with_tail("[train.early_stopping]\npatience = 0\n")),
            "examples/bad.toml:11: 'patience' must be at least 1");
  EXPECT_EQ(error_of(with_tail("[optimizer]\nbeta2 = 1.0\n")),
            "examples/bad.toml:11: 'beta2' must be at least 0 and less than 1");
  EXPECT_EQ(error_of(with_tail("[loss]\nhuber_delta = 0\n")),
            "examples/bad.toml:11: 'huber_delta' must be greater than 0");
  EXPECT_EQ(error_of(with_tail("[train.early_stopping]\nmonitor = \"loss\"\n")),
            "examples/bad.toml:11: 'monitor' must be val_loss or val_<metric> (val_accuracy, "
            "val_rmse, ...), not 'loss'");

  // [data] is lines 1-4 of kMinimal; insert after its last line to keep the lines known.
  auto data_error = [](const std::string& line) {
    std::string text = kMinimal;
    text.insert(text.find("\n\n"), "\n" + line);  // becomes line 5
    return error_of(text);
  };
  EXPECT_EQ(data_error("test_fraction = 1.0"),
            "examples/bad.toml:5: 'test_fraction' must be at least 0 and less than 1");
  EXPECT_EQ(data_error("validation_fraction = -0.1"),
            "examples/bad.toml:5: 'validation_fraction' must be at least 0 and less than 1");
  EXPECT_EQ(data_error("test_fraction = 0.5\nvalidation_fraction = 0.5"),
            "examples/bad.toml:6: test_fraction + validation_fraction must be less than 1, "
            "leaving rows to train on");
  EXPECT_EQ(data_error("categorical = [\"c\"]"),
            "examples/bad.toml:5: categorical column 'c' is not one of the features");
  EXPECT_EQ(error_of("[data]\npath = \"a.csv\"\nfeatures = []\ntarget = \"y\"\n[[layers]]\ntype = "
                     "\"relu\"\n"),
            "examples/bad.toml:3: 'features' must list at least one column");
}

TEST(ConfigErrors, EnumerationsAreCheckedWithTheirLine) {
  EXPECT_EQ(error_of("task = \"binry\"\n" + kMinimal),
            "examples/bad.toml:1: task must be one of binary, multiclass, regression, forecast, "
            "language_model, "
            "not 'binry'");
  EXPECT_EQ(
      error_of(with_tail("[optimizer]\ntype = \"adm\"\n")),
      "examples/bad.toml:11: [optimizer] type must be one of sgd, adam, adamw, rmsprop, not 'adm'");
  EXPECT_EQ(error_of(with_tail("[schedule]\ntype = \"linear\"\n")),
            "examples/bad.toml:11: [schedule] type must be one of none, step, cosine, plateau, not "
            "'linear'");
  EXPECT_EQ(
      error_of(with_tail("[loss]\ntype = \"cross_entropy\"\n")),
      "examples/bad.toml:11: [loss] type must be one of bce_logits, softmax_cross_entropy, mse, "
      "mae, huber, not 'cross_entropy'");
  EXPECT_EQ(
      error_of(with_tail("[loss]\ntype = \"softmax_cross_entropy\"\n")),
      "examples/bad.toml:11: loss 'softmax_cross_entropy' does not fit task 'binary' (bce_logits)");

  auto data_error = [](const std::string& line) {
    std::string text = kMinimal;
    text.insert(text.find("\n\n"), "\n" + line);  // becomes line 5
    return error_of(text);
  };
  EXPECT_EQ(data_error("missing = \"zero\""),
            "examples/bad.toml:5: [data] missing must be one of drop, mean, median, not 'zero'");
  EXPECT_EQ(data_error("format = \"xml\""),
            "examples/bad.toml:5: [data] format must be one of csv, json, \"\", not 'xml'");
  EXPECT_EQ(data_error("target_rule = \"median\""),
            "examples/bad.toml:5: [data] target_rule must be \"none\", \"above_median\" or { above "
            "= <number> }, not 'median'");
  EXPECT_EQ(data_error("target_rule = { below = 3 }"),
            "examples/bad.toml:5: [data] target_rule must be \"none\", \"above_median\" or { above "
            "= <number> }");
  EXPECT_EQ(data_error("target_rule = { above = 3, below = 1 }"),
            "examples/bad.toml:5: unknown key 'below' in [data] target_rule");
}

TEST(ConfigErrors, MissingRequiredKeysNameTheTable) {
  EXPECT_EQ(error_of("[data]\nfeatures = [\"a\"]\ntarget = \"y\"\n[[layers]]\ntype = \"relu\"\n"),
            "examples/bad.toml:1: missing key 'path' in [data]");
  EXPECT_EQ(error_of("\n[data]\npath = \"a.csv\"\ntarget = \"y\"\n[[layers]]\ntype = \"relu\"\n"),
            "examples/bad.toml:2: missing key 'features' in [data]");
  EXPECT_EQ(error_of("[data]\npath = \"a.csv\"\nfeatures = [\"a\"]\n[[layers]]\ntype = \"relu\"\n"),
            "examples/bad.toml:1: missing key 'target' in [data]");
  EXPECT_EQ(error_of("[[layers]]\ntype = \"relu\"\n"), "examples/bad.toml: missing table [data]");
  EXPECT_EQ(error_of("[data]\npath = \"a.csv\"\nfeatures = [\"a\"]\ntarget = \"y\"\n"),
            "examples/bad.toml: missing [[layers]]: the model needs at least one layer");
  EXPECT_EQ(error_of(with_tail("[[layers]]\nunits = 4\n")),
            "examples/bad.toml:10: missing key 'type' in [[layers]] #2");
  EXPECT_EQ(error_of("layers = [1]\n" + kMinimal.substr(0, kMinimal.find("\n\n") + 1)),
            "examples/bad.toml:1: 'layers' must be an array of tables, written [[layers]]");
}

TEST(ConfigErrors, LayerAttributesMustBePlainValues) {
  EXPECT_EQ(error_of(with_tail("[[layers]]\ntype = \"relu\"\nopts = { a = 1 }\n")),
            "examples/bad.toml:12: 'opts' must be a number, a boolean, a string or a list of them");
  EXPECT_EQ(error_of(with_tail("[[layers]]\ntype = \"relu\"\ninputs = \"hidden\"\n")),
            "examples/bad.toml:12: 'inputs' must be a list of strings");
}

TEST(ConfigErrors, TomlSyntaxErrorHasLineAndColumn) {
  const std::string msg = error_of(with_tail("[train]\nepochs = = 3\n"));
  EXPECT_EQ(msg.rfind("examples/bad.toml:11:", 0), 0u) << msg;
  EXPECT_GT(msg.size(), std::string("examples/bad.toml:11:9: ").size());
  const std::string dup = error_of(with_tail("[train]\nepochs = 3\nepochs = 4\n"));
  EXPECT_EQ(dup.rfind("examples/bad.toml:12:", 0), 0u) << dup;
}

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("redes_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "runs");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ConfigFile, LoadResolvesDataPathAgainstTheConfigFolder) {
  const std::string text =
      "[data]\npath = \"../data/cars.csv\"\nfeatures = [\"a\"]\ntarget = "
      "\"y\"\n[[layers]]\ntype = \"relu\"\n";
  const std::string path = (dir_ / "runs" / "small.toml").string();
  std::ofstream(path) << text;
  const Config c = load_config(path);
  EXPECT_EQ(c.path, path);
  EXPECT_EQ(c.text, text);
  EXPECT_EQ(c.name, "small");
  EXPECT_EQ(c.data.path, (dir_ / "data" / "cars.csv").string());
}

TEST_F(ConfigFile, MissingFileNamesThePath) {
  const std::string path = (dir_ / "nope.toml").string();
  try {
    load_config(path);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot open: No such file or directory");
  }
}

TEST_F(ConfigFile, FolderIsNotAConfig) {
  try {
    load_config(dir_.string());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir_.string() + ": cannot", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace redes
