// Building layers through the registry from a test: a LayerSpec as the config reader makes it
// (the layer on line `line` of model.toml, its attributes on the next), and the message of the
// ConfigError that building it throws.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redes/error.hpp"
#include "redes/layer.hpp"

namespace redes::test {

inline LayerSpec layer_spec(const std::string& kind,
                            nlohmann::json attrs = nlohmann::json::object(),
                            std::string name = "l1", std::vector<std::string> inputs = {},
                            int line = 12) {
  LayerSpec s;
  s.kind = kind;
  s.name = std::move(name);
  s.inputs = std::move(inputs);
  s.attrs = attrs.is_null() ? nlohmann::json::object() : std::move(attrs);
  s.where[""] = "model.toml:" + std::to_string(line);
  for (const auto& [key, value] : s.attrs.items())
    s.where[key] = "model.toml:" + std::to_string(line + 1);
  return s;
}

// The message of the ConfigError that building `s` throws ("" if none).
inline std::string config_error(const LayerSpec& s) {
  try {
    make_layer<float>(s);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace redes::test
