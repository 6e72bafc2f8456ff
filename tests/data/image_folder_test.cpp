// Folders of images, one sub-folder per class, with PNG, BMP and JPEG files written here.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data_test_util.hpp"
#include "redes/images.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace redes {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

// A fresh folder under the test's temporary folder.
std::string fresh_dir(const std::string& name) {
  const fs::path p = testing::temp_dir() / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

// The (H, W, C) interleaved pixels of a test image: distinct values that depend on seed.
std::vector<uint8_t> hwc(int h, int w, int c, int seed) {
  std::vector<uint8_t> v(h * w * c);
  for (int i = 0; i < h * w * c; ++i) v[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  return v;
}

// The same image as ImageSet stores it: (C, H, W) planes.
std::vector<uint8_t> chw(int h, int w, int c, int seed) {
  const auto v = hwc(h, w, c, seed);
  std::vector<uint8_t> out(v.size());
  for (int p = 0; p < h * w; ++p)
    for (int k = 0; k < c; ++k) out[k * h * w + p] = v[p * c + k];
  return out;
}

void write_png(const std::string& dir, const std::string& cls, const std::string& file, int h,
               int w, int c, int seed) {
  fs::create_directories(fs::path(dir) / cls);
  const auto path = (fs::path(dir) / cls / file).string();
  const auto v = hwc(h, w, c, seed);
  ASSERT_NE(stbi_write_png(path.c_str(), w, h, c, v.data(), w * c), 0) << path;
}

std::vector<uint8_t> image_of(const ImageSet& s, int64_t i) {
  const int64_t n = s.channels * s.height * s.width;
  return {s.pixels.begin() + i * n, s.pixels.begin() + (i + 1) * n};
}

TEST(ImageFolder, GreyPngsRoundTripWithSortedClasses) {
  const auto dir = fresh_dir("grey");
  // Classes are the sorted folder names; within a class, files are sorted by name; the images
  // are taken class by class in turns.
  write_png(dir, "zebra", "b.png", 4, 5, 1, 1);
  write_png(dir, "zebra", "a.png", 4, 5, 1, 2);
  write_png(dir, "ant", "x.png", 4, 5, 1, 3);
  std::ofstream((fs::path(dir) / "ant" / "notes.txt").string()) << "not an image";
  std::ofstream((fs::path(dir) / "ant" / ".hidden.png").string()) << "skipped";
  fs::create_directories(fs::path(dir) / ".git");
  const ImageSet s = read_image_folder(dir, {});
  EXPECT_EQ(s.source, dir);
  EXPECT_EQ(s.channels, 1);
  EXPECT_EQ(s.height, 4);
  EXPECT_EQ(s.width, 5);
  ASSERT_EQ(s.size(), 3);
  EXPECT_EQ(s.labels, (std::vector<int32_t>{0, 1, 1}));  // ant/x, zebra/a, zebra/b
  EXPECT_EQ(image_of(s, 0), chw(4, 5, 1, 3));
  EXPECT_EQ(image_of(s, 1), chw(4, 5, 1, 2));
  EXPECT_EQ(image_of(s, 2), chw(4, 5, 1, 1));
  ImageSpec spec;
  spec.format = "folder";
  spec.train_dir = dir;
  EXPECT_EQ(default_class_names(spec, 2), (std::vector<std::string>{"ant", "zebra"}));
}

TEST(ImageFolder, ColourImagesArePlanesAndAlphaIsDropped) {
  const auto dir = fresh_dir("rgb");
  write_png(dir, "a", "rgb.png", 3, 2, 3, 5);
  write_png(dir, "b", "rgba.png", 3, 2, 4, 6);
  const ImageSet s = read_image_folder(dir, {});
  EXPECT_EQ(s.channels, 3);
  ASSERT_EQ(s.size(), 2);
  EXPECT_EQ(image_of(s, 0), chw(3, 2, 3, 5));
  // RGBA: the first three channels of each pixel.
  const auto rgba = hwc(3, 2, 4, 6);
  std::vector<uint8_t> expect(3 * 6);
  for (int p = 0; p < 6; ++p)
    for (int k = 0; k < 3; ++k) expect[k * 6 + p] = rgba[p * 4 + k];
  EXPECT_EQ(image_of(s, 1), expect);
}

TEST(ImageFolder, BmpAndJpegAreRead) {
  const auto dir = fresh_dir("formats");
  fs::create_directories(fs::path(dir) / "c");
  std::vector<uint8_t> flat(8 * 8 * 3, 120);
  ASSERT_NE(stbi_write_bmp((fs::path(dir) / "c" / "a.BMP").string().c_str(), 8, 8, 3, flat.data()),
            0);
  ASSERT_NE(
      stbi_write_jpg((fs::path(dir) / "c" / "b.jpeg").string().c_str(), 8, 8, 3, flat.data(), 95),
      0);
  const ImageSet s = read_image_folder(dir, {});
  ASSERT_EQ(s.size(), 2);
  for (uint8_t p : image_of(s, 0)) EXPECT_EQ(p, 120);
  for (uint8_t p : image_of(s, 1)) EXPECT_NEAR(p, 120, 3);  // JPEG is lossy
}

TEST(ImageFolder, GivenClassesSetTheOrderAndLimitKeepsEveryClass) {
  const auto dir = fresh_dir("given");
  for (int i = 0; i < 3; ++i) {
    write_png(dir, "cat", "c" + std::to_string(i) + ".png", 2, 2, 1, i);
    write_png(dir, "dog", "d" + std::to_string(i) + ".png", 2, 2, 1, 10 + i);
  }
  write_png(dir, "other", "o.png", 2, 2, 1, 20);  // not listed: not read
  const ImageSet s = read_image_folder(dir, {"dog", "cat"});
  EXPECT_EQ(s.labels, (std::vector<int32_t>{0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(image_of(s, 0), chw(2, 2, 1, 10));
  EXPECT_EQ(image_of(s, 1), chw(2, 2, 1, 0));
  const ImageSet limited = read_image_folder(dir, {}, 4);
  EXPECT_EQ(limited.labels, (std::vector<int32_t>{0, 1, 2, 0}));  // cat, dog, other, cat
}

TEST(ImageFolder, MixedSizesNameTheOddFile) {
  const auto dir = fresh_dir("mixed");
  write_png(dir, "a", "1.png", 32, 32, 3, 0);
  write_png(dir, "a", "2.png", 32, 32, 3, 1);
  write_png(dir, "b", "odd.png", 30, 32, 3, 2);
  const std::string msg = error_of<DataError>([&] { read_image_folder(dir, {}); });
  EXPECT_CONTAINS(
      msg, (fs::path(dir) / "b" / "odd.png").string() + ": 30x32 image but the others are 32x32");
}

TEST(ImageFolder, MixedChannelsNameTheOddFile) {
  const auto dir = fresh_dir("channels");
  write_png(dir, "a", "1.png", 4, 4, 3, 0);
  write_png(dir, "b", "grey.png", 4, 4, 1, 1);
  const std::string msg = error_of<DataError>([&] { read_image_folder(dir, {}); });
  EXPECT_CONTAINS(msg, "grey.png: grey image but the others are colour");
}

TEST(ImageFolder, MissingAndBrokenThingsAreNamed) {
  const auto dir = fresh_dir("broken");
  write_png(dir, "a", "1.png", 4, 4, 1, 0);
  std::string msg = error_of<DataError>([&] { read_image_folder(dir, {"a", "b"}); });
  EXPECT_CONTAINS(msg,
                  (fs::path(dir) / "b").string() + ": missing class folder (the classes are a, b)");
  msg = error_of<DataError>([&] { read_image_folder(dir + "/nope", {}); });
  EXPECT_CONTAINS(msg, "/nope: cannot open");
  std::ofstream((fs::path(dir) / "a" / "2.png").string()) << "not a png at all";
  msg = error_of<DataError>([&] { read_image_folder(dir, {}); });
  EXPECT_CONTAINS(msg, "2.png: cannot decode image");
  const auto empty = fresh_dir("empty");
  msg = error_of<DataError>([&] { read_image_folder(empty, {}); });
  EXPECT_CONTAINS(msg, empty + ": no class sub-folders");
  fs::create_directories(fs::path(empty) / "a");
  msg = error_of<DataError>([&] { read_image_folder(empty, {}); });
  EXPECT_CONTAINS(msg, empty + ": no images");
}

// stb_image 2.27 would write past its table for a JPEG whose Huffman table declares 257 codes
// (fuzz/fuzz_image.cpp found it); the reader refuses the file first.
TEST(ImageFolder, JpegHuffmanTableOfMoreThan256CodesIsRefused) {
  const auto dir = fresh_dir("huffman");
  fs::create_directories(fs::path(dir) / "a");
  // DHT: table class 0, id 0; 2 codes of 15 bits and 255 of 16 bits, then their 257 symbols.
  const std::string table = std::string(15, '\0') + "\x02\xff" + std::string(257, '\x01');
  const size_t length = 2 + table.size();
  const std::string jpeg = std::string("\xff\xd8\xff\xc4") + static_cast<char>(length >> 8) +
                           static_cast<char>(length & 0xff) + table + "\xff\xd9";
  std::ofstream((fs::path(dir) / "a" / "bad.jpg").string(), std::ios::binary) << jpeg;
  EXPECT_CONTAINS(error_of<DataError>([&] { read_image_folder(dir, {}); }),
                  "bad.jpg: cannot decode image: corrupt JPEG (a Huffman table of more than 256 "
                  "codes)");
}

// A 119-byte BMP whose header says 192x329216 pixels: stb would allocate 190 MB and decode zeros
// after the data ends (fuzz/fuzz_image.cpp found it taking over 10 s).
TEST(ImageFolder, HeaderPromisingMorePixelsThanTheFileHoldsIsRefused) {
  const auto dir = fresh_dir("promise");
  fs::create_directories(fs::path(dir) / "a");
  const auto path = (fs::path(dir) / "a" / "big.bmp").string();
  std::vector<uint8_t> flat(2 * 2 * 3, 120);
  ASSERT_NE(stbi_write_bmp(path.c_str(), 2, 2, 3, flat.data()), 0);
  std::string bmp;
  {
    std::ifstream in(path, std::ios::binary);
    bmp.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bmp.size(), 26u);
  const auto set_i32 = [&](size_t at, uint32_t v) {
    for (int k = 0; k < 4; ++k) bmp[at + k] = static_cast<char>(v >> (8 * k));
  };
  set_i32(18, 329216);  // width
  set_i32(22, 192);     // height
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bmp;
  const std::string expected =
      "big.bmp: cannot decode image: its header says 192x329216 pixels, "
      "more than a file of " +
      std::to_string(bmp.size()) + " bytes can hold";
  EXPECT_CONTAINS(error_of<DataError>([&] { read_image_folder(dir, {}); }), expected);
}

// A PNG whose IDAT chunk declares 2 GiB: stb would allocate them before finding the file ends
// (fuzz/fuzz_image.cpp found it).
TEST(ImageFolder, PngChunkLongerThanTheFileIsRefused) {
  const auto dir = fresh_dir("chunk");
  write_png(dir, "a", "long.png", 2, 2, 1, 0);
  const auto path = (fs::path(dir) / "a" / "long.png").string();
  std::string png;
  {
    std::ifstream in(path, std::ios::binary);
    png.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  png.replace(idat - 4, 4, "\x7f\xff\xff\xf0");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << png;
  EXPECT_CONTAINS(
      error_of<DataError>([&] { read_image_folder(dir, {}); }),
      "long.png: cannot decode image: truncated PNG (a chunk is longer than the rest of "
      "the file)");
}

// Only PNG, JPEG and BMP are decoded, whatever the file's name: stb's other decoders are not
// compiled in. A GIF named .png is not an image here.
TEST(ImageFolder, OtherFormatsAreNotDecoded) {
  const auto dir = fresh_dir("gif");
  fs::create_directories(fs::path(dir) / "a");
  const std::string gif(
      "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00\x21\xf9\x04\x01\x00\x00\x00"
      "\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b",
      43);
  std::ofstream((fs::path(dir) / "a" / "gif.png").string(), std::ios::binary) << gif;
  EXPECT_CONTAINS(error_of<DataError>([&] { read_image_folder(dir, {}); }),
                  "gif.png: cannot decode image");
}

}  // namespace
}  // namespace redes
