// IDX image and label files, raw or gzip. The input holds both: a little-endian u16 with the
// length of the image file, the image file, then the label file (the rest).
#include <algorithm>
#include <cstdint>

#include "fuzz_util.hpp"
#include "redes/images.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static redes::fuzz::MemFile images, labels;
  if (size < 2) return 0;
  const size_t image_bytes = std::min<size_t>(data[0] | data[1] << 8, size - 2);
  images.write(data + 2, image_bytes);
  labels.write(data + 2 + image_bytes, size - 2 - image_bytes);
  // Every message names one of the two files; both paths start with /proc/self/fd/.
  redes::fuzz::expect_clean("/proc/self/fd/",
                            [&] { redes::read_idx(images.path(), labels.path()); });
  return 0;
}
