// Model files: load_model, then what `redes summary` asks of the model it loaded, on the input
// with its checksum made right (with_crc).
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "redes/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static redes::fuzz::MemFile file;
  const std::string bytes = redes::fuzz::with_crc(data, size);
  file.write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  redes::fuzz::expect_clean(file.path(), [&] {
    const redes::Model m = redes::load_model(file.path());
    m.summary();  // the task, the kind, the input shape, the layers and the classes
    m.output_shape();
  });
  return 0;
}
