// Checkpoints: what `redes train CONFIG --resume RUN` does with RUN/checkpoint.redes-ckpt,
// load_checkpoint into the graph of kConfig with kConfig to compare, on the input with its
// checksum made right (with_crc). The seeds are checkpoints that `redes train` wrote for
// kConfig (after epoch 1, in the middle of an epoch (stopped with SIGINT), after epoch 6 with
// early stopping's best weights), with batchnorm's buffers and Adam's moments among the floats.
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "redes/checkpoint.hpp"
#include "redes/config.hpp"

namespace {

constexpr const char* kConfig = R"(name = "fuzz"
task = "binary"
seed = 1

[data]
path = "/tmp/redes-fuzz-checkpoint/points.csv"  # (the seeds were written there)
features = ["x1", "x2"]
target = "y"
test_fraction = 0.25
validation_fraction = 0.25

[[layers]]
type = "linear"
units = 4

[[layers]]
type = "batchnorm1d"

[[layers]]
type = "relu"

[[layers]]
type = "linear"
units = 1

[loss]
type = "bce_logits"

[optimizer]
type = "adam"
lr = 0.01

[train]
epochs = 6
batch_size = 8
checkpoint_every_batches = 3

[train.early_stopping]
monitor = "val_loss"
patience = 1
restore_best = true
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static redes::fuzz::MemFile file;
  static const std::string config_text = kConfig;
  static const redes::Config config = redes::parse_config(config_text, "fuzz.toml");
  const std::string bytes = redes::fuzz::with_crc(data, size);
  file.write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  redes::Graph graph(config.layers, redes::Shape({2}));
  redes::fuzz::expect_clean(file.path(),
                            [&] { redes::load_checkpoint(file.path(), graph, &config_text); });
  return 0;
}
