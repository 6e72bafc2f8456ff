// redes: train, evaluate and use small neural networks from the command line.
#include <toml++/toml.h>

#include <cstdio>
#include <cstdlib>
#include <new>

#include "commands.hpp"
#include "redes/distributed.hpp"
#include "redes/error.hpp"
#include "redes/isa.hpp"
#include "redes/threads.hpp"
#include "redes/version.hpp"
#ifdef REDES_HAVE_MPI
#include "mpi/mpi_world.hpp"
#endif

namespace {

// Prints an error and ends. Under MPI: an error every rank met alike (Agreed, after a collective
// check, or Diverged and Interrupted, which ranks decide together) is printed by rank 0 alone;
// any other is this rank's own, printed with its rank, and ends every rank (they would wait for
// it in the next collective call).
int fail(const std::string& what, int code, bool agreed) {
  redes::Communicator& w = redes::world();
  if (w.size() == 1 || (agreed && w.rank() == 0))
    std::fprintf(stderr, "redes: error: %s\n", what.c_str());
  if (w.size() > 1 && !agreed) {
    std::fprintf(stderr, "redes: error: rank %d: %s\n", w.rank(), what.c_str());
    std::fflush(stderr);
    w.abort(code);
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // How the OpenMP threads wait (redes/threads.hpp); may start the program again.
  redes::apply_openmp_wait_policy(argv);
#ifdef REDES_HAVE_MPI
  redes::start_mpi_world(&argc, &argv);  // under mpirun: the ranks of the job
#endif
  CLI::App app{"redes: train, evaluate and use small neural networks (dense, convolutional, LSTM)"};
  app.set_version_flag("--version", std::string("redes ") + redes::kVersion);
  app.require_subcommand(1);
  using namespace redes::cli;
  const Command commands[] = {add_train(app),   add_eval(app),     add_predict(app),
                              add_demo(app),    add_forecast(app), add_sample(app),
                              add_summary(app), add_compare(app),  add_runs(app),
                              add_augment(app), add_export(app),   add_import(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  // Bad input of any kind ends with one line and a non-zero exit, never a crash.
  try {
    redes::active_isa();  // a REDES_ISA that names no tier fails here, before any work
    for (const auto& c : commands) {
      if (!c.app->parsed()) continue;
      // Under mpirun every rank would do the same work and print the same lines.
      if (redes::world().size() > 1 && c.app->get_name() != "train")
        throw redes::Agreed("redes " + c.app->get_name() +
                            " runs as one process: of the commands only `redes train` runs "
                            "under mpirun");
      return c.run();
    }
  } catch (const redes::Agreed& e) {
    return fail(e.what(), 1, true);
  } catch (const redes::Diverged& e) {
    return fail(e.what(), 1, true);
  } catch (const redes::Interrupted& e) {
    return fail(e.what(), 1, true);
  } catch (const redes::Error& e) {
    return fail(e.what(), 1, false);
  } catch (const toml::parse_error& e) {
    return fail(e.what(), 1, false);
  } catch (const std::bad_alloc&) {
    // The graph refuses layers too large for the memory; a batch of activations still may be.
    return fail("out of memory (a smaller [train] batch_size may fit)", 1, false);
  } catch (const std::exception& e) {
    return fail(e.what(), 2, false);
  }
  return 0;
}
