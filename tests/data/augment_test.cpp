// Data augmentation: each transform on tiny images with exactly known results, then the draws
// of augment_image (order, ranges, probabilities, noise level, determinism).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <tuple>
#include <vector>

#include "data/augment_detail.hpp"
#include "redes/images.hpp"

namespace redes {
namespace {

namespace ad = augment_detail;

// (C, H, W) with value 100 c + 10 y + x + 1 (never 0, so a fill of 0 shows).
std::vector<float> ramp(int c, int h, int w) {
  std::vector<float> v(c * h * w);
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) v[(k * h + y) * w + x] = 100.0f * k + 10.0f * y + x + 1;
  return v;
}

float at(const std::vector<float>& v, int h, int w, int c, int y, int x) {
  return v[(c * h + y) * w + x];
}

TEST(Augment, FlipHorizontalReversesEachRow) {
  const int c = 2, h = 3, w = 4;
  const auto in = ramp(c, h, w);
  auto out = in;
  ad::flip_horizontal(out.data(), c, h, w);
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) EXPECT_EQ(at(out, h, w, k, y, x), at(in, h, w, k, y, w - 1 - x));
}

TEST(Augment, FlipVerticalReversesTheRows) {
  const int c = 2, h = 5, w = 3;
  const auto in = ramp(c, h, w);
  auto out = in;
  ad::flip_vertical(out.data(), c, h, w);
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) EXPECT_EQ(at(out, h, w, k, y, x), at(in, h, w, k, h - 1 - y, x));
}

TEST(Augment, ShiftMovesPixelsAndFills) {
  const int c = 2, h = 3, w = 4;
  const auto in = ramp(c, h, w);
  auto out = in;
  ad::shift(out.data(), c, h, w, 1, 0, -7.0f);  // one column to the right
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y) {
      EXPECT_EQ(at(out, h, w, k, y, 0), -7.0f);
      for (int x = 1; x < w; ++x) EXPECT_EQ(at(out, h, w, k, y, x), at(in, h, w, k, y, x - 1));
    }
  out = in;
  ad::shift(out.data(), c, h, w, -2, 1, 0.0f);  // two columns left, one row down
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const bool inside = y >= 1 && x + 2 < w;
        EXPECT_EQ(at(out, h, w, k, y, x), inside ? at(in, h, w, k, y - 1, x + 2) : 0.0f)
            << y << "," << x;
      }
  out = in;
  ad::shift(out.data(), c, h, w, 0, 5, 3.0f);  // beyond the image: all fill
  for (float v : out) EXPECT_EQ(v, 3.0f);
}

TEST(Augment, RotateByRightAnglesMovesPixelsExactly) {
  for (int n : {4, 5}) {  // even and odd sides: the centre is between pixels or on one
    const int c = 2;
    const auto in = ramp(c, n, n);
    // 90 degrees counter-clockwise: the transpose with its rows reversed, out[y][x] = in[x][n-1-y].
    auto out = in;
    ad::rotate(out.data(), c, n, n, 90.0, 0.0f);
    for (int k = 0; k < c; ++k)
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
          EXPECT_NEAR(at(out, n, n, k, y, x), at(in, n, n, k, x, n - 1 - y), 1e-3);
    // -90 turns it back; 180 is both flips.
    ad::rotate(out.data(), c, n, n, -90.0, 0.0f);
    for (size_t i = 0; i < in.size(); ++i) EXPECT_NEAR(out[i], in[i], 1e-3);
    out = in;
    ad::rotate(out.data(), c, n, n, 180.0, 0.0f);
    auto flipped = in;
    ad::flip_horizontal(flipped.data(), c, n, n);
    ad::flip_vertical(flipped.data(), c, n, n);
    for (size_t i = 0; i < in.size(); ++i) EXPECT_NEAR(out[i], flipped[i], 1e-3);
  }
}

TEST(Augment, RotateInterpolatesAndFillsCorners) {
  // 45 degrees on 7x7: the centre stays; corner (0, 0), 4.24 pixels from the centre, reads
  // row 3 - 4.24 = -1.24 of the source, outside the image: the fill.
  std::vector<float> img(7 * 7, 1.0f);
  ad::rotate(img.data(), 1, 7, 7, 45.0, 0.0f);
  EXPECT_NEAR(img[3 * 7 + 3], 1.0f, 1e-6);
  EXPECT_NEAR(img[0], 0.0f, 1e-6);
  // Bilinear interpolation reproduces a linear function exactly: value 10 y + x + 1 at (1, 1)
  // of 5x5 rotated by 3 degrees is read at sx = 2 - cos + sin, sy = 2 - sin - cos.
  auto r = ramp(1, 5, 5);
  ad::rotate(r.data(), 1, 5, 5, 3.0, 0.0f);
  const double a = 3.0 * M_PI / 180.0;
  const double sx = 2 - std::cos(a) + std::sin(a), sy = 2 - std::sin(a) - std::cos(a);
  EXPECT_NEAR(r[1 * 5 + 1], 10 * sy + sx + 1, 1e-4);
}

TEST(Augment, NearestRotationMovesPixelsWithoutBlur) {
  const int c = 2, n = 5;
  const auto in = ramp(c, n, n);
  auto out = in;
  ad::rotate(out.data(), c, n, n, 90.0, 0.0f, true);  // right angles: the same as bilinear
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) EXPECT_EQ(at(out, n, n, k, y, x), at(in, n, n, k, x, n - 1 - y));
  // Any angle: each value is an input value of its channel or the fill; the centre stays.
  out = in;
  ad::rotate(out.data(), c, n, n, 17.0, -1.0f, true);
  for (int k = 0; k < c; ++k)
    for (int i = 0; i < n * n; ++i) {
      const float v = out[k * n * n + i];
      const bool found =
          v == -1.0f || std::find(in.begin() + k * n * n, in.begin() + (k + 1) * n * n, v) !=
                            in.begin() + (k + 1) * n * n;
      EXPECT_TRUE(found) << v;
    }
  EXPECT_EQ(at(out, n, n, 1, 2, 2), at(in, n, n, 1, 2, 2));
  // Row 0, column 1 (dx = -1, dy = -2) comes from sx = 2 - cos + 2 sin = 1.63 and
  // sy = 2 - sin - 2 cos = -0.20 at 17 degrees: the nearest pixel is row 0, column 2.
  EXPECT_EQ(at(out, n, n, 0, 0, 1), at(in, n, n, 0, 0, 2));
}

// A plain bilinear rotation, written independently of the fast one: every neighbour is
// checked against the image bounds (no padding), in double precision.
std::vector<float> reference_rotate(const std::vector<float>& in, int c, int h, int w,
                                    double degrees, float fill) {
  std::vector<float> out(in.size());
  const double a = degrees * M_PI / 180.0, cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        // The source point: the output offset from the centre turned back by the angle.
        const double sx = cx + std::cos(a) * (x - cx) - std::sin(a) * (y - cy);
        const double sy = cy + std::sin(a) * (x - cx) + std::cos(a) * (y - cy);
        const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
        const auto v = [&](int yy, int xx) {
          return yy >= 0 && yy < h && xx >= 0 && xx < w
                     ? static_cast<double>(at(in, h, w, k, yy, xx))
                     : fill;
        };
        const double fx = sx - x0, fy = sy - y0;
        out[(k * h + y) * w + x] =
            static_cast<float>((1 - fy) * ((1 - fx) * v(y0, x0) + fx * v(y0, x0 + 1)) +
                               fy * ((1 - fx) * v(y0 + 1, x0) + fx * v(y0 + 1, x0 + 1)));
      }
  return out;
}

TEST(Augment, RotateMatchesThePlainReference) {
  Rng rng(2024);
  for (const auto& [c, h, w] :
       {std::tuple{1, 7, 7}, {3, 5, 8}, {2, 9, 4}, {1, 1, 1}, {3, 28, 28}}) {
    std::vector<float> in(c * h * w);
    for (float& v : in) v = static_cast<float>(rng.uniform(-1, 1));
    for (double degrees : {0.5, -3.0, 17.0, 45.0, -90.0, 133.0, 180.0}) {
      auto out = in;
      ad::rotate(out.data(), c, h, w, degrees, 0.25f);
      const auto ref = reference_rotate(in, c, h, w, degrees, 0.25f);
      for (size_t i = 0; i < in.size(); ++i)
        ASSERT_NEAR(out[i], ref[i], 1e-5)
            << c << "x" << h << "x" << w << " at " << degrees << " degrees, value " << i;
    }
  }
}

// A single bright pixel in the middle of an 11x11 image, found after augmentation.
std::pair<int, int> bright_spot(const std::vector<float>& v, int n) {
  const auto it = std::max_element(v.begin(), v.end());
  const int i = static_cast<int>(it - v.begin());
  return {i / n, i % n};
}

TEST(Augment, ShiftDrawsEveryOffsetInRange) {
  AugmentSpec spec;
  spec.shift_pixels = 2;
  Rng rng(7);
  const int n = 11;
  std::set<std::pair<int, int>> seen;
  for (int t = 0; t < 500; ++t) {
    std::vector<float> img(n * n, 0.0f);
    img[5 * n + 5] = 1.0f;
    augment_image(img.data(), 1, n, n, spec, rng);
    const auto [y, x] = bright_spot(img, n);
    ASSERT_LE(std::abs(y - 5), 2);
    ASSERT_LE(std::abs(x - 5), 2);
    ASSERT_EQ(std::accumulate(img.begin(), img.end(), 0.0f), 1.0f);  // moved, not blurred
    seen.insert({y, x});
  }
  EXPECT_EQ(seen.size(), 25u);
}

TEST(Augment, FlipsHappenHalfTheTime) {
  AugmentSpec spec;
  spec.flip_horizontal = true;
  Rng rng(3);
  int flipped = 0;
  const int trials = 4000;
  for (int t = 0; t < trials; ++t) {
    std::vector<float> img{1, 2, 3};
    augment_image(img.data(), 1, 1, 3, spec, rng);
    ASSERT_TRUE((img == std::vector<float>{1, 2, 3}) || (img == std::vector<float>{3, 2, 1}));
    flipped += img[0] == 3;
  }
  // Binomial(4000, 1/2): standard deviation 32.
  EXPECT_NEAR(flipped, trials / 2, 150);
  spec = {};
  spec.flip_vertical = true;
  flipped = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<float> img{1, 2};
    augment_image(img.data(), 1, 2, 1, spec, rng);
    flipped += img[0] == 2;
  }
  EXPECT_NEAR(flipped, trials / 2, 150);
}

TEST(Augment, NoiseHasTheRequestedStd) {
  AugmentSpec spec;
  spec.noise_std = 0.1;
  Rng rng(11);
  std::vector<float> img(3 * 64 * 64, 0.5f);
  augment_image(img.data(), 3, 64, 64, spec, rng);
  double sum = 0, sq = 0;
  for (float v : img) sum += v - 0.5, sq += (v - 0.5) * (v - 0.5);
  const double n = static_cast<double>(img.size()), mean = sum / n,
               sd = std::sqrt(sq / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.005);  // 4 standard errors
  EXPECT_NEAR(sd, 0.1, 0.005);
  // Normal, not merely of the right spread: 68.3% within one std, 95.4% within two; and
  // neighbours (drawn as pairs) uncorrelated.
  double within1 = 0, within2 = 0, pair = 0;
  for (size_t i = 0; i < img.size(); ++i) {
    const double z = (img[i] - 0.5) / 0.1;
    within1 += std::abs(z) < 1;
    within2 += std::abs(z) < 2;
    if (i % 2 == 0) pair += z * (img[i + 1] - 0.5) / 0.1;
  }
  EXPECT_NEAR(within1 / n, 0.6827, 0.02);
  EXPECT_NEAR(within2 / n, 0.9545, 0.01);
  EXPECT_NEAR(pair / (n / 2), 0.0, 0.06);
}

TEST(Augment, RotationAngleIsTheFirstDrawInRange) {
  AugmentSpec spec;
  spec.rotate_degrees = 30;
  spec.noise_std = 0.05;
  const auto in = ramp(2, 6, 7);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Rng rng(seed), replay(seed);
    auto out = in;
    augment_image(out.data(), 2, 6, 7, spec, rng);
    // Replaying the documented draws (angle, then the normals) gives the same image.
    const double angle = replay.uniform(-30.0, 30.0);
    ASSERT_LE(std::abs(angle), 30.0);
    auto expect = in;
    ad::rotate(expect.data(), 2, 6, 7, angle, 0.0f);
    ad::add_noise(expect.data(), static_cast<int64_t>(expect.size()), 0.05f, replay);
    ASSERT_EQ(out, expect) << "seed " << seed;
  }
}

TEST(Augment, SameSeedSameImageAndNothingEnabledChangesNothing) {
  AugmentSpec spec;
  spec.rotate_degrees = 15;
  spec.shift_pixels = 3;
  spec.flip_horizontal = spec.flip_vertical = true;
  spec.noise_std = 0.2;
  const auto in = ramp(3, 8, 8);
  auto a = in, b = in, c = in;
  Rng ra(42), rb(42), rc(43);
  augment_image(a.data(), 3, 8, 8, spec, ra);
  augment_image(b.data(), 3, 8, 8, spec, rb);
  augment_image(c.data(), 3, 8, 8, spec, rc);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, in);
  // An empty spec leaves the image alone and draws nothing.
  Rng rd(5), untouched(5);
  auto d = in;
  augment_image(d.data(), 3, 8, 8, AugmentSpec{}, rd);
  EXPECT_EQ(d, in);
  EXPECT_EQ(rd.next_u64(), untouched.next_u64());
}

}  // namespace
}  // namespace redes
