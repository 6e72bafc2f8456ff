// ImageDataset: scaling and normalisation values, targets, row mapping, and augmentation that
// is deterministic for a seed, independent of the thread count and never applied in evaluation.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <memory>
#include <vector>

#include "data_test_util.hpp"
#include "redes/images.hpp"

namespace redes {
namespace {

using testing::error_of;

// n images of (C, H, W) with pixel value (37 i + 11 k + 3 p) mod 256, label i mod 10.
std::shared_ptr<ImageSet> make_set(int64_t n, int64_t c, int64_t h, int64_t w) {
  auto s = std::make_shared<ImageSet>();
  s->source = "test-images";
  s->channels = c;
  s->height = h;
  s->width = w;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < c; ++k)
      for (int64_t p = 0; p < h * w; ++p)
        s->pixels.push_back(static_cast<uint8_t>(37 * i + 11 * k + 3 * p));
    s->labels.push_back(static_cast<int32_t>(i % 10));
  }
  return s;
}

std::vector<int64_t> all_rows(int64_t n) {
  std::vector<int64_t> r(n);
  for (int64_t i = 0; i < n; ++i) r[i] = i;
  return r;
}

TEST(ImageDataset, ScalesToUnitRangeWithoutNormalisation) {
  const auto set = make_set(4, 1, 3, 2);
  ImageDataset d(set, {2, 0, 3}, {}, {}, {}, 0);
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.sample_shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(d.target_shape(), Shape{});
  Tensor x, y;
  const std::vector<int64_t> rows{1, 2, 0};  // dataset rows: images 0, 3, 2
  d.gather(rows, x, y, false);
  EXPECT_EQ(x.shape(), (Shape{3, 1, 3, 2}));
  EXPECT_EQ(y.shape(), (Shape{3}));
  const int64_t image[3] = {0, 3, 2};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(y[i], static_cast<float>(set->labels[image[i]]));
    for (int p = 0; p < 6; ++p)
      EXPECT_FLOAT_EQ(x[i * 6 + p], set->pixels[image[i] * 6 + p] / 255.0f);
  }
  // The extremes are exactly 0 and 1.
  auto bw = make_set(1, 1, 1, 2);
  bw->pixels = {0, 255};
  ImageDataset e(bw, {0}, {}, {}, {}, 0);
  const std::vector<int64_t> one{0};
  e.gather(one, x, y, false);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_EQ(x[1], 1.0f);
}

TEST(ImageDataset, NormalisesPerChannel) {
  const auto set = make_set(2, 3, 2, 2);
  const std::vector<double> mean{0.5, 0.4, 0.3}, sd{0.2, 0.25, 0.5};
  ImageDataset d(set, all_rows(2), mean, sd, {}, 0);
  Tensor x, y;
  const std::vector<int64_t> rows{0, 1};
  d.gather(rows, x, y, false);
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 3; ++k)
      for (int p = 0; p < 4; ++p) {
        const int64_t at = (i * 3 + k) * 4 + p;
        EXPECT_NEAR(x[at], (set->pixels[at] / 255.0 - mean[k]) / sd[k], 1e-5)
            << i << "," << k << "," << p;
      }
  // One value applies to every channel; a missing std is 1, a missing mean 0.
  ImageDataset one(set, all_rows(2), {0.5}, {0.25}, {}, 0),
      only_mean(set, all_rows(2), {0.5}, {}, {}, 0);
  Tensor x1, x2;
  one.gather(rows, x1, y, false);
  only_mean.gather(rows, x2, y, false);
  for (int64_t i = 0; i < x1.numel(); ++i) {
    EXPECT_NEAR(x1[i], (set->pixels[i] / 255.0 - 0.5) / 0.25, 1e-5);
    EXPECT_NEAR(x2[i], set->pixels[i] / 255.0 - 0.5, 1e-6);
  }
}

TEST(ImageDataset, BadNormalisationAndRowsAreErrors) {
  const auto set = make_set(2, 3, 2, 2);
  std::string msg = error_of<ConfigError>([&] {
    ImageDataset(set, all_rows(2), {0.5, 0.5}, {}, {}, 0);
  });
  EXPECT_CONTAINS(msg,
                  "test-images: normalisation mean has 2 values but the images have 3 channels");
  msg = error_of<ConfigError>([&] { ImageDataset(set, all_rows(2), {}, {1, 0, 1}, {}, 0); });
  EXPECT_CONTAINS(msg, "normalisation of channel 1");
  msg = error_of<Error>([&] { ImageDataset(set, {0, 2}, {}, {}, {}, 0); });
  EXPECT_CONTAINS(msg, "image 2 requested but the set holds 2");
  ImageDataset d(set, {1}, {}, {}, {}, 0);
  Tensor x, y;
  const std::vector<int64_t> bad{1};
  msg = error_of<Error>([&] { d.gather(bad, x, y, false); });
  EXPECT_CONTAINS(msg, "sample 1 requested but the dataset holds 1");
  auto broken = make_set(2, 1, 2, 2);
  broken->pixels.pop_back();
  msg = error_of<DataError>([&] { ImageDataset(broken, {0}, {}, {}, {}, 0); });
  EXPECT_CONTAINS(msg, "7 pixel bytes do not make 2 images of 1x2x2");
}

AugmentSpec everything() {
  AugmentSpec a;
  a.rotate_degrees = 10;
  a.shift_pixels = 2;
  a.flip_horizontal = a.flip_vertical = true;
  a.noise_std = 0.05;
  return a;
}

TEST(ImageDataset, EvaluationNeverAugments) {
  const auto set = make_set(8, 3, 5, 5);
  ImageDataset plain(set, all_rows(8), {0.5}, {0.2}, {}, 1),
      augmented(set, all_rows(8), {0.5}, {0.2}, everything(), 1);
  const auto rows = all_rows(8);
  Tensor a, b, y;
  plain.gather(rows, a, y, false);
  for (int t = 0; t < 3; ++t) {
    augmented.gather(rows, b, y, false);
    EXPECT_EQ(a.values(), b.values());
  }
  augmented.gather(rows, b, y, true);
  EXPECT_NE(a.values(), b.values());
  // An empty augmentation spec leaves training batches alone too.
  plain.gather(rows, b, y, true);
  EXPECT_EQ(a.values(), b.values());
}

TEST(ImageDataset, AugmentationIsDeterministicForASeed) {
  const auto set = make_set(10, 3, 6, 6);
  const auto rows = all_rows(10);
  ImageDataset d1(set, rows, {0.5, 0.4, 0.3}, {0.2, 0.3, 0.4}, everything(), 99),
      d2(set, rows, {0.5, 0.4, 0.3}, {0.2, 0.3, 0.4}, everything(), 99),
      d3(set, rows, {0.5, 0.4, 0.3}, {0.2, 0.3, 0.4}, everything(), 100);
  Tensor a, b, c, y;
  for (int step = 0; step < 3; ++step) {
    d1.gather(rows, a, y, true);
    d2.gather(rows, b, y, true);
    d3.gather(rows, c, y, true);
    EXPECT_EQ(a.values(), b.values()) << "step " << step;
    EXPECT_NE(a.values(), c.values()) << "step " << step;
  }
  // Successive batches get fresh draws.
  Tensor next;
  d1.gather(rows, next, y, true);
  EXPECT_NE(a.values(), next.values());
}

TEST(ImageDataset, EachSampleDrawsFromItsOwnSplitGenerator) {
  // The documented scheme: sample i of a batch uses the i-th generator split from the seed's,
  // augments the [0, 1] image, then normalises. Replaying it gives the batch exactly.
  const auto set = make_set(300, 3, 8, 8);
  const auto rows = all_rows(300);
  const std::vector<double> mean{0.5, 0.4, 0.3}, sd{0.2, 0.3, 0.4};
  ImageDataset d(set, rows, mean, sd, everything(), 21);
  Tensor x, y;
  d.gather(rows, x, y, true);
  Rng master(21);
  for (int64_t i = 0; i < 300; ++i) {
    Rng r = master.split();
    std::vector<float> img(3 * 64);
    for (int q = 0; q < 3 * 64; ++q) img[q] = set->pixels[i * 192 + q] * (1.0f / 255.0f);
    augment_image(img.data(), 3, 8, 8, everything(), r);
    for (int k = 0; k < 3; ++k)
      for (int q = 0; q < 64; ++q) {
        const float scale = static_cast<float>(1.0 / (255.0 * sd[k])),
                    shift = static_cast<float>(-mean[k] / sd[k]);
        ASSERT_EQ(x[i * 192 + k * 64 + q], img[k * 64 + q] * (255.0f * scale) + shift)
            << "sample " << i;
      }
  }
}

TEST(ImageDataset, AugmentationDoesNotDependOnTheThreadCount) {
  // 200 images of 3x16x16 (153600 values): large enough for the parallel path.
  const auto set = make_set(200, 3, 16, 16);
  const auto rows = all_rows(200);
  const int threads = omp_get_max_threads();
  Tensor serial, parallel, y;
  omp_set_num_threads(1);
  ImageDataset(set, rows, {0.5}, {0.2}, everything(), 5).gather(rows, serial, y, true);
  omp_set_num_threads(std::max(2, threads));
  ImageDataset(set, rows, {0.5}, {0.2}, everything(), 5).gather(rows, parallel, y, true);
  omp_set_num_threads(threads);
  EXPECT_EQ(serial.values(), parallel.values());
  // The unaugmented parallel path agrees with the plain formula too.
  ImageDataset(set, rows, {}, {}, {}, 0).gather(rows, parallel, y, false);
  for (int64_t i = 0; i < parallel.numel(); i += 997)
    EXPECT_FLOAT_EQ(parallel[i], set->pixels[i] / 255.0f);
}

TEST(ImageDataset, FillIsABlackPixelAndNoiseIsInUnitScale) {
  // White images shifted: a value is either white or black, normalised: (1 - m)/s or -m/s.
  auto set = make_set(50, 2, 6, 6);
  std::fill(set->pixels.begin(), set->pixels.end(), 255);
  const std::vector<double> mean{0.5, 0.2}, sd{0.25, 0.5};
  AugmentSpec shift;
  shift.shift_pixels = 2;
  ImageDataset d(set, all_rows(50), mean, sd, shift, 3);
  Tensor x, y;
  d.gather(all_rows(50), x, y, true);
  int64_t black = 0;
  for (int64_t i = 0; i < 50; ++i)
    for (int k = 0; k < 2; ++k)
      for (int p = 0; p < 36; ++p) {
        const float v = x[(i * 2 + k) * 36 + p];
        const double white_v = (1 - mean[k]) / sd[k], black_v = -mean[k] / sd[k];
        ASSERT_TRUE(std::abs(v - white_v) < 1e-5 || std::abs(v - black_v) < 1e-5) << v;
        black += std::abs(v - black_v) < 1e-5;
      }
  EXPECT_GT(black, 0);
  // Noise of std 0.1 on the [0, 1] scale is 0.1 / std after normalisation.
  auto grey = make_set(40, 1, 16, 16);
  std::fill(grey->pixels.begin(), grey->pixels.end(), 128);
  AugmentSpec noise;
  noise.noise_std = 0.1;
  ImageDataset g(grey, all_rows(40), {0.5}, {0.25}, noise, 4);
  g.gather(all_rows(40), x, y, true);
  double sum = 0, sq = 0;
  const double centre = (128 / 255.0 - 0.5) / 0.25;
  for (float v : x.values()) sum += v - centre, sq += (v - centre) * (v - centre);
  const double n = static_cast<double>(x.numel()), m = sum / n;
  EXPECT_NEAR(std::sqrt(sq / n - m * m), 0.1 / 0.25, 0.02);
  EXPECT_NEAR(m, 0.0, 0.03);
}

}  // namespace
}  // namespace redes
