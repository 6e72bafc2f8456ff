// Images (IDX, CIFAR, folders) for the run pipeline: the training images are split into
// training and validation by seed; the test images are the format's own test set.
#include <algorithm>

#include "redes/images.hpp"
#include "train/loaded_data.hpp"

namespace redes {

LoadedData load_image_data(const Config& config) {
  const ImageSpec& spec = config.images;
  auto train = std::make_shared<const ImageSet>(read_image_split(spec, true)),
       test = std::make_shared<const ImageSet>(read_image_split(spec, false));
  REDES_CHECK(train->channels == test->channels && train->height == test->height &&
                  train->width == test->width,
              DataError,
              test->source + ": test images are " + std::to_string(test->channels) + "x" +
                  std::to_string(test->height) + "x" + std::to_string(test->width) +
                  " but training images are " + std::to_string(train->channels) + "x" +
                  std::to_string(train->height) + "x" + std::to_string(train->width));
  REDES_CHECK(spec.mean.size() <= 1 || static_cast<int64_t>(spec.mean.size()) == train->channels,
              ConfigError,
              config.path + ": [data] mean and std have " + std::to_string(spec.mean.size()) +
                  " values but the images have " + std::to_string(train->channels) + " channels");
  int32_t max_label = 0;
  for (int32_t l : train->labels) max_label = std::max(max_label, l);
  for (int32_t l : test->labels) max_label = std::max(max_label, l);
  LoadedData d;
  d.classes = default_class_names(spec, max_label + 1);

  // Validation images drawn from the training set by seed, the same for the same seed.
  Rng split_rng(config.seed ^ 0x5eed5eedULL);
  std::vector<int64_t> order = split_rng.permutation(train->size());
  const auto n_val = static_cast<int64_t>(spec.validation_fraction * train->size() + 0.5);
  std::vector<int64_t> val_rows(order.begin(), order.begin() + n_val),
      train_rows(order.begin() + n_val, order.end());
  std::sort(val_rows.begin(), val_rows.end());
  std::sort(train_rows.begin(), train_rows.end());
  std::vector<int64_t> test_rows(test->size());
  for (int64_t i = 0; i < test->size(); ++i) test_rows[i] = i;

  Rng aug_rng(config.seed ^ 0xa06a06ULL);
  d.train = std::make_unique<ImageDataset>(train, train_rows, spec.mean, spec.std, spec.augment,
                                           aug_rng.next_u64());
  if (n_val > 0)
    d.val = std::make_unique<ImageDataset>(train, val_rows, spec.mean, spec.std, AugmentSpec{}, 0);
  d.test = std::make_unique<ImageDataset>(test, test_rows, spec.mean, spec.std, AugmentSpec{}, 0);
  d.test_inputs = [test] {
    LoadedData::TestInputs in;
    in.pixels = BasicTensor<uint8_t>(Shape{test->size(), test->channels, test->height, test->width},
                                     test->pixels);
    in.truth =
        Tensor(Shape{test->size()}, std::vector<float>(test->labels.begin(), test->labels.end()));
    return in;
  };
  d.meta = {{"format", spec.format},
            {"shape", {train->channels, train->height, train->width}},
            {"mean", spec.mean},
            {"std", spec.std},
            {"classes", d.classes}};
  d.rows = {{"train", static_cast<int64_t>(train_rows.size())},
            {"validation", n_val},
            {"test", test->size()}};
  d.description = train->source + ": " + std::to_string(train->size()) + " training images of " +
                  std::to_string(train->channels) + "x" + std::to_string(train->height) + "x" +
                  std::to_string(train->width) + " (validation " + std::to_string(n_val) + "), " +
                  std::to_string(test->size()) + " test images, " +
                  std::to_string(d.classes.size()) + " classes";
  return d;
}

}  // namespace redes
