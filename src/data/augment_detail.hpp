// The single transforms that augment_image draws and applies, exposed for tests. Each works on
// one image x of shape (C, H, W) in place; positions that come from outside the image take the
// value `fill`.
#pragma once
#include <cstdint>

#include "redes/rng.hpp"

namespace redes::augment_detail {

// Rotates counter-clockwise (as displayed, rows going down) by `degrees` about the image
// centre ((H - 1) / 2, (W - 1) / 2), with bilinear interpolation, or with nearest: each
// output pixel takes the value of the source pixel nearest to where it comes from (no blur).
void rotate(float* x, int64_t channels, int64_t height, int64_t width, double degrees, float fill,
            bool nearest = false);
// Moves the content dx columns right and dy rows down (negative: left, up).
void shift(float* x, int64_t channels, int64_t height, int64_t width, int64_t dx, int64_t dy,
           float fill);
void flip_horizontal(float* x, int64_t channels, int64_t height, int64_t width);
void flip_vertical(float* x, int64_t channels, int64_t height, int64_t width);
// Adds std times a standard normal to each of the n values, drawn in order from rng.
void add_noise(float* x, int64_t n, float std, Rng& rng);

}  // namespace redes::augment_detail
