// [data] with kind = "images": which files, how to normalise, how to augment.
#include "io/config_section.hpp"

namespace redes::config_detail {

namespace {

std::vector<std::string> resolve_paths(Section& s, const std::string& key) {
  const toml::node& n = s.require(key);
  std::vector<std::string> paths;
  s.read(key, paths);
  if (paths.empty()) s.fail(n, "'" + key + "' must list at least one file");
  for (auto& p : paths) p = relative_to_config(s, p);
  s.path_keys().push_back(key);
  return paths;
}

AugmentSpec parse_augment(Section& data) {
  AugmentSpec a;
  const toml::table* t = data.table("augment");
  if (!t) return a;
  Section s(*t, "[data.augment]", data.path());
  s.read("rotate_degrees", a.rotate_degrees, 0, false, 180);
  std::string interpolation = "bilinear";
  s.read_choice("interpolation", interpolation, {"bilinear", "nearest"});
  a.rotate_nearest = interpolation == "nearest";
  if (auto shift = s.integer("shift_pixels", 0, 1 << 16)) a.shift_pixels = *shift;
  s.read("flip_horizontal", a.flip_horizontal);
  s.read("flip_vertical", a.flip_vertical);
  s.read("noise_std", a.noise_std, 0);
  s.finish();
  return a;
}

}  // namespace

ImageSpec parse_data_images(Section& s) {
  ImageSpec d;
  s.read_choice("format", d.format, {"idx", "cifar10", "cifar100", "folder"});
  if (d.format == "idx") {
    d.train_images = resolve_path(s, "train_images", true);
    d.train_labels = resolve_path(s, "train_labels", true);
    d.test_images = resolve_path(s, "test_images", true);
    d.test_labels = resolve_path(s, "test_labels", true);
  } else if (d.format == "folder") {
    d.train_dir = resolve_path(s, "train_dir", true);
    d.test_dir = resolve_path(s, "test_dir", true);
  } else {
    d.train_batches = resolve_paths(s, "train_batches");
    d.test_batches = resolve_paths(s, "test_batches");
    if (d.format == "cifar100") s.read("fine_labels", d.fine_labels);
  }
  s.read("classes", d.classes);
  const toml::node* mean = s.find("mean");
  s.read("mean", d.mean);
  const toml::node* std = s.find("std");
  s.read("std", d.std);
  if (d.mean.size() != d.std.size())
    s.fail(mean ? *mean : *std, "'mean' and 'std' must have one value per channel each");
  for (double v : d.std)
    if (v <= 0) s.fail(*std, "'std' values must be greater than 0");
  s.read("validation_fraction", d.validation_fraction, 0, false, 1, true);
  if (auto n = s.integer("train_limit", 0)) d.train_limit = *n;
  if (auto n = s.integer("test_limit", 0)) d.test_limit = *n;
  d.augment = parse_augment(s);
  return d;
}

}  // namespace redes::config_detail
