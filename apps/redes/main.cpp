// redes: train, evaluate and use small neural networks from the command line.
#include <toml++/toml.h>

#include <cstdio>
#include <cstdlib>
#include <new>

#include "commands.hpp"
#include "redes/error.hpp"
#include "redes/threads.hpp"
#include "redes/version.hpp"

int main(int argc, char** argv) {
  // How the OpenMP threads wait (redes/threads.hpp); may start the program again.
  redes::apply_openmp_wait_policy(argv);
  CLI::App app{"redes: train, evaluate and use small neural networks (dense, convolutional, LSTM)"};
  app.set_version_flag("--version", std::string("redes ") + redes::kVersion);
  app.require_subcommand(1);
  using namespace redes::cli;
  const Command commands[] = {
      add_train(app),  add_eval(app),    add_predict(app), add_demo(app),    add_forecast(app),
      add_sample(app), add_summary(app), add_compare(app), add_augment(app), add_export(app),
      add_import(app)};

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
  } catch (const std::bad_alloc&) {
    // The graph refuses layers too large for the memory; a batch of activations still may be.
    std::fprintf(stderr, "redes: error: out of memory (a smaller [train] batch_size may fit)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redes: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
