// redes export MODEL -o OUT.onnx [--opset N]: a model file as an ONNX model (redes/onnx.hpp).
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "redes/error.hpp"
#include "redes/model.hpp"
#include "redes/onnx.hpp"

namespace redes::cli {

namespace {

struct ExportArgs {
  std::string model, out;
  int opset = kOnnxOpsetDefault;
};

}  // namespace

Command add_export(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand("export", "Write a model as an ONNX file for other runtimes");
  cmd->footer(
      "The ONNX model holds the weights, takes what `redes predict` takes as arrays and returns "
      "what it returns: an image model's pixels in [0, 1] (the normalisation is part of the "
      "ONNX graph), a table's feature values with the categorical columns one-hot (the "
      "standardisation is part of it), class probabilities for classifiers. The batch "
      "dimension is dynamic. It prints what the input and the output are.\n"
      "Example: redes export runs/lenet5-fashion/model.redes -o lenet5.onnx");
  cmd->add_option("model", a->model, "A model.redes file")->required();
  cmd->add_option("-o,--output", a->out, "The ONNX file to write")->required();
  cmd->add_option("--opset", a->opset, "The ONNX opset (11 to 17)")->capture_default_str();
  return {cmd, [a] {
            const Model m = Model::load(a->model);
            OnnxSummary s;
            try {
              s = export_onnx(m, a->out, a->opset);
            } catch (const Error& e) {  // a layer of the model: name the file it came from
              throw Error(a->model + ": " + e.what());
            }
            std::printf("wrote %s: ONNX opset %d, %lld nodes, %lld initializers\n  %s\n  %s\n",
                        a->out.c_str(), a->opset, static_cast<long long>(s.nodes),
                        static_cast<long long>(s.initializers), s.input.c_str(), s.output.c_str());
            return 0;
          }};
}

}  // namespace redes::cli
