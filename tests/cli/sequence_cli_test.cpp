// Drives build/redes on sequences as a user would: a tiny LSTM forecaster and a tiny word model
// trained end to end, `redes forecast` and `redes sample` on them, and bad input of each kind,
// which must end with one line naming the file and the problem. The training parts are skipped
// while the lstm layer is not registered.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "redes/npy.hpp"
#include "support/cli.hpp"

namespace fs = std::filesystem;

namespace {

using redes::test::slurp;
using redes::test::write;

class SequenceCli : public redes::test::CliTest {
 protected:
  // Monthly rows from 2000-01: a trend, a season of 12 and a wobble. bad_row: a row whose value
  // is "abc" (its file line is bad_row + 2).
  void write_series(const std::string& name, int rows, int bad_row = -1) {
    std::ostringstream os;
    os << "date,value\n";
    for (int t = 0; t < rows; ++t) {
      char date[16];
      std::snprintf(date, sizeof date, "%04d-%02d-01", 2000 + t / 12, t % 12 + 1);
      os << date << ",";
      if (t == bad_row)
        os << "abc\n";
      else
        os << 100 + 0.2 * t + 3 * std::sin(2 * M_PI * t / 12) + 0.3 * std::sin(1.7 * t) << "\n";
    }
    write(dir_ / name, os.str());
  }

  void write_forecaster(const std::string& name, const std::string& data,
                        const std::string& data_extra = "") {
    write(dir_ / name,
          "task = \"forecast\"\nseed = 2\n[data]\nkind = \"series\"\npath = \"" + data +
              "\"\nvalue = \"value\"\ntime = \"date\"\nlookback = 12\ntransform = \"window_norm\"\n"
              "validation_fraction = 0.1\nseason = 12\nsteps = 6\n" +
              data_extra +
              "\n[[layers]]\ntype = \"lstm\"\nunits = 8\n\n[[layers]]\ntype = \"linear\"\nunits = "
              "1\n\n"
              "[optimizer]\ntype = \"adam\"\nlr = 0.01\n\n[train]\nepochs = 2\nbatch_size = 16\n");
  }

  // Words of syllables; returns the vocabulary size (3 special tokens + the letters used).
  int write_words(const std::string& name, int count) {
    const char* syllables[] = {"ba", "ke", "lo",  "mi", "nu",  "ra", "so", "ti",
                               "ve", "zu", "qua", "wy", "fex", "gh", "jp"};
    std::ostringstream os;
    std::set<char> letters;
    for (int i = 0; i < count; ++i) {
      // The base-15 digits of i + 15 as syllables: unique words, as no syllable begins another.
      std::string w;
      for (int x = i + 15; x > 0; x /= 15) w += syllables[x % 15];
      for (char c : w) letters.insert(c);
      os << w << "\n" << (i % 10 == 0 ? "Capital\nit's\n" : "");
    }
    write(dir_ / name, os.str());
    return 3 + static_cast<int>(letters.size());
  }

  void write_word_model(const std::string& name, const std::string& data, int vocab) {
    write(dir_ / name, "task = \"language_model\"\nseed = 4\n[data]\nkind = \"text\"\npath = \"" +
                           data +
                           "\"\nmax_length = 12\n\n"
                           "[[layers]]\ntype = \"embedding\"\nname = \"embedding\"\ninputs = "
                           "[\"input\"]\nvocab = " +
                           std::to_string(vocab) +
                           "\ndim = 8\npadding_idx = 0\n\n"
                           "[[layers]]\ntype = \"mask\"\nname = \"mask\"\ninputs = [\"input\"]\n\n"
                           "[[layers]]\ntype = \"lstm\"\ninputs = [\"embedding\", "
                           "\"mask\"]\nmasked = true\nunits = 16\n"
                           "return_sequences = true\n\n"
                           "[[layers]]\ntype = \"linear\"\nunits = " +
                           std::to_string(vocab) +
                           "\n\n[optimizer]\ntype = \"adam\"\nlr = 0.01\n\n[train]\nepochs = "
                           "2\nbatch_size = 32\n");
  }

  // Skips the test when this build has no lstm layer yet.
  bool lstm_missing(const redes::test::CliResult& r) {
    return r.err.find("unknown layer kind 'lstm'") != std::string::npos;
  }

  nlohmann::json summary(const std::string& run) {
    return nlohmann::json::parse(slurp(dir_ / run / "summary.json"));
  }
};

TEST_F(SequenceCli, ForecasterTrainsReportsBaselinesAndForecasts) {
  write_series("series.csv", 120);
  write_forecaster("f.toml", "series.csv");
  const redes::test::CliResult r = redes("train f.toml --out run --quiet");
  if (lstm_missing(r)) GTEST_SKIP() << "no lstm layer yet";
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto s = summary("run");
  EXPECT_EQ(s["task"], "forecast");
  EXPECT_GT(s["test"]["rmse"].get<double>(), 0);
  EXPECT_GT(s["test"]["mae"].get<double>(), 0);
  EXPECT_TRUE(s["test"].contains("scaled"));
  EXPECT_GT(s["baselines"]["last_value"]["rmse"].get<double>(), 0);
  EXPECT_GT(s["baselines"]["seasonal_naive"]["rmse"].get<double>(), 0);
  EXPECT_EQ(s["multi_step"]["steps"], 6);
  EXPECT_EQ(s["rows"]["test"], 24);
  EXPECT_TRUE(fs::exists(dir_ / "run" / "test_forecast.csv"));
  const std::string page = slurp(dir_ / "run" / "report.html");
  EXPECT_NE(page.find("The test span"), std::string::npos);
  EXPECT_NE(page.find("by horizon"), std::string::npos);

  // Forecast 4 months after the last row (2009-12): to a file and to standard output.
  redes::test::CliResult f =
      redes("forecast run/model.redes --data series.csv --steps 4 --output f.csv");
  ASSERT_EQ(f.rc, 0) << f.err;
  const std::string csv = slurp(dir_ / "f.csv");
  EXPECT_TRUE(
      std::regex_search(csv, std::regex("^date,value\n2010-01-01,[0-9.]+\n2010-02-01,[0-9.]+\n"
                                        "2010-03-01,[0-9.]+\n2010-04-01,[0-9.]+\n$")))
      << csv;
  f = redes("forecast run/model.redes --data series.csv --steps 4");
  EXPECT_EQ(f.out, csv);
  // The same seed trains the same model.
  ASSERT_EQ(redes("train f.toml --out run2 --quiet").rc, 0);
  EXPECT_EQ(summary("run2")["test"], s["test"]);

  // predict --config: a row per test window, the forecast beside the true value, the same
  // forecasts as the run's test_forecast.csv.
  const redes::test::CliResult p = redes("predict run/model.redes --config f.toml");
  ASSERT_EQ(p.rc, 0) << p.err;
  std::istringstream rows(p.out), report(slurp(dir_ / "run" / "test_forecast.csv"));
  std::string head, line, want;
  std::getline(rows, head);
  std::getline(report, want);
  EXPECT_EQ(head, "index,value,true");
  int n = 0;
  while (std::getline(rows, line) && std::getline(report, want)) {
    // index,forecast,true  against  time,actual,forecast,...
    const auto cell = [](const std::string& s, int k) {
      std::istringstream is(s);
      std::string c;
      for (int i = 0; i <= k; ++i) std::getline(is, c, ',');
      return std::stod(c);
    };
    EXPECT_NEAR(cell(line, 1), cell(want, 2), 1e-4 * std::abs(cell(want, 2))) << line;
    EXPECT_NEAR(cell(line, 2), cell(want, 1), 1e-4) << line;
    ++n;
  }
  EXPECT_EQ(n, 24);
  // eval --config gives the errors the run reported, in the series' units.
  const redes::test::CliResult e = redes("eval run/model.redes --config f.toml --json");
  ASSERT_EQ(e.rc, 0) << e.err;
  const auto m = nlohmann::json::parse(e.out);
  EXPECT_NEAR(m["rmse"].get<double>(), s["test"]["rmse"].get<double>(), 1e-5);
  EXPECT_NEAR(m["mae"].get<double>(), s["test"]["mae"].get<double>(), 1e-5);
  EXPECT_NEAR(m["loss"].get<double>(), s["test"]["loss"].get<double>(), 1e-6);

  // predict --input x.npy: the 13 rows before a forecast (look-back 12; window_norm reads no
  // extra row), in the series' units; the last 12 rows of the file and the first forecast of
  // redes forecast agree.
  std::vector<float> last;
  {
    std::istringstream in(slurp(dir_ / "series.csv"));
    std::string l;
    std::getline(in, l);
    while (std::getline(in, l)) last.push_back(std::stof(l.substr(l.find(',') + 1)));
  }
  last.erase(last.begin(), last.end() - 12);
  write(dir_ / "x.npy",
        redes::npy_bytes(redes::TensorView<const float>(last.data(), redes::Shape{1, 12, 1})));
  const redes::test::CliResult one = redes("predict run/model.redes --input x.npy --output y.npy");
  ASSERT_EQ(one.rc, 0) << one.err;
  const redes::NpyArray y = redes::read_npy((dir_ / "y.npy").string());
  ASSERT_EQ(y.shape, redes::Shape({1, 1}));
  const std::string first = csv.substr(csv.find('\n') + 1);
  EXPECT_NEAR(y.floats[0], std::stod(first.substr(first.find(',') + 1)), 1e-3);
  write(dir_ / "bad.npy",
        redes::npy_bytes(redes::TensorView<const float>(last.data(), redes::Shape{1, 11, 1})));
  expect_clear_error(redes("predict run/model.redes --input bad.npy"), "bad.npy",
                     "the model takes float inputs of shape (N, 12, 1), got (1, 11, 1)");
}

TEST_F(SequenceCli, ForecastInputErrorsAreOneLine) {
  write_series("bad.csv", 60, 9);
  write_forecaster("bad.toml", "bad.csv");
  expect_clear_error(redes("train bad.toml --out run"), "bad.csv:11",
                     "column 'value': 'abc' is not a number");

  write_series("short.csv", 15);  // 3 to test, 2 to validate, 10 to train
  write_forecaster("short.toml", "short.csv");
  expect_clear_error(redes("train short.toml --out run"), "short.csv",
                     "too short for lookback 12 and horizon 1");

  write_series("s.csv", 60);
  write_forecaster("col.toml", "s.csv", "features = [\"temp\"]\n");
  expect_clear_error(redes("train col.toml --out run"), "s.csv", "no column 'temp'");

  expect_clear_error(redes("forecast nothing.redes --data s.csv"), "nothing.redes", "cannot open");
  const redes::test::CliResult help = redes("forecast --help");
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("--steps"), std::string::npos) << help.out;
}

TEST_F(SequenceCli, ForecastOnAFileWithoutTheColumnNamesIt) {
  write_series("series.csv", 80);
  write_forecaster("f.toml", "series.csv");
  const redes::test::CliResult r = redes("train f.toml --out run --quiet --epochs 1");
  if (lstm_missing(r)) GTEST_SKIP() << "no lstm layer yet";
  ASSERT_EQ(r.rc, 0) << r.err;
  write(dir_ / "other.csv", "date,co2\n2000-01-01,1\n");
  expect_clear_error(redes("forecast run/model.redes --data other.csv"), "other.csv",
                     "no column 'value'");
  write(dir_ / "few.csv", "date,value\n2000-01-01,1\n2000-02-01,2\n");
  expect_clear_error(redes("forecast run/model.redes --data few.csv"), "few.csv",
                     "the series has 2 rows but the model reads 12");
  expect_clear_error(redes("sample run/model.redes"), "", "not trained on words");
}

TEST_F(SequenceCli, WordModelTrainsReportsBaselinesAndSamples) {
  const int vocab = write_words("words.txt", 400);
  write_word_model("w.toml", "words.txt", vocab);
  const redes::test::CliResult r = redes("train w.toml --out run --quiet");
  if (lstm_missing(r)) GTEST_SKIP() << "no lstm layer yet";
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto s = summary("run");
  EXPECT_EQ(s["task"], "language_model");
  EXPECT_EQ(s["rows"]["words"], 400);  // capitals and apostrophes dropped
  EXPECT_GT(s["validation"]["perplexity"].get<double>(), 1);
  EXPECT_GT(s["test"]["perplexity"].get<double>(), 1);
  EXPECT_GT(s["baselines"]["unigram"]["validation_perplexity"].get<double>(), 1);
  EXPECT_GT(s["baselines"]["bigram"]["test_perplexity"].get<double>(), 1);
  EXPECT_EQ(s["samples"]["words"].size(), 20u);
  EXPECT_NE(slurp(dir_ / "run" / "report.html").find("Test perplexity"), std::string::npos);

  const redes::test::CliResult a =
      redes("sample run/model.redes --count 7 --temperature 0.8 --seed 3");
  ASSERT_EQ(a.rc, 0) << a.err;
  EXPECT_TRUE(std::regex_match(a.out, std::regex("([a-z]+\n){7}"))) << a.out;
  EXPECT_EQ(redes("sample run/model.redes --count 7 --temperature 0.8 --seed 3").out, a.out);
  EXPECT_EQ(redes("sample run/model.redes --count 3 --temperature 0").rc, 0);
  expect_clear_error(redes("sample run/model.redes --temperature -1"), "",
                     "--temperature must be 0 or more");
  expect_clear_error(redes("forecast run/model.redes --data words.txt"), "",
                     "not trained on a series");
  // predict --config: a row per predicted character of each test word; the probabilities of
  // a row sum to 1 and the true character is named.
  const redes::test::CliResult p = redes("predict run/model.redes --config w.toml");
  ASSERT_EQ(p.rc, 0) << p.err;
  std::istringstream rows(p.out);
  std::string line;
  std::getline(rows, line);
  EXPECT_EQ(line.rfind("index,step,p(<pad>),p(<s>),p(</s>),", 0), 0u) << line;
  int count = 0;
  while (std::getline(rows, line)) {
    std::istringstream cells(line);
    std::string c;
    double sum = 0;
    for (int k = 0; std::getline(cells, c, ','); ++k)
      if (k >= 2 && k < 2 + vocab) sum += std::stod(c);
    EXPECT_NEAR(sum, 1.0, 1e-4) << line;
    ++count;
  }
  EXPECT_GT(count, 40 * 3);  // 40 test words of 3+ characters and their ends

  const redes::test::CliResult help = redes("sample --help");
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("--temperature"), std::string::npos) << help.out;
}

TEST_F(SequenceCli, WordInputErrorsAreOneLine) {
  write(dir_ / "empty.txt", "");
  write_word_model("empty.toml", "empty.txt", 29);
  expect_clear_error(redes("train empty.toml --out run"), "empty.txt", "the word list is empty");
  write(dir_ / "names.txt", "Alice\nBob\n");
  write_word_model("names.toml", "names.txt", 29);
  expect_clear_error(redes("train names.toml --out run"), "names.txt",
                     "no word left after filtering 2 lines");
  // The output layer must give a logit per token at every step.
  const int vocab = write_words("words.txt", 50);
  write_word_model("wrong.toml", "words.txt", vocab + 1);
  const redes::test::CliResult r = redes("train wrong.toml --out run");
  if (lstm_missing(r)) GTEST_SKIP() << "no lstm layer yet";
  expect_clear_error(r, "wrong.toml", "a language_model needs (13, " + std::to_string(vocab) + ")");
}

}  // namespace
