// JSON tables (arrays of records): the SAX reader, then every cell as the encoder reads it.
#include <cstdint>
#include <string_view>

#include "fuzz_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  redes::fuzz::expect_clean("fuzz.json", [&] {
    redes::fuzz::read_cells(redes::table_detail::parse_json(text, "fuzz.json"));
  });
  return 0;
}
