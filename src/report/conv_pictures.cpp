#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/report.hpp"

namespace redes {

std::string png_grid(const std::vector<const float*>& tiles, int64_t channels, int64_t height,
                     int64_t width, int zoom, int64_t columns, float lo_fixed, float hi_fixed) {
  REDES_CHECK(channels == 1 || channels == 3, ShapeError, "a picture has 1 or 3 channels");
  const int64_t n = static_cast<int64_t>(tiles.size());
  const int64_t cols =
      columns > 0 ? columns
                  : std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::sqrt(double(n)))));
  const int64_t rows = std::max<int64_t>(1, (n + cols - 1) / cols);
  const int64_t th = height * zoom, tw = width * zoom;
  const int64_t img_w = cols * (tw + 1) + 1, img_h = rows * (th + 1) + 1;
  std::vector<uint8_t> img(img_w * img_h * channels, 255);  // white gaps
  const int64_t plane = height * width;
  for (int64_t t = 0; t < n; ++t) {
    const float* tile = tiles[t];
    const auto [min, max] = std::minmax_element(tile, tile + channels * plane);
    const float lo = std::isnan(lo_fixed) ? *min : lo_fixed,
                hi = std::isnan(hi_fixed) ? *max : hi_fixed;
    const float range = hi > lo ? hi - lo : 1.0f;
    const int64_t ox = 1 + (t % cols) * (tw + 1), oy = 1 + (t / cols) * (th + 1);
    for (int64_t y = 0; y < th; ++y)
      for (int64_t x = 0; x < tw; ++x)
        for (int64_t c = 0; c < channels; ++c) {
          const float v = std::clamp((tile[c * plane + (y / zoom) * width + x / zoom] - lo) / range,
                                     0.0f, 1.0f);
          img[((oy + y) * img_w + ox + x) * channels + c] =
              static_cast<uint8_t>(std::lround(255 * v));
        }
  }
  std::string png;
  const auto append = [](void* out, void* data, int size) {
    static_cast<std::string*>(out)->append(static_cast<const char*>(data), size);
  };
  if (!stbi_write_png_to_func(append, &png, static_cast<int>(img_w), static_cast<int>(img_h),
                              static_cast<int>(channels), img.data(),
                              static_cast<int>(img_w * channels)))
    throw Error("cannot encode a picture as PNG");
  return png;
}

void write_png_grid(const std::string& path, const std::vector<const float*>& tiles,
                    int64_t channels, int64_t height, int64_t width, int zoom) {
  write_file_atomic(path, png_grid(tiles, channels, height, width, zoom));
}

std::string png_data_uri(const std::string& png) {
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "data:image/png;base64,";
  out.reserve(out.size() + (png.size() + 2) / 3 * 4);
  for (size_t i = 0; i < png.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(png[i]) << 16;
    if (i + 1 < png.size()) v |= static_cast<uint8_t>(png[i + 1]) << 8;
    if (i + 2 < png.size()) v |= static_cast<uint8_t>(png[i + 2]);
    out += b64[(v >> 18) & 63];
    out += b64[(v >> 12) & 63];
    out += i + 1 < png.size() ? b64[(v >> 6) & 63] : '=';
    out += i + 2 < png.size() ? b64[v & 63] : '=';
  }
  return out;
}

std::vector<std::string> write_conv_pictures(Graph& graph, const Dataset& data,
                                             const std::string& out_dir) {
  const auto& specs = graph.specs();
  if (specs.empty() || specs[0].kind != "conv2d" || data.size() == 0) return {};
  const Param<float>* weight = nullptr;
  for (const auto& p : graph.params())
    if (p.name == specs[0].name + ".weight") weight = p.param;
  if (!weight || weight->shape.rank() != 4) return {};
  namespace fs = std::filesystem;
  std::vector<std::string> written;

  // Filters: weight is (OC, C/groups, KH, KW).
  const int64_t oc = weight->shape[0], c = weight->shape[1], kh = weight->shape[2],
                kw = weight->shape[3];
  const int64_t shown = c == 3 ? 3 : 1;
  std::vector<const float*> tiles;
  for (int64_t o = 0; o < oc; ++o) tiles.push_back(weight->value + o * c * kh * kw);
  const std::string filters = (fs::path(out_dir) / "filters.png").string();
  write_png_grid(filters, tiles, shown, kh, kw, std::max<int64_t>(4, 48 / std::max(kh, kw)));
  written.push_back(filters);

  // One sample and the first layer's feature maps for it.
  Tensor x, y;
  const int64_t first = 0;
  data.gather(std::span<const int64_t>(&first, 1), x, y, false);
  Rng unused(0);
  graph.forward(x.view(), false, unused, /*keep_outputs=*/true);
  const Shape in = x.shape().sample();
  if (in.rank() == 3 && (in[0] == 1 || in[0] == 3)) {
    const std::string input = (fs::path(out_dir) / "input.png").string();
    write_png_grid(input, {x.data()}, in[0], in[1], in[2],
                   std::max<int64_t>(1, 256 / std::max(in[1], in[2])));
    written.push_back(input);
  }
  auto maps = graph.output_of(specs[0].name);  // (1, OC, H, W)
  if (maps.rank() == 4) {
    const int64_t mh = maps.dim(2), mw = maps.dim(3);
    std::vector<const float*> map_tiles;
    for (int64_t o = 0; o < maps.dim(1); ++o) map_tiles.push_back(maps.data() + o * mh * mw);
    const std::string fm = (fs::path(out_dir) / "feature_maps.png").string();
    write_png_grid(fm, map_tiles, 1, mh, mw, std::max<int64_t>(1, 96 / std::max(mh, mw)));
    written.push_back(fm);
  }
  return written;
}

}  // namespace redes
