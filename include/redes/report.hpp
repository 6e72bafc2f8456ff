// What a run shows of itself: report.html (curves, the model, the config, and what each task
// adds: confusion matrix and ROC, misclassified images, filters and feature maps, forecasts
// against the baselines, perplexity against the n-gram models), and the pictures of what a
// network learned (the first convolution's filters and the feature maps of one image) as PNG.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redes/dataset.hpp"
#include "redes/graph.hpp"
#include "redes/train.hpp"

namespace redes {

// Everything report.html shows, gathered by the run.
struct RunReport {
  nlohmann::json summary;      // summary.json
  std::vector<EpochLog> logs;  // one per epoch (metrics.csv)
  std::vector<Graph::LayerRow> layers;
  std::string config_text;  // the config as used
  std::string out_dir;      // the run folder: test_forecast.csv and the PNGs are read from it
  std::string target;       // the column predicted (tables, series), for axis labels
  // The test split: Model::predict's predictions and the true targets (classes (N), values
  // (N, K) or token ids), and for image classifiers the pixels (N, C, H, W).
  Tensor predictions, truth;
  BasicTensor<uint8_t> pixels;
  std::vector<std::string> classes;
};

// The page: one self-contained HTML file (inline SVG and PNG data URIs, no script, nothing
// loaded from elsewhere), well-formed XML (XHTML) so that any XML parser reads it.
std::string run_report_html(const RunReport& report);

// PNG bytes of tiles (as write_png_grid draws them), for data URIs.
std::string png_grid(const std::vector<const float*>& tiles, int64_t channels, int64_t height,
                     int64_t width, int zoom, int64_t columns = 0);

// Writes tiles (each (H, W) floats, or (3, H, W) for colour) side by side in a grid, each
// tile stretched to its own [min, max] range and enlarged `zoom` times, with a 1-pixel gap.
void write_png_grid(const std::string& path, const std::vector<const float*>& tiles,
                    int64_t channels, int64_t height, int64_t width, int zoom);
// "data:image/png;base64,..." of PNG bytes.
std::string png_data_uri(const std::string& png);

// When the model's first layer is a conv2d: writes filters.png (one tile per output
// channel; RGB when the layer reads 3 channels, else the first input channel),
// input.png (the first sample of data) and feature_maps.png (the first layer's output for
// it). Returns the files written (none for other models).
std::vector<std::string> write_conv_pictures(Graph& graph, const Dataset& data,
                                             const std::string& out_dir);

}  // namespace redes
