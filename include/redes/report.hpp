// What a run shows of itself: report.html (curves, the model, the config, and what each task
// adds: confusion matrix and ROC, misclassified images, filters and feature maps, forecasts
// against the baselines, perplexity against the n-gram models), and the pictures of what a
// network learned (the first convolution's filters and the feature maps of one image) as PNG.
#pragma once
#include <cmath>
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
  std::string augment_png;  // image runs with [data.augment]: the preview grid (PNG bytes)
};

// The page: one self-contained HTML file (inline SVG and PNG data URIs, no script, nothing
// loaded from elsewhere), well-formed XML (XHTML) so that any XML parser reads it.
std::string run_report_html(const RunReport& report);

// PNG bytes of tiles (as write_png_grid draws them, each stretched to its own range unless
// [lo, hi] is given, e.g. 0..255 for pixels), for data URIs. columns 0: a square grid.
std::string png_grid(const std::vector<const float*>& tiles, int64_t channels, int64_t height,
                     int64_t width, int zoom, int64_t columns = 0, float lo = NAN, float hi = NAN);

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

// compare.html (`redes compare`): runs side by side. A run as its folder holds it.
struct CompareRun {
  std::string dir;             // the run folder
  nlohmann::json summary;      // summary.json
  std::vector<EpochLog> logs;  // metrics.csv, one per epoch
};
// Reads dir/summary.json and dir/metrics.csv. Throws Error naming the folder and the file when
// one is missing, and the file and the line when one is malformed.
CompareRun read_run(const std::string& dir);
// The page: the runs' loss curves overlaid (training solid, validation dashed, a colour per
// run), a chart per validation metric, and a table of their final figures (a column per run).
// Self-contained XHTML like report.html.
std::string compare_report_html(const std::vector<CompareRun>& runs);

// approximation.html (`redes demo approximation`): a function of one variable and the fits of
// networks with one hidden layer of K units. The fits' y are at the target's x.
struct ApproximationFit {
  int64_t units = 0;       // K
  int64_t parameters = 0;  // of the network
  double mse = 0;          // against the target at its x
  std::vector<double> y;
};
std::string approximation_html(const std::string& function, const std::vector<double>& x,
                               const std::vector<double>& target,
                               const std::vector<ApproximationFit>& fits);

}  // namespace redes
