// ONNX files: import_onnx_bytes on any bytes (protobuf's parser, then the importer's checks of
// every tensor, attribute and shape), then what `redes import` asks of the model it made.
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "redes/onnx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  redes::fuzz::expect_clean("fuzz.onnx", [&] {
    const redes::Model m = redes::import_onnx_bytes(bytes, "fuzz.onnx");
    m.summary();
  });
  return 0;
}
