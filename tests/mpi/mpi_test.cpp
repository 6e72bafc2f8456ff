// Data-parallel training on MPI (redes/distributed.hpp), as a user runs it: build/redes under
// `mpirun --allow-run-as-root --oversubscribe -np 2`, two local ranks. Two ranks with the global
// batch B take, step for step, the losses of one process with batch B (to float reassociation),
// the same seed and ranks give the same bits, a stopped job resumes to the same bits, and a
// failing rank ends every rank with one line.
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/cli.hpp"

namespace {

using redes::test::slurp;
using redes::test::without_run_id;
using redes::test::write;
namespace fs = std::filesystem;

class Mpi : public redes::test::CliTest {
 protected:
  // mpirun -np ranks build/redes args, in dir_.
  redes::test::CliResult mpirun(int ranks, const std::string& args, int timeout_s = 300) {
    return redes(args, timeout_s,
                 "mpirun --allow-run-as-root --oversubscribe -np " + std::to_string(ranks) + " ");
  }
  // The training loss of every epoch in run/metrics.csv.
  std::vector<double> losses(const std::string& run) {
    std::istringstream in(slurp(dir_ / run / "metrics.csv"));
    std::string line;
    std::getline(in, line);
    std::vector<double> out;
    while (std::getline(in, line)) out.push_back(std::stod(line.substr(line.find(',') + 1)));
    return out;
  }
  void expect_same_losses(const std::string& a, const std::string& b) {
    const auto la = losses(a), lb = losses(b);
    ASSERT_EQ(la.size(), lb.size());
    ASSERT_FALSE(la.empty());
    for (size_t i = 0; i < la.size(); ++i)
      EXPECT_LE(std::abs(la[i] - lb[i]), 1e-5 * std::abs(la[i])) << "step " << i + 1;
  }
  static int error_lines(const std::string& err) {
    int n = 0;
    for (size_t at = err.find("redes: error: "); at != std::string::npos;
         at = err.find("redes: error: ", at + 1))
      ++n;
    return n;
  }
  nlohmann::json summary(const std::string& run) {
    return nlohmann::json::parse(slurp(dir_ / run / "summary.json"));
  }
};

// One batch per epoch (the batch is the training set), so that metrics.csv has every step.
const char* kMlp = R"(task = "binary"
seed = 3
[data]
path = "d.csv"
features = ["x1", "x2", "color"]
categorical = ["color"]
target = "y"
test_fraction = 0.2
[[layers]]
type = "linear"
units = 16
[[layers]]
type = "relu"
[[layers]]
type = "linear"
units = 1
[optimizer]
type = "adam"
lr = 0.02
[train]
epochs = 20
batch_size = 40
checkpoint_every_seconds = 0
)";

TEST_F(Mpi, TwoRanksTakeTheStepsOfOneProcessForAnMlp) {
  redes::test::write_binary_table(dir_ / "d.csv", 50);  // 40 to train: one batch, 20 per rank
  write(dir_ / "c.toml", kMlp);
  auto r = redes("train c.toml --out one --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  r = mpirun(2, "train c.toml --out two --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  expect_same_losses("one", "two");
  EXPECT_EQ(summary("two")["ranks"], 2);
  EXPECT_TRUE(summary("two").contains("weights_crc32"));  // the ranks' weights agreed
  EXPECT_EQ(summary("one")["ranks"], 1);
  EXPECT_NEAR(summary("two")["test"]["loss"].get<double>(),
              summary("one")["test"]["loss"].get<double>(), 1e-5);
  // The last line names the run folder once: rank 0 alone speaks.
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
}

TEST_F(Mpi, TwoRanksTakeTheStepsOfOneProcessForLeNet5) {
  const std::string data = "/usr/share/datasets/fashion-mnist/";
  if (!fs::exists(data + "train-images-idx3-ubyte.gz")) GTEST_SKIP() << "no Fashion-MNIST";
  std::string cfg =
      "task = \"multiclass\"\nseed = 2\n[data]\nkind = \"images\"\nformat = \"idx\"\n";
  for (const char* k : {"train_images", "train_labels", "test_images", "test_labels"}) {
    const std::string stem = std::string(k).substr(0, std::string(k).find('_'));
    const std::string file =
        (stem == "train" ? "train-" : "t10k-") +
        std::string(std::string(k).ends_with("images") ? "images-idx3" : "labels-idx1") +
        "-ubyte.gz";
    cfg += std::string(k) + " = \"" + data + file + "\"\n";
  }
  cfg += R"(train_limit = 33
test_limit = 64
[[layers]]
type = "conv2d"
filters = 6
kernel = 5
padding = 2
[[layers]]
type = "relu"
[[layers]]
type = "max_pool2d"
kernel = 2
[[layers]]
type = "conv2d"
filters = 16
kernel = 5
[[layers]]
type = "relu"
[[layers]]
type = "max_pool2d"
kernel = 2
[[layers]]
type = "flatten"
[[layers]]
type = "linear"
units = 120
[[layers]]
type = "relu"
[[layers]]
type = "linear"
units = 10
[optimizer]
type = "adam"
lr = 0.002
[train]
epochs = 20
batch_size = 33
checkpoint_every_seconds = 0
)";
  write(dir_ / "lenet.toml", cfg);  // 33 images: shares of 17 and 16
  auto r = redes("train lenet.toml --out one --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  r = mpirun(2, "train lenet.toml --out two --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  expect_same_losses("one", "two");
}

TEST_F(Mpi, TheSameSeedAndRanksGiveTheSameBits) {
  redes::test::write_binary_table(dir_ / "d.csv", 120);
  std::string cfg = kMlp;
  cfg.replace(cfg.find("batch_size = 40"), 15, "batch_size = 7");  // shares of 4 and 3
  cfg.replace(cfg.find("[train]"), 7, "[train]\nshuffle = true");
  write(dir_ / "c.toml", cfg);
  for (const char* run : {"a", "b"}) {
    const auto r = mpirun(2, std::string("train c.toml --out ") + run + " --threads 1 --quiet");
    ASSERT_EQ(r.rc, 0) << r.err;
  }
  EXPECT_EQ(without_run_id(slurp(dir_ / "a/model.redes")),
            without_run_id(slurp(dir_ / "b/model.redes")));
}

// A rank that fails (here a config whose data the other rank has, with MPMD's `:`) ends every
// rank with one line of redes' that names it; a config error every rank meets is reported once.
// (mpirun adds its own lines about the exit codes.)
TEST_F(Mpi, AFailingRankEndsEveryRankWithOneLine) {
  redes::test::write_binary_table(dir_ / "d.csv", 50);
  write(dir_ / "c.toml", kMlp);
  std::string other = kMlp;
  other.replace(other.find("\"d.csv\""), 7, "\"missing.csv\"");
  write(dir_ / "other.toml", other);
  auto r = redes("train other.toml --out x --quiet", 120,
                 "mpirun --allow-run-as-root --oversubscribe -np 1 '" + std::string(REDES_CLI) +
                     "' train c.toml --out x --quiet : -np 1 ");
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find("redes: error: rank 1: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing.csv"), std::string::npos) << r.err;
  EXPECT_EQ(error_lines(r.err), 1) << r.err;

  r = mpirun(2, "summary c.toml", 120);  // the other commands run as one process
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_EQ(error_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("redes summary runs as one process"), std::string::npos) << r.err;

  write(dir_ / "bad.toml", std::string(kMlp) + "[[layers]]\ntype = \"lineer\"\n");
  r = mpirun(2, "train bad.toml --out y --quiet", 120);
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_EQ(error_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("unknown layer kind 'lineer'"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("error: rank "), std::string::npos) << r.err;
}

// The process of rank `rank` of a job started in dir (0: none yet).
pid_t rank_process(const fs::path& dir, int rank) {
  const std::string want = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code ec;
    if (fs::read_symlink(e.path() / "cwd", ec) != dir || ec) continue;
    if (fs::read_symlink(e.path() / "exe", ec).filename() != "redes" || ec) continue;
    const std::string env = slurp(e.path() / "environ");
    for (size_t at = 0; at < env.size(); at = env.find('\0', at) + 1) {
      if (env.compare(at, want.size() + 1, want + '\0') == 0) return std::stoi(name);
      if (env.find('\0', at) == std::string::npos) break;
    }
  }
  return 0;
}

// A rank killed in the middle of training (SIGKILL: no error, no goodbye) ends the job, never a
// hang: mpirun notices and ends the other rank.
TEST_F(Mpi, AKilledRankEndsTheJob) {
  redes::test::write_binary_table(dir_ / "d.csv", 200);
  std::string cfg = kMlp;
  cfg.replace(cfg.find("epochs = 20"), 11, "epochs = 100000");
  write(dir_ / "long.toml", cfg);
  std::thread job([&] {
    const std::string cmd = "cd '" + dir_.string() +
                            "' && timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 '" +
                            std::string(REDES_CLI) +
                            "' train long.toml --out k --quiet >out.txt 2>err.txt; echo $? >rc.txt";
    std::system(cmd.c_str());
  });
  pid_t victim = 0;
  for (int i = 0; i < 400 && !victim; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    victim = rank_process(dir_, 1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // well into the training
  ASSERT_NE(victim, 0) << "rank 1 never started: " << slurp(dir_ / "err.txt");
  ::kill(victim, SIGKILL);
  job.join();
  const int rc = std::stoi(slurp(dir_ / "rc.txt"));
  EXPECT_NE(rc, 0);
  EXPECT_NE(rc, 124) << "the job hung until the time limit";
  EXPECT_EQ(rank_process(dir_, 0), 0) << "rank 0 outlived the job";
}

// Dropout (each rank's own generator) and batch norm (each rank's own running statistics, rank
// 0's for evaluation), many batches an epoch, a checkpoint every 20 batches.
std::string resumable_config() {
  std::string cfg = kMlp;
  cfg.replace(cfg.find("[[layers]]\ntype = \"relu\""), 24,
              "[[layers]]\ntype = \"batchnorm1d\"\n[[layers]]\ntype = \"relu\"\n"
              "[[layers]]\ntype = \"dropout\"\nrate = 0.3");
  cfg.replace(cfg.find("epochs = 20"), 11, "epochs = 25");
  cfg.replace(cfg.find("batch_size = 40"), 15, "batch_size = 9");  // shares of 5 and 4
  cfg.replace(cfg.find("checkpoint_every_seconds = 0"), 28,
              "checkpoint_every_seconds = 0\ncheckpoint_every_batches = 20");
  return cfg;
}

// SIGTERM to one rank stops every rank at the same batch with a checkpoint of every rank's
// state; rank 0 alone says so; the job resumed on two ranks ends with the model file of the job
// never stopped, byte for byte. A resume on another number of processes is refused.
TEST_F(Mpi, AStoppedJobResumesToTheSameBits) {
  redes::test::write_binary_table(dir_ / "d.csv", 2000);
  write(dir_ / "c.toml", resumable_config());
  auto r = mpirun(2, "train c.toml --out whole --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::thread job([&] {
    const std::string cmd =
        "cd '" + dir_.string() +
        "' && timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 '" +
        std::string(REDES_CLI) +
        "' train c.toml --out cut --threads 1 --quiet 2>err.txt; echo $? >rc.txt";
    std::system(cmd.c_str());
  });
  pid_t rank1 = 0;
  for (int i = 0; i < 6000 && !(rank1 && fs::exists(dir_ / "cut/checkpoint.redes-ckpt")); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!rank1) rank1 = rank_process(dir_, 1);
  }
  ASSERT_NE(rank1, 0) << "rank 1 never started";
  ::kill(rank1, SIGTERM);
  job.join();
  if (fs::exists(dir_ / "cut/summary.json")) GTEST_SKIP() << "the training ended before SIGTERM";
  const std::string err = slurp(dir_ / "err.txt");
  EXPECT_EQ(std::stoi(slurp(dir_ / "rc.txt")), 130) << err;
  const size_t said = err.find("training stopped at epoch");
  ASSERT_NE(said, std::string::npos) << err;
  EXPECT_EQ(err.find("training stopped at epoch", said + 1), std::string::npos) << err;
  EXPECT_NE(err.find("redes train c.toml --resume cut"), std::string::npos) << err;

  r = redes("train c.toml --resume cut --threads 1 --quiet");  // one process: refused
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find("the training ran on 2 MPI ranks, this one on 1; resume it on as many "
                       "(mpirun -np 2)"),
            std::string::npos)
      << r.err;
  r = mpirun(2, "train c.toml --resume cut --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(without_run_id(slurp(dir_ / "cut/model.redes")),
            without_run_id(slurp(dir_ / "whole/model.redes")));
  EXPECT_EQ(summary("cut")["test"], summary("whole")["test"]);
  EXPECT_EQ(summary("cut")["weights_crc32"], summary("whole")["weights_crc32"]);
}

// Batch norm: each rank normalises its share with its own statistics by default (as PyTorch DDP
// does), so two ranks do not take one process's steps; with [train] sync_batchnorm the
// statistics are the global batch's (PyTorch's SyncBatchNorm) and they do, running statistics
// (the test loss) included. A batch that leaves a rank without a sample is refused, once.
TEST_F(Mpi, SyncBatchnormTakesTheStepsOfOneProcess) {
  redes::test::write_binary_table(dir_ / "d.csv", 50);
  std::string cfg = kMlp;
  // No bias before the batch norm, as practitioners write it: its gradient is zero but for
  // rounding, which Adam would blow up into steps (in directions that depend on the ranks).
  cfg.replace(cfg.find("units = 16"), 10, "units = 16\nbias = false");
  cfg.replace(cfg.find("[[layers]]\ntype = \"relu\""), 24,
              "[[layers]]\ntype = \"batchnorm1d\"\n[[layers]]\ntype = \"relu\"");
  write(dir_ / "local.toml", cfg);
  cfg.replace(cfg.find("[train]"), 7, "[train]\nsync_batchnorm = true");
  write(dir_ / "sync.toml", cfg);
  auto r = redes("train sync.toml --out one --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  r = mpirun(2, "train sync.toml --out sync --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  expect_same_losses("one", "sync");
  EXPECT_NEAR(summary("sync")["test"]["loss"].get<double>(),
              summary("one")["test"]["loss"].get<double>(),
              1e-5 * summary("one")["test"]["loss"].get<double>());
  r = mpirun(2, "train local.toml --out local --threads 1 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto one = losses("one"), local = losses("local");
  ASSERT_EQ(one.size(), local.size());
  EXPECT_GT(std::abs(one[0] - local[0]), 1e-4 * one[0]);  // each share's own statistics

  cfg.replace(cfg.find("batch_size = 40"), 15, "batch_size = 13");  // 40 = 3 x 13 + 1
  write(dir_ / "odd.toml", cfg);
  r = mpirun(2, "train odd.toml --out odd --threads 1 --quiet", 120);
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_EQ(error_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("[train] sync_batchnorm needs a sample for each of the 2 ranks in every "
                       "batch, and the last batch of the 40 training samples has 1"),
            std::string::npos)
      << r.err;
}

// The other kinds of data: a forecaster (series windows, several steps ahead) and a language
// model (words of different lengths, so the shares hold different numbers of tokens: each
// rank's mean counts by its tokens) take one process's steps on two ranks.
TEST_F(Mpi, TwoRanksTakeTheStepsOfOneProcessForSeriesAndText) {
  redes::test::write_series(dir_ / "series.csv", 300);
  write(dir_ / "series.toml", R"(task = "forecast"
seed = 2
[data]
kind = "series"
path = "series.csv"
value = "value"
lookback = 12
transform = "window_norm"
validation_fraction = 0.1
season = 12
steps = 3
[[layers]]
type = "lstm"
units = 8
[[layers]]
type = "linear"
units = 1
[optimizer]
type = "adam"
lr = 0.01
[train]
epochs = 6
batch_size = 25
checkpoint_every_seconds = 0
)");
  std::string words;
  const char* stems[] = {"cat", "dog", "bird", "horse", "ant", "bee", "wolf", "lion"};
  for (int i = 0; i < 90; ++i)
    words += std::string(stems[i % 8]) + std::string(size_t(i % 5), "sxyzq"[i % 5]) + "\n";
  write(dir_ / "words.txt", words);
  write(dir_ / "words.toml", R"(task = "language_model"
seed = 4
[data]
kind = "text"
path = "words.txt"
max_length = 10
test_fraction = 0.1
validation_fraction = 0.1
[[layers]]
type = "embedding"
name = "embedding"
inputs = ["input"]
vocab = 23
dim = 8
padding_idx = 0
[[layers]]
type = "mask"
name = "mask"
inputs = ["input"]
pad = 0
[[layers]]
type = "lstm"
inputs = ["embedding", "mask"]
masked = true
units = 16
return_sequences = true
[[layers]]
type = "linear"
units = 23
[loss]
type = "softmax_cross_entropy"
[optimizer]
type = "adam"
lr = 0.01
[train]
epochs = 5
batch_size = 15
checkpoint_every_seconds = 0
)");
  for (const std::string kind : {"series", "words"}) {
    auto r = redes("train " + kind + ".toml --out " + kind + "-one --threads 1 --quiet");
    ASSERT_EQ(r.rc, 0) << r.err;
    r = mpirun(2, "train " + kind + ".toml --out " + kind + "-two --threads 1 --quiet");
    ASSERT_EQ(r.rc, 0) << r.err;
    expect_same_losses(kind + "-one", kind + "-two");
    const auto one = summary(kind + "-one")["test"], two = summary(kind + "-two")["test"];
    for (const auto& [k, v] : one.items())
      if (v.is_number())
        EXPECT_NEAR(two[k].get<double>(), v.get<double>(), 1e-4 * (1 + std::abs(v.get<double>())))
            << kind << " test " << k;
  }
}

}  // namespace
