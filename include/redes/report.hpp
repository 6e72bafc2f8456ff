// Pictures of what a network learned: the first convolution's filters and the feature maps
// of one image, as PNG files.
#pragma once
#include <string>
#include <vector>

#include "redes/dataset.hpp"
#include "redes/graph.hpp"

namespace redes {

// Writes tiles (each (H, W) floats, or (3, H, W) for colour) side by side in a grid, each
// tile stretched to its own [min, max] range and enlarged `zoom` times, with a 1-pixel gap.
void write_png_grid(const std::string& path, const std::vector<const float*>& tiles,
                    int64_t channels, int64_t height, int64_t width, int zoom);

// When the model's first layer is a conv2d: writes filters.png (one tile per output
// channel; RGB when the layer reads 3 channels, else the first input channel),
// input.png (the first sample of data) and feature_maps.png (the first layer's output for
// it). Returns the files written (none for other models).
std::vector<std::string> write_conv_pictures(Graph& graph, const Dataset& data,
                                             const std::string& out_dir);

}  // namespace redes
