// redes demo convolution: the lecture's walk-through of the convolution operator and of
// pooling, computed step by step and checked against the library's own layers.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "redes/layer.hpp"

namespace redes::cli {

namespace {

using Matrix = std::vector<std::vector<double>>;

void print(const char* title, const Matrix& m) {
  std::printf("%s (%zux%zu):\n", title, m.size(), m.empty() ? 0 : m[0].size());
  for (const auto& row : m) {
    for (double v : row) std::printf(" %6g", v);
    std::printf("\n");
  }
}

// Valid cross-correlation, stride 1, as deep-learning libraries define "convolution" (the
// filter is not flipped). Prints each output element as the sum it is.
Matrix convolve(const Matrix& img, const Matrix& filter, bool verbose) {
  const size_t oh = img.size() - filter.size() + 1, ow = img[0].size() - filter[0].size() + 1;
  Matrix out(oh, std::vector<double>(ow, 0));
  for (size_t i = 0; i < oh; ++i)
    for (size_t j = 0; j < ow; ++j) {
      std::string terms;
      for (size_t u = 0; u < filter.size(); ++u)
        for (size_t v = 0; v < filter[0].size(); ++v) {
          out[i][j] += img[i + u][j + v] * filter[u][v];
          char t[64];
          std::snprintf(t, sizeof t, "%s%g*%g", terms.empty() ? "" : " + ", img[i + u][j + v],
                        filter[u][v]);
          terms += t;
        }
      if (verbose) std::printf("  out[%zu][%zu] = %s = %g\n", i, j, terms.c_str(), out[i][j]);
    }
  return out;
}

Matrix pool(const Matrix& m, size_t k, bool max, bool verbose) {
  const size_t oh = m.size() - k + 1, ow = m[0].size() - k + 1;
  Matrix out(oh, std::vector<double>(ow, 0));
  for (size_t i = 0; i < oh; ++i)
    for (size_t j = 0; j < ow; ++j) {
      std::string vals;
      double acc = max ? -INFINITY : 0;
      for (size_t u = 0; u < k; ++u)
        for (size_t v = 0; v < k; ++v) {
          const double x = m[i + u][j + v];
          acc = max ? std::max(acc, x) : acc + x / (k * k);
          char t[32];
          std::snprintf(t, sizeof t, "%s%g", vals.empty() ? "" : ", ", x);
          vals += t;
        }
      out[i][j] = acc;
      if (verbose) std::printf("  %s(%s) = %g\n", max ? "max" : "average", vals.c_str(), acc);
    }
  return out;
}

// Runs a layer of the library on one sample (C, H, W) and returns its output channels.
std::vector<Matrix> run_layer(const std::string& kind, nlohmann::json attrs,
                              const std::vector<Matrix>& channels,
                              const std::vector<Matrix>& weights = {}, double bias = 0) {
  LayerSpec spec;
  spec.kind = kind;
  spec.name = kind;
  spec.attrs = std::move(attrs);
  auto layer = make_layer<double>(spec);
  const int64_t c = static_cast<int64_t>(channels.size()), h = channels[0].size(),
                w = channels[0][0].size();
  const Shape in{c, h, w};
  const Shape out = layer->setup(std::span<const Shape>(&in, 1));
  ParamArena<double> arena;
  arena.bind(layer->params());
  for (auto* p : layer->params()) {
    if (p->name == "weight")  // (1, C, KH, KW)
      for (int64_t k = 0, i = 0; k < c; ++k)
        for (const auto& row : weights[k])
          for (double v : row) p->value[i++] = v;
    if (p->name == "bias") p->value[0] = bias;
  }
  std::vector<double> x, y(out.numel());
  for (const auto& m : channels)
    for (const auto& row : m) x.insert(x.end(), row.begin(), row.end());
  ForwardCtx<double> ctx;
  ctx.inputs.push_back(TensorView<const double>(x.data(), in.batched(1)));
  ctx.output = TensorView<double>(y.data(), out.batched(1));
  layer->forward(ctx);
  std::vector<Matrix> result(out[0], Matrix(out[1], std::vector<double>(out[2])));
  for (int64_t k = 0, i = 0; k < out[0]; ++k)
    for (int64_t r = 0; r < out[1]; ++r)
      for (int64_t s = 0; s < out[2]; ++s) result[k][r][s] = y[i++];
  return result;
}

void check(const char* what, const Matrix& by_hand, const Matrix& by_layer) {
  bool same = by_hand.size() == by_layer.size();
  for (size_t i = 0; same && i < by_hand.size(); ++i)
    for (size_t j = 0; j < by_hand[i].size(); ++j)
      same = same && std::abs(by_hand[i][j] - by_layer[i][j]) < 1e-9;
  std::printf("  (redes' %s layer computes the same: %s)\n", what, same ? "yes" : "NO");
  if (!same)
    throw Error("demo: the " + std::string(what) + " layer disagrees with the hand computation");
}

int demo_convolution() {
  std::printf("The convolution operator\n========================\n\n");
  const Matrix image = {{3, 0, 1}, {2, 6, 2}, {0, 4, 5}, {1, 2, 7}};
  const Matrix filter = {{1, 0}, {-1, 2}};
  print("A 4x3 image, one channel", image);
  print("A 2x2 filter", filter);
  std::printf(
      "\nThe filter slides over every 2x2 window of the image (stride 1, no padding):\n"
      "(4 - 2 + 1) x (3 - 2 + 1) = 3x2 positions. At each one, multiply element by element and "
      "add:\n");
  const Matrix result = convolve(image, filter, true);
  print("\nResult of the convolution", result);
  check(
      "conv2d", result,
      run_layer("conv2d", {{"filters", 1}, {"kernel", 2}, {"bias", false}}, {image}, {filter})[0]);

  std::printf(
      "\nThree channels (an RGB image)\n-----------------------------\n"
      "A colour image has one 4x3 matrix per colour, the channels. The filter has one 2x2 slice "
      "per\n"
      "channel; each channel is convolved with its slice and the three results are added (plus a "
      "bias):\n");
  const Matrix red = image, green = {{1, 0, 2}, {0, 3, 0}, {2, 0, 1}, {0, 1, 0}},
               blue = {{5, 1, 0}, {0, 2, 4}, {1, 0, 3}, {2, 2, 0}};
  const Matrix f_red = filter, f_green = {{0, 1}, {1, 0}}, f_blue = {{0.5, 0}, {0, -0.5}};
  const double bias = 1;
  const std::pair<const char*, std::pair<Matrix, Matrix>> channels[] = {
      {"red", {red, f_red}}, {"green", {green, f_green}}, {"blue", {blue, f_blue}}};
  Matrix sum(3, std::vector<double>(2, bias));
  for (const auto& [name, pair] : channels) {
    std::printf("\n%s channel:\n", name);
    print("  image", pair.first);
    print("  filter slice", pair.second);
    const Matrix r = convolve(pair.first, pair.second, false);
    print("  result", r);
    for (size_t i = 0; i < 3; ++i)
      for (size_t j = 0; j < 2; ++j) sum[i][j] += r[i][j];
  }
  std::printf("\n");
  print("Sum of the three results plus the bias 1: the 3x2 output of a 3-channel convolution", sum);
  check("conv2d", sum,
        run_layer("conv2d", {{"filters", 1}, {"kernel", 2}}, {red, green, blue},
                  {f_red, f_green, f_blue}, bias)[0]);

  std::printf(
      "\nPooling\n=======\n\nA 2x2 window slides over the 3x2 convolution result (stride 1): 2x1 "
      "positions.\n"
      "Max pooling keeps the largest value of each window:\n");
  const Matrix mx = pool(result, 2, true, true);
  print("Max pooling", mx);
  check("max_pool2d", mx, run_layer("max_pool2d", {{"kernel", 2}, {"stride", 1}}, {result})[0]);
  std::printf("\nAverage pooling keeps their mean:\n");
  const Matrix avg = pool(result, 2, false, true);
  print("Average pooling", avg);
  check("avg_pool2d", avg, run_layer("avg_pool2d", {{"kernel", 2}, {"stride", 1}}, {result})[0]);
  std::printf(
      "\nEach pooled value summarises a neighbourhood, so a pattern found by the filter counts\n"
      "wherever it appears in the window: pooling makes the features smaller and less sensitive "
      "to\n"
      "small shifts.\n");
  return 0;
}

}  // namespace

Command add_demo(CLI::App& app) {
  struct Args {
    std::string topic, out = "runs/demo-approximation";
    uint64_t seed = 1;
    int restarts = 3;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("demo", "Walk through the lecture's examples step by step");
  cmd->footer(
      "convolution: the convolution operator and pooling computed by hand, checked against the "
      "library's layers.\napproximation: networks with one hidden layer of K = 1, 2, 4, 8, 32 "
      "units fit sin(3x) + x/2; prints each fit's error and writes OUT/approximation.html.");
  cmd->add_option("topic", a->topic, "What to show")
      ->required()
      ->check(CLI::IsMember({"convolution", "approximation"}));
  cmd->add_option("--out", a->out, "approximation: the folder of approximation.html")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "approximation: the first networks' seed")
      ->capture_default_str();
  cmd->add_option("--restarts", a->restarts,
                  "approximation: trainings per K from different random weights, the best kept")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  return {cmd, [a] {
            return a->topic == "approximation" ? demo_approximation(a->out, a->seed, a->restarts)
                                               : demo_convolution();
          }};
}

}  // namespace redes::cli
