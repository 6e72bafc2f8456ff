// The recurrent models the ONNX tests export (export_test.cpp, in OpenCV) and import again
// (import_test.cpp): samples (6, 4), three outputs.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "redes/model.hpp"

inline std::vector<std::pair<std::string, std::vector<redes::LayerSpec>>> recurrent_cases() {
  using redes::layer;
  return {
      {"lstm", {layer("lstm", {{"units", 5}}), layer("linear", {{"units", 3}})}},
      {"lstm_bidirectional",
       {layer("lstm", {{"units", 4}, {"bidirectional", true}}), layer("linear", {{"units", 3}})}},
      {"lstm_stacked_sequences",
       {layer("lstm", {{"units", 4}, {"layers", 2}, {"return_sequences", true}}),
        layer("linear", {{"units", 3}}), layer("flatten"), layer("linear", {{"units", 3}})}},
      {"gru", {layer("gru", {{"units", 5}}), layer("linear", {{"units", 3}})}},
      {"gru_bidirectional_stacked",
       {layer("gru", {{"units", 3}, {"layers", 2}, {"bidirectional", true}}),
        layer("linear", {{"units", 3}})}},
      {"slice_permute",
       {layer("lstm", {{"units", 4}, {"return_sequences", true}}),
        layer("slice", {{"axis", 0}, {"start", -2}}), layer("permute", {{"dims", {1, 0}}}),
        layer("flatten"), layer("linear", {{"units", 3}})}},
  };
}
