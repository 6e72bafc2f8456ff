// The training or test images a spec names, in whichever format (images.hpp).
#include "redes/images.hpp"

namespace redes {

ImageSet read_image_split(const ImageSpec& s, bool train, int64_t limit) {
  if (limit < 0) limit = train ? s.train_limit : s.test_limit;
  if (s.format == "idx")
    return train ? read_idx(s.train_images, s.train_labels, limit)
                 : read_idx(s.test_images, s.test_labels, limit);
  if (s.format == "folder") {
    // The test folder is read with the training folder's classes, so that labels line up even
    // when a class has no test image.
    const auto classes = s.classes.empty() ? default_class_names(s, 0) : s.classes;
    return read_image_folder(train ? s.train_dir : s.test_dir, classes, limit);
  }
  return read_cifar(train ? s.train_batches : s.test_batches, s.format == "cifar100", s.fine_labels,
                    limit);
}

}  // namespace redes
