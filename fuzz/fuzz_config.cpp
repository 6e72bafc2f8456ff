// TOML configs: parse_config on any text (toml++, then every table's keys and values).
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "redes/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  redes::fuzz::expect_clean("fuzz.toml", [&] { redes::parse_config(text, "fuzz.toml"); });
  return 0;
}
