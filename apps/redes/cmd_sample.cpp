// redes sample MODEL: new words from a character-level word model.
#include <cstdio>

#include "commands.hpp"
#include "redes/model.hpp"
#include "redes/threads.hpp"

namespace redes::cli {

namespace {

struct SampleArgs {
  std::string model;
  int64_t count = 20;
  double temperature = 0.8;
  uint64_t seed = 1;
  int threads = 0;
};

}  // namespace

Command add_sample(CLI::App& app) {
  auto a = std::make_shared<SampleArgs>();
  auto* cmd = app.add_subcommand("sample", "Generate new words with a character-level word model");
  cmd->footer(
      "For a model trained on [data] kind = \"text\" (task = \"language_model\"). Each word starts "
      "from the "
      "begin token; each step runs the network on the characters drawn so far, divides the logits "
      "of the next "
      "character by the temperature and draws from their softmax, until the end token or the "
      "model's "
      "max_length. Prints one word a line.\n"
      "Example: redes sample runs/lstm-words/model.redes --count 20 --temperature 0.8");
  cmd->add_option("model", a->model, "A model.redes file from `redes train` on a word list")
      ->required();
  cmd->add_option("--count,-n", a->count, "How many words (default 20)");
  cmd->add_option(
      "--temperature,-t", a->temperature,
      "Divides the logits before the softmax: below 1 safer, above 1 wilder, 0 always the most "
      "likely character (default 0.8)");
  cmd->add_option("--seed", a->seed, "The random seed (same seed: same words; default 1)");
  cmd->add_option("--threads", a->threads, "Threads (0: all cores)");
  return {cmd, [a] {
            set_num_threads(a->threads);
            for (const auto& w : Model::load(a->model).sample(a->count, a->temperature, a->seed))
              std::printf("%s\n", w.c_str());
            return 0;
          }};
}

}  // namespace redes::cli
