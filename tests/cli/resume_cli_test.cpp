// Training that survives faults: a run killed with SIGKILL at random moments and resumed with
// --resume ends with the same model file, byte for byte, and the same figures as the run that
// was never stopped (an image model with augmentation and dropout, and an LSTM forecaster);
// SIGINT stops after a batch with a checkpoint; a resume with another config is refused.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "support/cli.hpp"

namespace {

namespace fs = std::filesystem;
using redes::test::slurp;
using redes::test::without_run_id;
using redes::test::write;
using redes::test::write_series;

class ResumeCli : public redes::test::CliTest {
 protected:
  // The test, train and validation figures of a run (timings left out).
  nlohmann::json figures(const std::string& run) {
    const auto s = nlohmann::json::parse(slurp(dir_ / run / "summary.json"));
    return {s["test"], s["train"], s.value("validation", nlohmann::json()), s["epochs"]};
  }

  // Trains config whole, then kills the same training at `kills` moments spread over its
  // duration and resumes each; every resumed run must equal the whole one. Returns how many
  // kills landed after a checkpoint and before the end.
  int kill_and_resume(const std::string& config, int kills) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = redes("train " + config + " --out whole --threads 2 --quiet");
    EXPECT_EQ(r.rc, 0) << r.err;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string model = without_run_id(slurp(dir_ / "whole/model.redes"));
    std::mt19937 gen(5);
    int tested = 0;
    for (int k = 0; k < kills; ++k) {
      const std::string run = "cut" + std::to_string(k);
      const double at =
          seconds * (0.15 + 0.7 * (k + std::uniform_real_distribution<>(0, 1)(gen)) / kills);
      const pid_t pid = start({"train", config, "--out", run, "--threads", "2", "--quiet"});
      std::this_thread::sleep_for(std::chrono::duration<double>(at));
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (fs::exists(dir_ / run / "summary.json") ||
          !fs::exists(dir_ / run / "checkpoint.redes-ckpt"))
        continue;  // finished before the kill, or killed before its first checkpoint
      r = redes("train " + config + " --resume " + run + " --threads 2 --quiet");
      EXPECT_EQ(r.rc, 0) << r.err;
      if (r.rc != 0) continue;
      EXPECT_EQ(without_run_id(slurp(dir_ / run / "model.redes")), model)
          << run << " killed at " << at << " s";
      EXPECT_EQ(figures(run), figures("whole")) << run << " killed at " << at << " s";
      ++tested;
    }
    return tested;
  }
};

// n CIFAR-10 records: label byte + 3072 pixels (R, G, B planes) that depend on the label.
void write_cifar(const fs::path& path, int n) {
  std::string bytes;
  for (int i = 0; i < n; ++i) {
    const int label = i % 10;
    bytes.push_back(static_cast<char>(label));
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 1024; ++p)
        bytes.push_back(static_cast<char>((label * 25 + c * 40 + (p * 7 + i) % 31) % 256));
  }
  write(path, bytes);
}

const char* kImageConfig = R"(task = "multiclass"
seed = 4
[data]
kind = "images"
format = "cifar10"
train_batches = ["train.bin"]
test_batches = ["test.bin"]
validation_fraction = 0.2
[data.augment]
rotate_degrees = 10
shift_pixels = 2
flip_horizontal = true
noise_std = 0.05
[[layers]]
type = "conv2d"
filters = 6
kernel = 3
[[layers]]
type = "relu"
[[layers]]
type = "max_pool2d"
kernel = 2
[[layers]]
type = "flatten"
[[layers]]
type = "dropout"
rate = 0.3
[[layers]]
type = "linear"
units = 10
[optimizer]
type = "adam"
lr = 0.003
[schedule]
type = "cosine"
[train]
epochs = 6
batch_size = 10
checkpoint_every_batches = 2
)";

std::string series_config() {
  return R"(task = "forecast"
seed = 2
[data]
kind = "series"
path = "series.csv"
value = "value"
lookback = 12
transform = "diff"
validation_fraction = 0.1
season = 12
[[layers]]
type = "lstm"
units = 16
[[layers]]
type = "linear"
units = 1
[optimizer]
type = "sgd"
lr = 0.05
momentum = 0.9
[train]
epochs = 40
batch_size = 8
checkpoint_every_batches = 3
)";
}

}  // namespace

TEST_F(ResumeCli, KilledImageTrainingResumesBitIdentical) {
  write_cifar(dir_ / "train.bin", 200);
  write_cifar(dir_ / "test.bin", 50);
  write(dir_ / "images.toml", kImageConfig);
  EXPECT_GE(kill_and_resume("images.toml", 5), 2);
}

TEST_F(ResumeCli, KilledSequenceTrainingResumesBitIdentical) {
  write_series(dir_ / "series.csv", 400);
  write(dir_ / "series.toml", series_config());
  EXPECT_GE(kill_and_resume("series.toml", 5), 2);
}

TEST_F(ResumeCli, InterruptWritesACheckpointAndSaysHowToGoOn) {
  write_series(dir_ / "series.csv", 400);
  write(dir_ / "series.toml", series_config());
  auto r = redes("train series.toml --out whole --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  // SIGINT once training has begun (its first checkpoint is there): the batch ends, a checkpoint
  // is written, and the process exits with 130 and the command that goes on.
  const pid_t pid = start({"train", "series.toml", "--out", "cut", "--threads", "1", "--quiet"},
                          (dir_ / "err.txt").string());
  wait_for("cut/checkpoint.redes-ckpt");
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (fs::exists(dir_ / "cut/summary.json")) GTEST_SKIP() << "the training ended before SIGINT";
  const std::string err = slurp(dir_ / "err.txt");
  ASSERT_TRUE(WIFEXITED(status)) << err;
  EXPECT_EQ(WEXITSTATUS(status), 130) << err;
  EXPECT_NE(err.find("training stopped at epoch"), std::string::npos) << err;
  EXPECT_NE(err.find("redes train series.toml --resume cut"), std::string::npos) << err;
  EXPECT_TRUE(fs::exists(dir_ / "cut/checkpoint.redes-ckpt"));
  r = redes("train series.toml --resume cut --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(without_run_id(slurp(dir_ / "cut/model.redes")),
            without_run_id(slurp(dir_ / "whole/model.redes")));
}

TEST_F(ResumeCli, ResumeWithAnotherConfigIsRefusedAndMoreEpochsGoOn) {
  write_series(dir_ / "series.csv", 400);
  write(dir_ / "series.toml", series_config());
  auto r = redes("train series.toml --out run --epochs 2 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string other = series_config();
  other.replace(other.find("units = 16"), 10, "units = 32");
  write(dir_ / "other.toml", other);
  expect_clear_error(redes("train other.toml --resume run --epochs 2 --quiet"),
                     "checkpoint.redes-ckpt", "layers[1].units is 32, the run had 16");
  expect_clear_error(redes("train series.toml --resume nowhere --quiet"), "nowhere",
                     "no run folder to resume");
  // A finished run goes on with more epochs. Without a schedule (whose course depends on the
  // number of epochs) 2 epochs, then 3 more, are 5 at once.
  r = redes("train series.toml --resume run --epochs 5 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(figures("run")[3], 5);
  r = redes("train series.toml --out five --epochs 5 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(without_run_id(slurp(dir_ / "run/model.redes")),
            without_run_id(slurp(dir_ / "five/model.redes")));
}

// A learning rate that grows a thousandfold an epoch makes the LSTM forecaster diverge: the
// error names the epoch, the batch and what went bad, and the checkpoint of the last good batch
// stays; resumed from it, the training diverges at the same batch.
TEST_F(ResumeCli, DivergenceNamesWhereAndKeepsTheLastGoodCheckpoint) {
  write_series(dir_ / "series.csv", 400);
  std::string config = series_config();
  config.replace(config.find("[train]"), 7,
                 "[schedule]\ntype = \"step\"\nstep_size = 1\ngamma = 1000\n[train]");
  write(dir_ / "series.toml", config);
  const auto r = redes("train series.toml --out run --quiet");
  expect_clear_error(r, "the last good checkpoint stays in run/checkpoint.redes-ckpt",
                     "training diverged at epoch ");
  // (The mean squared error overflows on outputs that are still finite.)
  EXPECT_NE(r.err.find("the loss is infinite (the outputs are finite, up to "), std::string::npos)
      << r.err;
  const auto again = redes("train series.toml --resume run --quiet");
  EXPECT_EQ(again.err, r.err);
}
