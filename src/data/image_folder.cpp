// A folder of images with one sub-folder per class: <dir>/<class>/<image>.png|jpg|jpeg|bmp.
//
// The classes are the given names, in that order, or else the sub-folders' names sorted (as
// torchvision's ImageFolder does); the label of an image is the index of its folder. Hidden
// files and folders (".DS_Store", ".git") and files with other extensions are skipped.
//
// Images are decoded by stb_image (Debian's libstb-dev ships the header; its implementation is
// compiled here, with static linkage, so no library is needed), with only the decoders of the
// formats the extensions promise: stb goes by the bytes, and its decoders of other formats (GIF,
// PSD, TGA, HDR, PIC, PNM) would otherwise read whatever a file named .png holds. A header that
// promises more pixels than its file can hold is refused before stb allocates them.
//
// Grey images (with or without alpha) give 1 channel, colour images 3: an alpha channel is
// dropped, not blended, so a transparent pixel keeps the colour stored under it. All images must
// have the same size and channel count; nothing is resized behind the user's back.
//
// Order: the images are taken class by class in turns (the first image of every class, then
// the second of every class, ...), files sorted by name within a class. The order is the same
// on every machine, and a limit of N images keeps all the classes instead of only the first.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/images.hpp"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_FAILURE_USERMSG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
// stb_image 2.27 calls memcpy(NULL, p, 0) for a PNG whose first IDAT chunk is empty: undefined
// in the letter of the C standard, harmless in fact (nothing is copied), and in stb's code, not
// redes'. UBSan's check of it is off for stb's functions, which Clang lets a pragma say (the
// fuzz build); GCC has no such pragma.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("nonnull-attribute"))), apply_to = function)
#endif
#include <stb/stb_image.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif
#pragma GCC diagnostic pop

namespace redes {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxImageFileBytes = uint64_t{256} << 20;
constexpr uint64_t kMaxPixelBytes = uint64_t{1} << 31;
// No valid file of these formats decodes to more than about 25,000 times its size: deflate
// inflates at most 1032:1 (and a PNG of 1-bit palette indices becomes 3 bytes a pixel), a JPEG
// needs at least a bit for each 8x8 block, a BMP stores every pixel. A header that promises more
// would have stb allocate the pixels and decode zeros after the data ends.
constexpr uint64_t kMaxExpansion = uint64_t{1} << 15;

bool hidden(const fs::path& p) { return p.filename().string().starts_with("."); }

bool image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

// The paths of the entries of folder that keep() accepts, sorted by name.
template <class Keep>
std::vector<std::string> list_sorted(const fs::path& folder, Keep keep) {
  std::vector<std::string> out;
  try {
    for (const auto& e : fs::directory_iterator(folder))
      if (keep(e)) out.push_back(e.path().string());
  } catch (const fs::filesystem_error& e) {
    throw DataError(folder.string() + ": cannot list: " + e.code().message());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string channels_text(int64_t c) { return c == 1 ? "grey" : "colour"; }

// One decoded image: (C, H, W) pixels, C = 1 for grey (+ alpha), 3 for colour (+ alpha).
struct Decoded {
  int64_t channels = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;
};

// stb_image 2.27 (Debian 12's libstb-dev) writes past the end of a JPEG Huffman table that
// declares more than 256 codes (stb_image 2.28 refuses them); no valid JPEG has one. This visits
// every table stb would build: the segments in order, each skipped by its length, the scan data
// after a scan header skipped to the next marker (FF, then a byte other than 00 (a stuffed FF),
// FF (fill) or a restart marker D0-D7), and within a DHT segment the tables read one after the
// other as stb reads them, 17 bytes and the codes each, for as long as the length leaves bytes.
bool jpeg_huffman_tables_fit(const std::string& bytes) {
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  const auto at = [&](size_t i) -> size_t { return i < n ? b[i] : 0; };  // stb reads 0 past the end
  size_t i = 0;
  while (i < n && b[i] == 0xFF) ++i;
  if (i == 0 || at(i) != 0xD8) return true;  // no SOI: stb does not read it as a JPEG
  while (i < n) {
    if (b[i++] != 0xFF) continue;
    while (i < n && b[i] == 0xFF) ++i;
    if (i >= n) break;
    const size_t m = b[i++];
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;  // no length follows
    if (m == 0xD9) break;                                              // the end of the image
    const size_t length = at(i) << 8 | at(i + 1);
    if (m != 0xC4) {
      i += length;  // (for a scan header, its entropy-coded data follows)
      continue;
    }
    int64_t left = static_cast<int64_t>(length) - 2;
    size_t p = i + 2;
    while (left > 0) {
      size_t codes = 0;
      for (size_t k = 1; k <= 16; ++k) codes += at(p + k);
      if (codes > 256) return false;
      p += 17 + codes;
      left -= static_cast<int64_t>(17 + codes);
    }
    i = p;
  }
  return true;
}

// stb_image 2.27 grows its buffer to the length a PNG's IDAT chunk declares before it reads the
// chunk: a 100-byte file that declares a 2 GiB chunk makes it allocate 2 GiB. In a PNG that is not
// truncated every chunk lies within the file, as stb reads them from byte 8: a 4-byte big-endian
// length, a 4-byte type, the data and a 4-byte CRC, up to the IEND chunk.
bool png_chunks_fit(const std::string& bytes) {
  if (bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return true;  // stb does not read it as a PNG
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t at = 8; at + 12 <= bytes.size();) {
    const uint64_t length = uint64_t{b[at]} << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3];
    if (length > bytes.size() - at - 12) return false;
    if (bytes.compare(at + 4, 4, "IEND") == 0) break;
    at += 12 + length;
  }
  return true;  // (without an IEND chunk stb says the file is corrupt)
}

Decoded decode(const std::string& path) {
  const std::string bytes = read_file<DataError>(path, kMaxImageFileBytes, "an image");
  const auto cannot = [&](const std::string& why) {
    return DataError(path + ": cannot decode image: " + why);
  };
  if (!jpeg_huffman_tables_fit(bytes))
    throw cannot("corrupt JPEG (a Huffman table of more than 256 codes)");
  if (!png_chunks_fit(bytes))
    throw cannot("truncated PNG (a chunk is longer than the rest of the file)");
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &comp)) throw cannot(stbi_failure_reason());
  const int want = comp <= 2 ? 1 : 3;
  if (uint64_t(w) * uint64_t(h) * want > kMaxExpansion * bytes.size())
    throw cannot("its header says " + std::to_string(h) + "x" + std::to_string(w) +
                 " pixels, more than a file of " + std::to_string(bytes.size()) +
                 " bytes can hold");
  std::unique_ptr<stbi_uc, void (*)(void*)> hwc(
      stbi_load_from_memory(data, len, &w, &h, &comp, want), &stbi_image_free);
  if (!hwc) throw cannot(stbi_failure_reason());
  Decoded d{want, h, w, {}};
  // stb gives (H, W, C) interleaved; the network wants (C, H, W) planes.
  const int64_t plane = d.height * d.width;
  d.pixels.resize(plane * want);
  for (int64_t p = 0; p < plane; ++p)
    for (int c = 0; c < want; ++c) d.pixels[c * plane + p] = hwc.get()[p * want + c];
  return d;
}

std::string size_text(const Decoded& d) {
  return std::to_string(d.height) + "x" + std::to_string(d.width);  // H x W, as everywhere
}

}  // namespace

ImageSet read_image_folder(const std::string& dir, const std::vector<std::string>& classes,
                           int64_t limit) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw DataError(dir + ": cannot open: no such folder");
  if (!fs::is_directory(dir, ec))
    throw DataError(dir + ": not a folder (expected <folder>/<class>/<image>.png)");

  std::vector<std::string> names = classes;
  if (names.empty()) {
    names = list_sorted(
        dir, [](const fs::directory_entry& e) { return e.is_directory() && !hidden(e.path()); });
    for (auto& n : names) n = fs::path(n).filename().string();
    std::sort(names.begin(), names.end());
    if (names.empty())
      throw DataError(dir + ": no class sub-folders (expected " + dir + "/<class>/<image>.png)");
  }

  // The files of each class, sorted by name.
  std::vector<std::vector<std::string>> files(names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    const fs::path folder = fs::path(dir) / names[k];
    if (!fs::is_directory(folder, ec)) {
      std::string listed;
      for (const auto& n : names) listed += (listed.empty() ? "" : ", ") + n;
      throw DataError(folder.string() + ": missing class folder (the classes are " + listed + ")");
    }
    files[k] = list_sorted(folder, [](const fs::directory_entry& e) {
      return !hidden(e.path()) && image_extension(e.path()) && e.is_regular_file();
    });
  }

  // Classes in turns: image r of class 0, of class 1, ..., then image r + 1.
  std::vector<std::string> paths;
  std::vector<int32_t> labels;
  for (size_t r = 0;; ++r) {
    bool any = false;
    for (size_t k = 0; k < names.size(); ++k)
      if (r < files[k].size()) {
        paths.push_back(files[k][r]);
        labels.push_back(static_cast<int32_t>(k));
        any = true;
      }
    if (!any) break;
  }
  if (paths.empty())
    throw DataError(dir + ": no images (.png, .jpg, .jpeg, .bmp) in its class folders");
  if (limit > 0 && static_cast<int64_t>(paths.size()) > limit) {
    paths.resize(limit);
    labels.resize(limit);
  }
  const auto n = static_cast<int64_t>(paths.size());

  // The first image sets the size and channels; the others are decoded in parallel straight
  // into their place, and the first problem in file order is reported.
  const Decoded first = decode(paths[0]);
  ImageSet set;
  set.source = dir;
  set.channels = first.channels;
  set.height = first.height;
  set.width = first.width;
  const int64_t image_bytes = first.channels * first.height * first.width;
  if (static_cast<uint64_t>(image_bytes) * n > kMaxPixelBytes)
    throw DataError(dir + ": " + std::to_string(n) + " images of " + size_text(first) +
                    " are more than the limit of " + std::to_string(kMaxPixelBytes) +
                    " pixel bytes");
  set.pixels.resize(image_bytes * n);
  std::copy(first.pixels.begin(), first.pixels.end(), set.pixels.begin());
  set.labels = std::move(labels);

  std::vector<std::string> errors(n);
#pragma omp parallel for schedule(dynamic, 8)
  for (int64_t i = 1; i < n; ++i) {
    try {
      const Decoded d = decode(paths[i]);
      if (d.height != first.height || d.width != first.width)
        errors[i] = paths[i] + ": " + size_text(d) + " image but the others are " +
                    size_text(first) + " (like " + paths[0] + ")";
      else if (d.channels != first.channels)
        errors[i] = paths[i] + ": " + channels_text(d.channels) + " image but the others are " +
                    channels_text(first.channels) + " (like " + paths[0] + ")";
      else
        std::copy(d.pixels.begin(), d.pixels.end(), set.pixels.begin() + i * image_bytes);
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  }
  for (const auto& e : errors)
    if (!e.empty()) throw DataError(e);
  return set;
}

}  // namespace redes
