// Time series: a CSV or JSON table (the reader tells them apart by the first byte) with a value
// column "v" and a time column "t", read as redes forecast reads it, and the times that would
// continue it.
#include <cstdint>

#include "fuzz_util.hpp"
#include "redes/series.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static redes::fuzz::MemFile file;
  file.write(data, size);
  redes::fuzz::expect_clean(file.path(), [&] {
    const redes::Series s = redes::read_series(file.path(), "", "v", "t", {});
    redes::extend_times(s.times, 3);
  });
  return 0;
}
