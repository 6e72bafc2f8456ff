// IDX reading: raw and gzip files written here, the errors of broken files, and the real
// Fashion-MNIST when Debian's dataset-fashion-mnist is installed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "data_test_util.hpp"
#include "redes/images.hpp"

namespace redes {
namespace {

using testing::error_of;
using testing::temp_dir;
using testing::write_temp;

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string idx_images(uint32_t n, uint32_t h, uint32_t w, const std::vector<uint8_t>& pixels) {
  return be32(0x803) + be32(n) + be32(h) + be32(w) + std::string(pixels.begin(), pixels.end());
}

std::string idx_labels(uint32_t n, const std::vector<uint8_t>& labels) {
  return be32(0x801) + be32(n) + std::string(labels.begin(), labels.end());
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A gzip file of the given bytes, as one member or split into two members (cat a.gz b.gz).
std::string write_gzip(const std::string& name, const std::string& bytes, size_t split = 0) {
  const auto path = (temp_dir() / name).string();
  gzFile f = gzopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  const size_t first = split ? split : bytes.size();
  gzwrite(f, bytes.data(), static_cast<unsigned>(first));
  gzclose(f);
  if (split) {
    f = gzopen(path.c_str(), "ab");
    gzwrite(f, bytes.data() + first, static_cast<unsigned>(bytes.size() - first));
    gzclose(f);
  }
  return path;
}

// Three 2x3 images with pixel values 10 * image + position, labels 7, 0, 9.
struct Small {
  std::vector<uint8_t> pixels, labels{7, 0, 9};
  Small() {
    for (int i = 0; i < 3; ++i)
      for (int p = 0; p < 6; ++p) pixels.push_back(static_cast<uint8_t>(10 * i + p));
  }
  std::string images() const { return idx_images(3, 2, 3, pixels); }
  std::string label_bytes() const { return idx_labels(3, labels); }
};

void expect_small(const ImageSet& s, int64_t n = 3) {
  const Small ref;
  EXPECT_EQ(s.size(), n);
  EXPECT_EQ(s.channels, 1);
  EXPECT_EQ(s.height, 2);
  EXPECT_EQ(s.width, 3);
  EXPECT_EQ(s.pixels, std::vector<uint8_t>(ref.pixels.begin(), ref.pixels.begin() + 6 * n));
  EXPECT_EQ(s.labels, std::vector<int32_t>(ref.labels.begin(), ref.labels.begin() + n));
}

TEST(Idx, ReadsRawFiles) {
  const Small s;
  const ImageSet set =
      read_idx(write_temp("raw-images", s.images()), write_temp("raw-labels", s.label_bytes()));
  expect_small(set);
  EXPECT_CONTAINS(set.source, "raw-images");
}

TEST(Idx, ReadsGzipFiles) {
  const Small s;
  expect_small(read_idx(write_gzip("gz-images.gz", s.images()),
                        write_gzip("gz-labels.gz", s.label_bytes())));
}

TEST(Idx, ReadsGzipFilesOfSeveralMembers) {
  const Small s;
  expect_small(read_idx(write_gzip("gz2-images.gz", s.images(), 21),
                        write_gzip("gz2-labels.gz", s.label_bytes(), 3)));
}

TEST(Idx, LimitKeepsTheFirstImages) {
  const Small s;
  const auto im = write_gzip("lim-images.gz", s.images()),
             lb = write_temp("lim-labels", s.label_bytes());
  expect_small(read_idx(im, lb, 2), 2);
  expect_small(read_idx(im, lb, 100), 3);
}

TEST(Idx, WrongMagicNamesTheFileAndTheMagic) {
  const Small s;
  const auto labels = write_temp("magic-labels", s.label_bytes());
  // Labels given as images: the message says what the file is.
  std::string msg = error_of<DataError>([&] { read_idx(labels, labels); });
  EXPECT_CONTAINS(msg, "magic-labels: not an IDX image file (magic 0x00000801");
  EXPECT_CONTAINS(msg, "label file");
  const auto images = write_temp("magic-images", s.images());
  msg = error_of<DataError>([&] { read_idx(images, images); });
  EXPECT_CONTAINS(msg, "magic-images: not an IDX label file (magic 0x00000803");
  const auto png = write_temp("magic-png", "\x89PNG\r\n\x1a\n and more");
  msg = error_of<DataError>([&] { read_idx(png, labels); });
  EXPECT_CONTAINS(msg, "magic-png: not an IDX image file (magic 0x89504e47");
}

TEST(Idx, TruncatedPixelsSayWhatTheHeaderPromised) {
  const Small s;
  const auto labels = write_temp("trunc-labels", s.label_bytes());
  std::string images = s.images();
  images.resize(images.size() - 5);
  const std::string expect =
      "truncated: header says 3 images of 2x3, file holds 13 bytes of pixels";
  std::string msg =
      error_of<DataError>([&] { read_idx(write_temp("trunc-images", images), labels); });
  EXPECT_CONTAINS(msg, "trunc-images: " + expect);
  msg = error_of<DataError>([&] { read_idx(write_gzip("trunc-images.gz", images), labels); });
  EXPECT_CONTAINS(msg, "trunc-images.gz: " + expect);
  // Even with a limit that the file could satisfy, the file is checked whole.
  msg = error_of<DataError>([&] { read_idx(write_temp("trunc-images", images), labels, 1); });
  EXPECT_CONTAINS(msg, expect);
}

TEST(Idx, TruncatedHeaderAndLabels) {
  const Small s;
  std::string msg = error_of<DataError>([&] {
    read_idx(write_temp("short-header", s.images().substr(0, 10)),
             write_temp("l", s.label_bytes()));
  });
  EXPECT_CONTAINS(msg, "short-header: truncated: the file ends inside its IDX header");
  msg = error_of<DataError>([&] {
    read_idx(write_temp("i", s.images()),
             write_temp("short-labels", s.label_bytes().substr(0, 10)));
  });
  EXPECT_CONTAINS(msg,
                  "short-labels: truncated: header says 3 labels, file holds 2 bytes of labels");
  msg = error_of<DataError>(
      [&] { read_idx(write_temp("empty-images", ""), write_temp("l", s.label_bytes())); });
  EXPECT_CONTAINS(msg, "empty-images: truncated");
}

TEST(Idx, ExtraBytesAreAnError) {
  const Small s;
  const std::string msg = error_of<DataError>([&] {
    read_idx(write_gzip("long-images.gz", s.images() + "xx"), write_temp("l", s.label_bytes()));
  });
  EXPECT_CONTAINS(msg, "long-images.gz: the file holds more bytes than its header says");
}

TEST(Idx, CountMismatchNamesBothFiles) {
  const Small s;
  const auto images = write_temp("count-images", s.images());
  const auto labels = write_temp("count-labels", idx_labels(2, {1, 2}));
  const std::string msg = error_of<DataError>([&] { read_idx(images, labels); });
  EXPECT_EQ(msg, images + ": 3 images but " + labels + ": 2 labels");
  const auto more = write_temp("count-more-labels", idx_labels(4, {1, 2, 3, 4}));
  EXPECT_EQ(error_of<DataError>([&] { read_idx(images, more); }),
            images + ": 3 images but " + more + ": 4 labels");
}

TEST(Idx, AbsurdDimensionsAreRejectedBeforeAllocating) {
  const Small s;
  const auto labels = write_temp("huge-labels", s.label_bytes());
  // 10^15 pixels: over the limit, refused from the header alone.
  std::string msg = error_of<DataError>(
      [&] { read_idx(write_temp("huge-images", idx_images(100000, 100000, 100000, {})), labels); });
  EXPECT_CONTAINS(msg,
                  "huge-images: header says 100000 images of 100000x100000, more than the limit");
  // Overflowing products do not wrap around to a small number.
  msg = error_of<DataError>(
      [&] { read_idx(write_temp("wrap-images", idx_images(65536, 65536, 65536, {})), labels); });
  EXPECT_CONTAINS(msg, "more than the limit");
  // Under the limit (2e9 pixels) but a 16-byte file: truncated, found without allocating 2 GB
  // (the values are read in chunks as they arrive).
  msg = error_of<DataError>([&] {
    read_idx(write_gzip("big-images.gz", idx_images(2000, 1000, 1000, {1, 2})), labels);
  });
  EXPECT_CONTAINS(
      msg, "big-images.gz: truncated: header says 2000 images of 1000x1000, file holds 2 bytes");
  msg = error_of<DataError>(
      [&] { read_idx(write_temp("zero-images", idx_images(0, 28, 28, {})), labels); });
  EXPECT_CONTAINS(msg, "zero-images: header says 0 images of 28x28: there are no pixels");
}

TEST(Idx, CorruptGzipIsNamed) {
  const Small s;
  const auto labels = write_temp("gzc-labels", s.label_bytes());
  const auto good = write_gzip("gzc-good.gz", s.images());
  std::string bytes = read_all(good);
  // A damaged deflate stream, and one cut short.
  std::string damaged = bytes;
  for (size_t i = 10; i < damaged.size() - 8; ++i)
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
  std::string msg =
      error_of<DataError>([&] { read_idx(write_temp("gzc-bad.gz", damaged), labels); });
  EXPECT_CONTAINS(msg, "gzc-bad.gz: corrupt gzip data");
  msg = error_of<DataError>(
      [&] { read_idx(write_temp("gzc-cut.gz", bytes.substr(0, bytes.size() - 4)), labels); });
  EXPECT_CONTAINS(msg, "gzc-cut.gz: corrupt gzip data");
  // A wrong CRC-32 in the trailer: the data are all there but not the data that were written.
  std::string crc = bytes;
  crc[crc.size() - 6] = static_cast<char>(crc[crc.size() - 6] ^ 1);
  msg = error_of<DataError>([&] { read_idx(write_temp("gzc-crc.gz", crc), labels); });
  EXPECT_CONTAINS(msg, "gzc-crc.gz: corrupt gzip data");
}

TEST(Idx, MissingFileIsNamed) {
  const std::string msg =
      error_of<DataError>([&] { read_idx("/nonexistent/images.gz", "/nonexistent/l"); });
  EXPECT_CONTAINS(msg, "/nonexistent/images.gz: cannot open");
}

TEST(Idx, ClassNames) {
  ImageSpec spec;
  spec.train_images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  auto names = default_class_names(spec, 10);
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names[0], "T-shirt/top");
  EXPECT_EQ(names[9], "Ankle boot");
  EXPECT_EQ(default_class_names(spec, 3).back(), "Pullover");  // a prefix when fewer are seen
  spec.train_images = spec.test_images = "data/mnist/train-images-idx3-ubyte";
  names = default_class_names(spec, 10);
  EXPECT_EQ(names.front(), "0");
  EXPECT_EQ(names.back(), "9");
  spec.classes = {"a", "b"};
  EXPECT_EQ(default_class_names(spec, 2), spec.classes);
}

const std::string kFashion = "/usr/share/datasets/fashion-mnist/";

TEST(Idx, RealFashionMnist) {
  if (!std::filesystem::exists(kFashion + "train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST is not installed (apt install dataset-fashion-mnist)";
  for (const auto& [split, n] :
       {std::pair<std::string, int64_t>{"train", 60000}, {"t10k", 10000}}) {
    const ImageSet s = read_idx(kFashion + split + "-images-idx3-ubyte.gz",
                                kFashion + split + "-labels-idx1-ubyte.gz");
    EXPECT_EQ(s.size(), n);
    EXPECT_EQ(s.channels, 1);
    EXPECT_EQ(s.height, 28);
    EXPECT_EQ(s.width, 28);
    EXPECT_EQ(static_cast<int64_t>(s.pixels.size()), n * 28 * 28);
    // Balanced classes 0..9: 6000 of each in training, 1000 in test.
    std::vector<int64_t> count(10);
    for (int32_t l : s.labels) {
      ASSERT_GE(l, 0);
      ASSERT_LT(l, 10);
      ++count[l];
    }
    for (int64_t c : count) EXPECT_EQ(c, n / 10);
    // Real images: a black border and bright pixels somewhere.
    EXPECT_EQ(s.pixels[0], 0);
    uint8_t brightest = 0;
    for (int p = 0; p < 784; ++p) brightest = std::max(brightest, s.pixels[p]);
    EXPECT_GT(brightest, 200);
  }
  ImageSpec spec;
  spec.train_images = kFashion + "train-images-idx3-ubyte.gz";
  EXPECT_EQ(default_class_names(spec, 10)[7], "Sneaker");
}

}  // namespace
}  // namespace redes
