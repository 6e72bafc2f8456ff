// redes train CONFIG: train the model a config describes and write a run folder; --resume
// goes on with an interrupted run. SIGINT and SIGTERM stop the training after the current
// batch with a checkpoint (a second one ends the process at once).
#include <atomic>
#include <csignal>
#include <cstdio>

#include "commands.hpp"
#include "redes/distributed.hpp"
#include "redes/error.hpp"
#include "redes/run.hpp"

namespace redes::cli {

namespace {

struct TrainArgs {
  std::string config, resume;
  TrainOverrides overrides;
  bool quiet = false;
};

std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) {
  stop_requested.store(true);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

int run_train(TrainArgs a) {
  if (!a.resume.empty()) {
    if (!a.overrides.out.empty() && a.overrides.out != a.resume)
      throw ConfigError("--out " + a.overrides.out + " and --resume " + a.resume +
                        " name different run folders");
    if (a.overrides.control.overwrite)
      throw ConfigError("--resume goes on with a run, --overwrite replaces it: give one of them");
    a.overrides.out = a.resume;
    a.overrides.control.resume = true;
  }
  a.overrides.control.stop = &stop_requested;
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  // Under MPI, rank 0 speaks for the job.
  const bool speaker = world().rank() == 0;
  auto progress = speaker ? make_console_progress(a.quiet) : std::make_unique<Progress>();
  nlohmann::json summary;
  try {
    summary = train_config(a.config, a.overrides, *progress);
  } catch (const Interrupted& e) {
    if (speaker) std::fprintf(stderr, "redes: %s\n", e.what());
    return 130;
  }
  if (!speaker) return 0;
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
  cmd->add_option("--resume", a->resume,
                  "Go on with the interrupted (or finished) run in this folder: the same config, "
                  "seed and threads end bit-identical to a run never stopped; --epochs may be "
                  "raised");
  cmd->add_flag("--overwrite", a->overrides.control.overwrite,
                "Replace the run in the folder (without it, a folder that holds a run is left "
                "alone and the run goes to the next free name: runs/cars-2, ...)");
  cmd->add_flag("--quiet,-q", a->quiet, "No progress output");
  return {cmd, [a] { return run_train(*a); }};
}

}  // namespace redes::cli
