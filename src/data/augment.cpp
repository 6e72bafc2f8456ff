// Data augmentation of one image (the lecture's rotation, noise, shifts left and right, flips).
//
// augment_image draws its random parameters from rng in a fixed order, whatever is enabled:
//   1. the angle, uniform in [-rotate_degrees, rotate_degrees] (when rotate_degrees > 0),
//      applied by bilinear interpolation or, with rotate_nearest, from the nearest pixel;
//   2. dx then dy, uniform integers in [-shift_pixels, shift_pixels] (when shift_pixels > 0);
//   3. the horizontal flip, then the vertical flip, each with probability 1/2 (when enabled);
//   4. one standard normal per value, channel by channel, row by row, two at a time by the
//      polar method (when noise_std > 0; see add_noise).
// and applies them in that order: rotate, shift, flip, add noise.
//
// What "zero fill" and the noise scale mean. Pixels outside the rotated or shifted image become
// 0, and the noise has standard deviation noise_std, both in the units of x. ImageDataset calls
// augment_image on the image scaled to [0, 1] and normalises afterwards, so the fill is a black
// pixel (pixel value 0, which after normalisation is the channel's -mean/std, i.e. its shift)
// and noise_std is in units of the [0, 1] scale (after normalisation it becomes
// noise_std / std, i.e. noise_std * 255 * scale). This equals augmenting the normalised image
// with those fill and noise values: normalisation is an affine map per channel, and rotation,
// shifts and flips only move values or take convex combinations of them (bilinear weights sum
// to 1), so they commute with it. Filling the normalised image with 0 instead would paint the
// border with the mean colour, which no real image has at its edges.
#include <algorithm>
#include <cmath>
#include <vector>

#include "data/augment_detail.hpp"
#include "redes/images.hpp"

namespace redes {
namespace augment_detail {
namespace {

// A per-thread buffer (no allocation once it has grown).
float* scratch(int64_t n) {
  thread_local std::vector<float> buf;
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(n);
  return buf.data();
}

float* scratch_copy(const float* x, int64_t n) {
  float* buf = scratch(n);
  std::copy(x, x + n, buf);
  return buf;
}

}  // namespace

void rotate(float* x, int64_t channels, int64_t height, int64_t width, double degrees, float fill,
            bool nearest) {
  // The source, padded with one pixel of fill on every side: a sample point whose four
  // neighbours touch the image then never needs a bounds check (its neighbours outside the
  // image are the padding), and one whose neighbours all lie outside is the fill.
  const int64_t pw = width + 2, pplane = (height + 2) * pw, plane = height * width;
  float* src = scratch(channels * pplane);
  std::fill(src, src + channels * pplane, fill);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = 0; y < height; ++y)
      std::copy_n(x + c * plane + y * width, width, src + c * pplane + (y + 1) * pw + 1);

  const double a = degrees * M_PI / 180.0, cos_a = std::cos(a), sin_a = std::sin(a);
  const double cy = (height - 1) / 2.0, cx = (width - 1) / 2.0;
  // Each output pixel (y, x) samples the source at the inverse rotation of its offset from the
  // centre. With rows going down, a counter-clockwise turn by a as displayed reads the source at
  //   sx = cx + cos(a) dx - sin(a) dy,   sy = cy + sin(a) dx + cos(a) dy,
  // where (dx, dy) = (x - cx, y - cy); a = 90 degrees gives out[y][x] = in[x][W - 1 - y].
  for (int64_t oy = 0; oy < height; ++oy) {
    const double dy = oy - cy;
    for (int64_t ox = 0; ox < width; ++ox) {
      const double dx = ox - cx;
      const double sx = cx + cos_a * dx - sin_a * dy, sy = cy + sin_a * dx + cos_a * dy;
      float* out = x + oy * width + ox;
      if (nearest) {  // the padded index of the nearest pixel: 0 or W + 1 is the fill
        const double rx = std::round(sx) + 1, ry = std::round(sy) + 1;
        const bool inside = rx >= 0 && rx <= width + 1 && ry >= 0 && ry <= height + 1;
        const int64_t at = inside ? static_cast<int64_t>(ry) * pw + static_cast<int64_t>(rx) : 0;
        for (int64_t c = 0; c < channels; ++c) out[c * plane] = src[c * pplane + at];
        continue;
      }
      if (!(sx > -1 && sx < width && sy > -1 && sy < height)) {  // all four neighbours outside
        for (int64_t c = 0; c < channels; ++c) out[c * plane] = fill;
        continue;
      }
      // floor(s) + 1 as a truncation of the positive s + 1: the padded index of the neighbour.
      const auto px = static_cast<int64_t>(sx + 1), py = static_cast<int64_t>(sy + 1);
      const auto fx = static_cast<float>(sx + 1 - px), fy = static_cast<float>(sy + 1 - py);
      for (int64_t c = 0; c < channels; ++c) {
        // Bilinear interpolation between the four neighbours.
        const float* s = src + c * pplane + py * pw + px;
        const float top = s[0] + fx * (s[1] - s[0]), bottom = s[pw] + fx * (s[pw + 1] - s[pw]);
        out[c * plane] = top + fy * (bottom - top);
      }
    }
  }
}

void shift(float* x, int64_t channels, int64_t height, int64_t width, int64_t dx, int64_t dy,
           float fill) {
  const int64_t plane = height * width;
  const float* src = scratch_copy(x, channels * plane);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t oy = 0; oy < height; ++oy)
      for (int64_t ox = 0; ox < width; ++ox) {
        const int64_t sy = oy - dy, sx = ox - dx;
        const bool inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
        x[c * plane + oy * width + ox] = inside ? src[c * plane + sy * width + sx] : fill;
      }
}

void flip_horizontal(float* x, int64_t channels, int64_t height, int64_t width) {
  for (int64_t r = 0; r < channels * height; ++r) std::reverse(x + r * width, x + (r + 1) * width);
}

void flip_vertical(float* x, int64_t channels, int64_t height, int64_t width) {
  for (int64_t c = 0; c < channels; ++c) {
    float* p = x + c * height * width;
    for (int64_t top = 0, bottom = height - 1; top < bottom; ++top, --bottom)
      std::swap_ranges(p + top * width, p + (top + 1) * width, p + bottom * width);
  }
}

// Standard normals in pairs by Marsaglia's polar method: u and v uniform in [-1, 1) from the
// two halves of one 64-bit draw (24 bits each), kept when s = u^2 + v^2 lies inside the unit
// circle (pi/4 of the time); then u sqrt(-2 ln s / s) and v sqrt(-2 ln s / s) are two
// independent standard normals. No sine or cosine, in float: about four times faster than
// Rng::normal's double Box-Muller, which matters at one normal per pixel.
void add_noise(float* x, int64_t n, float std, Rng& rng) {
  for (int64_t i = 0; i < n; i += 2) {
    float u, v, s;
    do {
      const uint64_t bits = rng.next_u64();
      u = static_cast<float>(static_cast<uint32_t>(bits) >> 8) * 0x1p-23f - 1.0f;
      v = static_cast<float>(bits >> 40) * 0x1p-23f - 1.0f;
      s = u * u + v * v;
    } while (s >= 1.0f || s == 0.0f);
    const float f = std * std::sqrt(-2.0f * std::log(s) / s);
    x[i] += u * f;
    if (i + 1 < n) x[i + 1] += v * f;
  }
}

}  // namespace augment_detail

void augment_image(float* x, int64_t channels, int64_t height, int64_t width,
                   const AugmentSpec& spec, Rng& rng) {
  // The draws first, in the documented order.
  const double degrees =
      spec.rotate_degrees > 0 ? rng.uniform(-spec.rotate_degrees, spec.rotate_degrees) : 0.0;
  int64_t dx = 0, dy = 0;
  if (spec.shift_pixels > 0) {
    const auto span = static_cast<uint64_t>(2 * spec.shift_pixels + 1);
    dx = static_cast<int64_t>(rng.below(span)) - spec.shift_pixels;
    dy = static_cast<int64_t>(rng.below(span)) - spec.shift_pixels;
  }
  const bool flip_h = spec.flip_horizontal && rng.bernoulli(0.5);
  const bool flip_v = spec.flip_vertical && rng.bernoulli(0.5);

  if (degrees != 0)
    augment_detail::rotate(x, channels, height, width, degrees, 0.0f, spec.rotate_nearest);
  if (dx != 0 || dy != 0) augment_detail::shift(x, channels, height, width, dx, dy, 0.0f);
  if (flip_h) augment_detail::flip_horizontal(x, channels, height, width);
  if (flip_v) augment_detail::flip_vertical(x, channels, height, width);
  if (spec.noise_std > 0)
    augment_detail::add_noise(x, channels * height * width, static_cast<float>(spec.noise_std),
                              rng);
}

std::vector<std::vector<float>> augment_preview(const ImageSet& set, const AugmentSpec& spec,
                                                int64_t count, int64_t variants, uint64_t seed) {
  const int64_t n = std::min(count, set.size()), plane = set.channels * set.height * set.width;
  std::vector<std::vector<float>> tiles;
  Rng rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    std::vector<float> original(plane);
    for (int64_t k = 0; k < plane; ++k) original[k] = set.pixels[i * plane + k] / 255.0f;
    tiles.push_back(original);
    for (int64_t v = 0; v < variants; ++v) {
      std::vector<float> x = original;
      augment_image(x.data(), set.channels, set.height, set.width, spec, rng);
      tiles.push_back(std::move(x));
    }
  }
  return tiles;
}

}  // namespace redes
