// redes augment CONFIG --preview grid.png: what the augmentation of an image config does to a
// few training images, as one picture.
#include <cstdio>

#include "commands.hpp"
#include "redes/config.hpp"
#include "redes/files.hpp"
#include "redes/images.hpp"
#include "redes/report.hpp"

namespace redes::cli {

namespace {

struct AugmentArgs {
  std::string config, preview;
  int64_t count = 8, variants = 7;
  uint64_t seed = 1;
};

int run_augment(const AugmentArgs& a) {
  const Config c = load_config(a.config);
  if (c.data_kind != DataKind::images)
    throw ConfigError(a.config + ": augment previews images; this config's [data] kind is \"" +
                      std::string(name(c.data_kind)) + "\"");
  if (!c.images.augment.any())
    throw ConfigError(a.config + ": [data.augment] sets no transform: nothing to preview");
  if (a.count < 1 || a.variants < 1) throw ConfigError("--count and --variants must be at least 1");
  const ImageSet set = read_image_split(c.images, true, a.count);
  const auto tiles = augment_preview(set, c.images.augment, a.count, a.variants, a.seed);
  std::vector<const float*> ptrs;
  for (const auto& t : tiles) ptrs.push_back(t.data());
  const int zoom = set.height < 64 ? 3 : 1;
  write_file_atomic(a.preview, png_grid(ptrs, set.channels, set.height, set.width, zoom,
                                        1 + a.variants, 0.0f, 1.0f));
  std::printf("%s: %lld training images (a row each: the original, then %lld augmented draws)\n",
              a.preview.c_str(), static_cast<long long>(tiles.size() / (1 + a.variants)),
              static_cast<long long>(a.variants));
  return 0;
}

}  // namespace

Command add_augment(CLI::App& app) {
  auto a = std::make_shared<AugmentArgs>();
  auto* cmd = app.add_subcommand(
      "augment", "Preview the data augmentation of an image config on a few training images");
  cmd->footer(
      "Writes a PNG grid: a row per training image (the first --count of the training set), the "
      "original first, then --variants draws of the config's [data.augment] (rotation, shifts, "
      "flips, noise), as training would see them before normalisation.\n"
      "Example: redes augment examples/alexnet-cifar10.toml --preview grid.png --count 8");
  cmd->add_option("config", a->config, "An image config with [data.augment]")->required();
  cmd->add_option("--preview", a->preview, "The PNG file to write")->required();
  cmd->add_option("--count,-n", a->count, "How many training images (default 8)");
  cmd->add_option("--variants", a->variants, "Augmented draws per image (default 7)");
  cmd->add_option("--seed", a->seed, "The random seed of the draws (default 1)");
  return {cmd, [a] { return run_augment(*a); }};
}

}  // namespace redes::cli
