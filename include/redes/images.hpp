// Images: IDX (MNIST, Fashion-MNIST), CIFAR-10/100 binary batches and folders of PNG/JPEG
// files with one sub-folder per class. Pixels stay uint8 in memory, (N, C, H, W); a batch is
// scaled to [0, 1], normalised and (in training) augmented when it is gathered.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redes/dataset.hpp"
#include "redes/rng.hpp"

namespace redes {

// Data augmentation, applied to each training image with a fresh random draw
// (the lecture's rotation, noise, shifts and flips).
struct AugmentSpec {
  double rotate_degrees = 0;     // rotate by a uniform angle in [-r, r] (zero fill)
  bool rotate_nearest = false;   // rotate from the nearest pixel (torchvision's default), not
                                 // by bilinear interpolation (Keras' default), which blurs
  int64_t shift_pixels = 0;      // shift left/right and up/down by a uniform integer in [-s, s]
  bool flip_horizontal = false;  // mirror left-right with probability 1/2
  bool flip_vertical = false;    // mirror up-down with probability 1/2
  double noise_std = 0;  // add Gaussian noise of this standard deviation (after scaling to [0, 1])
  bool any() const {
    return rotate_degrees > 0 || shift_pixels > 0 || flip_horizontal || flip_vertical ||
           noise_std > 0;
  }
};

struct ImageSpec {
  std::string format = "idx";  // "idx", "cifar10", "cifar100", "folder"
  // idx: image and label files (gzip or raw)
  std::string train_images, train_labels, test_images, test_labels;
  // cifar10 / cifar100: binary batch files
  std::vector<std::string> train_batches, test_batches;
  bool fine_labels = true;  // cifar100: the 100 fine classes (else the 20 coarse ones)
  // folder: <dir>/<class>/<image>.png|jpg
  std::string train_dir, test_dir;
  std::vector<std::string> classes;  // class names (default: from the format)
  // Per-channel normalisation after scaling to [0, 1]: (x - mean) / std. Empty: none.
  std::vector<double> mean, std;
  double validation_fraction = 0;           // of the training images, drawn by seed
  int64_t train_limit = 0, test_limit = 0;  // use only the first N images (0: all)
  AugmentSpec augment;
};

struct ImageSet {
  std::string source;  // for messages
  int64_t channels = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;  // (N, C, H, W)
  std::vector<int32_t> labels;  // (N)
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// Readers. Each throws DataError naming the file and the problem: a wrong magic number, a
// truncated file, image and label counts that disagree, images of mixed sizes, a label out of
// range. limit > 0 reads only the first `limit` images.
ImageSet read_idx(const std::string& images_path, const std::string& labels_path,
                  int64_t limit = 0);
ImageSet read_cifar(const std::vector<std::string>& batch_files, bool cifar100, bool fine_labels,
                    int64_t limit = 0);
ImageSet read_image_folder(const std::string& dir, const std::vector<std::string>& classes,
                           int64_t limit = 0);
// The training (train) or test images of a spec, in its format; limit > 0 reads only the first
// `limit` images, 0 all of them, -1 the spec's train_limit or test_limit.
ImageSet read_image_split(const ImageSpec& spec, bool train, int64_t limit = -1);

// The class names of a format: Fashion-MNIST's for "idx" ("T-shirt/top", ...) when there are
// 10 classes, CIFAR-10's, CIFAR-100's (fine or coarse), or the folder's sub-folder names.
std::vector<std::string> default_class_names(const ImageSpec& spec, int64_t classes);

// The per-channel affine map x = pixel * scale[c] + shift[c] that turns 0..255 pixels into the
// network's inputs, (pixel / 255 - mean[c]) / std[c]. mean and std hold one value per channel,
// one value for all, or none (0 and 1). Throws ConfigError "<source>: ..." for a count that does
// not match the channels or a std that is not positive.
void pixel_normalisation(int64_t channels, const std::vector<double>& mean,
                         const std::vector<double>& std, const std::string& source,
                         std::vector<float>& scale, std::vector<float>& shift);

// A view of some images of a set as a Dataset: gathers (N, C, H, W) floats scaled to [0, 1]
// and normalised, augmented when training. Targets are class indices (N).
class ImageDataset : public Dataset {
 public:
  ImageDataset(std::shared_ptr<const ImageSet> set, std::vector<int64_t> rows,
               std::vector<double> mean, std::vector<double> std, AugmentSpec augment,
               uint64_t seed);
  int64_t size() const override { return static_cast<int64_t>(rows_.size()); }
  Shape sample_shape() const override { return Shape{set_->channels, set_->height, set_->width}; }
  Shape target_shape() const override { return Shape{}; }
  void gather(std::span<const int64_t> rows, Tensor& x, Tensor& y, bool training) const override;
  bool worth_prefetching() const override { return augment_.any(); }
  std::vector<uint64_t> random_state() const override { return rng_.saved(); }
  void set_random_state(const std::vector<uint64_t>& state) const override { rng_.restore(state); }
  void split_random(int rank) const override {
    for (int k = 0; k < rank; ++k) rng_ = rng_.split();
  }

 private:
  std::shared_ptr<const ImageSet> set_;
  std::vector<int64_t> rows_;
  std::vector<float> scale_, shift_;  // per channel: x = pixel * scale + shift
  AugmentSpec augment_;
  mutable Rng rng_;  // augmentation draws, in gather order: deterministic for a seed
};

// Augments one image in place: x is (C, H, W) scaled to [0, 1] (before normalisation, so
// that the fill of rotations and shifts is a black pixel, 0).
void augment_image(float* x, int64_t channels, int64_t height, int64_t width,
                   const AugmentSpec& spec, Rng& rng);

// A preview of the augmentation: a row per image of the set (at most `count`), the original
// first, then `variants` augmented draws of it, each in [0, 1] pixels; (rows, 1 + variants)
// tiles of (C, H, W), row-major, for png_grid.
std::vector<std::vector<float>> augment_preview(const ImageSet& set, const AugmentSpec& spec,
                                                int64_t count, int64_t variants, uint64_t seed);

}  // namespace redes
