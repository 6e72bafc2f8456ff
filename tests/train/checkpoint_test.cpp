// Checkpoint files (redes/checkpoint.hpp): what is saved loads back, and a checkpoint that does
// not fit the run is an error naming the file. (The container's own checks are model_file's;
// fuzz/fuzz_checkpoint.cpp feeds load_checkpoint any bytes.)
#include "redes/checkpoint.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

using namespace redes;
namespace fs = std::filesystem;

namespace {

LayerSpec linear(std::string name, int units) {
  LayerSpec s;
  s.kind = "linear";
  s.name = std::move(name);
  s.attrs = {{"units", units}};
  return s;
}

struct CheckpointFile : ::testing::Test {
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("redes-checkpoint-" +
           std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir);
    path = (dir / "checkpoint.redes-ckpt").string();
    Rng rng(3);
    graph.init(rng);
    state.epoch = 2, state.batch = 5;
    state.order = {2, 0, 1};
    state.rng = state.dropout_rng = {1, 2, 3, 4, 5, 6};
    state.optimizer.vectors = {std::vector<float>(graph.values().size(), 0.5f)};
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string load_error(Graph& g, const std::string* config) {
    try {
      load_checkpoint(path, g, config);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }

  fs::path dir;
  std::string path;
  Graph graph{{linear("a", 3), linear("b", 1)}, Shape{2}};
  TrainState state;
  const std::string config = "seed = 1\n[train]\nepochs = 4\n";
};

}  // namespace

TEST_F(CheckpointFile, WhatIsSavedLoadsBack) {
  save_checkpoint(path, state, graph, config);
  const std::vector<float> weights(graph.values().begin(), graph.values().end());
  Graph other{{linear("a", 3), linear("b", 1)}, Shape{2}};
  const std::string more_epochs = "seed = 1\n[train]\nepochs = 9\n";  // a resume may change it
  const Checkpoint c = load_checkpoint(path, other, &more_epochs);
  EXPECT_EQ(std::vector<float>(other.values().begin(), other.values().end()), weights);
  EXPECT_EQ(c.state.epoch, 2);
  EXPECT_EQ(c.state.batch, 5);
  EXPECT_EQ(c.state.order, state.order);
  EXPECT_EQ(c.state.optimizer.vectors, state.optimizer.vectors);
  EXPECT_EQ(c.config_text, config);
}

TEST_F(CheckpointFile, TheLogsKeptBetweenCheckpointsWriteTheSameFile) {
  const auto log = [](int epoch) {
    EpochLog l;
    l.epoch = epoch, l.lr = 0.01 / epoch, l.seconds = 0.25 * epoch;
    l.train.loss = 1.0 / (epoch + 2);
    l.train.values["accuracy"] = 0.5 + 0.01 * epoch;
    l.train.confusion = {{epoch, 1}, {2, 3}};
    if (epoch % 2) l.val = l.train;
    return l;
  };
  const auto bytes = [&] {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CheckpointLogs kept;
  for (int epoch = 1; epoch <= 4; ++epoch) {
    state.logs.push_back(log(epoch));
    save_checkpoint(path, state, graph, config, &kept);
    EXPECT_EQ(kept.epochs, state.logs.size());
    const std::string with_kept = bytes();
    save_checkpoint(path, state, graph, config);
    EXPECT_EQ(bytes(), with_kept) << "after epoch " << epoch;
  }
  Graph other{{linear("a", 3), linear("b", 1)}, Shape{2}};
  const Checkpoint c = load_checkpoint(path, other, &config);
  ASSERT_EQ(c.state.logs.size(), 4u);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(c.state.logs[i].to_json(), state.logs[i].to_json()) << "epoch " << i + 1;
  // A state with fewer logs than kept (another run's) is written whole, not from what was kept.
  state.logs.resize(1);
  save_checkpoint(path, state, graph, config, &kept);
  EXPECT_EQ(load_checkpoint(path, other, &config).state.logs.size(), 1u);
}

TEST_F(CheckpointFile, ACheckpointThatDoesNotFitTheRunIsAnErrorNamingTheFile) {
  save_checkpoint(path, state, graph, config);
  const std::string other_seed = "seed = 2\n[train]\nepochs = 4\n";
  EXPECT_EQ(load_error(graph, &other_seed),
            path +
                ": the config differs from the run's: seed is 2, the run had 1 (a resume may "
                "change only --epochs and --threads)");
  Graph wider{{linear("a", 4), linear("b", 1)}, Shape{2}};
  EXPECT_EQ(load_error(wider, nullptr),
            path +
                ": parameter 1 is a.weight (4, 2) in the model but a.weight (3, 2) in the "
                "checkpoint");
  // fuzz_checkpoint found this one: a config in the header that is not TOML escaped as
  // toml::parse_error.
  save_checkpoint(path, state, graph, "seed = [");
  const std::string message = load_error(graph, &config);
  EXPECT_TRUE(message.starts_with(path + ": bad header: the config is not TOML: ")) << message;
}

// Under MPI a checkpoint holds every rank's generators and metrics; a rank's generator state that
// is not six numbers is a bad header.
TEST_F(CheckpointFile, EveryRanksStateLoadsBack) {
  state.ranks = {{{1, 2, 3, 4, 5, 6}, {}, nlohmann::json()},
                 {{7, 8, 9, 10, 11, 12}, {6, 5, 4, 3, 2, 1}, {{"seen", 4}}}};
  save_checkpoint(path, state, graph, config);
  Checkpoint c = load_checkpoint(path, graph, &config);
  ASSERT_EQ(c.state.ranks.size(), 2u);
  EXPECT_EQ(c.state.ranks[1].dropout_rng, state.ranks[1].dropout_rng);
  EXPECT_EQ(c.state.ranks[1].data_rng, state.ranks[1].data_rng);
  EXPECT_EQ(c.state.ranks[1].batch_metrics, state.ranks[1].batch_metrics);
  EXPECT_TRUE(c.state.ranks[0].data_rng.empty());

  state.ranks[1].dropout_rng.pop_back();
  save_checkpoint(path, state, graph, config);
  EXPECT_EQ(load_error(graph, &config),
            path + ": bad header: a rank's dropout generator state is not six numbers");
}
