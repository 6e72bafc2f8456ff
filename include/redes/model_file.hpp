// The model file: graph, weights and preprocessing in one file.
//
// Layout (little endian):  "REDESMDL" magic (8 bytes), u32 format version, u64 header length,
// header (JSON: layer specs, input shape, preprocessing, names and shapes of the parameters and
// buffers (running statistics), in Graph::state() order, and meta: the task, the kind of data,
// the loss, the run's name, what reading new data needs), u64 weight count, weights (float32),
// u32 CRC-32 of everything before it. Written atomically: a temporary file in the same folder,
// then rename.
//
// Versions: 2 records meta.task and meta.kind for every model. Files of version 1 (redes 0.1)
// still load: their kind is meta.data.kind, or "table" when they have none.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "redes/files.hpp"
#include "redes/model.hpp"

namespace redes {

inline constexpr uint32_t kModelFormatVersion = 2;

// meta.task and meta.kind must name a task and a kind that go together (ModelFileError).
void save_model(const std::string& path, const Model& model);
// Throws ModelFileError "<path>: <problem>" for a missing file, a wrong magic, an unknown
// version (with a hint), a truncated file, a checksum mismatch or an inconsistent header.
Model load_model(const std::string& path);

}  // namespace redes
