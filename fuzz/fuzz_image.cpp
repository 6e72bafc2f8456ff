// An image folder's files (PNG, JPEG, BMP, whatever stb_image recognises): the input is the one
// image of a folder with one class.
#include <cstdint>

#include "fuzz_util.hpp"
#include "redes/images.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const redes::fuzz::ShmDir dir("redes-fuzz-image");
  static const std::string root = dir.path().string();
  static const auto file = [] {
    std::filesystem::create_directories(dir.path() / "class");
    return dir.path() / "class" / "image.png";  // stb goes by the bytes, not the extension
  }();
  redes::fuzz::write_file(file, data, size);
  redes::fuzz::expect_clean(root, [&] { redes::read_image_folder(root, {}); });
  return 0;
}
