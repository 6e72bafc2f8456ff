// The names of the classes of each image format, for reports and predictions.
//
// Labels are indices, so a list of names is used as a prefix when fewer classes were seen
// (a small train_limit may miss the last ones): label k keeps its name. When more classes are
// seen than a list holds, or nothing is known, the names are the indices "0", "1", ...
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "redes/images.hpp"

namespace redes {
namespace {

const std::vector<std::string> kFashionMnist = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                "Bag",         "Ankle boot"};

const std::vector<std::string> kCifar10 = {"airplane", "automobile", "bird",  "cat",  "deer",
                                           "dog",      "frog",       "horse", "ship", "truck"};

// batches.meta.txt of the CIFAR-100 binary archive: fine_label_names, in label order.
const std::vector<std::string> kCifar100Fine = {
    "apple",       "aquarium_fish", "baby",      "bear",       "beaver",       "bed",
    "bee",         "beetle",        "bicycle",   "bottle",     "bowl",         "boy",
    "bridge",      "bus",           "butterfly", "camel",      "can",          "castle",
    "caterpillar", "cattle",        "chair",     "chimpanzee", "clock",        "cloud",
    "cockroach",   "couch",         "crab",      "crocodile",  "cup",          "dinosaur",
    "dolphin",     "elephant",      "flatfish",  "forest",     "fox",          "girl",
    "hamster",     "house",         "kangaroo",  "keyboard",   "lamp",         "lawn_mower",
    "leopard",     "lion",          "lizard",    "lobster",    "man",          "maple_tree",
    "motorcycle",  "mountain",      "mouse",     "mushroom",   "oak_tree",     "orange",
    "orchid",      "otter",         "palm_tree", "pear",       "pickup_truck", "pine_tree",
    "plain",       "plate",         "poppy",     "porcupine",  "possum",       "rabbit",
    "raccoon",     "ray",           "road",      "rocket",     "rose",         "sea",
    "seal",        "shark",         "shrew",     "skunk",      "skyscraper",   "snail",
    "snake",       "spider",        "squirrel",  "streetcar",  "sunflower",    "sweet_pepper",
    "table",       "tank",          "telephone", "television", "tiger",        "tractor",
    "train",       "trout",         "tulip",     "turtle",     "wardrobe",     "whale",
    "willow_tree", "wolf",          "woman",     "worm"};

// coarse_label_names: the 20 superclasses.
const std::vector<std::string> kCifar100Coarse = {"aquatic_mammals",
                                                  "fish",
                                                  "flowers",
                                                  "food_containers",
                                                  "fruit_and_vegetables",
                                                  "household_electrical_devices",
                                                  "household_furniture",
                                                  "insects",
                                                  "large_carnivores",
                                                  "large_man-made_outdoor_things",
                                                  "large_natural_outdoor_scenes",
                                                  "large_omnivores_and_herbivores",
                                                  "medium_mammals",
                                                  "non-insect_invertebrates",
                                                  "people",
                                                  "reptiles",
                                                  "small_mammals",
                                                  "trees",
                                                  "vehicles_1",
                                                  "vehicles_2"};

std::vector<std::string> numbered(int64_t classes) {
  std::vector<std::string> names;
  for (int64_t k = 0; k < classes; ++k) names.push_back(std::to_string(k));
  return names;
}

// The list, or its first `classes` names; numbers when the list is too short.
std::vector<std::string> prefix(const std::vector<std::string>& list, int64_t classes) {
  if (classes <= 0) return list;
  if (classes > static_cast<int64_t>(list.size())) return numbered(classes);
  return {list.begin(), list.begin() + classes};
}

bool mentions_fashion(std::string path) {
  std::transform(path.begin(), path.end(), path.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return path.find("fashion") != std::string::npos;
}

std::vector<std::string> sub_folders(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return names;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && !name.starts_with(".")) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::vector<std::string> default_class_names(const ImageSpec& spec, int64_t classes) {
  if (!spec.classes.empty()) return spec.classes;
  if (spec.format == "idx") {
    // MNIST digits and Fashion-MNIST share the format; the file names tell them apart (Debian's
    // copy lives under /usr/share/datasets/fashion-mnist/).
    const bool fashion = mentions_fashion(spec.train_images) || mentions_fashion(spec.test_images);
    return fashion ? prefix(kFashionMnist, classes) : numbered(classes > 0 ? classes : 10);
  }
  if (spec.format == "cifar10") return prefix(kCifar10, classes);
  if (spec.format == "cifar100")
    return prefix(spec.fine_labels ? kCifar100Fine : kCifar100Coarse, classes);
  if (spec.format == "folder") {
    std::vector<std::string> names = sub_folders(spec.train_dir);
    if (names.empty()) names = sub_folders(spec.test_dir);
    if (!names.empty()) return prefix(names, classes);
  }
  return numbered(classes);
}

}  // namespace redes
