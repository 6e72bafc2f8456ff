// redes import MODEL.onnx -o OUT.redes [--input-shape D,...] [--task T]: an ONNX model as a redes
// model file (redes/onnx.hpp).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "redes/model.hpp"
#include "redes/onnx.hpp"

namespace redes::cli {

namespace {

struct ImportArgs {
  std::string model, out;
  OnnxImportOptions options;
};

}  // namespace

Command add_import(CLI::App& app) {
  auto a = std::make_shared<ImportArgs>();
  auto* cmd =
      app.add_subcommand("import", "Read an ONNX model (from PyTorch, say) as a redes model");
  cmd->footer(
      "Each ONNX node becomes the redes layer that computes the same; a node redes cannot "
      "compute is an error naming it. The model file then works with predict, eval, summary "
      "and the library's load, and trains further where every layer has a backward pass. A "
      "classifier's last Softmax or Sigmoid is taken as its task (redes networks end in logits "
      "and predict applies it).\n"
      "Example: redes import lenet5.onnx -o lenet5.redes");
  cmd->add_option("model", a->model, "An ONNX file")->required();
  cmd->add_option("-o,--output", a->out, "The model file to write")->required();
  cmd->add_option("--input-shape", a->options.input_shape,
                  "The per-sample input shape, as 1,28,28, for a model whose input dimensions "
                  "are names")
      ->delimiter(',');
  cmd->add_option("--input-batch-axis", a->options.input_batch_axis,
                  "Where the batch is in the input's dimensions: 1 for (T, N, F) sequences "
                  "(PyTorch's batch_first=False); the model then takes (N, T, F)")
      ->capture_default_str();
  cmd->add_option("--task", a->options.task,
                  "binary, multiclass or regression (default: from the last node)");
  return {cmd, [a] {
            const Model m = import_onnx(a->model, a->options);
            m.save(a->out);
            std::printf("wrote %s from %s\n%s\n", a->out.c_str(), a->model.c_str(),
                        m.summary().c_str());
            return 0;
          }};
}

}  // namespace redes::cli
