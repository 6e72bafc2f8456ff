// ONNX: redes models written as ONNX files, for other runtimes (ONNX Runtime, OpenCV's dnn).
//
//   redes::Model m = redes::Model::load("runs/lenet5-fashion/model.redes");
//   redes::OnnxSummary s = redes::export_onnx(m, "lenet5.onnx");   // opset 13
//
// The file holds the weights as initializers, one input "input" and one output "output", both
// with a dynamic batch dimension "N". It takes what Model::predict takes and returns what it
// returns: an image model's pixels in [0, 1] (its normalisation is nodes in front of the
// network), a table's feature values with the categorical columns one-hot (the standardisation
// is nodes in front), class probabilities for classifiers (a Sigmoid or Softmax at the end).
// Series and word models take the network's own inputs (OnnxSummary says what they are).
#pragma once
#include <string>

#include "redes/model.hpp"

namespace redes {

// The ONNX opsets export_onnx writes.
inline constexpr int kOnnxOpsetMin = 11, kOnnxOpsetMax = 17, kOnnxOpsetDefault = 13;

// What an exported file takes and gives, one line each, for people:
// "input 'input' (N, 1, 28, 28): pixels in [0, 1]".
struct OnnxSummary {
  std::string input, output;
  int64_t nodes = 0, initializers = 0;
};

// Writes model to path (atomically). Throws Error "<layer place>: ..." naming the layer for a
// layer ONNX cannot express as redes computes it, and Error for an opset out of range.
OnnxSummary export_onnx(const Model& model, const std::string& path, int opset = kOnnxOpsetDefault);

}  // namespace redes
