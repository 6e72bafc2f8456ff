// Model files: load_model, then what `redes summary` asks of the model it loaded. The last four
// bytes of the input are replaced by the CRC-32 of the rest, as save_model writes it, so that
// mutations reach the header and the graph instead of stopping at the checksum; the layout
// checks before the checksum (magic, version, lengths) still see every mutation.
#include <zlib.h>

#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "redes/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static redes::fuzz::MemFile file;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (size >= 4) {
    const uint32_t crc =
        static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size - 4)));
    for (int k = 0; k < 4; ++k) bytes[size - 4 + k] = static_cast<char>(crc >> (8 * k));
  }
  file.write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  redes::fuzz::expect_clean(file.path(), [&] {
    const redes::Model m = redes::load_model(file.path());
    m.summary();  // the task, the kind, the input shape, the layers and the classes
    m.output_shape();
  });
  return 0;
}
