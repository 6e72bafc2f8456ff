// CIFAR-10 and CIFAR-100 binary batches, written here in the format of the real archives.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data_test_util.hpp"
#include "redes/images.hpp"

namespace redes {
namespace {

using testing::error_of;
using testing::write_temp;

constexpr int kPixels = 3072;

// The pixel of record `seed` at channel c, row y, column x: distinct across c, y and x.
uint8_t pixel(int seed, int c, int y, int x) {
  return static_cast<uint8_t>(seed * 7 + c * 85 + y * 3 + x * 5);
}

// One record: the label byte(s), then the red, green and blue 32x32 planes.
std::string record(std::vector<uint8_t> labels, int seed) {
  std::string r(labels.begin(), labels.end());
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) r += static_cast<char>(pixel(seed, c, y, x));
  return r;
}

void expect_record(const ImageSet& s, int64_t i, int seed) {
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x)
        ASSERT_EQ(s.pixels[i * kPixels + (c * 32 + y) * 32 + x], pixel(seed, c, y, x))
            << "image " << i << " at (" << c << ", " << y << ", " << x << ")";
}

TEST(Cifar, Cifar10RecordsAreCHW) {
  const auto a = write_temp("c10-a.bin", record({3}, 0) + record({9}, 1));
  const auto b = write_temp("c10-b.bin", record({0}, 2));
  const ImageSet s = read_cifar({a, b}, false, true);
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(s.channels, 3);
  EXPECT_EQ(s.height, 32);
  EXPECT_EQ(s.width, 32);
  EXPECT_EQ(s.labels, (std::vector<int32_t>{3, 9, 0}));
  ASSERT_EQ(s.pixels.size(), 3u * kPixels);
  for (int i = 0; i < 3; ++i) expect_record(s, i, i);
  EXPECT_EQ(s.source, a);
}

TEST(Cifar, LimitSpansFiles) {
  const auto a = write_temp("lim-a.bin", record({1}, 0) + record({2}, 1));
  const auto b = write_temp("lim-b.bin", record({3}, 2) + record({4}, 3));
  const ImageSet s = read_cifar({a, b}, false, true, 3);
  EXPECT_EQ(s.labels, (std::vector<int32_t>{1, 2, 3}));
  expect_record(s, 2, 2);
  // Files after the limit are not read at all.
  EXPECT_EQ(read_cifar({a, "/nonexistent.bin"}, false, true, 2).size(), 2);
}

TEST(Cifar, Cifar100FineAndCoarseLabels) {
  const auto f = write_temp("c100.bin", record({19, 99}, 0) + record({4, 30}, 1));
  const ImageSet fine = read_cifar({f}, true, true);
  EXPECT_EQ(fine.labels, (std::vector<int32_t>{99, 30}));
  expect_record(fine, 0, 0);
  expect_record(fine, 1, 1);
  EXPECT_EQ(read_cifar({f}, true, false).labels, (std::vector<int32_t>{19, 4}));
}

TEST(Cifar, TruncatedFileNamesTheRecordCount) {
  std::string bytes = record({1}, 0) + record({2}, 1);
  bytes.resize(bytes.size() - 100);
  const auto f = write_temp("c10-trunc.bin", bytes);
  std::string msg = error_of<DataError>([&] { read_cifar({f}, false, true); });
  EXPECT_CONTAINS(
      msg, f + ": truncated: 6046 bytes is not a whole number of 3073-byte CIFAR-10 records");
  EXPECT_CONTAINS(msg, "1 records and 2973 bytes over");
  // A CIFAR-10 file read as CIFAR-100 (3074-byte records) is caught the same way.
  const auto ten = write_temp("c10-as-100.bin", record({1}, 0) + record({2}, 1));
  msg = error_of<DataError>([&] { read_cifar({ten}, true, true); });
  EXPECT_CONTAINS(
      msg,
      "c10-as-100.bin: truncated: 6146 bytes is not a whole number of 3074-byte CIFAR-100 records");
  msg = error_of<DataError>([&] { read_cifar({write_temp("c10-empty.bin", "")}, false, true); });
  EXPECT_CONTAINS(msg, "c10-empty.bin: empty");
}

TEST(Cifar, LabelOutOfRangeNamesTheRecord) {
  const auto f = write_temp("c10-label.bin", record({1}, 0) + record({10}, 1));
  std::string msg = error_of<DataError>([&] { read_cifar({f}, false, true); });
  EXPECT_EQ(msg, f + ": record 1 (at byte 3073): label 10 is out of range for CIFAR-10 (0..9)");
  const auto g = write_temp("c100-label.bin", record({20, 5}, 0));
  msg = error_of<DataError>([&] { read_cifar({g}, true, true); });
  EXPECT_CONTAINS(msg,
                  "c100-label.bin: record 0 (at byte 0): coarse label 20 is out of range for "
                  "CIFAR-100 (0..19)");
  const auto h = write_temp("c100-fine.bin", record({2, 5}, 0) + record({2, 100}, 1));
  msg = error_of<DataError>([&] { read_cifar({h}, true, false); });
  EXPECT_CONTAINS(msg,
                  "c100-fine.bin: record 1 (at byte 3074): fine label 100 is out of range for "
                  "CIFAR-100 (0..99)");
}

TEST(Cifar, ArchivesAndMissingFiles) {
  std::string msg = error_of<DataError>([&] {
    read_cifar({write_temp("cifar-10-binary.tar.gz", "\x1f\x8b\x08 rest")}, false, true);
  });
  EXPECT_CONTAINS(msg, "cifar-10-binary.tar.gz: gzip-compressed; extract");
  std::string tar(3073 * 2, '\0');
  tar.replace(257, 5, "ustar");
  msg = error_of<DataError>([&] { read_cifar({write_temp("cifar.tar", tar)}, false, true); });
  EXPECT_CONTAINS(msg, "cifar.tar: a tar archive");
  msg = error_of<DataError>([&] { read_cifar({"/nonexistent/data_batch_1.bin"}, false, true); });
  EXPECT_CONTAINS(msg, "/nonexistent/data_batch_1.bin: cannot open");
  msg = error_of<DataError>([&] { read_cifar({}, true, true); });
  EXPECT_CONTAINS(msg, "no CIFAR-100 batch files given");
}

TEST(Cifar, ClassNames) {
  ImageSpec spec;
  spec.format = "cifar10";
  auto names = default_class_names(spec, 10);
  EXPECT_EQ(names, (std::vector<std::string>{"airplane", "automobile", "bird", "cat", "deer", "dog",
                                             "frog", "horse", "ship", "truck"}));
  spec.format = "cifar100";
  names = default_class_names(spec, 100);
  ASSERT_EQ(names.size(), 100u);
  EXPECT_EQ(names[0], "apple");
  EXPECT_EQ(names[30], "dolphin");
  EXPECT_EQ(names[99], "worm");
  spec.fine_labels = false;
  names = default_class_names(spec, 20);
  ASSERT_EQ(names.size(), 20u);
  EXPECT_EQ(names[0], "aquatic_mammals");
  EXPECT_EQ(names[19], "vehicles_2");
  // More classes than the list knows: numbers.
  EXPECT_EQ(default_class_names(spec, 21).back(), "20");
}

}  // namespace
}  // namespace redes
