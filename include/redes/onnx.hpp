// ONNX: redes models written as ONNX files, for other runtimes (ONNX Runtime, OpenCV's dnn),
// and ONNX models (from PyTorch's exporter, say) read as redes models.
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
//
//   redes::Model m = redes::import_onnx("lenet5.onnx");   // then predict, fit, save
//
// Import turns each ONNX node into the redes layer that computes the same (Gemm into linear,
// Conv into conv2d, ...), folds the shape arithmetic exporters write around Reshape, and takes
// the batch as ONNX's first dimension. A node redes cannot compute exactly is an
// OnnxUnsupported error naming the node, its operator and what is missing.
#pragma once
#include <string>
#include <vector>

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

// An operator, an attribute or a data type that redes does not compute (a bad file is a
// ModelFileError).
struct OnnxUnsupported : Error {
  using Error::Error;
};

struct OnnxImportOptions {
  // The per-sample input shape, for a model whose input dimensions past the batch are not
  // numbers ("N", "height"); empty: the model's own.
  std::vector<int64_t> input_shape;
  // Where the batch is among the input's ONNX dimensions: 1 for a model exported from a
  // recurrent network that takes (T, N, F) sequences (PyTorch's batch_first=False). The
  // imported model takes its samples batch first, as every redes model, and gives its outputs
  // batch first (meta "imported_from" records where ONNX had the batch of the output).
  int64_t input_batch_axis = 0;
  // "binary", "multiclass" or "regression"; "": from the last node (a Softmax or LogSoftmax
  // over the last axis: multiclass, a Sigmoid of one value: binary, else regression). A
  // classifier's last activation is left out of the network, as redes models end in logits.
  std::string task;
};

// Reads an ONNX model file. Throws ModelFileError "<path>: <problem>" for a file that is not a
// valid ONNX model and OnnxUnsupported "<path>: node 'conv1' (Conv): ..." for one redes cannot
// compute.
Model import_onnx(const std::string& path, const OnnxImportOptions& options = {});
// The same from the bytes of a file; `path` names it in messages.
Model import_onnx_bytes(const std::string& bytes, const std::string& path,
                        const OnnxImportOptions& options = {});

}  // namespace redes
