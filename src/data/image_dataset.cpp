// ImageDataset: uint8 images converted to float batches as they are gathered.
//
// Without augmentation a value is one multiply-add per pixel, x = pixel * scale[c] + shift[c],
// with scale = 1 / (255 std[c]) and shift = -mean[c] / std[c]: (pixel / 255 - mean) / std.
// With augmentation (training only) a sample is scaled to [0, 1], augmented, then normalised,
// so that augment_image's zero fill is a black pixel and its noise is in [0, 1] units (see
// augment.cpp for why this equals augmenting in the normalised space).
//
// Determinism: each sample of a batch gets its own generator, split from rng_ one after the
// other in batch order before any work starts; the samples are then converted in parallel. The
// values are therefore the same for a seed and a sequence of gather calls, whatever the number
// of threads. gather is const but advances rng_: one dataset must not be gathered from two
// threads at once.
#include <cmath>
#include <string>
#include <vector>

#include "redes/images.hpp"

namespace redes {

namespace {
// Below this many values in a batch, threads cost more than they save.
constexpr int64_t kParallelValues = int64_t{1} << 16;
}  // namespace

ImageDataset::ImageDataset(std::shared_ptr<const ImageSet> set, std::vector<int64_t> rows,
                           std::vector<double> mean, std::vector<double> std, AugmentSpec augment,
                           uint64_t seed)
    : set_(std::move(set)), rows_(std::move(rows)), augment_(augment), rng_(seed) {
  REDES_CHECK(set_ != nullptr, Error, "image dataset: no image set");
  const int64_t c = set_->channels;
  REDES_CHECK(c > 0 && set_->height > 0 && set_->width > 0 &&
                  static_cast<int64_t>(set_->pixels.size()) ==
                      set_->size() * c * set_->height * set_->width,
              DataError,
              set_->source + ": " + std::to_string(set_->pixels.size()) +
                  " pixel bytes do not make " + std::to_string(set_->size()) + " images of " +
                  std::to_string(c) + "x" + std::to_string(set_->height) + "x" +
                  std::to_string(set_->width));
  for (int64_t r : rows_)
    REDES_CHECK(r >= 0 && r < set_->size(), Error,
                set_->source + ": image " + std::to_string(r) + " requested but the set holds " +
                    std::to_string(set_->size()));
  pixel_normalisation(c, mean, std, set_->source, scale_, shift_);
}

void pixel_normalisation(int64_t c, const std::vector<double>& mean, const std::vector<double>& std,
                         const std::string& source, std::vector<float>& scale,
                         std::vector<float>& shift) {
  const auto per_channel = [&](const std::vector<double>& v, const char* name, double none) {
    REDES_CHECK(v.size() <= 1 || static_cast<int64_t>(v.size()) == c, ConfigError,
                source + ": normalisation " + name + " has " + std::to_string(v.size()) +
                    " values but the images have " + std::to_string(c) + " channels");
    std::vector<double> out(c, v.empty() ? none : v[0]);
    if (v.size() > 1) out = v;
    return out;
  };
  const std::vector<double> m = per_channel(mean, "mean", 0.0), s = per_channel(std, "std", 1.0);
  scale.resize(c);
  shift.resize(c);
  for (int64_t k = 0; k < c; ++k) {
    REDES_CHECK(std::isfinite(m[k]) && std::isfinite(s[k]) && s[k] > 0, ConfigError,
                source + ": normalisation of channel " + std::to_string(k) + ": std " +
                    std::to_string(s[k]) + " and mean " + std::to_string(m[k]) +
                    " must be finite, std positive");
    scale[k] = static_cast<float>(1.0 / (255.0 * s[k]));
    shift[k] = static_cast<float>(-m[k] / s[k]);
  }
}

void ImageDataset::gather(std::span<const int64_t> rows, Tensor& x, Tensor& y,
                          bool training) const {
  const auto n = static_cast<int64_t>(rows.size());
  const int64_t c = set_->channels, plane = set_->height * set_->width, sample = c * plane;
  for (int64_t r : rows)
    REDES_CHECK(r >= 0 && r < size(), Error,
                set_->source + ": sample " + std::to_string(r) +
                    " requested but the dataset holds " + std::to_string(size()));
  x.resize(sample_shape().batched(n));
  y.resize(target_shape().batched(n));

  const bool augment = training && augment_.any();
  std::vector<Rng> sample_rngs;
  if (augment) {
    sample_rngs.reserve(n);
    for (int64_t i = 0; i < n; ++i) sample_rngs.push_back(rng_.split());
  }
  const uint8_t* pixels = set_->pixels.data();
  float* out = x.data();
  const float *scale = scale_.data(), *shift = shift_.data();
  // Plain conversion is worth threads only for large batches; augmenting (a rotation, one
  // normal per pixel) costs some 10 times more per value, so a batch of 64 small images is
  // enough (about 0.5 ms of work for 64 Fashion-MNIST images with every augmentation).
  const int64_t work = n * sample * (augment ? 16 : 1);
  const bool parallel = n > 1 && work >= kParallelValues;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = rows_[rows[i]];
    const uint8_t* p = pixels + row * sample;
    float* o = out + i * sample;
    if (!augment) {
      for (int64_t k = 0; k < c; ++k)
        for (int64_t q = 0; q < plane; ++q)
          o[k * plane + q] = p[k * plane + q] * scale[k] + shift[k];
    } else {
      constexpr float kUnit = 1.0f / 255.0f;
      for (int64_t q = 0; q < sample; ++q) o[q] = p[q] * kUnit;
      augment_image(o, c, set_->height, set_->width, augment_, sample_rngs[i]);
      // (x01 - mean) / std = x01 * (255 scale) + shift.
      for (int64_t k = 0; k < c; ++k) {
        const float mul = 255.0f * scale[k];
        for (int64_t q = 0; q < plane; ++q) o[k * plane + q] = o[k * plane + q] * mul + shift[k];
      }
    }
    y[i] = static_cast<float>(set_->labels[row]);
  }
}

}  // namespace redes
