// [data] kinds "series", "text" and the augmentation of "images": their keys become the specs,
// their tasks and losses match, and mistakes are ConfigErrors naming the file and the line.
#include <gtest/gtest.h>

#include "redes/config.hpp"
#include "redes/error.hpp"

namespace redes {
namespace {

const char* kLayers = "\n[[layers]]\ntype = \"linear\"\nunits = 1\n";

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "/cfg/run.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for:\n" << text;
  return "";
}

TEST(ConfigSeries, ReadsEveryKey) {
  const Config c = parse_config(std::string(R"(task = "forecast"
[data]
kind = "series"
path = "co2.csv"
format = "csv"
value = "CO2"
time = "Date"
features = ["temp"]
lookback = 36
horizon = 3
transform = "diff"
standardize = false
test_fraction = 0.25
validation_fraction = 0.05
season = 12
steps = 6
)") + kLayers,
                                "/cfg/run.toml");
  EXPECT_EQ(c.data_kind, DataKind::series);
  const SeriesSpec& s = c.series;
  EXPECT_EQ(s.path, "/cfg/co2.csv");
  EXPECT_EQ(s.format, "csv");
  EXPECT_EQ(s.value, "CO2");
  EXPECT_EQ(s.time, "Date");
  EXPECT_EQ(s.features, std::vector<std::string>{"temp"});
  EXPECT_EQ(s.lookback, 36);
  EXPECT_EQ(s.horizon, 3);
  EXPECT_EQ(s.transform, "diff");
  EXPECT_FALSE(s.standardize);
  EXPECT_DOUBLE_EQ(s.test_fraction, 0.25);
  EXPECT_DOUBLE_EQ(s.validation_fraction, 0.05);
  EXPECT_EQ(s.season, 12);
  EXPECT_EQ(s.steps, 6);
  EXPECT_EQ(c.loss.kind, "mse");  // the default loss of a forecast
}

TEST(ConfigSeries, MistakesNameTheLine) {
  const std::string head = "task = \"forecast\"\n[data]\nkind = \"series\"\npath = \"a.csv\"\n";
  auto msg = error_of(head + kLayers);
  EXPECT_NE(msg.find("/cfg/run.toml:2: missing key 'value' in [data]"), std::string::npos) << msg;
  msg = error_of(head + "value = \"v\"\nlookback = 0\n" + kLayers);
  EXPECT_NE(msg.find("/cfg/run.toml:6: 'lookback' must be at least 1"), std::string::npos) << msg;
  msg = error_of(head + "value = \"v\"\ntransform = \"log\"\n" + kLayers);
  EXPECT_NE(msg.find("/cfg/run.toml:6: [data] transform must be one of none, diff, window_norm"),
            std::string::npos)
      << msg;
  msg = error_of(head + "value = \"v\"\nfeatures = [\"v\"]\n" + kLayers);
  EXPECT_NE(msg.find("/cfg/run.toml:6: 'features' must not list the value column 'v'"),
            std::string::npos)
      << msg;
  msg = error_of(head + "value = \"v\"\ntest_fraction = 0\n" + kLayers);
  EXPECT_NE(msg.find("/cfg/run.toml:6: 'test_fraction' must be greater than 0"), std::string::npos)
      << msg;
  msg = error_of(head + "value = \"v\"\nlookback = 3\nwindow = 4\n" + kLayers);
  EXPECT_NE(msg.find("/cfg/run.toml:7: unknown key 'window' in [data]"), std::string::npos) << msg;
  msg = error_of(head + "value = \"v\"\n" + kLayers + "[loss]\ntype = \"bce_logits\"\n");
  EXPECT_NE(msg.find("loss 'bce_logits' does not fit task 'forecast'"), std::string::npos) << msg;
}

TEST(ConfigSeries, KindAndTaskGoTogether) {
  auto msg = error_of(
      "task = \"regression\"\n[data]\nkind = \"series\"\npath = \"a.csv\"\nvalue = \"v\"\n" +
      std::string(kLayers));
  EXPECT_NE(
      msg.find(
          "/cfg/run.toml:3: [data] kind \"series\" needs task = \"forecast\", not 'regression'"),
      std::string::npos)
      << msg;
  msg = error_of(
      "task = \"forecast\"\n[data]\npath = \"a.csv\"\nfeatures = [\"a\"]\ntarget = \"b\"\n" +
      std::string(kLayers));
  EXPECT_NE(msg.find("task 'forecast' needs [data] kind = \"series\""), std::string::npos) << msg;
  msg = error_of(
      "task = \"language_model\"\n[data]\nkind = \"series\"\npath = \"a.csv\"\nvalue = \"v\"\n" +
      std::string(kLayers));
  EXPECT_NE(msg.find("needs task = \"forecast\""), std::string::npos) << msg;
}

TEST(ConfigText, ReadsEveryKey) {
  const Config c = parse_config(std::string(R"(task = "language_model"
[data]
kind = "text"
path = "/usr/share/dict/words"
lowercase = true
apostrophes = true
min_length = 2
max_length = 12
fraction = 0.5
test_fraction = 0.2
validation_fraction = 0.05
)") + kLayers,
                                "/cfg/run.toml");
  EXPECT_EQ(c.data_kind, DataKind::text);
  const TextSpec& t = c.words;
  EXPECT_EQ(t.path, "/usr/share/dict/words");
  EXPECT_TRUE(t.lowercase);
  EXPECT_TRUE(t.apostrophes);
  EXPECT_EQ(t.min_length, 2);
  EXPECT_EQ(t.max_length, 12);
  EXPECT_DOUBLE_EQ(t.fraction, 0.5);
  EXPECT_DOUBLE_EQ(t.test_fraction, 0.2);
  EXPECT_DOUBLE_EQ(t.validation_fraction, 0.05);
  EXPECT_EQ(c.loss.kind, "softmax_cross_entropy");
}

TEST(ConfigText, MistakesNameTheLine) {
  const std::string head = "task = \"language_model\"\n[data]\nkind = \"text\"\npath = \"w.txt\"\n";
  auto msg = error_of(head + "min_length = 5\nmax_length = 3\n" + kLayers);
  EXPECT_NE(msg.find("/cfg/run.toml:6: 'max_length' must be at least 'min_length'"),
            std::string::npos)
      << msg;
  msg = error_of(head + "fraction = 0\n" + kLayers);
  EXPECT_NE(msg.find("/cfg/run.toml:5: 'fraction' must be greater than 0 and at most 1"),
            std::string::npos)
      << msg;
  msg = error_of(head + "lowercase = \"yes\"\n" + kLayers);
  EXPECT_NE(msg.find("/cfg/run.toml:5: 'lowercase' must be true or false"), std::string::npos)
      << msg;
  msg = error_of(head + kLayers + "[loss]\ntype = \"mse\"\n");
  EXPECT_NE(msg.find("loss 'mse' does not fit task 'language_model'"), std::string::npos) << msg;
  msg = error_of("task = \"multiclass\"\n[data]\nkind = \"text\"\npath = \"w.txt\"\n" +
                 std::string(kLayers));
  EXPECT_NE(msg.find("/cfg/run.toml:3: [data] kind \"text\" needs task = \"language_model\""),
            std::string::npos)
      << msg;
}

TEST(ConfigImages, ReadsTheAugmentation) {
  const std::string head = R"(task = "multiclass"
[data]
kind = "images"
format = "idx"
train_images = "a"
train_labels = "b"
test_images = "c"
test_labels = "d"
[data.augment]
rotate_degrees = 5
)";
  Config c = parse_config(head + "interpolation = \"nearest\"\n" + kLayers, "/cfg/run.toml");
  EXPECT_EQ(c.images.augment.rotate_degrees, 5);
  EXPECT_TRUE(c.images.augment.rotate_nearest);
  c = parse_config(head + kLayers, "/cfg/run.toml");
  EXPECT_FALSE(c.images.augment.rotate_nearest);  // bilinear unless asked
  const std::string e = error_of(head + "interpolation = \"cubic\"\n" + kLayers);
  EXPECT_NE(e.find("/cfg/run.toml:11"), std::string::npos) << e;
  EXPECT_NE(e.find("nearest"), std::string::npos) << e;
}

}  // namespace
}  // namespace redes
