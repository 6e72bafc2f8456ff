// .npy files: parse_npy on any bytes.
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "redes/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  redes::fuzz::expect_clean("fuzz.npy", [&] { redes::parse_npy(bytes, "fuzz.npy"); });
  return 0;
}
