// CIFAR-10 and CIFAR-100 binary batches (Krizhevsky 2009, the "binary version" archives).
//
// A batch file is a plain sequence of fixed-size records, without a header:
//   CIFAR-10:  1 label byte (0..9), then 3072 pixel bytes;
//   CIFAR-100: 1 coarse label byte (0..19), 1 fine label byte (0..99), then 3072 pixel bytes.
// The 3072 bytes are the red plane, then the green, then the blue, each 32x32 in row-major
// order: exactly (C, H, W) with C = 3, so a record's pixels are copied as they are.
//
// Several files (data_batch_1.bin ... data_batch_5.bin) concatenate in the order given. Since
// there is no magic number, the checks are: the size is a whole number of records, and every
// label is in range; a gzip or tar archive given by mistake is recognised and named.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/images.hpp"

namespace redes {

namespace {
constexpr int64_t kSide = 32, kPixels = 3 * kSide * kSide;
constexpr uint64_t kMaxFileBytes = uint64_t{1} << 31;
}  // namespace

ImageSet read_cifar(const std::vector<std::string>& batch_files, bool cifar100, bool fine_labels,
                    int64_t limit) {
  const char* format = cifar100 ? "CIFAR-100" : "CIFAR-10";
  REDES_CHECK(!batch_files.empty(), DataError,
              std::string("no ") + format + " batch files given (data_batch_1.bin, ...)");
  const int64_t label_bytes = cifar100 ? 2 : 1;
  const int64_t record = label_bytes + kPixels;
  ImageSet set;
  set.source = batch_files.front();
  set.channels = 3;
  set.height = kSide;
  set.width = kSide;
  for (const std::string& path : batch_files) {
    if (limit > 0 && set.size() >= limit) break;
    const std::string bytes =
        read_file<DataError>(path, kMaxFileBytes, std::string("a ") + format + " batch");
    const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
    const auto size = static_cast<int64_t>(bytes.size());
    if (size >= 2 && b[0] == 0x1f && b[1] == 0x8b)
      throw DataError(path + ": gzip-compressed; extract the " + format +
                      " binary archive first (tar xzf) and give the .bin files");
    if (size >= 262 && std::memcmp(b + 257, "ustar", 5) == 0)
      throw DataError(path + ": a tar archive; extract it first (tar xf) and give the .bin files");
    if (size == 0) throw DataError(path + ": empty: no " + std::string(format) + " records");
    if (size % record != 0)
      throw DataError(path + ": truncated: " + std::to_string(size) +
                      " bytes is not a whole number of " + std::to_string(record) + "-byte " +
                      format + " records (" + std::to_string(size / record) + " records and " +
                      std::to_string(size % record) + " bytes over)");
    int64_t records = size / record;
    if (limit > 0) records = std::min(records, limit - set.size());
    const size_t first = set.labels.size();
    set.labels.resize(first + records);
    set.pixels.resize((first + records) * kPixels);
    for (int64_t r = 0; r < records; ++r) {
      const uint8_t* rec = b + r * record;
      int32_t label;
      if (cifar100) {
        const auto range = [&](int value, int classes, const char* which) {
          if (value >= classes)
            throw DataError(path + ": record " + std::to_string(r) + " (at byte " +
                            std::to_string(r * record) + "): " + which + " label " +
                            std::to_string(value) + " is out of range for CIFAR-100 (0.." +
                            std::to_string(classes - 1) + ")");
        };
        range(rec[0], 20, "coarse");
        range(rec[1], 100, "fine");
        label = fine_labels ? rec[1] : rec[0];
      } else {
        if (rec[0] >= 10)
          throw DataError(path + ": record " + std::to_string(r) + " (at byte " +
                          std::to_string(r * record) + "): label " + std::to_string(rec[0]) +
                          " is out of range for CIFAR-10 (0..9)");
        label = rec[0];
      }
      set.labels[first + r] = label;
      std::memcpy(set.pixels.data() + (first + r) * kPixels, rec + label_bytes, kPixels);
    }
  }
  return set;
}

}  // namespace redes
