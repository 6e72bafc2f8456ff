// The commands of the redes tool: each adds itself to the CLI and returns what to run when
// it is the one chosen. One file per command (cmd_<name>.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

namespace redes::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;  // exit code; throws redes::Error for bad input
};

Command add_train(CLI::App& app);
Command add_eval(CLI::App& app);
Command add_predict(CLI::App& app);
Command add_demo(CLI::App& app);
Command add_forecast(CLI::App& app);  // cmd_forecast.cpp
Command add_sample(CLI::App& app);    // cmd_sample.cpp
Command add_summary(CLI::App& app);   // cmd_summary.cpp
Command add_compare(CLI::App& app);   // cmd_compare.cpp
Command add_augment(CLI::App& app);   // cmd_augment.cpp
Command add_export(CLI::App& app);    // cmd_export.cpp
Command add_import(CLI::App& app);    // cmd_import.cpp
Command add_runs(CLI::App& app);      // cmd_runs.cpp

// The topics of `redes demo` that live in their own file (demo_<topic>.cpp).
int demo_approximation(const std::string& out, uint64_t seed, int restarts);

}  // namespace redes::cli
