// redes: train, evaluate and use small neural networks from the command line.
#include <toml++/toml.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "commands.hpp"
#include "redes/error.hpp"

int main(int argc, char** argv) {
  // OpenMP threads that spin while they wait lose their core's time slice to any other busy
  // process: on a shared 2-core machine an epoch of LeNet-5 took 20 times longer with spinning
  // threads (libgomp's default) than with sleeping ones. libgomp reads OMP_WAIT_POLICY before
  // main runs, so redes sets it and starts itself again, unless the user chose a policy.
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);  // returns only if it failed: then go on as we are
  }
  CLI::App app{"redes: train, evaluate and use small neural networks (dense, convolutional, LSTM)"};
  app.set_version_flag("--version", std::string("redes ") + REDES_VERSION);
  app.require_subcommand(1);
  using namespace redes::cli;
  const Command commands[] = {add_train(app), add_eval(app),     add_predict(app),
                              add_demo(app),  add_forecast(app), add_sample(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  // Bad input of any kind ends with one line and a non-zero exit, never a crash.
  try {
    for (const auto& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const redes::Error& e) {
    std::fprintf(stderr, "redes: error: %s\n", e.what());
    return 1;
  } catch (const toml::parse_error& e) {
    std::fprintf(stderr, "redes: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redes: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
