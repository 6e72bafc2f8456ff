// The convolution and pooling layers of the example models, the shapes conv_bench.cpp measures
// redes' layers on and onednn_bench.cpp oneDNN's convolutions.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "layers/conv2d.hpp"
#include "layers/pooling.hpp"
#include "redes/rng.hpp"
#include "redes/tensor.hpp"

namespace redes::bench {

struct LayerShape {
  const char* model;
  const char* name;
  Shape input;  // per sample (C, H, W)
  int64_t batch;
  int64_t filters;  // 0: a 2x2 max pool
  int64_t kernel;
  const char* padding;  // "same", "valid" or a number
  bool first;           // the model's first layer: no input gradient
};

inline const std::vector<LayerShape>& shapes() {
  static const std::vector<LayerShape> s = {
      // LeNet-5 (examples/lenet5-fashion.toml), batch 64.
      {"lenet5", "conv1", {1, 28, 28}, 64, 6, 5, "2", true},
      {"lenet5", "pool1", {6, 28, 28}, 64, 0, 2, "0", false},
      {"lenet5", "conv2", {6, 14, 14}, 64, 16, 5, "valid", false},
      {"lenet5", "pool2", {16, 10, 10}, 64, 0, 2, "0", false},
      // The convnet (examples/convnet-fashion.toml), batch 64.
      {"convnet", "conv1", {1, 28, 28}, 64, 32, 5, "same", true},
      {"convnet", "pool1", {32, 28, 28}, 64, 0, 2, "0", false},
      {"convnet", "conv2", {32, 14, 14}, 64, 64, 5, "same", false},
      {"convnet", "pool2", {64, 14, 14}, 64, 0, 2, "0", false},
  };
  return s;
}

// The layer of a shape: a Conv2d, or a MaxPool2d when it has no filters.
inline std::unique_ptr<Layer<float>> make(const LayerShape& s) {
  if (s.filters == 0) {
    Pool2dOptions o;
    o.kernel = {s.kernel, s.kernel};
    return std::make_unique<MaxPool2d<float>>(o);
  }
  Conv2dOptions o;
  o.filters = s.filters;
  o.kernel = {s.kernel, s.kernel};
  const std::string pad = s.padding;
  if (pad == "same" || pad == "valid") {
    o.padding_mode = pad;
  } else {
    o.padding = {std::stoll(pad), std::stoll(pad)};
  }
  return std::make_unique<Conv2d<float>>(o);
}

// A shape's layer with its parameters (initialised, their gradients zero), a random input x
// and upstream gradient dy, and buffers for the output y and the input gradient dx (zero).
struct LayerData {
  std::unique_ptr<Layer<float>> layer;
  ParamArena<float> arena;
  Rng rng{1};
  Tensor x, y, dy, dx;

  explicit LayerData(const LayerShape& s) : layer(make(s)) {
    const Shape ins[] = {s.input};
    const Shape out = layer->setup(ins).batched(s.batch);
    arena.bind(layer->params());
    layer->init(rng);
    x = Tensor(s.input.batched(s.batch));
    y = Tensor(out);
    dy = Tensor(out);
    dx = Tensor(x.shape());
    for (auto& v : x.values()) v = static_cast<float>(rng.uniform(-1, 1));
    for (auto& v : dy.values()) v = static_cast<float>(rng.uniform(-1, 1));
  }
};

}  // namespace redes::bench
