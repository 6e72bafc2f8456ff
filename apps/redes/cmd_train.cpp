// redes train CONFIG: train the model a config describes and write a run folder.
#include <cstdio>

#include "commands.hpp"
#include "redes/run.hpp"

namespace redes::cli {

namespace {

struct TrainArgs {
  std::string config;
  TrainOverrides overrides;
  bool quiet = false;
};

int run_train(const TrainArgs& a) {
  auto progress = make_console_progress(a.quiet);
  const auto summary = train_config(a.config, a.overrides, *progress);
  std::printf("%s: %s, %d epochs (%.3g s each), test", summary["name"].get<std::string>().c_str(),
              summary["task"].get<std::string>().c_str(), summary["epochs"].get<int>(),
              summary["seconds_per_epoch"].get<double>());
  for (const auto& [k, v] : summary["test"].items())
    if (v.is_number()) std::printf(" %s %.4f", k.c_str(), v.get<double>());
  std::printf("\nresults in %s\n", summary["out"].get<std::string>().c_str());
  return 0;
}

}  // namespace

Command add_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd =
      app.add_subcommand("train", "Train the model a TOML config describes and write a run folder");
  cmd->add_option("config", a->config, "The config file (see examples/)")->required();
  cmd->add_option("--out,-o", a->overrides.out, "The run folder (default: runs/<name>)");
  cmd->add_option("--epochs", a->overrides.epochs, "Override train.epochs");
  cmd->add_option("--seed", a->overrides.seed,
                  "Override the seed (same seed and threads: same result)");
  cmd->add_option("--threads", a->overrides.threads, "Override the thread count (0: all cores)");
  cmd->add_flag("--quiet,-q", a->quiet, "No progress output");
  return {cmd, [a] { return run_train(*a); }};
}

}  // namespace redes::cli
