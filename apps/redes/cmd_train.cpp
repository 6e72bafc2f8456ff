// redes train CONFIG: train the model a config describes and write a run folder.
#include <toml++/toml.h>

#include <cstdio>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "redes/run.hpp"

namespace redes::cli {

namespace {

struct TrainArgs {
  std::string config, out;
  std::optional<int> epochs, threads;
  std::optional<uint64_t> seed;
  bool quiet = false;
};

// The config as used: the file's text with the command-line overrides written in.
std::string config_as_used(const Config& c, const TrainArgs& a) {
  if (!a.epochs && !a.seed && !a.threads) return c.text;
  toml::table t = toml::parse(c.text);
  if (a.seed) t.insert_or_assign("seed", static_cast<int64_t>(*a.seed));
  if (a.threads) t.insert_or_assign("threads", *a.threads);
  if (a.epochs) {
    if (!t.contains("train")) t.insert("train", toml::table{});
    t["train"].as_table()->insert_or_assign("epochs", *a.epochs);
  }
  std::ostringstream os;
  os << "# " << c.path << " with the command-line overrides applied\n" << t << "\n";
  return os.str();
}

int run_train(const TrainArgs& a) {
  Config c = load_config(a.config);
  if (a.epochs) {
    if (*a.epochs < 1) throw ConfigError("--epochs must be at least 1");
    c.train.epochs = *a.epochs;
  }
  if (a.seed) c.seed = *a.seed;
  if (a.threads) {
    if (*a.threads < 0) throw ConfigError("--threads must be 0 (all cores) or more");
    c.threads = *a.threads;
  }
  c.text = config_as_used(c, a);
  const std::string out = a.out.empty() ? "runs/" + c.name : a.out;
  auto progress = make_console_progress(a.quiet);
  const auto summary = train_run(c, out, *progress);
  std::printf("%s: %s, %d epochs (%.3g s each), test", c.name.c_str(),
              std::string(name(c.task)).c_str(), summary["epochs"].get<int>(),
              summary["seconds_per_epoch"].get<double>());
  for (const auto& [k, v] : summary["test"].items())
    if (v.is_number()) std::printf(" %s %.4f", k.c_str(), v.get<double>());
  std::printf("\nresults in %s\n", out.c_str());
  return 0;
}

}  // namespace

Command add_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd =
      app.add_subcommand("train", "Train the model a TOML config describes and write a run folder");
  cmd->add_option("config", a->config, "The config file (see examples/)")->required();
  cmd->add_option("--out,-o", a->out, "The run folder (default: runs/<name>)");
  cmd->add_option("--epochs", a->epochs, "Override train.epochs");
  cmd->add_option("--seed", a->seed, "Override the seed (same seed and threads: same result)");
  cmd->add_option("--threads", a->threads, "Override the thread count (0: all cores)");
  cmd->add_flag("--quiet,-q", a->quiet, "No progress output");
  return {cmd, [a] { return run_train(*a); }};
}

}  // namespace redes::cli
