// Checkpoints: everything a training needs to go on bit for bit after an interruption.
//
// A tagged file (magic "REDESCKP"; the container of model files, io/tagged_file.hpp) whose
// floats are the graph's parameters and buffers (Graph::state() order, as in a model file),
// then the optimizer's state vectors, then the early-stopping best weights; its JSON header
// holds the rest of the TrainState (position, order, generators, schedule, logs) and the
// config as used, which a resume compares with its own. Written atomically (temporary file,
// fsync, rename), so the previous checkpoint stays until the next is complete.
#pragma once
#include <cstdint>
#include <string>

#include "redes/graph.hpp"
#include "redes/train.hpp"

namespace redes {

inline constexpr uint32_t kCheckpointFormatVersion = 1;
// The checkpoint in a run folder.
inline constexpr const char* kCheckpointName = "checkpoint.redes-ckpt";

// The epochs' logs of one run as checkpoint JSON, kept from one checkpoint to the next: the
// logs only grow, so each checkpoint dumps only the epochs new since the last one instead of all
// of them again (1000 epochs of examples/cars.toml: 6.1 s before, 2.8 s with it, on Zen 5).
struct CheckpointLogs {
  size_t epochs = 0;  // of state.logs in json
  std::string json;   // their objects, comma-separated
};

// Writes the file atomically. With logs, state.logs must begin with the epochs logs holds.
void save_checkpoint(const std::string& path, const TrainState& state, const Graph& graph,
                     const std::string& config_text, CheckpointLogs* logs = nullptr);

struct Checkpoint {
  TrainState state;
  std::string config_text;
};
// Fills the graph's parameters and buffers from the file. Throws ModelFileError "<path>:
// <problem>" for a missing, truncated or corrupted file, or one whose parameters are not the
// graph's; with config_text, first ConfigError "<path>: the config differs from the run's:
// ..." when config_difference finds one.
Checkpoint load_checkpoint(const std::string& path, Graph& graph,
                           const std::string* config_text = nullptr);
// The same for a checkpoint's bytes already read from path (under MPI rank 0 reads the file and
// broadcasts it, so that only its machine needs the run folder).
Checkpoint load_checkpoint_bytes(const std::string& path, const std::string& bytes, Graph& graph,
                                 const std::string* config_text = nullptr);
// The bytes of the checkpoint file at path (ModelFileError when it cannot be read or is far
// too large).
std::string read_checkpoint_file(const std::string& path);

// The first difference between two configs (TOML texts) apart from the keys a resume may
// change ([train] epochs, threads), as "[layers] 2: units is 32, the run had 16"; "" when
// they agree.
std::string config_difference(const std::string& run_text, const std::string& new_text);

}  // namespace redes
