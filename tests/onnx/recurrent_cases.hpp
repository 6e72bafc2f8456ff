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
      // Initial states computed from the input: (N, L*D, H) each, sliced per layer in ONNX.
      {"lstm_initial_state",
       {layer("flatten", {}, "flat", {"input"}), layer("linear", {{"units", 8}}, "h", {"flat"}),
        layer("reshape", {{"shape", {2, 4}}}, "h0", {"h"}),
        layer("linear", {{"units", 8}}, "c", {"flat"}),
        layer("reshape", {{"shape", {2, 4}}}, "c0", {"c"}),
        layer("lstm", {{"units", 4}, {"layers", 2}, {"initial_state", true}}, "rnn",
              {"input", "h0", "c0"}),
        layer("linear", {{"units", 3}})}},
      {"gru_initial_state",
       {layer("flatten", {}, "flat", {"input"}), layer("linear", {{"units", 6}}, "h", {"flat"}),
        layer("reshape", {{"shape", {2, 3}}}, "h0", {"h"}),
        layer("gru", {{"units", 3}, {"bidirectional", true}, {"initial_state", true}}, "rnn",
              {"input", "h0"}),
        layer("linear", {{"units", 3}})}},
      {"slice_permute",
       {layer("lstm", {{"units", 4}, {"return_sequences", true}}),
        layer("slice", {{"axis", 0}, {"start", -2}}), layer("permute", {{"dims", {1, 0}}}),
        layer("flatten"), layer("linear", {{"units", 3}})}},
  };
}
