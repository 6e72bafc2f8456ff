// CIFAR-10 and CIFAR-100 binary batches. The first byte of the input chooses the format (bit 0:
// CIFAR-100, bit 1: its fine labels); the rest is the batch file.
#include <cstdint>

#include "fuzz_util.hpp"
#include "redes/images.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static redes::fuzz::MemFile batch;
  if (size < 1) return 0;
  const bool cifar100 = data[0] & 1, fine = data[0] & 2;
  batch.write(data + 1, size - 1);
  redes::fuzz::expect_clean(batch.path(),
                            [&] { redes::read_cifar({batch.path()}, cifar100, fine); });
  return 0;
}
