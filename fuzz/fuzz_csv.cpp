// CSV tables: the parser, then every cell as the encoder reads it.
#include <cstdint>
#include <string_view>

#include "fuzz_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  redes::fuzz::expect_clean("fuzz.csv", [&] {
    redes::fuzz::read_cells(redes::table_detail::parse_csv(text, "fuzz.csv"));
  });
  return 0;
}
