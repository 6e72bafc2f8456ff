// The model file: graph, weights and preprocessing in one file.
//
// Layout (little endian):  "REDESMDL" magic (8 bytes), u32 format version, u64 header length,
// header (JSON: task, layer specs, input shape, preprocessing, names and shapes of the
// parameters and buffers (running statistics), in Graph::state() order),
// u64 weight count, weights (float32), u32 CRC-32 of everything before it.
// Written atomically: a temporary file in the same folder, then rename.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "redes/files.hpp"
#include "redes/graph.hpp"
#include "redes/table.hpp"

namespace redes {

inline constexpr uint32_t kModelFormatVersion = 1;

struct Model {
  std::unique_ptr<Graph> graph;
  Preprocessor prep;  // empty (no columns) for models not trained on tables
  nlohmann::json meta = nlohmann::json::object();  // task, loss, config name, free-form extras
};

void save_model(const std::string& path, const Model& model);
// Throws ModelFileError "<path>: <problem>" for a missing file, a wrong magic, an unknown
// version (with a hint), a truncated file, a checksum mismatch or an inconsistent header.
Model load_model(const std::string& path);

}  // namespace redes
