// A run folder belongs to one run: a second training into it goes to the next free name, only
// --overwrite replaces it (and gives it back when the new run fails before its first
// checkpoint), a second process while one trains there is refused by the folder's lock, a lock
// left by a SIGKILLed run blocks nothing, and every file of a run carries its id.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/cli.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using redes::test::slurp;
using redes::test::write;
using redes::test::write_binary_table;

// The binary table task; `extra` goes at the end of [train].
std::string table_config(const std::string& optimizer = "type = \"adam\"\nlr = 0.01",
                         const std::string& extra = "epochs = 3") {
  return R"(task = "binary"
seed = 3
[data]
path = "table.csv"
features = ["x1", "x2", "color"]
categorical = ["color"]
target = "y"
test_fraction = 0.25
[[layers]]
type = "linear"
units = 8
[[layers]]
type = "relu"
[[layers]]
type = "linear"
units = 1
[loss]
type = "bce_logits"
[optimizer]
)" + optimizer +
         "\n[train]\nbatch_size = 8\ncheckpoint_every_seconds = 0\n" + extra + "\n";
}

class RunFolders : public redes::test::CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    write_binary_table(dir_ / "table.csv", 400);
    write(dir_ / "quick.toml", table_config());
  }

  json read_json(const std::string& file) { return json::parse(slurp(dir_ / file)); }

  // A training of many epochs (a checkpoint at each one's end), for another process to meet.
  void write_long_config() {
    write(dir_ / "long.toml", table_config("type = \"adam\"\nlr = 0.001", "epochs = 200"));
  }
};

TEST_F(RunFolders, ASecondTrainingGoesToTheNextFreeName) {
  auto r = redes("train quick.toml --out runs/x --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string model = slurp(dir_ / "runs/x/model.redes");
  const std::string id = read_json("runs/x/summary.json")["run_id"];

  r = redes("train quick.toml --out runs/x --epochs 2");  // not --quiet: the note is progress
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("results in runs/x-2"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("runs/x holds another run; this one goes to runs/x-2 (--resume continues "
                       "that run, --overwrite replaces it)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(slurp(dir_ / "runs/x/model.redes"), model);
  EXPECT_EQ(read_json("runs/x/summary.json")["run_id"], id);
  EXPECT_EQ(read_json("runs/x/summary.json")["epochs"], 3);
  EXPECT_EQ(read_json("runs/x-2/summary.json")["epochs"], 2);
  EXPECT_NE(read_json("runs/x-2/summary.json")["run_id"], id);

  // And the default folder, runs/<name>, the same way; a trailing slash names the same folder.
  ASSERT_EQ(redes("train quick.toml --quiet").rc, 0);
  r = redes("train quick.toml --out runs/quick/ --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("results in runs/quick-2"), std::string::npos) << r.out;
}

TEST_F(RunFolders, OverwriteReplacesTheRunOnPurpose) {
  ASSERT_EQ(redes("train quick.toml --out x --quiet").rc, 0);
  const std::string id = read_json("x/summary.json")["run_id"];
  auto r = redes("train quick.toml --out x --overwrite --epochs 2 --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("results in x\n"), std::string::npos) << r.out;
  EXPECT_NE(read_json("x/summary.json")["run_id"], id);
  EXPECT_EQ(read_json("x/summary.json")["epochs"], 2);
  EXPECT_FALSE(fs::exists(dir_ / "x-2"));
  for (const auto& e : fs::directory_iterator(dir_))  // the old run, kept aside, is gone
    EXPECT_EQ(e.path().filename().string().find(".x.replaced"), std::string::npos) << e.path();

  r = redes("train quick.toml --resume x --overwrite --quiet");
  expect_clear_error(r, "--resume", "--overwrite");
  // A resume of a folder without a checkpoint changes nothing in it.
  fs::create_directories(dir_ / "empty");
  r = redes("train quick.toml --resume empty --quiet");
  expect_clear_error(r, "empty/checkpoint.redes-ckpt", "no checkpoint to resume from");
  EXPECT_FALSE(fs::exists(dir_ / "empty/run.json"));
}

TEST_F(RunFolders, AnOverwriteThatFailsBeforeItsFirstCheckpointGivesTheOldRunBack) {
  ASSERT_EQ(redes("train quick.toml --out x --quiet").rc, 0);
  const std::string model = slurp(dir_ / "x/model.redes"), summary = slurp(dir_ / "x/summary.json");
  // Weights of 1e37 after the first step: the second batch's outputs are infinite.
  write(dir_ / "diverges.toml", table_config("type = \"sgd\"\nlr = 1e38"));
  const auto r = redes("train diverges.toml --out x --overwrite --quiet");
  expect_clear_error(r, "training diverged", "at epoch 1");
  EXPECT_EQ(slurp(dir_ / "x/model.redes"), model);
  EXPECT_EQ(slurp(dir_ / "x/summary.json"), summary);
  EXPECT_EQ(read_json("x/run.json")["status"], "finished");
}

TEST_F(RunFolders, TwoTrainingsIntoOneFolderAtOnce) {
  write_long_config();
  const pid_t first = start({"train", "long.toml", "--out", "x", "--quiet"}, "first.err");
  ASSERT_TRUE(wait_for("x/run.json"));
  // Stopped, the first still holds the folder however fast the machine is.
  ::kill(first, SIGSTOP);
  const auto r = redes("train quick.toml --out x --quiet");
  ::kill(first, SIGCONT);
  expect_clear_error(r, "x: in use by process " + std::to_string(first), "wait for that training");
  int status = 0;
  ::waitpid(first, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(dir_ / "first.err");
  // The first run's files are all its own.
  const json summary = read_json("x/summary.json"), run = read_json("x/run.json");
  EXPECT_EQ(summary["epochs"], 200);
  EXPECT_EQ(summary["run_id"], run["run_id"]);
  EXPECT_EQ(run["status"], "finished");
  EXPECT_EQ(run["epochs_done"], 200);
  EXPECT_NE(slurp(dir_ / "x/config.toml").find("epochs = 200"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "x-2"));
}

TEST_F(RunFolders, TheLockOfAKilledRunBlocksNothing) {
  write_long_config();
  const pid_t first = start({"train", "long.toml", "--out", "x", "--quiet"}, "first.err");
  ASSERT_TRUE(wait_for("x/checkpoint.redes-ckpt"));
  ::kill(first, SIGSTOP);  // (no further before the kill)
  ::kill(first, SIGKILL);
  ::waitpid(first, nullptr, 0);
  ASSERT_FALSE(fs::exists(dir_ / "x/summary.json"));
  EXPECT_EQ(read_json("x/run.json")["status"], "running");  // as the killed process left it
  // A write the kill cut short leaves its temporary; the resume clears it.
  write(dir_ / "x/checkpoint.redes-ckpt.tmp.999999", "half a checkpoint");
  // A new run goes to the next name (x holds an interrupted run); the killed one resumes.
  auto r = redes("train quick.toml --out x --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("results in x-2"), std::string::npos) << r.out;
  const std::string id = read_json("x/run.json")["run_id"];
  r = redes("train long.toml --resume x --quiet");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(read_json("x/summary.json")["run_id"], id);  // the same run, gone on with
  EXPECT_EQ(read_json("x/run.json")["status"], "finished");
  EXPECT_FALSE(fs::exists(dir_ / "x/checkpoint.redes-ckpt.tmp.999999"));
}

TEST_F(RunFolders, EveryFileOfARunCarriesItsId) {
  ASSERT_EQ(redes("train quick.toml --out x --quiet").rc, 0);
  const json summary = read_json("x/summary.json"), run = read_json("x/run.json");
  const std::string id = summary["run_id"];
  EXPECT_EQ(id.size(), std::string("20261206-221503-3f9a1c").size()) << id;
  EXPECT_EQ(run["run_id"], id);
  EXPECT_NE(slurp(dir_ / "x/report.html").find(id), std::string::npos);
  EXPECT_NE(slurp(dir_ / "x/model.redes").find(id), std::string::npos);
  EXPECT_NE(slurp(dir_ / "x/checkpoint.redes-ckpt").size(), 0u);
  for (const char* key : {"redes_version", "started", "ended"}) {
    EXPECT_TRUE(summary.contains(key) && summary[key].is_string()) << key;
    EXPECT_EQ(summary[key], run[key]) << key;
  }
  EXPECT_TRUE(summary["machine"]["cpu"].is_string());
  EXPECT_GE(summary["machine"]["cores"].get<int>(), 1);
  EXPECT_EQ(run["status"], "finished");
  EXPECT_EQ(run["epochs_done"], 3);
  EXPECT_EQ(run["name"], "quick");
  EXPECT_EQ(run["task"], "binary");
  EXPECT_EQ(fs::path(run["data"].get<std::string>()).filename(), "table.csv");
  EXPECT_EQ(run["pid"].get<int>() > 0, true);
}

}  // namespace
